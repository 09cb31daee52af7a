"""Login: argon2 hashes in production settings, throttled failures."""

from __future__ import annotations

from django.contrib.auth.hashers import identify_hasher, make_password
from django.test import Client

import jingzhi.settings as production_settings
from tests.conftest import World
from tests.factories import PASSWORD


def test_production_settings_hash_with_argon2() -> None:
    assert production_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    encoded = make_password("a long passphrase", hasher="argon2")
    assert identify_hasher(encoded).algorithm == "argon2"


def test_login_page_is_chinese_by_default(world: World) -> None:
    page = Client().get("/login/").content.decode()
    assert "登录" in page


def test_login_and_home_shows_scope(world: World) -> None:
    client = Client()
    response = client.post("/login/", {"username": "community_secretary_a", "password": PASSWORD}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "甲社区" in page and "乙社区" not in page


def test_repeated_failures_lock_the_account_for_that_address(world: World) -> None:
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": "community_staff_a", "password": "wrong"}, REMOTE_ADDR="10.9.9.9")
    locked = client.post("/login/", {"username": "community_staff_a", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9")
    assert locked.status_code == 429
    other = Client().post("/login/", {"username": "community_staff_a", "password": PASSWORD}, REMOTE_ADDR="10.8.8.8")
    assert other.status_code == 302
