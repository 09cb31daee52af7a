"""``jingzhi registry import FILE --community CODE [--create-places] [--dry-run] [--json]``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhi.core.choices import PlaceKind
from jingzhi.core.models import Place, User
from jingzhi.core.scope import Actor
from jingzhi.registry.importing import ImportFileError
from jingzhi.registry.services.imports import import_residents


class Command(BaseCommand):
    help = "Register tools. `import`: check a spreadsheet (.xlsx/.csv) and import it whole, or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import residents from a spreadsheet")
        imp.add_argument("file", type=Path, help=".xlsx or .csv (UTF-8 or GBK)")
        imp.add_argument("--community", required=True, help="code of the community, e.g. 320505407001")
        imp.add_argument(
            "--create-places", action="store_true", help="create estates, buildings, units and rooms the file names"
        )
        imp.add_argument("--dry-run", action="store_true", help="check and report only; write nothing")
        imp.add_argument("--json", action="store_true", help='print {"rows", "valid", "problems": [...]}')
        imp.add_argument("--user", help="attribute the import to this user (default: the system)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            self._import(options)

    def _import(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        communities = list(Place.objects.filter(kind=PlaceKind.COMMUNITY, code=options["community"]))
        if len(communities) != 1:
            raise CommandError(
                f"community {options['community']!r} not found" if not communities else "community code is ambiguous"
            )
        actor = Actor.system()
        if options["user"]:
            try:
                actor = Actor.for_user(User.objects.get(username=options["user"]))
            except User.DoesNotExist:
                raise CommandError(f"no user {options['user']!r}") from None
        try:
            with path.open("rb") as handle:
                result = import_residents(
                    actor=actor,
                    source=handle,
                    community=communities[0],
                    create_places=options["create_places"],
                    dry_run=options["dry_run"],
                    filename=path.name,
                )
        except ImportFileError as exc:
            raise CommandError(f"{path}: {exc}") from None
        if options["json"]:
            self.stdout.write(json.dumps(result.summary(), ensure_ascii=False, indent=2, default=str))
        else:
            self.stdout.write(f"rows: {result.rows}  valid: {result.valid}  problems: {len(result.problems)}")
            for problem in result.problems[:200]:
                self.stdout.write(f"  row {problem.row} · {problem.column} · {problem.code}: {problem.message}")
            if result.committed:
                self.stdout.write(
                    f"imported {result.residents} residents in {result.households} new households"
                    f" ({result.places} places created)"
                )
            elif not options["dry_run"]:
                self.stdout.write("nothing imported: fix the problems and run again")
        if result.problems:
            raise SystemExit(1)
