"""``jingzhi workers add NAME`` / ``list`` / ``disable NAME``: vision worker accounts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhi.cameras.models import VisionWorker
from jingzhi.cameras.services import worker_add


class Command(BaseCommand):
    help = "Manage vision worker accounts (the token `jingzhi vision run --token` authenticates with)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="create a worker and print its token once")
        add.add_argument("name")
        sub.add_parser("list", help="list workers and their leases")
        disable = sub.add_parser("disable", help="refuse a worker's token from now on")
        disable.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "add":
            if VisionWorker.objects.filter(name=options["name"]).exists():
                raise CommandError(f"a worker named {options['name']!r} exists")
            _worker, token = worker_add(options["name"])
            self.stdout.write(token)
            self.stderr.write("Keep this token: it is shown only now (JINGZHI_WORKER_TOKEN for `jingzhi vision run`).")
        elif action == "list":
            for worker in VisionWorker.objects.order_by("name"):
                cameras = ", ".join(worker.leases.values_list("device__code", flat=True)) or "-"
                seen = worker.last_seen_at.isoformat(timespec="seconds") if worker.last_seen_at else "never"
                state = "active" if worker.active else "disabled"
                self.stdout.write(f"{worker.name}\t{state}\tlast seen {seen}\t{cameras}")
        else:
            if not VisionWorker.objects.filter(name=options["name"]).update(active=False):
                raise CommandError(f"no worker named {options['name']!r}")
            self.stdout.write(f"{options['name']} disabled")
