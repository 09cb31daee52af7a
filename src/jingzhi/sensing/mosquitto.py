"""Mosquitto accounts for devices: the broker authenticates each device and keeps it to its own topics.

Every device logs in with its code as the username and its token (the one it uses over HTTP) as the
password. ``jingzhi devices mosquitto`` writes

- the password file: one ``code:hash`` line per active device plus the ingester's account, hashed
  in Mosquitto 2.0's format ``$7$<iterations>$<base64 salt>$<base64 PBKDF2-SHA512>``;
- the ACL file: the ingester reads every device's events and status and writes commands; a device
  writes its own events and status and reads its own commands (``pattern … jingzhi/v1/%u/…``).

Mosquitto 2.0's ACL file applies to delivery, not to SUBSCRIBE: a subscription to a topic the client
may not read is granted, but nothing published there is delivered to it. ACL checks see the real topic
of each message, so the ingester's shared subscriptions (``$share/<group>/jingzhi/v1/+/events``) are
covered by its ``topic read jingzhi/v1/+/events`` line. Mosquitto rereads both files on SIGHUP.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
import tempfile
from pathlib import Path

from jingzhi.sensing.models import Device

log = logging.getLogger(__name__)

#: Mosquitto 2.0's ``mosquitto_passwd`` default. The tokens are random (192 bits), so a slow hash adds
#: nothing, while the broker hashes the password on every CONNECT.
ITERATIONS = 101
SALT_BYTES = 12
#: Mosquitto's password-file prefix for PBKDF2-SHA512.
PBKDF2_SHA512 = "7"
#: What may be a username in both files: device codes already match it.
_SAFE_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def password_hash(password: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """``password`` hashed for a Mosquitto 2.0 password file (PBKDF2-SHA512, random 12-byte salt)."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"${PBKDF2_SHA512}${iterations}${_b64(salt)}${_b64(digest)}"


def password_matches(password: str, hashed: str) -> bool:
    """Whether ``password`` matches a hash from :func:`password_hash` (as Mosquitto checks it)."""
    parts = hashed.split("$")
    if len(parts) != 5 or parts[0] or parts[1] != PBKDF2_SHA512 or not parts[2].isdigit():
        return False
    try:
        salt, expected = base64.b64decode(parts[3], validate=True), base64.b64decode(parts[4], validate=True)
    except ValueError:
        return False
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, int(parts[2]))
    return hmac.compare_digest(digest, expected)


def acl_text(ingester_user: str) -> str:
    """The ACL file: the ingester reads events and status of every device; each device only its own topics."""
    return (
        "# Written by `jingzhi devices mosquitto`; changes here are overwritten.\n"
        "# Every device (username = device code): its own topics only.\n"
        "pattern write jingzhi/v1/%u/events\n"
        "pattern write jingzhi/v1/%u/status\n"
        "pattern read jingzhi/v1/%u/commands\n"
        "\n"
        "# The ingester (also through $share/<group>/...: Mosquitto checks the message's topic).\n"
        f"user {ingester_user}\n"
        "topic read jingzhi/v1/+/events\n"
        "topic read jingzhi/v1/+/status\n"
        "topic write jingzhi/v1/+/commands\n"
    )


def write_auth_files(
    password_file: Path, acl_file: Path, *, ingester_user: str, ingester_password: str, mode: int = 0o640
) -> int:
    """Write Mosquitto's password and ACL files; returns how many device accounts were written.

    Active devices with an MQTT password (devices registered before MQTT accounts existed get one
    when their token is rotated) plus the ingester's account. Each file is replaced atomically, so
    a broker reloading at the same moment reads the old or the new file, never half of one.
    """
    if not _SAFE_USERNAME.match(ingester_user):
        raise ValueError(f"ingester user {ingester_user!r}: use letters, digits and ._- (at most 64)")
    if not ingester_password:
        raise ValueError("the ingester's password is empty")
    if Device.objects.filter(code=ingester_user).exists():
        raise ValueError(f"ingester user {ingester_user!r} is also a device code: choose another name")
    lines: list[str] = []
    for code, hashed in (
        Device.objects.filter(active=True)
        .exclude(mqtt_password_hash="")
        .order_by("code")
        .values_list("code", "mqtt_password_hash")
    ):
        if not _SAFE_USERNAME.match(code) or "\n" in hashed or ":" in hashed:
            log.warning("device %r: skipped, unusable as a Mosquitto account", code)
            continue
        lines.append(f"{code}:{hashed}\n")
    devices = len(lines)
    lines.append(f"{ingester_user}:{password_hash(ingester_password)}\n")
    _replace(password_file, "".join(lines), mode)
    _replace(acl_file, acl_text(ingester_user), mode)
    return devices


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _replace(path: Path, text: str, mode: int) -> None:
    """Write ``text`` to a temporary file next to ``path`` and rename it over ``path``.

    The new file keeps the group of the file it replaces where this user may set it (typically a
    ``mosquitto`` group that lets the broker read a 0640 file).
    """
    path = Path(path)
    group: int | None = None
    with contextlib.suppress(FileNotFoundError):
        group = path.stat().st_gid
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), mode)
            if group is not None:
                with contextlib.suppress(PermissionError):
                    os.fchown(out.fileno(), -1, group)
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
