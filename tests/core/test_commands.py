"""The ``jingzhi`` console command: check, demo and up, run as an operator would."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from jingzhi.core.crypto import Keyring, derive_index_key
from jingzhi.settings.env import parse_pii_keyring
from tests.cli import clean_env, run_jingzhi


def _env(tmp_path: Path) -> dict[str, str]:
    return clean_env(tmp_path)


def _jingzhi(tmp_path: Path, *args: str, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    return run_jingzhi(tmp_path, *args, timeout=timeout)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    path = tmp_path_factory.mktemp("demo")
    assert _jingzhi(path, "migrate", "-v0").returncode == 0
    return path, _jingzhi(path, "demo", "--residents", "300", "--seed", "7")


@pytest.fixture
def demo_dir(demo_run: tuple[Path, subprocess.CompletedProcess[str]]) -> Path:
    return demo_run[0]


def test_demo_prints_a_json_summary_with_place_codes_and_logins(
    demo_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    demo_dir, result = demo_run
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["residents"] == 300
    assert summary["places"]["subdistrict"]["code"] == "320505407"
    codes = [c["code"] for c in summary["places"]["communities"]]
    assert codes[:3] == ["320505407001", "320505407002", "320505407003"]
    roles = {login["role"] for login in summary["logins"]}
    assert {"platform_admin", "subdistrict_admin", "community_secretary", "grid_worker", "resident", "auditor"} <= roles
    again = _jingzhi(demo_dir, "demo", "--residents", "300")
    assert again.returncode != 0 and "already exists" in again.stderr


def test_identity_numbers_are_not_in_the_database_file(demo_dir: Path) -> None:
    db_file = demo_dir / "jingzhi.sqlite3"
    ring_raw = (demo_dir / "keys" / "dev-pii-key").read_text().strip()
    keys = tuple(parse_pii_keyring("k", ring_raw))
    ring = Keyring(keys=keys, index_key=derive_index_key(keys[-1][1]))
    with sqlite3.connect(db_file) as conn:
        stored = [row[0] for row in conn.execute("SELECT id_number FROM registry_resident LIMIT 50")]
    plain = [ring.open(token, context="registry.resident.id_number") for token in stored]
    assert len(plain) == 50 and all(len(p) == 18 for p in plain)
    subprocess.run(["sqlite3", str(db_file), "PRAGMA wal_checkpoint(TRUNCATE);"], check=False, capture_output=True)
    raw = b"".join(p.read_bytes() for p in demo_dir.glob("jingzhi.sqlite3*"))
    for number in plain:
        assert number.encode() not in raw


def test_check_reports_configuration_as_json(demo_dir: Path) -> None:
    result = _jingzhi(demo_dir, "check", "--json")
    report = json.loads(result.stdout)
    names = {item["name"]: item for item in report["items"]}
    assert names["database"]["ok"] and names["migrations"]["ok"] and names["job queue"]["ok"]
    assert names["PII key"]["level"] == "warning"
    assert result.returncode == 0


def test_check_fails_on_an_unreachable_broker(demo_dir: Path) -> None:
    env_file_free_port = _free_port()
    result = subprocess.run(
        [sys.executable, "-m", "jingzhi", "check", "--json"],
        env={**_env(demo_dir), "MQTT_URL": f"mqtt://127.0.0.1:{env_file_free_port}"},
        cwd=demo_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    items = {i["name"]: i for i in json.loads(result.stdout)["items"]}
    assert items["MQTT broker"]["ok"] is False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_up_migrates_creates_demo_serves_and_stops_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jingzhi", "up", "--port", str(port), "--residents", "200"],
        env=_env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = ""
    try:
        deadline = time.monotonic() + 180
        assert proc.stdout is not None
        while "Press Ctrl-C" not in output and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            output += line
        assert f"http://127.0.0.1:{port}/" in output, output
        assert re.search(r"c1_secretary\s+community_secretary", output), output
        body = ""
        for _ in range(60):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as response:
                    body = response.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert "登录" in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
            assert json.loads(response.read())["status"] == "ok"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    # Every child of the process group is gone.
    time.sleep(0.5)
    alive = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True, check=False).stdout.split()
    assert alive == []
