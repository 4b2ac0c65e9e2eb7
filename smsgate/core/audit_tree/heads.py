"""The signed tree head: what the sequencer signs, and the exact bytes the signature covers.

A tree head says "the log's first ``size`` leaves have Merkle Tree Hash
``root``, as of ``timestamp_ms``", signed with Ed25519 by the gateway's audit
key. The signed bytes follow RFC 6962 §3.5's ``TreeHeadSignature`` exactly,
so any CT tool's encoder reproduces them::

    version         1 byte   0 (v1)
    signature_type  1 byte   1 (tree_hash)
    timestamp       8 bytes  milliseconds since 1970-01-01T00:00:00Z, big-endian
    tree_size       8 bytes  big-endian
    root_hash      32 bytes  SHA-256 MTH (RFC 6962 §2.1)

``key_id`` is the first 8 bytes, hex, of SHA-256 of the raw 32-byte Ed25519
public key: it names the key without a lookup, so a later key rotation can
tell heads apart. The signature itself is made and checked outside the core
(``smsgate.audit_keys``), which owns the cryptography dependency.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from smsgate.core.audit_tree.hashing import HASH_SIZE

#: RFC 6962's ``Version`` v1 and ``SignatureType`` tree_hash.
TREE_HEAD_VERSION = 0
_TREE_HASH = 1
_LAYOUT = struct.Struct(">BBQQ")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def signed_bytes(size: int, root: bytes, timestamp_ms: int) -> bytes:
    """The ``TreeHeadSignature`` bytes of a head; ``ValueError`` for a root of the wrong size."""
    if len(root) != HASH_SIZE:
        raise ValueError(f"a root hash has {HASH_SIZE} bytes, got {len(root)}")
    return _LAYOUT.pack(TREE_HEAD_VERSION, _TREE_HASH, timestamp_ms, size) + root


@dataclass(frozen=True, slots=True)
class TreeHead:
    """A signed statement of the tree's size and root at an instant."""

    size: int
    root: bytes
    timestamp_ms: int
    key_id: str
    signature: bytes

    @property
    def signed(self) -> bytes:
        """The bytes ``signature`` signs."""
        return signed_bytes(self.size, self.root, self.timestamp_ms)

    @property
    def at(self) -> datetime:
        """``timestamp_ms`` as an aware UTC instant."""
        return _EPOCH + timedelta(milliseconds=self.timestamp_ms)


def timestamp_ms(moment: datetime) -> int:
    """``moment`` as whole milliseconds since the epoch (what a head records)."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)
