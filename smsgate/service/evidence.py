"""Exporting an evidence pack: every audited fact about one creditor's debtor, phone or message.

Reads the store in two steps. First the sequencer integrates what is
pending (when this process holds the audit key, as ``audit verify`` does),
or the export waits a bounded time for another instance's sequencer.
Then, in one read: the subject's messages (``MessageRepository.of_recipient``),
the creditor's audit entries whose subject is the debtor, ``debtor:<id>``,
those messages, their phones and their templates (``AuditLog.about``), the
newest signed head and the stored nodes their inclusion proofs need.
Entries are kept only where ``smsgate.core.evidence.links`` ties them to
the subject, so a verifier accepts exactly what the export put in: another
debtor's detachment of a shared phone, another template version's approval
stay out. An entry not in the signed tree yet is named under ``pending``
and never emitted as a fact.

A debtor of years may have thousands of facts, each costing a canonical
JSON encoding, a leaf hash and an inclusion proof of O(log n) hashes: that
CPU work (linking the entries, proving the facts) runs on a worker thread
(``asyncio.to_thread``), between the reads, so an export served by the API
never stalls the event loop that answers the sends.

Tenant isolation: everything is read with the creditor's id; another
creditor's debtor, phone or message gives a valid pack with no facts (the
same answer as an unknown one, so a pack never says what another creditor
holds). An entry whose row no longer gives its leaf hash stops the export
(``EvidenceUnavailable``): a pack never carries a leaf that cannot verify.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smsgate.core.audit_tree import (
    Subtree,
    TreeHead,
    inclusion_proof,
    inclusion_ranges,
    leaf_hash,
    subtrees_of,
)
from smsgate.core.evidence import EvidencePack, Fact, PendingLeaf, Subject, SubjectKind
from smsgate.core.evidence.links import Links
from smsgate.service.sequencer import HeadSigner, integrate
from smsgate.store import Message, Store, UnitOfWork
from smsgate.store.audit import AuditEntry, leaf_bytes
from smsgate.store.instants import format_instant

#: The zone of a recipient whose message named none (the default profile's).
DEFAULT_ZONE = "Asia/Shanghai"
#: How long an export without the key waits for another instance's sequencer.
WAIT_SECONDS = 3.0
_POLL_SECONDS = 0.2
_ROUNDS = 100


class EvidenceUnavailable(Exception):
    """No pack can be made now: no signed tree head yet, or a stored entry is altered."""


async def export_pack(
    store: Store,
    subject: Subject,
    *,
    public_key: str,
    signer: HeadSigner | None,
    clock: Callable[[], datetime],
    wait: float = WAIT_SECONDS,
) -> EvidencePack:
    """The pack of ``subject``; raises ``EvidenceUnavailable`` and the store's errors."""
    if signer is not None:
        for _ in range(_ROUNDS):
            if await integrate(store, signer, clock) is None:
                break
    deadline = time.monotonic() + wait
    while True:
        async with store.read() as tx:
            head = await tx.audit_tree.latest_head()
            entries, messages = await _entries(tx, subject)
            waiting = [e for e in entries if not _in(e, head)]
            if head is not None and (not waiting or time.monotonic() >= deadline):
                facts = await _facts(tx, head, [e for e in entries if _in(e, head)], messages)
                break
        if head is None and time.monotonic() >= deadline:
            raise EvidenceUnavailable("the audit tree has no signed head yet")
        await asyncio.sleep(_POLL_SECONDS)
    pending = tuple(PendingLeaf(e.seq, e.action, format_instant(e.at)) for e in waiting)
    generated = format_instant(clock())
    return EvidencePack(subject, generated, head, public_key, tuple(facts), pending)


def _in(entry: AuditEntry, head: TreeHead | None) -> bool:
    return head is not None and entry.leaf_index is not None and entry.leaf_index < head.size


async def _entries(tx: UnitOfWork, subject: Subject) -> tuple[list[AuditEntry], dict[str, Message]]:
    """The entries about ``subject`` (linked as the verifier will link them) and its messages."""
    creditor, value = subject.creditor_id, subject.value
    messages = await _messages(tx, subject)
    subjects = {value, f"debtor:{value}"} if subject.kind is SubjectKind.DEBTOR else {value}
    for message in messages:
        subjects |= {message.id, message.phone, message.template_id}
    candidates = await tx.audit.about(creditor, subjects)
    linked = await asyncio.to_thread(_linked, subject, candidates)
    return linked, {message.id: message for message in messages}


def _linked(subject: Subject, candidates: list[AuditEntry]) -> list[AuditEntry]:
    """The candidates ``Links`` ties to ``subject`` (CPU only: run off the event loop)."""
    events = [_event(entry) for entry in candidates]
    links = Links.of(subject, events)
    return [e for e, event in zip(candidates, events, strict=True) if links.reason(event)]


async def _messages(tx: UnitOfWork, subject: Subject) -> list[Message]:
    creditor, value = subject.creditor_id, subject.value
    if subject.kind is SubjectKind.MESSAGE:
        message = await tx.messages.get(value, creditor_id=creditor)
        return [] if message is None else [message]
    if subject.kind is SubjectKind.PHONE:
        return await tx.messages.of_recipient(creditor, phone=value)
    return await tx.messages.of_recipient(creditor, debtor_id=value)


def _event(entry: AuditEntry) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(_leaf(entry))
    return parsed


def _leaf(entry: AuditEntry) -> bytes:
    try:
        data = leaf_bytes(entry.event, entry.leaf_version)
    except ValueError:
        data = b""
    if leaf_hash(data).hex() != entry.leaf_hash:
        raise EvidenceUnavailable(f"audit entry seq {entry.seq} no longer gives its leaf hash")
    return data


async def _facts(
    tx: UnitOfWork, head: TreeHead, entries: Sequence[AuditEntry], messages: dict[str, Message]
) -> list[Fact]:
    """Each entry as a fact with its inclusion proof against ``head``, in tree order."""
    ordered = sorted(entries, key=lambda entry: entry.leaf_index or 0)
    positions = [int(entry.leaf_index or 0) for entry in ordered]
    ranges = [r for position in positions for r in inclusion_ranges(position, head.size)]
    nodes = await tx.audit_tree.nodes(subtrees_of(ranges))
    return await asyncio.to_thread(_proven, head.size, ordered, positions, nodes, messages)


def _proven(
    size: int,
    ordered: Sequence[AuditEntry],
    positions: Sequence[int],
    nodes: Mapping[Subtree, bytes],
    messages: dict[str, Message],
) -> list[Fact]:
    """The facts with their proofs (CPU only: hashing, run off the event loop)."""
    return [
        Fact(
            position,
            _leaf(entry),
            tuple(inclusion_proof(position, size, nodes)),
            _context(entry, messages.get(entry.subject)),
        )
        for position, entry in zip(positions, ordered, strict=True)
    ]


def _context(entry: AuditEntry, message: Message | None) -> dict[str, Any]:
    """What the leaf does not hold (not proven): the message's text, the recipient's zone."""
    zone = DEFAULT_ZONE if message is None or not message.timezone else message.timezone
    try:
        local = entry.at.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")
    except ZoneInfoNotFoundError:
        zone, local = "UTC", format_instant(entry.at)
    context: dict[str, Any] = {"timezone": zone, "local_time": local}
    if message is not None:
        context["message"] = {
            "text": message.text,
            "template_id": message.template_id,
            "template_version": message.template_version,
            "verdict": message.verdict.value,
            "wordlist_version": message.wordlist_version,
            "status": message.status.value,
        }
    return context
