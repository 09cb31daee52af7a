"""``python -m jingzhi.vision throws VIDEO --facade FACADE.json [--jsonl]``."""

from jingzhi.vision.cli import main

raise SystemExit(main())
