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
from functools import cached_property, lru_cache

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

    @cached_property
    def _ciphers(self) -> dict[str, AESGCM]:
        # One AESGCM per key, built once: building it per value cost an import ~1 s per 100,000
        # rows. Encryption keeps no state between calls, so the objects are shared.
        return {kid: AESGCM(key) for kid, key in self.keys}

    @cached_property
    def _mac(self) -> hmac.HMAC:
        # Keyed once; each digest continues a copy (the key's pad blocks are not hashed again).
        return hmac.new(self.index_key, digestmod=hashlib.sha256)

    @cached_property
    def _tail_digests(self) -> dict[tuple[str, str], str]:
        return {}

    def seal(self, plaintext: str, *, context: str) -> str:
        kid = self.keys[0][0]
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[kid].encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
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
            cipher = self._ciphers.get(kid) or AESGCM(self.key(kid))
            plain = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode("utf-8"))
        except InvalidTag:
            raise DecryptionError("authentication failed (wrong key, column or tampered value)") from None
        return plain.decode("utf-8")

    def digest(self, normalised: str, *, purpose: str) -> str:
        """Keyed hash for exact-match lookup; ``purpose`` separates columns."""
        mac = self._mac.copy()
        mac.update(purpose.encode("utf-8") + b"\x00" + normalised.encode("utf-8"))
        return mac.hexdigest()

    def tail_digest(self, tail: str, *, purpose: str) -> str:
        """:meth:`digest` of a value from a small set (the last four characters of an identity
        number or phone: at most 11,000 per purpose), remembered: an import hashes 100,000 of them."""
        key = (purpose, tail)
        found = self._tail_digests.get(key)
        if found is None:
            if len(self._tail_digests) > 100_000:  # never in practice; bounds odd input
                self._tail_digests.clear()
            found = self._tail_digests[key] = self.digest(tail, purpose=purpose)
        return found


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
