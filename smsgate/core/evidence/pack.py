"""An evidence pack's values and its JSON form, ``"format": "smsgate-evidence/1"``.

The file is one JSON object::

    {"format": "smsgate-evidence/1",
     "subject": {"creditor": "acme", "kind": "debtor"|"phone"|"message", "value": "D-1001"},
     "generated_at": "2026-01-05T08:00:00.000000Z",
     "tree_head": {"size": 42, "root": "<hex>", "timestamp_ms": 1767600000000,
                   "key_id": "<hex>", "signature": "<base64>"},
     "public_key": "<base64 of the raw 32-byte Ed25519 key>",
     "facts": [{"leaf_index": 7, "leaf": "<the leaf's canonical JSON, as a string>",
                "audit_path": ["<hex>", ...], "context": {...}}],
     "pending": [{"seq": 43, "action": "message.accepted", "at": "..."}],
     "completeness": "<what the pack does not prove>"}

``leaf`` is the exact text whose UTF-8 bytes the leaf hash covers
(``smsgate.store.audit`` fixes its canonical form); ``audit_path`` is
RFC 9162's inclusion proof, bottom-up. ``context`` is not proven: it carries
what the leaf does not hold yet (the rendered text, the recipient's zone).
Issue #17 item 5 will put salted digests into new leaves; the pack then adds
the salts to ``context`` and the verifier recomputes the digests: new
fields, same format. Unknown fields are ignored, so a reader of ``/1``
reads a later ``/1`` pack.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from smsgate.core.audit_tree import TreeHead

FORMAT = "smsgate-evidence/1"

#: What a pack cannot prove, said in every pack.
COMPLETENESS = (
    "This pack proves that each fact it holds is in the audit log at the signed tree"
    " head's size, unaltered. It does not prove that no fact about the subject was left"
    " out: inclusion proofs cannot show absence."
)

JsonObject = dict[str, Any]


class SubjectKind(StrEnum):
    """What a pack is about."""

    DEBTOR = "debtor"
    PHONE = "phone"
    MESSAGE = "message"


class PackMalformed(ValueError):
    """A file that is not an ``smsgate-evidence/1`` pack; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Subject:
    """One creditor's debtor id, phone (E.164) or message id."""

    creditor_id: str
    kind: SubjectKind
    value: str


@dataclass(frozen=True, slots=True)
class Fact:
    """One audit leaf: its bytes, position, inclusion proof, and unproven context."""

    leaf_index: int
    leaf: bytes
    audit_path: tuple[bytes, ...]
    context: JsonObject = field(default_factory=dict)

    def event(self) -> JsonObject:
        """The leaf's fields (``ValueError`` if its bytes are not a JSON object)."""
        parsed = json.loads(self.leaf.decode("utf-8"))
        if not isinstance(parsed, dict):
            raise ValueError("a leaf is a JSON object")
        return parsed


@dataclass(frozen=True, slots=True)
class PendingLeaf:
    """An entry about the subject not yet in the signed tree: named, not proven."""

    seq: int
    action: str
    at: str


@dataclass(frozen=True, slots=True)
class EvidencePack:
    """A subject, one signed head, the public key, the proven facts and what was pending."""

    subject: Subject
    generated_at: str
    head: TreeHead
    public_key: str
    facts: tuple[Fact, ...]
    pending: tuple[PendingLeaf, ...] = ()


def to_json(pack: EvidencePack) -> JsonObject:
    """The pack as the JSON object the module docstring shows."""
    head = pack.head
    return {
        "format": FORMAT,
        "subject": {
            "creditor": pack.subject.creditor_id,
            "kind": pack.subject.kind.value,
            "value": pack.subject.value,
        },
        "generated_at": pack.generated_at,
        "tree_head": {
            "size": head.size,
            "root": head.root.hex(),
            "timestamp_ms": head.timestamp_ms,
            "key_id": head.key_id,
            "signature": base64.b64encode(head.signature).decode(),
        },
        "public_key": pack.public_key,
        "facts": [_fact_json(fact) for fact in pack.facts],
        "pending": [{"seq": p.seq, "action": p.action, "at": p.at} for p in pack.pending],
        "completeness": COMPLETENESS,
    }


def _fact_json(fact: Fact) -> JsonObject:
    return {
        "leaf_index": fact.leaf_index,
        "leaf": fact.leaf.decode("utf-8"),
        "audit_path": [step.hex() for step in fact.audit_path],
        "context": fact.context,
    }


def from_json(document: object) -> EvidencePack:
    """The pack a parsed file holds; raises ``PackMalformed`` naming the first bad field."""
    try:
        return _pack(_object(document, "the pack"))
    except (KeyError, TypeError, ValueError, binascii.Error, UnicodeError) as error:
        if isinstance(error, PackMalformed):
            raise
        raise PackMalformed(f"not an {FORMAT} pack: {type(error).__name__}: {error}") from None


def _pack(document: JsonObject) -> EvidencePack:
    if document.get("format") != FORMAT:
        raise PackMalformed(f"format is {document.get('format')!r}, expected {FORMAT!r}")
    subject = _object(document["subject"], "subject")
    head = _object(document["tree_head"], "tree_head")
    return EvidencePack(
        subject=Subject(
            _text(subject["creditor"]), SubjectKind(subject["kind"]), _text(subject["value"])
        ),
        generated_at=_text(document["generated_at"]),
        head=_head(head),
        public_key=_text(document["public_key"]),
        facts=tuple(_fact(_object(item, "a fact")) for item in _list(document["facts"])),
        pending=tuple(
            PendingLeaf(_number(p["seq"]), _text(p["action"]), _text(p["at"]))
            for p in (_object(item, "a pending leaf") for item in _list(document["pending"]))
        ),
    )


def _head(head: JsonObject) -> TreeHead:
    return TreeHead(
        size=_number(head["size"]),
        root=bytes.fromhex(_text(head["root"])),
        timestamp_ms=_number(head["timestamp_ms"]),
        key_id=_text(head["key_id"]),
        signature=base64.b64decode(_text(head["signature"]), validate=True),
    )


def _fact(item: JsonObject) -> Fact:
    path = tuple(bytes.fromhex(_text(step)) for step in _list(item["audit_path"]))
    context = _object(item.get("context", {}), "a fact's context")
    return Fact(_number(item["leaf_index"]), _text(item["leaf"]).encode("utf-8"), path, context)


def _object(value: object, what: str) -> JsonObject:
    if not isinstance(value, dict):
        raise PackMalformed(f"{what} must be a JSON object")
    return value


def _list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("expected a list")
    return value


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _number(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError(f"expected a non-negative integer, got {value!r}")
    return value
