"""Settings come from the environment; bad values stop the process with a clear message."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest

from jingzhi.settings.env import (
    ConfigError,
    env_bool,
    env_int,
    env_time_zone,
    parse_database_url,
    parse_pii_keyring,
    parse_service_url,
)
from tests.cli import clean_env

KEY = base64.b64encode(b"k" * 32).decode()


def test_sqlite_urls_relative_and_absolute(tmp_path: Path) -> None:
    assert parse_database_url("DATABASE_URL", "sqlite:///var/db.sqlite3", base_dir=tmp_path).name == str(
        tmp_path / "var/db.sqlite3"
    )
    assert (
        parse_database_url("DATABASE_URL", "sqlite:////data/db.sqlite3", base_dir=tmp_path).name == "/data/db.sqlite3"
    )


def test_postgres_url_is_parsed() -> None:
    db = parse_database_url(
        "DATABASE_URL", "postgres://jz:s%40cret@db.local:5433/jingzhi?sslmode=require", base_dir=Path()
    )
    assert (db.vendor, db.user, db.password, db.host, db.port, db.name) == (
        "postgresql",
        "jz",
        "s@cret",
        "db.local",
        "5433",
        "jingzhi",
    )
    assert db.options == {"sslmode": "require"}
    assert "s@cret" not in db.redacted()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("mysql://x/y", "unsupported scheme"),
        ("postgres://host:abc/db", "port"),
        ("postgres://host/", "names no database"),
        ("sqlite://", "no file path"),
    ],
)
def test_bad_database_urls_are_refused(raw: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_database_url("DATABASE_URL", raw, base_dir=Path())


def test_service_urls_need_the_right_scheme_and_a_host() -> None:
    assert parse_service_url("MQTT_URL", "mqtt://127.0.0.1:1883", ("mqtt",)) == "mqtt://127.0.0.1:1883"
    with pytest.raises(ConfigError, match="scheme"):
        parse_service_url("MQTT_URL", "http://x", ("mqtt",))
    with pytest.raises(ConfigError, match="port"):
        parse_service_url("REDIS_URL", "redis://h:port", ("redis",))


def test_typed_parsers_refuse_bad_values() -> None:
    with pytest.raises(ConfigError, match="boolean"):
        env_bool("X", False, env={"X": "perhaps"})
    with pytest.raises(ConfigError, match="integer"):
        env_int("X", 1, env={"X": "ten"})
    with pytest.raises(ConfigError, match="minimum"):
        env_int("X", 1, minimum=1, env={"X": "0"})
    with pytest.raises(ConfigError, match="time zone"):
        env_time_zone("X", "Asia/Shanghai", env={"X": "Mars/Olympus"})


def test_keyring_parsing() -> None:
    ring = parse_pii_keyring("K", f"new:{KEY},old:{KEY}")
    assert [kid for kid, _ in ring] == ["new", "old"]
    for bad, message in (
        (f"k1:{KEY[:-8]}", "32 bytes"),
        ("k1:***", "base64"),
        (KEY, "kid:base64"),
        (f"a:{KEY},a:{KEY}", "twice"),
    ):
        with pytest.raises(ConfigError, match=message):
            parse_pii_keyring("K", bad)


def _run_settings(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import jingzhi.settings as s; print(s.DATABASES['default']['ENGINE'])"],
        env={**clean_env(cwd), **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_without_real_keys(tmp_path: Path) -> None:
    result = _run_settings({"JINGZHI_ENV": "production", "JINGZHI_DATA_DIR": str(tmp_path)}, tmp_path)
    assert result.returncode == 2
    assert "JINGZHI_SECRET_KEY" in result.stderr and "JINGZHI_PII_KEY" in result.stderr
    assert not (tmp_path / "keys").exists()


def test_production_starts_with_real_keys(tmp_path: Path) -> None:
    env = {
        "JINGZHI_ENV": "production",
        "JINGZHI_DATA_DIR": str(tmp_path),
        "JINGZHI_SECRET_KEY": "s" * 50,
        "JINGZHI_PII_KEY": f"p1:{KEY}",
        "JINGZHI_ALLOWED_HOSTS": "example.org",
    }
    result = _run_settings(env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "keys").exists()


def test_development_generates_keys_with_a_warning(tmp_path: Path) -> None:
    result = _run_settings({"JINGZHI_DATA_DIR": str(tmp_path)}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "WARNING generated a development key" in result.stderr
    assert (tmp_path / "keys" / "dev-pii-key").read_text().startswith("dev1:")
    assert oct((tmp_path / "keys" / "dev-pii-key").stat().st_mode & 0o777) == "0o600"
    again = _run_settings({"JINGZHI_DATA_DIR": str(tmp_path)}, tmp_path)
    assert "WARNING" not in again.stderr


def test_bad_value_is_reported_at_start_up(tmp_path: Path) -> None:
    result = _run_settings({"JINGZHI_DATA_DIR": str(tmp_path), "DATABASE_URL": "mysql://x/y"}, tmp_path)
    assert result.returncode == 2
    assert "configuration error: DATABASE_URL" in result.stderr
