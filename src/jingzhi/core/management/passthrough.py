"""Management commands that hand their raw arguments to a framework-free engine's CLI.

The engines (``jingzhi.acoustics``, ``jingzhi.vision``) import no Django; their
``cli.main(argv)`` owns the argument parsing, help and exit codes, so
``jingzhi noise measure …`` behaves exactly as documented by the engine.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.core.management.base import BaseCommand


class PassthroughCommand(BaseCommand):
    #: dotted path of a module with ``main(argv: list[str] | None) -> int``
    engine_cli = ""

    def run_from_argv(self, argv: list[str]) -> None:
        main = importlib.import_module(self.engine_cli).main
        raise SystemExit(main(argv[2:]))

    def handle(self, *args: Any, **options: Any) -> None:  # pragma: no cover - call_command path
        main = importlib.import_module(self.engine_cli).main
        code = main(list(args))
        if code:
            raise SystemExit(code)
