"""Connectivity checks shared by /readyz and ``jingzhi check``."""

from __future__ import annotations

import socket
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection


def _timed(fn: Any) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        detail = fn()
        ok = True
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}"
        ok = False
    return {"ok": ok, "detail": detail, "ms": round((time.perf_counter() - start) * 1000, 1)}


def check_database() -> dict[str, Any]:
    def probe() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return str(connection.vendor)

    return _timed(probe)


def check_jobs() -> dict[str, Any]:
    def probe() -> str:
        from huey.contrib.djhuey import HUEY

        pending = HUEY.pending_count()
        return f"{type(HUEY).__name__}, {pending} pending"

    return _timed(probe)


def check_broker(url: str | None = None, timeout: float = 2.0) -> dict[str, Any] | None:
    url = url if url is not None else settings.MQTT_URL
    if not url:
        return None

    def probe() -> str:
        from jingzhi.core.mqtt import client_for

        client, connect = client_for(url)
        client.connect(**{**connect, "keepalive": 10})
        rc = client.loop(timeout=timeout)
        client.disconnect()
        if rc != 0:
            raise ConnectionError(f"MQTT loop returned {rc}")
        return f"{connect['host']}:{connect['port']}"

    return _timed(probe)


def check_redis(url: str | None = None) -> dict[str, Any] | None:
    url = url if url is not None else settings.REDIS_URL
    if not url:
        return None

    def probe() -> str:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        return str(urlsplit(url).hostname)

    return _timed(probe)


def tcp_reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def readiness() -> dict[str, dict[str, Any]]:
    checks: dict[str, dict[str, Any]] = {"database": check_database(), "jobs": check_jobs()}
    broker = check_broker()
    if broker is not None:
        checks["broker"] = broker
    return checks
