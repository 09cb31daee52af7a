"""The engines' command lines are reachable through the `jingzhi` console command."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

from tests.cli import run_jingzhi


def _jingzhi(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_jingzhi(tmp_path, *args, timeout=120, JINGZHI_QUIET_DEV_KEYS="1")


def test_noise_measure_reads_a_tone_at_its_level(tmp_path: Path) -> None:
    rate = 48_000
    t = np.arange(rate * 3) / rate
    tone = 0.5 * np.sin(2 * np.pi * 1000 * t)  # RMS 0.3536 → 94 + 20·log10(0.3536) = 84.97 dB
    path = tmp_path / "tone.wav"
    sf.write(path, tone.astype(np.float32), rate)
    result = _jingzhi(tmp_path, "noise", "measure", str(path), "--fullscale-db", "94", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert abs(report["LAeq"] - 84.97) < 0.1
    assert len(report["per_second"]) == 3


def test_noise_measure_reports_a_missing_file(tmp_path: Path) -> None:
    result = _jingzhi(tmp_path, "noise", "measure", str(tmp_path / "nope.wav"), "--fullscale-db", "94", "--json")
    assert result.returncode == 2
    assert "nope.wav" in result.stderr


def test_vision_throws_is_wired_and_reports_a_missing_video(tmp_path: Path) -> None:
    facade = tmp_path / "facade.json"
    facade.write_text(
        json.dumps(
            {
                "corners": [[100, 50], [500, 50], [500, 650], [100, 650]],
                "floors": 18,
                "columns": 6,
                "floor_height_m": 3.0,
                "width_m": 24.0,
            }
        )
    )
    result = _jingzhi(tmp_path, "vision", "throws", str(tmp_path / "missing.mp4"), "--facade", str(facade), "--jsonl")
    assert result.returncode == 2
    assert "missing.mp4" in result.stderr
    assert _jingzhi(tmp_path, "vision", "throws", "--help").returncode == 0
