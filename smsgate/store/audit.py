"""The audit trail's records: events, entries, their Merkle leaves, and verification results.

Each entry is a leaf of the audit tree (``smsgate.core.audit_tree``). Its
*leaf bytes* are a canonical JSON of the entry's own fields and its leaf
version: sorted keys, no spaces, UTF-8 rather than ``\\u`` escapes, instants
as ``instants.format_instant`` writes them::

    {"action":…,"actor":…,"at":…,"creditor":…,"detail":{…},"subject":…,"v":1}

and its *leaf hash* is SHA-256(0x00 ‖ leaf bytes), stored in the row. The
form is part of the stored evidence, fixed here once for both databases:
changing it would make every existing leaf fail to verify, so a new form
gets a new ``v`` (``LEAF_VERSION``) and old leaves keep theirs.

Neither ``seq`` (the database's id for the row, assigned at insert) nor the
tree position (``leaf_index``, assigned later by the sequencer) is in the
leaf: the position is what the tree itself proves. What the leaf commits to
is what was decided. Issue #17's retention work (item 5) will put salted
digests of personal data into ``detail`` for new entries under a new leaf
version; the tree and its proofs do not change for it.

Entries from before the tree (schema step 11) were a hash chain; they keep
their ``prev_hash``/``chain_hash`` (``smsgate.store.audit_chain``) and became
leaves in ``seq`` order when the chain was verified once at migration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from smsgate.core.audit_tree import EMPTY_ROOT, leaf_hash
from smsgate.store.instants import format_instant
from smsgate.store.records import JsonObject

#: The leaf form of entries written now.
LEAF_VERSION = 1


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
    #: A carrier's delivery report about one of the creditor's messages (subject: the message).
    DELIVERY_REPORTED = "delivery.reported"
    #: A reply attributed to one of the creditor's messages (subject: that message).
    REPLY_RECEIVED = "reply.received"
    #: The migration to the tree took a broken old chain as it was (the operator accepted it).
    CHAIN_BREAK_ACCEPTED = "audit.chain_break_accepted"


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
    """An appended ``AuditEvent``: its row id, its leaf hash and (once integrated) tree position.

    ``leaf_index`` is ``None`` until the sequencer puts the leaf in the tree.
    ``prev_hash``/``chain_hash`` are set only on entries of the old hash
    chain (before schema step 11).
    """

    seq: int
    at: datetime
    creditor_id: str | None
    actor: str
    action: str
    subject: str
    detail: JsonObject
    leaf_hash: str
    leaf_version: int = LEAF_VERSION
    leaf_index: int | None = None
    prev_hash: str | None = None
    chain_hash: str | None = None

    @property
    def event(self) -> AuditEvent:
        """What was recorded, without where it is kept."""
        return AuditEvent(
            self.at, self.creditor_id, self.actor, self.action, self.subject, self.detail
        )


def leaf_bytes(event: AuditEvent, version: int = LEAF_VERSION) -> bytes:
    """The canonical leaf bytes of ``event`` (see the module docstring); ``ValueError`` for an
    unknown leaf version."""
    if version != 1:
        raise ValueError(f"unknown audit leaf version {version}")
    canonical = {
        "v": version,
        "at": format_instant(event.at),
        "creditor": event.creditor_id,
        "actor": event.actor,
        "action": event.action,
        "subject": event.subject,
        "detail": event.detail,
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def leaf_hash_of(event: AuditEvent, version: int = LEAF_VERSION) -> str:
    """The hex leaf hash ``event``'s row must carry."""
    return leaf_hash(leaf_bytes(event, version)).hex()


def as_stored(event: AuditEvent) -> AuditEvent:
    """``event`` with its detail as JSON gives it back (tuples become lists, keys strings),
    so that what is hashed now is what a verifier reads later."""
    detail: JsonObject = json.loads(json.dumps(event.detail, ensure_ascii=False))
    return replace(event, detail=detail)


class TreeFault(StrEnum):
    """Why the audit tree fails verification, at ``bad_leaf`` where a leaf is to blame."""

    LEAF_ALTERED = "leaf_altered"  # the row's fields no longer give its leaf hash (tampered leaf)
    LEAF_MISSING = "leaf_missing"  # no row holds this position of the tree (removed leaf)
    LEAF_MOVED = "leaf_moved"  # the row here is not the leaf integrated here (reordered range)
    ROOT_MISMATCH = "root_mismatch"  # rows and nodes agree, the signed head does not (rewritten)
    BAD_SIGNATURE = "bad_signature"  # a tree head's signature does not verify with the key
    INCONSISTENT = "inconsistent"  # the head does not extend the one verified before


@dataclass(frozen=True, slots=True)
class TreeCheckpoint:
    """How far the audit tree is known good, and what its last verification run found.

    ``size``/``root`` (hex) are the last signed tree head verified good (0 and
    the empty root before any); a run continues from there. ``checked``
    counts the leaves the last run re-hashed, ``full`` says whether it
    started from leaf 0; ``bad_leaf``/``fault``/``reason`` describe the first
    fault it found, if any (``bad_leaf`` is ``None`` for a fault of a head).
    """

    size: int
    root: str
    verified_at: datetime
    checked: int
    full: bool
    bad_leaf: int | None = None
    fault: TreeFault | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        """Whether the last run found everything it checked good."""
        return self.fault is None


#: The hex root of the empty tree, the checkpoint before any verification.
EMPTY_ROOT_HEX = EMPTY_ROOT.hex()
