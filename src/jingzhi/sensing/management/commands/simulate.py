"""``jingzhi simulate``: drive the registered devices with simulated streams (see jingzhi.sensing.simulator).

``jingzhi up`` runs it without arguments next to the web server: over MQTT when ``MQTT_URL`` is
set, else over HTTP to ``JINGZHI_URL`` (default ``http://127.0.0.1:<JINGZHI_PORT or 8000>/``).
With nothing to simulate it says so and waits until stopped, so that ``jingzhi up`` keeps running.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhi.sensing.simulator import Faults, Simulator, Stopped, load_devices, load_tokens

SCENARIOS = ("throw",)


def default_url() -> str:
    return os.environ.get("JINGZHI_URL") or f"http://127.0.0.1:{os.environ.get('JINGZHI_PORT') or 8000}/"


class Command(BaseCommand):
    help = "Simulate the gates, cameras, elevators, noise meters and speakers registered in the database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--transport",
            choices=("auto", "http", "mqtt"),
            default="auto",
            help="auto: MQTT when MQTT_URL is set, else HTTP",
        )
        parser.add_argument("--url", default=None, help="web server for HTTP (default: JINGZHI_URL or local port)")
        parser.add_argument("--mqtt-url", default=None, help="broker URL (default: MQTT_URL)")
        parser.add_argument(
            "--tokens",
            type=Path,
            default=None,
            help="device tokens for HTTP (default: <data dir>/simulator-tokens.json)",
        )
        parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
        parser.add_argument("--duration", type=float, default=None, help="stop after this many real seconds")
        parser.add_argument("--no-faults", action="store_true", help="no duplicates, malformed events or drop-outs")
        parser.add_argument("--seed", type=int, default=None, help="random seed (repeatable streams)")
        parser.add_argument("--scenario", choices=SCENARIOS, default=None, help="send one scripted event and exit")
        parser.add_argument("--device", default=None, help="device code for --scenario")
        parser.add_argument("--floor", type=int, default=None, help="floor of a thrown object (--scenario throw)")

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        logging.basicConfig(
            level=logging.INFO if verbosity > 1 else logging.WARNING, format="simulate: %(levelname)s %(message)s"
        )
        if options["speed"] <= 0:
            raise CommandError("--speed must be positive")
        transport = options["transport"]
        mqtt_url = options["mqtt_url"] or settings.MQTT_URL
        if transport == "auto":
            transport = "mqtt" if mqtt_url else "http"
        if transport == "mqtt" and not mqtt_url:
            raise CommandError("set MQTT_URL (e.g. mqtt://127.0.0.1:1883) or pass --mqtt-url")
        url = options["url"] or default_url()
        self._stopping = threading.Event()
        self._simulator: Simulator | None = None

        def stop(signum: int, frame: object) -> None:
            self._stopping.set()
            if self._simulator is not None:
                self._simulator.stop()

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            if options["scenario"]:
                self._scenario(options, transport, url, mqtt_url)
            else:
                self._simulate(options, transport, url, mqtt_url)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _idle(self, message: str, duration: float | None) -> None:
        """Nothing to simulate: say so and wait until stopped (``jingzhi up`` stops when a child exits)."""
        self.stdout.write(message)
        self.stdout.flush()
        self._stopping.wait(duration)

    def _simulate(self, options: dict[str, Any], transport: str, url: str, mqtt_url: str | None) -> None:
        verbosity = options["verbosity"]
        devices = load_devices()
        if not devices:
            self._idle(
                "simulate: no active devices to simulate (create the demo or register devices); idling",
                options["duration"],
            )
            return
        tokens: dict[str, str] = {}
        if transport == "http":
            path = self._tokens_path(options)
            if not path.exists():
                self._idle(
                    f"simulate: no device tokens at {path} (written when the demo is created); idling",
                    options["duration"],
                )
                return
            tokens = load_tokens(path)
            missing = [d.code for d in devices if d.code not in tokens]
            if missing:
                self.stderr.write(
                    f"simulate: no token for {len(missing)} device(s) ({', '.join(missing[:5])}…): not simulated"
                )
                devices = [d for d in devices if d.code in tokens]
            if not devices:
                self._idle("simulate: no device with a token to simulate; idling", options["duration"])
                return
        simulator = Simulator(
            devices,
            transport,
            url=url,
            mqtt_url=mqtt_url,
            tokens=tokens,
            speed=options["speed"],
            faults=Faults.off() if options["no_faults"] else Faults(),
            seed=options["seed"],
            track=False,
        )
        self._simulator = simulator
        if self._stopping.is_set():
            simulator.stop()
        if verbosity > 0:
            target = url if transport == "http" else mqtt_url
            self.stdout.write(
                f"simulate: {len(devices)} devices over {transport} to {target} "
                f"(speed {options['speed']:g}, faults {'off' if options['no_faults'] else 'on'})"
            )
            self.stdout.flush()
        counters = simulator.run(options["duration"])
        if verbosity > 0:
            self.stdout.write(json.dumps(counters.as_dict()))

    def _tokens_path(self, options: dict[str, Any]) -> Path:
        from jingzhi.demo.devices import tokens_path

        return Path(options["tokens"]) if options["tokens"] else tokens_path()

    def _scenario(self, options: dict[str, Any], transport: str, url: str, mqtt_url: str | None) -> None:
        code = options["device"]
        if not code:
            raise CommandError("--scenario needs --device CODE")
        devices = load_devices(codes=[code])
        if not devices:
            raise CommandError(f"no active device {code!r}")
        device = devices[0]
        if options["scenario"] == "throw" and device.kind != "camera":
            raise CommandError(f"{code} is a {device.kind}, not a camera")
        tokens: dict[str, str] = {}
        if transport == "http":
            path = self._tokens_path(options)
            tokens = load_tokens(path) if path.exists() else {}
            if code not in tokens:
                raise CommandError(f"no token for {code} in {path}")
        rng = random.Random(options["seed"])
        floor = options["floor"] if options["floor"] is not None else rng.randint(2, max(2, device.floors or 18))
        simulator = Simulator(
            devices,
            transport,
            url=url,
            mqtt_url=mqtt_url,
            tokens=tokens,
            faults=False,
            seed=options["seed"],
            presence=False,
        )
        try:
            self._simulator = simulator
            reply = simulator.send_once(
                code,
                "throw.detected",
                floor=floor,
                column=rng.randint(1, 4),
                confidence=round(rng.uniform(0.8, 0.95), 2),
            )
        except Stopped:
            return
        finally:
            simulator.transport.close()
        line = {k: reply.get(k) for k in ("device", "event_id", "status", "case")}
        if reply.get("status") == "rejected":
            line |= {"code": reply.get("code"), "detail": reply.get("detail")}
        self.stdout.write(json.dumps(line, ensure_ascii=False))
