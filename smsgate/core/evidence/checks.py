"""Verifying an evidence pack offline: the head, every leaf, every proof, the subject.

In order, stopping at the first fault (``PackFault`` names the fact):

1. the tree head's Ed25519 signature over its RFC 6962 ``TreeHeadSignature``
   bytes (``smsgate.core.audit_tree.heads``), checked by the caller's
   ``signature_ok`` (the core owns no cryptography);
2. for each fact, in the pack's order: its leaf hash SHA-256(0x00 ‖ leaf
   bytes), and its inclusion proof from that hash at ``leaf_index`` to the
   head's root (RFC 9162 §2.1.3.2);
3. its leaf is a JSON object of the pack's creditor;
4. a link ties it to the pack's subject (``smsgate.core.evidence.links``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from smsgate.core.audit_tree import TreeHead, leaf_hash, verify_inclusion
from smsgate.core.evidence.links import Links
from smsgate.core.evidence.pack import EvidencePack, Fact, JsonObject


@dataclass(frozen=True, slots=True)
class PackFault:
    """The first thing wrong with a pack: which fact (``None`` for the head) and why."""

    fact: int | None
    reason: str

    def __str__(self) -> str:
        where = "tree head" if self.fact is None else f"fact {self.fact}"
        return f"{where}: {self.reason}"


def verify_pack(pack: EvidencePack, signature_ok: Callable[[TreeHead], bool]) -> PackFault | None:
    """The first fault of ``pack`` (steps in the module docstring), or ``None`` if it holds."""
    if not signature_ok(pack.head):
        return PackFault(None, f"the head of size {pack.head.size} is not signed by the key")
    events: list[JsonObject] = []
    for number, fact in enumerate(pack.facts):
        fault = _proof_fault(pack.head, fact)
        if fault is None:
            parsed = _event(fact)
            fault = parsed if isinstance(parsed, str) else None
        if fault is not None:
            return PackFault(number, fault)
        assert isinstance(parsed, dict)
        if parsed.get("creditor") != pack.subject.creditor_id:
            return PackFault(number, f"the leaf is of creditor {parsed.get('creditor')!r}")
        events.append(parsed)
    return _link_fault(pack, events)


def _proof_fault(head: TreeHead, fact: Fact) -> str | None:
    if not 0 <= fact.leaf_index < head.size:
        return f"leaf {fact.leaf_index} is outside the tree of {head.size}"
    if not verify_inclusion(
        fact.leaf_index, head.size, leaf_hash(fact.leaf), fact.audit_path, head.root
    ):
        return f"the inclusion proof of leaf {fact.leaf_index} does not lead to the head's root"
    return None


def _event(fact: Fact) -> JsonObject | str:
    try:
        return fact.event()
    except (ValueError, UnicodeError):
        return "the leaf is not a JSON object"


def _link_fault(pack: EvidencePack, events: list[JsonObject]) -> PackFault | None:
    links = Links.of(pack.subject, events)
    for number, event in enumerate(events):
        if links.reason(event) is None:
            subject = pack.subject
            reason = f"the leaf ({event.get('action')}) is not about {subject.kind} {subject.value}"
            return PackFault(number, reason)
    return None


def fact_links(pack: EvidencePack) -> list[str | None]:
    """Each fact's link to the subject (``None`` where none holds), for renderings."""
    events = [_event(fact) for fact in pack.facts]
    parsed = [event for event in events if isinstance(event, dict)]
    links = Links.of(pack.subject, parsed)
    return [links.reason(event) if isinstance(event, dict) else None for event in events]
