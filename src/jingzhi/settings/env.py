"""Typed parsers for configuration taken from the environment.

Each parser either returns a value of the declared type or raises
:class:`ConfigError` naming the variable and what was wrong, so a bad value
stops the process at start-up instead of surfacing later as a strange bug.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import sys
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class ConfigError(Exception):
    """A configuration value is missing or malformed."""


def env_str(name: str, default: str | None = None, *, env: Mapping[str, str] = os.environ) -> str | None:
    value = env.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_bool(name: str, default: bool, *, env: Mapping[str, str] = os.environ) -> bool:
    raw = env_str(name, env=env)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no, on/off)")


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    env: Mapping[str, str] = os.environ,
) -> int:
    raw = env_str(name, env=env)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}={value} is below the minimum {minimum}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{name}={value} is above the maximum {maximum}")
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...], *, env: Mapping[str, str] = os.environ) -> str:
    raw = env_str(name, default, env=env)
    assert raw is not None
    if raw not in choices:
        raise ConfigError(f"{name}={raw!r} must be one of: {', '.join(choices)}")
    return raw


def env_time_zone(name: str, default: str, *, env: Mapping[str, str] = os.environ) -> str:
    raw = env_str(name, default, env=env)
    assert raw is not None
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name}={raw!r} is not an IANA time zone such as Asia/Shanghai") from None
    return raw


@dataclass(frozen=True)
class DatabaseConfig:
    """A parsed ``DATABASE_URL``."""

    vendor: str  # "sqlite" or "postgresql"
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""
    options: Mapping[str, str] | None = None

    def redacted(self) -> str:
        if self.vendor == "sqlite":
            return f"sqlite:///{self.name}"
        auth = f"{self.user}:***@" if self.password else (f"{self.user}@" if self.user else "")
        port = f":{self.port}" if self.port else ""
        return f"postgres://{auth}{self.host}{port}/{self.name}"


def parse_database_url(name: str, raw: str, *, base_dir: Path) -> DatabaseConfig:
    """Parse ``sqlite:///path`` (relative paths are under ``base_dir``) or ``postgres://...``."""
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # sqlite:///relative/file.db or sqlite:////absolute/file.db
        path = unquote(parts.path)
        if parts.netloc:
            raise ConfigError(f"{name}: write SQLite URLs as sqlite:///relative.db or sqlite:////abs/path.db")
        if not path or path == "/":
            raise ConfigError(f"{name}: the SQLite URL has no file path")
        file_path = Path(path[1:])  # "/rel.db" -> "rel.db"; "//abs.db" -> "/abs.db"
        if not file_path.is_absolute():
            file_path = base_dir / file_path
        return DatabaseConfig(vendor="sqlite", name=str(file_path))
    if scheme in {"postgres", "postgresql", "pgsql"}:
        db_name = unquote(parts.path.lstrip("/"))
        if not db_name:
            raise ConfigError(f"{name}: the PostgreSQL URL names no database (postgres://user@host:5432/NAME)")
        try:
            port = str(parts.port) if parts.port else ""
        except ValueError:
            raise ConfigError(f"{name}: the port in the PostgreSQL URL is not a number") from None
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return DatabaseConfig(
            vendor="postgresql",
            name=db_name,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=unquote(parts.hostname or ""),
            port=port,
            options=query,
        )
    raise ConfigError(f"{name}={raw!r}: unsupported scheme {scheme!r}; use sqlite:///path or postgres://…")


def parse_service_url(name: str, raw: str | None, schemes: tuple[str, ...]) -> str | None:
    """Validate a broker/cache URL (``mqtt://host:1883``, ``redis://host:6379/0``)."""
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in schemes:
        raise ConfigError(f"{name}={raw!r}: the scheme must be one of {', '.join(schemes)}")
    if not parts.hostname:
        raise ConfigError(f"{name}={raw!r} names no host")
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: the port is not a number") from None
    return raw


def parse_pii_keyring(name: str, raw: str) -> list[tuple[str, bytes]]:
    """Parse ``kid:base64key[,kid:base64key…]``; the first key encrypts, all decrypt."""
    ring: list[tuple[str, bytes]] = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        kid, sep, b64 = item.partition(":")
        if not sep or not kid or not kid.isalnum() or len(kid) > 16:
            raise ConfigError(f"{name}: each key is written kid:base64 with an alphanumeric key id (≤16 chars)")
        try:
            key = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError(f"{name}: key {kid!r} is not valid base64") from None
        if len(key) != 32:
            raise ConfigError(f"{name}: key {kid!r} must be 32 bytes (AES-256), got {len(key)}")
        if any(existing == kid for existing, _ in ring):
            raise ConfigError(f"{name}: key id {kid!r} appears twice")
        ring.append((kid, key))
    if not ring:
        raise ConfigError(f"{name} holds no key")
    return ring


def dev_secret(data_dir: Path, filename: str, make: str, *, announce: bool) -> str:
    """Read or create a development-only secret under ``data_dir/keys``."""
    keys_dir = data_dir / "keys"
    path = keys_dir / filename
    if path.exists():
        return path.read_text().strip()
    keys_dir.mkdir(parents=True, exist_ok=True)
    value = "dev1:" + base64.b64encode(secrets.token_bytes(32)).decode() if make == "pii" else secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    if announce:
        print(
            f"jingzhi: WARNING generated a development key {path}; set real keys in the environment for production",
            file=sys.stderr,
        )
    return value
