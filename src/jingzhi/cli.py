"""The ``jingzhi`` console command: Django's management commands plus ours."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhi.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["jingzhi", *argv])
    if len(args) == 1:
        args.append("help")
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
