"""``jingzhi demo``: generate the deterministic demo sub-district and print a JSON summary."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhi.demo.generator import DemoExistsError, generate


class Command(BaseCommand):
    help = "Generate a synthetic sub-district with residents and demo logins; prints a JSON summary."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--residents", type=int, default=3000, help="number of residents (default 3000)")
        parser.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same data")
        parser.add_argument("--communities", type=int, default=None, help="number of communities (default: by size)")
        parser.add_argument("--force", action="store_true", help="allow demo data when JINGZHI_ENV=production")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.JINGZHI_PRODUCTION and not options["force"]:
            raise CommandError("refusing to write demo data with JINGZHI_ENV=production (use --force)")
        if options["residents"] < 1:
            raise CommandError("--residents must be at least 1")
        try:
            summary = generate(residents=options["residents"], seed=options["seed"], communities=options["communities"])
        except DemoExistsError as exc:
            raise CommandError(f"{exc}; use a fresh database") from None
        self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
