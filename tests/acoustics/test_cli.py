"""``noise measure FILE.wav --fullscale-db C --json`` on generated WAV files, through ``main([...])``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile

from jingzhi.acoustics.cli import main
from jingzhi.acoustics.wavio import read_wav
from tests.acoustics.signals import sine

REQUIRED_KEYS = {"LAeq", "LAFmax", "LCpeak", "LA10", "LA50", "LA90", "duration_s", "per_second"}


def _write(path: Path, data: np.ndarray, rate: int, subtype: str, fmt: str = "WAV") -> Path:
    soundfile.write(str(path), data, rate, subtype=subtype, format=fmt)
    return path


def _run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code = main(["measure", *args, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1  # exactly one JSON object
    return json.loads(lines[0])


@pytest.mark.parametrize(("subtype", "rms"), [("PCM_16", 0.25), ("FLOAT", 1.0), ("PCM_24", 0.25), ("PCM_32", 0.25)])
def test_measure_a_tone_file_prints_one_json_object(tmp_path, capsys, subtype, rms):
    rate = 48_000
    path = _write(tmp_path / f"tone_{subtype}.wav", sine(1000.0, rms, 3.0, rate), rate, subtype)
    out = _run_json(capsys, str(path), "--fullscale-db", "100")
    assert out.keys() >= REQUIRED_KEYS
    # RMS 1.0 reads --fullscale-db: level = 20·lg(rms) + C for every sample format.
    expected = 100.0 + 20 * math.log10(rms)
    assert out["LAeq"] == pytest.approx(expected, abs=0.03)
    assert out["LAFmax"] == pytest.approx(expected, abs=0.03)
    assert out["LA50"] == pytest.approx(expected, abs=0.03)
    assert out["duration_s"] == 3.0
    assert len(out["per_second"]) == 3
    assert out["per_second"][1] == pytest.approx(expected, abs=0.03)
    for key in ("LAeq", "LAFmax", "LCpeak", "LA10", "LA50", "LA90"):
        assert out[key] == round(out[key], 2)  # rounded to 0.01 dB


def test_float32_full_scale_rms_reads_exactly_the_fullscale_db(tmp_path, capsys):
    rate = 44_100
    path = _write(tmp_path / "unit.wav", sine(1000.0, 1.0, 2.0, rate).astype(np.float32), rate, "FLOAT")
    out = _run_json(capsys, str(path), "--fullscale-db", "94")
    assert out["LAeq"] == pytest.approx(94.0, abs=0.02)
    assert out["sample_rate"] == 44_100 and out["class1_sample_rate"] is True


def test_only_the_first_channel_is_measured(tmp_path, capsys):
    rate = 16_000
    left = sine(1000.0, 0.1, 2.0, rate)
    stereo = np.column_stack([left, 10 * left])
    path = _write(tmp_path / "stereo.wav", stereo, rate, "FLOAT")
    out = _run_json(capsys, str(path), "--fullscale-db", "100")
    assert out["LAeq"] == pytest.approx(80.0, abs=0.05)
    assert out["class1_sample_rate"] is False
    assert out["channels"] == 2


def test_int16_scaling_matches_libsndfile_convention(tmp_path):
    path = _write(tmp_path / "half.wav", np.full(100, 0.5), 8_000, "PCM_16")
    samples, info = read_wav(path)
    assert info.subtype == "PCM_16" and info.frames == 100
    assert np.all(samples == 16384 / 32768)


def test_human_table_without_json(tmp_path, capsys):
    rate = 48_000
    path = _write(tmp_path / "t.wav", sine(1000.0, 0.1, 2.2, rate), rate, "PCM_16")
    assert main(["measure", str(path), "--fullscale-db", "100"]) == 0
    out = capsys.readouterr().out
    assert "LAeq" in out and "80.00" in out and "LA90" in out
    with pytest.raises(json.JSONDecodeError):
        json.loads(out)


def test_silence_serialises_as_null_not_invalid_json(tmp_path, capsys):
    path = _write(tmp_path / "silence.wav", np.zeros(48_000), 48_000, "PCM_16")
    out = _run_json(capsys, str(path), "--fullscale-db", "100")
    assert out["LAeq"] is None and out["per_second"] == [None]


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err


def test_missing_file(tmp_path, capsys):
    err = _error(capsys, ["measure", str(tmp_path / "nope.wav"), "--fullscale-db", "100", "--json"])
    assert "no such file" in err


def test_non_wav_file(tmp_path, capsys):
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio\n" * 20)
    assert "not a WAV file" in _error(capsys, ["measure", str(text), "--fullscale-db", "100"])
    flac = _write(tmp_path / "tone.flac", sine(1000.0, 0.1, 0.5, 48_000), 48_000, "PCM_16", fmt="FLAC")
    assert "not a WAV file" in _error(capsys, ["measure", str(flac), "--fullscale-db", "100"])


def test_empty_files(tmp_path, capsys):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    assert "empty" in _error(capsys, ["measure", str(empty), "--fullscale-db", "100"])
    no_frames = _write(tmp_path / "noframes.wav", np.zeros(0), 48_000, "PCM_16")
    assert "no samples" in _error(capsys, ["measure", str(no_frames), "--fullscale-db", "100"])


def test_usage_errors_exit_2(tmp_path, capsys):
    path = _write(tmp_path / "t.wav", np.zeros(100), 48_000, "PCM_16")
    assert main(["measure", str(path)]) == 2  # --fullscale-db is required
    assert main(["measure", str(path), "--fullscale-db", "999"]) == 2  # outside the configured range
    assert "fullscale_db" in capsys.readouterr().err
    assert main([]) == 2


def test_calibrate_command_prints_the_offset(tmp_path, capsys):
    rate = 48_000
    path = _write(tmp_path / "cal.wav", sine(1000.0, 0.05, 4.0, rate), rate, "PCM_24")
    assert main(["calibrate", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["fullscale_db"] == pytest.approx(94.0 - 20 * math.log10(0.05), abs=0.02)
    assert main(["calibrate", str(path)]) == 0
    assert "fullscale_db = 120.02" in capsys.readouterr().out
    short = _write(tmp_path / "short.wav", sine(1000.0, 0.05, 0.3, rate), rate, "PCM_16")
    assert "too short" in _error(capsys, ["calibrate", str(short)])


def test_human_table_of_a_long_record_lists_minutes(tmp_path, capsys):
    rate = 8_000
    path = _write(tmp_path / "long.wav", sine(1000.0, 0.1, 61.0, rate), rate, "PCM_16")
    assert main(["measure", str(path), "--fullscale-db", "100"]) == 0
    out = capsys.readouterr().out
    assert "minute" in out and "second " not in out
    assert "class 1 not claimed" in out
