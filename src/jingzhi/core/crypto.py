"""Encryption of sensitive personal information at rest (PIPL art. 51).

Values are sealed with AES-256-GCM under the active key of the keyring in
``JINGZHI_PII_KEY`` and stored as ``v1:<kid>:<base64(nonce | ciphertext+tag)>``
so a value sealed under an older key still opens after rotation. A keyed
HMAC-SHA256 "blind index" of the normalised value allows exact-match lookups
without decrypting anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "v1"
NONCE_BYTES = 12


class DecryptionError(Exception):
    """A stored value could not be opened (unknown key id, tampering, wrong column)."""


@dataclass(frozen=True)
class Keyring:
    """The encryption keys (first one active) and the blind-index key."""

    keys: tuple[tuple[str, bytes], ...]
    index_key: bytes

    @property
    def active_kid(self) -> str:
        return self.keys[0][0]

    def key(self, kid: str) -> bytes:
        for candidate, key in self.keys:
            if candidate == kid:
                return key
        raise DecryptionError(f"no key with id {kid!r} in JINGZHI_PII_KEY")

    def seal(self, plaintext: str, *, context: str) -> str:
        kid, key = self.keys[0]
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
        return f"{PREFIX}:{kid}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def open(self, token: str, *, context: str) -> str:
        try:
            prefix, kid, b64 = token.split(":", 2)
        except ValueError:
            raise DecryptionError("not an encrypted value") from None
        if prefix != PREFIX:
            raise DecryptionError(f"unknown envelope version {prefix!r}")
        raw = base64.b64decode(b64)
        try:
            plain = AESGCM(self.key(kid)).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode("utf-8"))
        except InvalidTag:
            raise DecryptionError("authentication failed (wrong key, column or tampered value)") from None
        return plain.decode("utf-8")

    def digest(self, normalised: str, *, purpose: str) -> str:
        """Keyed hash for exact-match lookup; ``purpose`` separates columns."""
        mac = hmac.new(self.index_key, purpose.encode("utf-8") + b"\x00" + normalised.encode("utf-8"), hashlib.sha256)
        return mac.hexdigest()


def derive_index_key(master: bytes) -> bytes:
    """Derive the blind-index key from a keyring key (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"jingzhi-pii-index-v1").derive(master)


@lru_cache(maxsize=1)
def keyring() -> Keyring:
    """The process keyring built from settings (``JINGZHI_PII_KEY`` …)."""
    from django.conf import settings

    keys = tuple(settings.JINGZHI_PII_KEYRING)
    # The index key must outlive rotations of the encryption key, so unless it
    # is given explicitly it is derived from the *last* (oldest) key of the ring.
    index_key = settings.JINGZHI_PII_INDEX_KEY or derive_index_key(keys[-1][1])
    return Keyring(keys=keys, index_key=index_key)
