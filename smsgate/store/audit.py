"""The audit trail's records and its hash chain, independent of any database.

Each entry's ``hash`` is the SHA-256 of a canonical JSON of its own fields and
the previous entry's hash, so changing, removing or reordering any entry
breaks every link after it. The canonical form (sorted keys, no spaces, UTF-8
rather than ``\\u`` escapes, instants as ``instants.format_instant`` writes them)
is part of the stored evidence: changing it would make every existing chain
fail to verify, so it is fixed here, once, for all implementations.

A hash chain shows tampering by someone who edits rows; it cannot stop someone
who rewrites the whole chain from the tampered row on. Anchoring the latest
hash outside the database (a log line, a daily export) closes that gap.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from smsgate.store.instants import format_instant
from smsgate.store.records import JsonObject

#: The ``prev_hash`` of the first entry: there is nothing before it.
GENESIS_HASH = "0" * 64


class AuditAction(StrEnum):
    """The decisions the gateway audits; the log accepts other action names too."""

    CREDITOR_CREATED = "creditor.created"
    KEY_CREATED = "key.created"
    KEY_REVOKED = "key.revoked"
    KEY_ROTATED = "key.rotated"
    TEMPLATE_CREATED = "template.created"
    TEMPLATE_SUBMITTED = "template.submitted"
    TEMPLATE_APPROVED = "template.approved"
    TEMPLATE_REJECTED = "template.rejected"
    TEMPLATE_RETIRED = "template.retired"
    MESSAGE_ACCEPTED = "message.accepted"
    MESSAGE_REFUSED = "message.refused"
    MESSAGE_HELD = "message.held"
    MESSAGE_RELEASED = "message.released"
    MESSAGE_REJECTED = "message.rejected"
    OPT_OUT_ADDED = "opt_out.added"
    OPT_OUT_REMOVED = "opt_out.removed"
    PHONE_DETACHED = "phone.detached"
    STOP_CONFIRMATION_SET = "stop_confirmation.set"
    STOP_CONFIRMATION_CLEARED = "stop_confirmation.cleared"
    STOP_CONFIRMATION_QUEUED = "stop_confirmation.queued"
    WORDLIST_CHANGED = "wordlist.changed"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """A decision to record: who did what to which subject, and the facts behind it.

    ``creditor_id`` is ``None`` for gateway-wide events (a new wordlist version).
    """

    at: datetime
    creditor_id: str | None
    actor: str
    action: str
    subject: str
    detail: JsonObject = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """An appended ``AuditEvent`` with its place in the chain."""

    seq: int
    at: datetime
    creditor_id: str | None
    actor: str
    action: str
    subject: str
    detail: JsonObject
    prev_hash: str
    hash: str


class ChainFault(StrEnum):
    """Why an entry fails verification."""

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
    """The SHA-256 (hex) that the entry for ``event`` at ``seq`` after ``prev_hash`` must carry."""
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


def chain_entry(event: AuditEvent, seq: int, prev_hash: str) -> AuditEntry:
    """The entry that appends ``event`` after an entry whose hash is ``prev_hash``.

    The detail is taken as JSON would give it back (tuples become lists,
    non-string keys strings), so the entry hashes the same when read back.
    """
    detail: JsonObject = json.loads(json.dumps(event.detail, ensure_ascii=False))
    event = replace(event, detail=detail)
    digest = entry_hash(event, seq, prev_hash)
    return AuditEntry(
        seq, event.at, event.creditor_id, event.actor, event.action, event.subject,
        detail, prev_hash, digest,
    )  # fmt: skip


#: The name of the one chain there is today; checkpoints are kept per chain.
AUDIT_CHAIN = "audit_log"


@dataclass(frozen=True, slots=True)
class AuditCheckpoint:
    """How far a chain is known good, and what its last verification run found.

    ``seq``/``hash`` name the last entry verified good (0 and ``GENESIS_HASH``
    before any); a run continues after it. ``checked`` counts the entries the
    last run checked, ``full`` says whether it started from the first entry;
    ``bad_seq``/``fault`` the first bad entry it found, if any. Only a full run
    (``smsgate audit verify --full``) re-reads entries before ``seq``.
    """

    seq: int
    hash: str
    verified_at: datetime
    checked: int
    full: bool
    bad_seq: int | None = None
    fault: ChainFault | None = None
    chain: str = AUDIT_CHAIN

    @property
    def ok(self) -> bool:
        """Whether the last run found every entry it checked good."""
        return self.fault is None


def verify_chain(
    entries: Iterable[AuditEntry], *, after_seq: int = 0, after_hash: str = GENESIS_HASH
) -> ChainVerification:
    """Walk ``entries`` in ``seq`` order; report the first entry that fails.

    By default the walk starts at the first entry; ``after_seq``/``after_hash``
    continue it after an entry already verified (a checkpoint).
    """
    expected_seq, prev_hash, checked = after_seq + 1, after_hash, 0
    for entry in entries:
        fault = _fault_of(entry, expected_seq, prev_hash)
        if fault is not None:
            return ChainVerification(checked, entry.seq, fault)
        expected_seq, prev_hash, checked = entry.seq + 1, entry.hash, checked + 1
    return ChainVerification(checked)


def _fault_of(entry: AuditEntry, expected_seq: int, prev_hash: str) -> ChainFault | None:
    if entry.seq != expected_seq:
        return ChainFault.SEQ_GAP
    event = AuditEvent(
        entry.at, entry.creditor_id, entry.actor, entry.action, entry.subject, entry.detail
    )
    if entry_hash(event, entry.seq, entry.prev_hash) != entry.hash:
        return ChainFault.HASH_MISMATCH
    if entry.prev_hash != prev_hash:
        return ChainFault.BROKEN_LINK
    return None
