"""Front-end libraries installed from npm by `make assets` (never committed)."""

from __future__ import annotations

from pathlib import Path

VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
VENDOR_FILES = ("htmx.min.js", "echarts.min.js")


def missing_vendor_assets() -> list[str]:
    return [name for name in VENDOR_FILES if not (VENDOR_DIR / name).exists()]
