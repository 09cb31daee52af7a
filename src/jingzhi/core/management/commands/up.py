"""``jingzhi up``: migrate, create the demo sub-district when the database is empty, and run
the web server, the job consumer and the device simulators as one process group."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from jingzhi.core.models import Place
from jingzhi.core.staticassets import missing_vendor_assets

#: Extra long-running components that apps contribute (e.g. device simulators):
#: (name, argv after ``jingzhi``). Apps append to this list in ``AppConfig.ready()``.
COMPONENTS: list[tuple[str, list[str]]] = []


class Command(BaseCommand):
    help = "Set up and run the whole platform on this machine (web, jobs, simulators)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("JINGZHI_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("JINGZHI_PORT", "8000")))
        parser.add_argument("--residents", type=int, default=3000, help="demo size when the database is empty")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--no-demo", action="store_true", help="do not create demo data")
        parser.add_argument("--no-simulators", action="store_true", help="do not start device simulators")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        logins: list[dict[str, str]] = []
        if not options["no_demo"] and not Place.objects.exists():
            from jingzhi.demo.generator import generate

            self.stdout.write("Creating the demo sub-district …")
            summary = generate(residents=options["residents"], seed=options["seed"])
            logins = summary.logins
            self.stdout.write(
                f"Demo: {summary.residents} residents in {summary.households} households, "
                f"{summary.counts['communities']} communities ({summary.seconds:.1f} s)"
            )
            (settings.JINGZHI_DATA_DIR / "demo-logins.json").write_text(
                json.dumps(logins, ensure_ascii=False, indent=2)
            )
        else:
            saved = settings.JINGZHI_DATA_DIR / "demo-logins.json"
            if saved.exists():
                logins = json.loads(saved.read_text())
        missing = missing_vendor_assets()
        if missing:
            self.stderr.write(f"warning: front-end assets missing ({', '.join(missing)}): run `make assets`")

        jingzhi = [sys.executable, "-m", "jingzhi"]
        procs: list[tuple[str, list[str]]] = [
            (
                "web",
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "jingzhi.asgi:application",
                    "--host",
                    options["host"],
                    "--port",
                    str(options["port"]),
                    "--log-level",
                    "warning",
                ],
            ),
            ("jobs", [*jingzhi, "run_huey", "--workers", "2"]),
        ]
        if not options["no_simulators"]:
            procs += [(name, [*jingzhi, *argv]) for name, argv in COMPONENTS]
        self._run(procs, options["host"], options["port"], logins)

    def _run(self, procs: list[tuple[str, list[str]]], host: str, port: int, logins: list[dict[str, str]]) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        children: list[tuple[str, subprocess.Popen[bytes]]] = []
        for name, argv in procs:
            children.append((name, subprocess.Popen(argv, env=env)))  # noqa: S603 - our own argv
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"  # noqa: S104
        self.stdout.write(self.style.SUCCESS(f"jingzhi is running at {url}"))
        self.stdout.write("Components: " + ", ".join(name for name, _ in procs))
        if logins:
            self.stdout.write(f"Demo logins (password for all: {logins[0]['password']}):")
            for login in logins:
                self.stdout.write(f"  {login['username']:<16} {login['role']:<22} {login['name']}")
        self.stdout.write("Press Ctrl-C to stop.")
        sys.stdout.flush()
        exit_code = 0
        try:
            while not stopping:
                for name, child in children:
                    if child.poll() is not None:
                        self.stderr.write(f"{name} exited with status {child.returncode}; stopping")
                        exit_code = child.returncode or 1
                        stopping = True
                        break
                time.sleep(0.5)
        finally:
            for _name, child in children:
                if child.poll() is None:
                    child.terminate()
            deadline = time.monotonic() + 10
            for _name, child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
        if exit_code:
            raise SystemExit(exit_code)
