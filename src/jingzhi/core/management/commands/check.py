"""``jingzhi check``: a configuration and connectivity report (exit 1 when something is wrong).

Named ``check`` like Django's system check, which it runs as one of its items.
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.conf import settings
from django.core import checks as django_checks
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from jingzhi.core.connectivity import check_broker, check_database, check_jobs, check_redis
from jingzhi.core.crypto import keyring
from jingzhi.core.staticassets import missing_vendor_assets


def _item(name: str, ok: bool, detail: str, *, level: str | None = None) -> dict[str, Any]:
    return {"name": name, "ok": ok, "level": level or ("ok" if ok else "error"), "detail": detail}


def build_report() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    env = settings.JINGZHI_ENV
    items.append(_item("environment", True, f"JINGZHI_ENV={env}, data dir {settings.JINGZHI_DATA_DIR}"))
    for var, label in (("JINGZHI_SECRET_KEY", "secret key"), ("JINGZHI_PII_KEY", "PII key")):
        from_env = bool(os.environ.get(var))
        items.append(
            _item(
                label,
                from_env or env != "production",
                "from the environment" if from_env else f"development key under {settings.JINGZHI_DATA_DIR / 'keys'}",
                level=None if from_env else "warning",
            )
        )
    ring = keyring()
    items.append(_item("PII keyring", True, f"active key {ring.active_kid}; {len(ring.keys)} key(s) for decryption"))
    items.append(_item("time zone", True, settings.TIME_ZONE))

    db = check_database()
    items.append(
        _item("database", db["ok"], f"{settings.JINGZHI_DATABASE.redacted()} — {db['detail']} ({db['ms']} ms)")
    )
    if db["ok"]:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        items.append(
            _item(
                "migrations",
                not pending,
                "up to date" if not pending else f"{len(pending)} pending: run `jingzhi migrate`",
                level=None if not pending else "warning",
            )
        )
    jobs = check_jobs()
    items.append(_item("job queue", jobs["ok"], str(jobs["detail"])))
    broker = check_broker()
    items.append(
        _item("MQTT broker", True, "MQTT_URL not set (device messaging over HTTP only)", level="info")
        if broker is None
        else _item("MQTT broker", broker["ok"], f"{broker['detail']} ({broker['ms']} ms)")
    )
    redis = check_redis()
    items.append(
        _item("Redis", True, "REDIS_URL not set (jobs on SQLite)", level="info")
        if redis is None
        else _item("Redis", redis["ok"], f"{redis['detail']} ({redis['ms']} ms)")
    )
    missing = missing_vendor_assets()
    items.append(
        _item(
            "front-end assets",
            True,
            "present" if not missing else "missing " + ", ".join(missing) + " — run `make assets`",
            level=None if not missing else "warning",
        )
    )
    problems = django_checks.run_checks(include_deployment_checks=settings.JINGZHI_PRODUCTION)
    serious = [p for p in problems if p.level >= django_checks.ERROR]
    items.append(_item("Django system check", not serious, f"{len(problems)} message(s), {len(serious)} error(s)"))
    return items


class Command(BaseCommand):
    help = "Report configuration and connectivity (database, job queue, broker, keys); exit 1 on errors."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        items = build_report()
        ok = all(i["ok"] for i in items)
        if options["json"]:
            self.stdout.write(json.dumps({"ok": ok, "items": items}, ensure_ascii=False, indent=2))
        else:
            marks = {"ok": "✓", "info": "·", "warning": "!", "error": "✗"}
            for i in items:
                self.stdout.write(f"{marks[i['level']]} {i['name']}: {i['detail']}")
            self.stdout.write("OK" if ok else "PROBLEMS FOUND")
        if not ok:
            raise SystemExit(1)
