from __future__ import annotations

import json
from pathlib import Path

import pytest

from jingzhi.vision.cli import main

from .conftest import Clip

KEYS = {"start_s", "end_s", "floor", "column", "confidence", "track"}


def test_prints_a_json_array(bottle_clip: Clip, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["throws", str(bottle_clip.video), "--facade", str(bottle_clip.facade)]) == 0
    out = json.loads(capsys.readouterr().out)
    truth = json.loads(bottle_clip.truth.read_text())["throws"][0]
    assert isinstance(out, list) and len(out) == 1
    obj = out[0]
    assert set(obj) == KEYS
    assert abs(obj["floor"] - truth["floor"]) <= 1 and obj["column"] == truth["column"]
    assert 0 <= obj["start_s"] < obj["end_s"] <= 4.0
    assert all(len(p) == 3 for p in obj["track"]) and obj["track"][0][0] == obj["start_s"]


def test_jsonl_prints_one_object_per_line(bottle_clip: Clip, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["throws", str(bottle_clip.video), "--facade", str(bottle_clip.facade), "--jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and set(json.loads(lines[0])) == KEYS


def test_help_documents_the_output(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["throws", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "--jsonl" in text and "JSON array" in text and "one object per line" in text


def test_missing_video_is_exit_2(bottle_clip: Clip, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["throws", str(tmp_path / "nope.mp4"), "--facade", str(bottle_clip.facade)]) == 2
    assert "video not found" in capsys.readouterr().err


def test_undecodable_video_is_exit_2(bottle_clip: Clip, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x01 not a video " * 100)
    assert main(["throws", str(junk), "--facade", str(bottle_clip.facade)]) == 2
    assert "video" in capsys.readouterr().err


def test_bad_facade_is_exit_2(bottle_clip: Clip, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "facade.json"
    bad.write_text(json.dumps({"corners": [[0, 0], [1, 0]], "floors": 3, "columns": 2, "width_m": 10}))
    assert main(["throws", str(bottle_clip.video), "--facade", str(bad)]) == 2
    assert "facade" in capsys.readouterr().err


def test_missing_facade_option_is_a_usage_error(bottle_clip: Clip) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["throws", str(bottle_clip.video)])
    assert exc.value.code == 2
