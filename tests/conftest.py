"""Shared fixtures: a sub-district with two communities (A and B) and a persona per role."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.test import Client

from jingzhi.core.choices import PlaceKind, Role
from jingzhi.core.models import Place, User
from tests import factories as f


@dataclass
class World:
    sub: Place
    a: f.Community
    b: f.Community
    users: dict[str, User]
    clients: dict[str, Client] = field(default_factory=dict)

    def client(self, key: str) -> Client:
        """A logged-in client for the persona; the same one (and session) within a test."""
        if key not in self.clients:
            client = Client()
            client.force_login(self.users[key])
            self.clients[key] = client
        return self.clients[key]


def _seed_builtin() -> None:
    """The built-in case categories and rules (data migrations). A transactional test's flush
    deletes them; seeding again is a no-op when they are there."""
    import importlib

    from django.apps import apps

    for module in ("jingzhi.cases.migrations.0002_builtin_categories", "jingzhi.sensing.migrations.0002_builtin_rules"):
        importlib.import_module(module).create(apps, None)


@pytest.fixture
def builtin(db: None) -> None:
    _seed_builtin()


@pytest.fixture
def world(db: None, builtin: None) -> World:
    sub = f.place(PlaceKind.SUBDISTRICT, None, "320505407", "科技城（东渚街道）")
    a = f.community(sub, "320505407001", "甲社区", "张甲一", "甲花苑")
    b = f.community(sub, "320505407002", "乙社区", "欧阳乙二", "乙家园")
    users: dict[str, User] = {}
    for role, level in f.ROLE_HOME.items():
        users[f"{role}_a"] = f.user(f"{role}_a", role=role, at=getattr(a, level))
        users[f"{role}_b"] = f.user(f"{role}_b", role=role, at=getattr(b, level))
    users["subdistrict_admin"] = f.user("jiedao", role=Role.SUBDISTRICT_ADMIN, at=sub)
    users["auditor"] = f.user("auditor", role=Role.AUDITOR, at=sub)
    users["outsider"] = f.user("outsider")
    users["platform_admin"] = f.user("root", is_superuser=True, is_staff=True)
    for community, key in ((a, "resident_a"), (b, "resident_b")):
        community.resident.user = users[key]
        community.resident.save()
    return World(sub=sub, a=a, b=b, users=users)
