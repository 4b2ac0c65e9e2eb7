"""The send path: approved template -> rendered, signed, scanned text -> contact decision -> outbox.

Three phases, so that the expensive work never runs while the database's
single writer is held:

1. *Draft* (read snapshot, then pure work): the creditor and the template's
   newest approved version are read, the values rendered with that version's
   schema, the creditor's 【signature】 prepended, segments counted, and the
   final signed text scanned with the recipient's audience (``drafting``).
   Findings index that final text, so a reviewer's highlight lands on what
   would be sent.
2. *Settle* (one write transaction): the idempotency key is checked again,
   opt-outs and the contact history are read, the policy decides, and the
   message, its outbox row, its ledger entry, the audit entry and the
   idempotency record are written together; the decision and the booking are
   ``booking``'s, which the release of a held message shares. Write
   transactions are serialised, so the cap check and the insert cannot
   interleave with another request's: under any concurrency a debtor gets
   exactly the cap.
3. Log and count, after the commit.

This module keeps what only a send request has: its idempotency key, its
refusals answered as bodies, and the new message built from the draft. What
those bodies look like is the caller's (:class:`Answers`: the API passes its
problem+json rendering), because the very response a client was given is
remembered in the settling transaction and replayed byte for byte.

Every outcome of a vetted request (202, or a 404/422/429 refusal) is audited
and, with an ``Idempotency-Key``, remembered and replayed byte for byte.
Requests refused at the edge (400) are neither: they were never a send
request, and the client must be free to fix the body and retry with the key.
Nor is a key's send for an unknown template past its per-minute allowance
(``refusal_rate_limited``, see ``_count_unknown_template``), so that one
key cannot grow the audit log without bound.

A ledger entry is written at the instant the message may go (now, the
requested ``send_at``, or the deferral slot), because a scheduled message
already takes that day's slot. A held message takes no slot and gets no
outbox row: a reviewer may take days or reject it, and a phantom booking
would refuse other messages meanwhile; release decides again (``held``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from smsgate import store
from smsgate.bootstrap import Gateway
from smsgate.core.policy import Allow, Defer, OnQuietHours, Recipient, Refuse
from smsgate.core.scanner import Verdict
from smsgate.logs import mask_phone
from smsgate.service import booking
from smsgate.service.drafting import Draft, canonical_json, compose
from smsgate.service.principals import Principal
from smsgate.service.refusals import Refusal, RefusalCode, not_found
from smsgate.store import Message, MessageStatus, Template, TemplateVersion, UnitOfWork
from smsgate.store.audit import AuditAction

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class SendRequest:
    """One send request, checked at the edge (E.164 phone, known zone, aware ``send_at``).

    ``request_hash`` identifies the body for idempotency: the SHA-256 of its
    canonical JSON with defaults filled in, so spelling a default out is the
    same request.
    """

    template_id: str
    variables: dict[str, Any]
    recipient: Recipient
    send_at: datetime | None
    on_quiet_hours: OnQuietHours
    idempotency_key: str | None = None
    request_hash: str = ""


@dataclass(frozen=True, slots=True)
class SendAnswer:
    """The response to a send request, exactly as first given (``replayed`` on a retry)."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


class Answers(Protocol):
    """How the caller answers a send: the response given now and remembered for a retry."""

    def accepted(self, message: Message, detail: str) -> SendAnswer:
        """The answer to ``message``, just stored; ``detail`` says why it waits, if it does."""
        ...

    def refused(self, refusal: Refusal) -> SendAnswer:
        """The answer to a refused send."""
        ...


def body_hash(builtins: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of a decoded body as plain JSON values."""
    return hashlib.sha256(canonical_json(builtins).encode()).hexdigest()


async def send_message(
    gateway: Gateway, sender: Principal, request: SendRequest, answers: Answers
) -> SendAnswer:
    """Vet and enqueue one message; returns the acceptance or the refusal, as ``answers`` say.

    Raises an ``idempotency_conflict`` :class:`Refusal` for a key reused with
    another body, a ``refusal_rate_limited`` one past the unknown-template
    allowance, and the store's errors for an outage.
    """
    now = gateway.clock()
    async with gateway.store.read() as tx:
        earlier = await _remembered(tx, sender.creditor_id, request)
        loaded = await _load(tx, sender.creditor_id, request.template_id)
    if earlier is not None:
        return earlier
    if isinstance(loaded, Refusal):
        if loaded.code is RefusalCode.NOT_FOUND:
            _count_unknown_template(gateway, sender)
        return await _settle(gateway, sender, request, now, loaded, None, answers)
    creditor, template, version = loaded
    try:
        draft = compose(gateway, creditor, template, version, request.recipient, request.variables)
    except Refusal as refusal:
        return await _settle(gateway, sender, request, now, refusal, version, answers)
    return await _settle(gateway, sender, request, now, draft, version, answers)


def _count_unknown_template(gateway: Gateway, sender: Principal) -> None:
    """Count a send for an unknown template; raise the 429 once the key has had too many.

    Every vetted outcome is audited, and a 404 costs the sender nothing, so a
    client looping over a wrong template id (or probing ids) would grow the
    audit log without bound. Past ``SMSGATE_UNKNOWN_TEMPLATE_LIMIT`` such
    refusals of one key within a minute, the next ones are refused before
    they are vetted: ``refusal_rate_limited`` with ``Retry-After``, neither
    audited nor remembered under the ``Idempotency-Key`` (like a 400, it was
    never a send request; the retry is free to use the key), but logged and
    counted. A rate limit rather than aggregated entries, because the chain
    is append-only (as #17's Merkle leaves will be): an entry cannot be
    updated with a later count, every audited refusal is still a whole entry,
    and the bound (the limit per key per minute per instance) holds however
    the requests are spread. Other keys, and this key's sends for known
    templates, are unaffected.
    """
    throttle, key_id = gateway.unknown_templates, sender.key_id
    wait = throttle.retry_after(key_id)
    if wait is None:
        throttle.failed(key_id)
        return
    log.warning("unknown_template_throttled", creditor=sender.creditor_id, key=key_id)
    raise Refusal(
        RefusalCode.REFUSAL_RATE_LIMITED,
        f"this key had more than {throttle.limit} sends for unknown templates within "
        f"{throttle.window:g} s; check the template id, then retry after {wait} s",
        retry_after=wait,
    )


async def _load(
    tx: UnitOfWork, creditor_id: str, template_id: str
) -> tuple[store.Creditor, Template, TemplateVersion] | Refusal:
    """The creditor, the template and its serving version, or the refusal of the send."""
    creditor = await tx.creditors.get(creditor_id)
    template = await tx.templates.get(creditor_id, template_id)
    if creditor is None or template is None:
        return not_found(f"template {template_id!r}")
    version = await tx.templates.latest_approved(creditor_id, template_id)
    if version is None:
        return Refusal(
            RefusalCode.TEMPLATE_NOT_APPROVED,
            "the template has no approved version in service (never approved, or retired)",
        )
    return creditor, template, version


async def _settle(
    gateway: Gateway,
    sender: Principal,
    request: SendRequest,
    now: datetime,
    vetted: Draft | Refusal,
    version: TemplateVersion | None,
    answers: Answers,
) -> SendAnswer:
    """Decide and write in one transaction, then log and count."""
    async with gateway.store.transaction() as tx:
        earlier = await _remembered(tx, sender.creditor_id, request)
        if earlier is not None:
            return earlier
        outcome = await _conclude(tx, sender, request, now, vetted, version, answers)
    _observe(gateway, sender, request, outcome, version)
    return outcome


async def _conclude(
    tx: UnitOfWork,
    sender: Principal,
    request: SendRequest,
    now: datetime,
    vetted: Draft | Refusal,
    version: TemplateVersion | None,
    answers: Answers,
) -> SendAnswer:
    if isinstance(vetted, Refusal):
        return await _refuse(tx, sender, request, vetted, now, version, answers)
    audience, profile = vetted.template.audience, vetted.profile
    wish = booking.ContactWish(request.recipient, audience, request.send_at, request.on_quiet_hours)
    kinds = await booking.opt_out_kinds(tx, sender.creditor_id, request.recipient.phone)
    status = booking.contact_status(kinds, complaint_holds=True)
    decision = await booking.contact_decision(tx, sender.creditor_id, profile, wish, now, status)
    if isinstance(decision, Refuse):
        refused = booking.policy_refusal(decision, now)
        return await _refuse(tx, sender, request, refused, now, version, answers)
    flagged = store.OptOutKind.DO_NOT_CONTACT in kinds
    return await _accept(tx, sender, request, vetted, decision, now, flagged, answers)


async def _accept(
    tx: UnitOfWork,
    sender: Principal,
    request: SendRequest,
    draft: Draft,
    decision: Allow | Defer,
    now: datetime,
    flagged: bool,
    answers: Answers,
) -> SendAnswer:
    held = flagged or draft.scan.verdict is Verdict.REVIEW
    instant, status = booking.slot_of(decision, now)
    if held:
        status = MessageStatus.HELD
    message = _message(sender.creditor_id, request, draft, status, now, instant)
    await tx.messages.add(message)
    if not held:
        await booking.enqueue(tx, message, instant)
    detail = booking.deferral_reason(decision)
    if flagged:
        detail = (
            "held for a reviewer: the recipient complained (do-not-contact flag; see the held list)"
        )
    elif held:
        detail = "held for a reviewer: the text has terms that need a person's review"
    answer = answers.accepted(message, detail)
    action = AuditAction.MESSAGE_HELD if held else AuditAction.MESSAGE_ACCEPTED
    facts = _audit_detail(request, answer.body)
    await tx.audit.append(booking.audit_event(sender, action, message.id, now, facts))
    await _remember(tx, sender, request, answer, now)
    return answer


def _message(
    creditor_id: str,
    request: SendRequest,
    draft: Draft,
    status: MessageStatus,
    now: datetime,
    instant: datetime,
) -> Message:
    recipient = request.recipient
    held = status is MessageStatus.HELD
    requested = None if request.send_at is None else request.send_at.astimezone(UTC)
    return Message(
        id=store.new_id(store.MESSAGE_PREFIX),
        creditor_id=creditor_id,
        template_id=draft.template.id,
        template_version=draft.version.version,
        phone=recipient.phone,
        debtor_id=recipient.debtor_id,
        role=recipient.role,
        text=draft.text,
        segments=draft.measure.segments,
        encoding=draft.measure.encoding,
        status=status,
        created_at=now,
        wordlist_version=draft.scan.wordlist_version,
        verdict=draft.scan.verdict,
        timezone=recipient.timezone,
        tags=recipient.tags,
        send_at=requested if held else instant,
        findings=[finding.to_dict() for finding in draft.scan.findings],
    )


async def _refuse(
    tx: UnitOfWork,
    sender: Principal,
    request: SendRequest,
    refusal: Refusal,
    now: datetime,
    version: TemplateVersion | None,
    answers: Answers,
) -> SendAnswer:
    answer = answers.refused(refusal)
    detail = {
        **_audit_detail(request, {"code": refusal.code.value, "detail": refusal.detail}),
        "template_version": None if version is None else version.version,
    }
    subject = f"debtor:{request.recipient.debtor_id}"
    event = booking.audit_event(sender, AuditAction.MESSAGE_REFUSED, subject, now, detail)
    await tx.audit.append(event)
    await _remember(tx, sender, request, answer, now)
    return answer


def _audit_detail(request: SendRequest, facts: dict[str, Any]) -> dict[str, Any]:
    recipient = request.recipient
    keep = ("status", "send_at", "template_version", "verdict", "wordlist_version", "segments")
    return {
        "template_id": request.template_id,
        "debtor_id": recipient.debtor_id,
        "phone": mask_phone(recipient.phone),
        "role": recipient.role.value,
        **{name: facts[name] for name in keep if name in facts},
        **{name: facts[name] for name in ("code", "detail") if name in facts},
    }


async def remembered(
    tx: UnitOfWork, creditor_id: str, key: str, request_hash: str
) -> store.IdempotencyRecord | None:
    """The record kept under the Idempotency-Key ``key``, if it was used before.

    Raises an ``idempotency_conflict`` :class:`Refusal` when the key was used
    with another body (``request_hash``).
    """
    record = await tx.idempotency.get(creditor_id, key)
    if record is not None and record.request_hash != request_hash:
        raise Refusal(
            RefusalCode.IDEMPOTENCY_CONFLICT,
            "this Idempotency-Key was used with a different request body; use a new key",
        )
    return record


async def _remembered(tx: UnitOfWork, creditor_id: str, request: SendRequest) -> SendAnswer | None:
    """The first response to the request's idempotency key, if it was used before."""
    if request.idempotency_key is None:
        return None
    record = await remembered(tx, creditor_id, request.idempotency_key, request.request_hash)
    if record is None:
        return None
    body: dict[str, Any] = dict(record.response_body)  # type: ignore[arg-type]
    return SendAnswer(record.response_status, body, replayed=True)


async def _remember(
    tx: UnitOfWork,
    sender: Principal,
    request: SendRequest,
    answer: SendAnswer,
    now: datetime,
) -> None:
    if request.idempotency_key is not None:
        key, digest, status = request.idempotency_key, request.request_hash, answer.status
        await tx.idempotency.put(
            store.IdempotencyRecord(sender.creditor_id, key, digest, status, answer.body, now)
        )


def _observe(
    gateway: Gateway,
    sender: Principal,
    request: SendRequest,
    answer: SendAnswer,
    version: TemplateVersion | None,
) -> None:
    """One log event per answer, and the counters; the text is never logged."""
    body = answer.body
    fields = {
        "creditor": sender.creditor_id,
        "template_id": request.template_id,
        "template_version": None if version is None else version.version,
        "phone": mask_phone(request.recipient.phone),
        "debtor_id": request.recipient.debtor_id,
    }
    if answer.status != 202:
        gateway.metrics.refusals.labels(body["code"]).inc()
        log.info("message_refused", code=body["code"], status=answer.status, **fields)
        return
    gateway.metrics.accepted.labels(body["status"]).inc()
    event = "message_held" if body["status"] == MessageStatus.HELD else "message_accepted"
    log.info(event, message_id=body["id"], status=body["status"], verdict=body["verdict"], **fields)
