"""Sensitive fields are ciphertext at rest, open only under the right key and column, and match by digest."""

from __future__ import annotations

import base64
import os

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from jingzhi.core.crypto import DecryptionError, Keyring, derive_index_key, keyring
from jingzhi.core.fields import digest_for
from jingzhi.registry.models import Resident
from tests.conftest import World


def _ring(*kids: str) -> Keyring:
    keys = tuple((kid, os.urandom(32)) for kid in kids)
    return Keyring(keys=keys, index_key=derive_index_key(keys[-1][1]))


def test_seal_and_open_round_trip() -> None:
    ring = _ring("k1")
    token = ring.seal("320505199001011234", context="registry.resident.id_number")
    assert token.startswith("v1:k1:")
    assert "320505199001011234" not in token
    assert ring.open(token, context="registry.resident.id_number") == "320505199001011234"


def test_same_value_seals_differently_each_time() -> None:
    ring = _ring("k1")
    assert ring.seal("x", context="c") != ring.seal("x", context="c")


def test_value_moved_to_another_column_does_not_open() -> None:
    ring = _ring("k1")
    token = ring.seal("13812345678", context="registry.resident.phone")
    with pytest.raises(DecryptionError):
        ring.open(token, context="registry.resident.id_number")


def test_tampered_value_does_not_open() -> None:
    ring = _ring("k1")
    prefix, kid, b64 = ring.seal("secret", context="c").split(":")
    raw = bytearray(base64.b64decode(b64))
    raw[-1] ^= 1
    with pytest.raises(DecryptionError):
        ring.open(f"{prefix}:{kid}:{base64.b64encode(bytes(raw)).decode()}", context="c")


def test_rotation_new_key_encrypts_old_key_still_opens_and_digest_is_stable() -> None:
    old = _ring("k1")
    token = old.seal("secret", context="c")
    new_key = os.urandom(32)
    rotated = Keyring(keys=(("k2", new_key), *old.keys), index_key=old.index_key)
    assert rotated.open(token, context="c") == "secret"
    assert rotated.seal("secret", context="c").startswith("v1:k2:")
    assert rotated.digest("secret", purpose="c") == old.digest("secret", purpose="c")


def test_digests_are_keyed_hmacs_and_remembered_tails_equal_fresh_ones() -> None:
    import hashlib
    import hmac

    ring = _ring("k1")
    expected = hmac.new(ring.index_key, b"phone\x005678", hashlib.sha256).hexdigest()
    assert ring.digest("5678", purpose="phone") == expected
    assert ring.digest("5678", purpose="phone") == expected  # the shared keyed state is not consumed
    assert ring.tail_digest("5678", purpose="phone") == expected
    assert ring.tail_digest("5678", purpose="phone") == expected
    assert ring.tail_digest("5678", purpose="id") != expected
    other = _ring("k1")
    assert other.tail_digest("5678", purpose="phone") != expected  # per keyring, not per process


def test_unknown_key_id_is_reported() -> None:
    token = _ring("k1").seal("secret", context="c")
    with pytest.raises(DecryptionError, match="no key with id"):
        _ring("k9").open(token, context="c")


def test_identity_number_is_ciphertext_in_the_database(world: World) -> None:
    plain = world.a.resident.id_number
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, phone, id_number_digest FROM registry_resident WHERE id = %s", [world.a.resident.pk]
        )
        stored_id, stored_phone, digest = cursor.fetchone()
    assert stored_id.startswith(f"v1:{keyring().active_kid}:")
    assert plain not in stored_id and plain[-4:] not in stored_id
    assert "13812345678" not in stored_phone
    assert digest and plain not in digest
    assert Resident.objects.get(pk=world.a.resident.pk).id_number == plain


def test_lookup_by_digest_finds_the_person_and_normalises_input(world: World) -> None:
    plain = world.a.resident.id_number
    typed = " " + plain.lower().replace("x", "ｘ") + " "
    found = Resident.objects.get(id_number_digest=digest_for(Resident, "id_number", typed))
    assert found.pk == world.a.resident.pk


def test_plain_lookup_on_an_encrypted_column_is_refused(world: World) -> None:
    with pytest.raises(ImproperlyConfigured, match="digest"):
        list(Resident.objects.filter(id_number=world.a.resident.id_number))
