"""Running the `jingzhi` console command in a subprocess, as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CONFIG_PREFIXES = ("JINGZHI_", "DATABASE_URL", "MQTT_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any jingzhi configuration, data under ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(CONFIG_PREFIXES)}
    return {**env, "JINGZHI_DATA_DIR": str(data_dir), **extra}


def run_jingzhi(data_dir: Path, *args: str, timeout: int = 180, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jingzhi", *args],
        env=clean_env(data_dir, **extra),
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
