"""The hash chain the audit log was before the Merkle tree, kept to verify it once at migration.

Until schema step 11 each entry's hash was the SHA-256 of a canonical JSON of
its fields, its ``seq`` and the previous entry's hash, so changing, removing
or reordering any entry broke every link after it. Step 11 walks that chain
once (``verify_chain``) before it turns the entries into tree leaves: a
broken chain stops the migration, naming the first bad ``seq``. The rows
keep their ``prev_hash`` and ``hash`` (``AuditEntry.prev_hash`` and
``chain_hash``) as they were written; nothing checks them after the migration.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from smsgate.store.audit import AuditEntry, AuditEvent
from smsgate.store.instants import format_instant

#: The ``prev_hash`` of the first entry: there is nothing before it.
GENESIS_HASH = "0" * 64


class ChainFault(StrEnum):
    """Why an entry of the old chain fails verification."""

    HASH_MISMATCH = "hash_mismatch"  # the entry's fields do not give its stored hash
    BROKEN_LINK = "broken_link"  # its prev_hash is not the previous entry's hash
    SEQ_GAP = "seq_gap"  # a sequence number is missing or repeated


@dataclass(frozen=True, slots=True)
class ChainVerification:
    """The outcome of walking the chain: ``ok``, or the first bad entry and why."""

    checked: int
    bad_seq: int | None = None
    fault: ChainFault | None = None

    @property
    def ok(self) -> bool:
        """Whether every entry checked out."""
        return self.fault is None


def entry_hash(event: AuditEvent, seq: int, prev_hash: str) -> str:
    """The SHA-256 (hex) the chain entry of ``event`` at ``seq`` after ``prev_hash`` carried."""
    canonical = {
        "seq": seq,
        "at": format_instant(event.at),
        "creditor": event.creditor_id,
        "actor": event.actor,
        "action": event.action,
        "subject": event.subject,
        "detail": event.detail,
        "prev_hash": prev_hash,
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify_chain(entries: Iterable[AuditEntry]) -> ChainVerification:
    """Walk old chain entries in ``seq`` order from the first; report the first that fails."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for entry in entries:
        fault = link_fault(entry, expected_seq, prev_hash)
        if fault is not None:
            return ChainVerification(checked, entry.seq, fault)
        assert entry.chain_hash is not None  # link_fault checked it
        expected_seq, prev_hash, checked = entry.seq + 1, entry.chain_hash, checked + 1
    return ChainVerification(checked)


def link_fault(entry: AuditEntry, expected_seq: int, prev_hash: str) -> ChainFault | None:
    """Why ``entry`` is not the chain's next entry at ``expected_seq`` after ``prev_hash``."""
    if entry.seq != expected_seq:
        return ChainFault.SEQ_GAP
    if entry.prev_hash is None or entry.chain_hash is None:
        return ChainFault.HASH_MISMATCH
    if entry_hash(entry.event, entry.seq, entry.prev_hash) != entry.chain_hash:
        return ChainFault.HASH_MISMATCH
    if entry.prev_hash != prev_hash:
        return ChainFault.BROKEN_LINK
    return None
