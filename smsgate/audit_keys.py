"""The audit key: Ed25519, from ``SMSGATE_AUDIT_SIGNING_KEY``, signing the audit tree's heads.

The variable holds the base64 of the raw 32-byte Ed25519 private key (what
``smsgate audit keygen`` prints). Whoever holds it can sign tree heads, so it
is a secret like the webhook secret: kept out of logs and reprs, given only
to the instances that may sequence. Its public key (base64 of the raw 32
bytes, ``smsgate audit public-key``) is what verifiers need, and safe to
hand out; a head names its key by ``key_id`` (``smsgate.core.audit_tree.heads``).

Verification needs only the public key: ``AuditVerifier.from_public_key``.
The ``cryptography`` package does the Ed25519 arithmetic (signatures are
deterministic, RFC 8032).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from smsgate.core.audit_tree import TreeHead, signed_bytes

SIGNING_KEY_VARIABLE = "SMSGATE_AUDIT_SIGNING_KEY"
PUBLIC_KEY_VARIABLE = "SMSGATE_AUDIT_PUBLIC_KEY"
_RAW = 32


class AuditKeyError(ValueError):
    """A key that is not the base64 of 32 raw bytes; the message says which and why."""


def _raw(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise AuditKeyError(f"{what} must be base64 (of {_RAW} raw bytes)") from None
    if len(raw) != _RAW:
        raise AuditKeyError(f"{what} must be base64 of {_RAW} raw bytes, got {len(raw)}")
    return raw


def key_id_of(public_raw: bytes) -> str:
    """The first 8 bytes, hex, of SHA-256 of a raw public key."""
    return hashlib.sha256(public_raw).digest()[:8].hex()


@dataclass(frozen=True, slots=True)
class AuditVerifier:
    """Checks tree head signatures with one public key."""

    public_raw: bytes
    _key: Ed25519PublicKey = field(repr=False, compare=False)

    @classmethod
    def from_public_key(cls, text: str, what: str = PUBLIC_KEY_VARIABLE) -> AuditVerifier:
        """The verifier of a base64 public key; raises ``AuditKeyError``."""
        raw = _raw(text, what)
        return cls(raw, Ed25519PublicKey.from_public_bytes(raw))

    @property
    def key_id(self) -> str:
        """The id heads signed by this key carry."""
        return key_id_of(self.public_raw)

    @property
    def public_key(self) -> str:
        """The public key as base64 (what ``smsgate audit public-key`` prints)."""
        return base64.b64encode(self.public_raw).decode()

    def verifies(self, head: TreeHead) -> bool:
        """Whether ``head`` is signed by this key (its key id and its signature)."""
        if head.key_id != self.key_id:
            return False
        try:
            self._key.verify(head.signature, head.signed)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True, slots=True)
class AuditSigner:
    """Signs tree heads with the audit key."""

    _key: Ed25519PrivateKey = field(repr=False, compare=False)
    verifier: AuditVerifier = field(compare=False)

    @classmethod
    def from_private_key(cls, text: str, what: str = SIGNING_KEY_VARIABLE) -> AuditSigner:
        """The signer of a base64 private key; raises ``AuditKeyError``."""
        key = Ed25519PrivateKey.from_private_bytes(_raw(text, what))
        public = key.public_key()
        raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return cls(key, AuditVerifier(raw, public))

    @classmethod
    def generate(cls) -> tuple[AuditSigner, str]:
        """A new key, and its private key as base64 (to print once and keep)."""
        raw = Ed25519PrivateKey.generate().private_bytes(
            Encoding.Raw, PrivateFormat.Raw, NoEncryption()
        )
        text = base64.b64encode(raw).decode()
        return cls.from_private_key(text), text

    def sign(self, size: int, root: bytes, timestamp_ms: int) -> TreeHead:
        """The signed head of the tree of ``size`` leaves with ``root`` at ``timestamp_ms``."""
        signature = self._key.sign(signed_bytes(size, root, timestamp_ms))
        return TreeHead(size, root, timestamp_ms, self.verifier.key_id, signature)
