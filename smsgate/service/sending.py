"""The send path: approved template -> rendered, signed, scanned text -> contact decision -> outbox.

Three phases, so that the expensive work never runs while the database's
single writer is held:

1. *Draft* (read snapshot, then pure work): the creditor and the template's
   newest approved version are read, the values rendered with that version's
   schema, the creditor's 【signature】 prepended, segments counted, and the
   final signed text scanned with the recipient's audience. Findings index
   that final text, so a reviewer's highlight lands on what would be sent.
2. *Settle* (one write transaction): the idempotency key is checked again,
   opt-outs and the contact history are read, the policy decides, and the
   message, its outbox row, its ledger entry, the audit entry and the
   idempotency record are written together. Write transactions are
   serialised, so the cap check and the insert cannot interleave with another
   request's: under any concurrency a debtor gets exactly the cap.
3. Log and count, after the commit.

Every outcome of a vetted request (202, or a 404/422/429 refusal) is audited
and, with an ``Idempotency-Key``, remembered and replayed byte for byte.
Requests refused at the edge (400) are neither: they were never a send
request, and the client must be free to fix the body and retry with the key.

A ledger entry is written at the instant the message may go (now, the
requested ``send_at``, or the deferral slot), because a scheduled message
already takes that day's slot. A held message takes no slot and gets no
outbox row: a reviewer may take days or reject it, and a phantom booking
would refuse other messages meanwhile; release decides again (``held``).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import structlog

from smsgate import store
from smsgate.api.bodies import to_builtins
from smsgate.api.gateway import Gateway
from smsgate.api.keys import Principal
from smsgate.api.message_models import MessageAccepted
from smsgate.api.problems import Problem, ProblemCode, not_found
from smsgate.core import policy
from smsgate.core.audience import Audience
from smsgate.core.policy import Allow, Defer, OnQuietHours, PolicyProfile, Recipient, Refuse
from smsgate.core.scanner import ScanResult, Severity, Verdict
from smsgate.core.sms import SmsMeasure, TooManySegments, check_segments, sign
from smsgate.core.templates import (
    CompiledTemplate,
    RenderedTooLong,
    RenderRefused,
    VariableErrors,
    compile_template,
    parse_schema,
)
from smsgate.logs import mask_phone
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
class Outcome:
    """The response to a send request, exactly as first given (``replayed`` on a retry)."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Draft:
    """A message that passed every content check; the contact decision is still to come."""

    template: Template
    version: TemplateVersion
    profile: PolicyProfile
    text: str
    measure: SmsMeasure
    scan: ScanResult


@dataclass(frozen=True, slots=True)
class ContactWish:
    """What the policy is asked: may this recipient get a text of ``audience`` at ``send_at``?"""

    recipient: Recipient
    audience: Audience
    send_at: datetime | None
    on_quiet_hours: OnQuietHours


def canonical_json(value: Any) -> str:
    """``value`` as canonical JSON: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def body_hash(builtins: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of a decoded body as plain JSON values."""
    return hashlib.sha256(canonical_json(builtins).encode()).hexdigest()


async def send_message(gateway: Gateway, sender: Principal, request: SendRequest) -> Outcome:
    """Vet and enqueue one message; returns the 202 or the refusal (404/422/429) to answer.

    Raises a 409 ``idempotency_conflict`` :class:`Problem` for a key reused with
    another body, and the store's errors for an outage.
    """
    now = gateway.clock()
    async with gateway.store.read() as tx:
        earlier = await _remembered(tx, sender.creditor_id, request)
        loaded = await _load(tx, sender.creditor_id, request.template_id)
    if earlier is not None:
        return earlier
    if isinstance(loaded, Problem):
        return await _settle(gateway, sender, request, now, loaded, None)
    creditor, template, version = loaded
    try:
        draft = _compose(gateway, creditor, template, version, request)
    except Problem as problem:
        return await _settle(gateway, sender, request, now, problem, version)
    return await _settle(gateway, sender, request, now, draft, version)


async def _load(
    tx: UnitOfWork, creditor_id: str, template_id: str
) -> tuple[store.Creditor, Template, TemplateVersion] | Problem:
    """The creditor, the template and its serving version, or the problem refusing it."""
    creditor = await tx.creditors.get(creditor_id)
    template = await tx.templates.get(creditor_id, template_id)
    if creditor is None or template is None:
        return not_found(f"template {template_id!r}")
    version = await tx.templates.latest_approved(creditor_id, template_id)
    if version is None:
        return Problem(
            422,
            ProblemCode.TEMPLATE_NOT_APPROVED,
            "the template has no approved version in service (never approved, or retired)",
        )
    return creditor, template, version


def _compose(
    gateway: Gateway,
    creditor: store.Creditor,
    template: Template,
    version: TemplateVersion,
    request: SendRequest,
) -> Draft:
    """Render, sign, measure and scan; raises a 422 :class:`Problem` for content refusals."""
    _check_audience(template, request.recipient)
    text = sign(render(version, request.variables), creditor.signature)
    measured = _measure(text, gateway.settings.max_segments)
    scan = gateway.wordlists.current().scan(text, request.recipient.role)
    gateway.metrics.verdicts.labels(scan.verdict.value).inc()
    if scan.verdict is Verdict.BLOCK:
        raise _blocked(scan)
    profile = policy.profile_from_config(creditor.profile_name, creditor.profile_overrides)
    return Draft(template, version, profile, text, measured, scan)


def _check_audience(template: Template, recipient: Recipient) -> None:
    # Checked before rendering: a debtor template scanned for a third party
    # would be refused for disclosing the debt, which hides the real reason.
    if template.audience != recipient.role:
        raise Problem(
            422,
            ProblemCode.AUDIENCE_MISMATCH,
            f"the template is for a {template.audience} and the recipient is a "
            f"{recipient.role}; a third party may only receive third_party templates",
        )


def render(version: TemplateVersion, variables: dict[str, Any]) -> str:
    """The version rendered with ``variables`` (unsigned); raises a 422 :class:`Problem`."""
    compiled = _compiled(version.body, canonical_json(version.variables))
    try:
        return compiled.render(variables)
    except VariableErrors as error:
        errors = [each.to_dict() for each in error.errors]
        raise Problem(422, ProblemCode.VARIABLE_INVALID, str(error), errors=errors) from None
    except RenderedTooLong as error:
        raise Problem(422, ProblemCode.MESSAGE_TOO_LONG, str(error)) from None
    except RenderRefused as error:
        raise Problem(422, ProblemCode.VARIABLE_INVALID, str(error), errors=[]) from None


@lru_cache(maxsize=512)
def _compiled(body: str, variables: str) -> CompiledTemplate:
    # Keyed by content, not id: a version's body and schema never change, and
    # compiling (Jinja parse + code generation) is the costliest step here.
    return compile_template(body, parse_schema(json.loads(variables)))


def _measure(text: str, max_segments: int) -> SmsMeasure:
    try:
        return check_segments(text, max_segments)
    except TooManySegments as error:
        raise Problem(
            422,
            ProblemCode.MESSAGE_TOO_LONG,
            str(error),
            segments=error.segments,
            max_segments=error.max_segments,
        ) from None


def _blocked(scan: ScanResult) -> Problem:
    blocked = (f for f in scan.findings if f.severity is Severity.BLOCK)
    terms = ", ".join(f"{f.matched_text} ({f.category})" for f in blocked)
    return Problem(
        422,
        ProblemCode.SENSITIVE_TERM,
        f"the message contains terms that may not be sent: {terms}; "
        "finding spans index the final text, signature included",
        findings=[finding.to_dict() for finding in scan.findings],
        wordlist_version=scan.wordlist_version,
    )


async def _settle(
    gateway: Gateway,
    sender: Principal,
    request: SendRequest,
    now: datetime,
    vetted: Draft | Problem,
    version: TemplateVersion | None,
) -> Outcome:
    """Decide and write in one transaction, then log and count."""
    async with gateway.store.transaction() as tx:
        earlier = await _remembered(tx, sender.creditor_id, request)
        if earlier is not None:
            return earlier
        outcome = await _conclude(tx, sender, request, now, vetted, version)
    _observe(gateway, sender, request, outcome, version)
    return outcome


async def _conclude(
    tx: UnitOfWork,
    sender: Principal,
    request: SendRequest,
    now: datetime,
    vetted: Draft | Problem,
    version: TemplateVersion | None,
) -> Outcome:
    if isinstance(vetted, Problem):
        return await _refuse(tx, sender, request, vetted, now, version)
    audience, profile = vetted.template.audience, vetted.profile
    wish = ContactWish(request.recipient, audience, request.send_at, request.on_quiet_hours)
    decision = await contact_decision(tx, sender.creditor_id, profile, wish, now)
    if isinstance(decision, Refuse):
        return await _refuse(tx, sender, request, refusal_problem(decision, now), now, version)
    return await _accept(tx, sender, request, vetted, decision, now)


async def contact_status(tx: UnitOfWork, creditor_id: str, phone: str) -> policy.ContactStatus:
    """What the creditor's active opt-outs say about ``phone``."""
    kinds = {opt_out.kind for opt_out in await tx.opt_outs.active(creditor_id, phone)}
    return policy.ContactStatus(
        opted_out=bool(kinds - {store.OptOutKind.THIRD_PARTY_REFUSAL}),
        third_party_refused=store.OptOutKind.THIRD_PARTY_REFUSAL in kinds,
    )


async def contact_decision(
    tx: UnitOfWork, creditor_id: str, profile: PolicyProfile, wish: ContactWish, now: datetime
) -> policy.Decision:
    """The policy's decision on ``wish`` from the opt-outs and the ledger as ``tx`` sees them."""
    recipient = wish.recipient
    status = await contact_status(tx, creditor_id, recipient.phone)
    request = policy.ContactRequest(recipient, wish.audience, status, wish.send_at)
    start, end = policy.history_window(profile, recipient, request.send_time(now))
    if recipient.role == Audience.THIRD_PARTY:
        records = await tx.contacts.of_phone(creditor_id, recipient.phone, start, end)
    else:
        records = await tx.contacts.of_debtor(creditor_id, recipient.debtor_id, start, end)
    history = [policy.Contact(r.at, r.debtor_id, r.phone, r.channel, r.role) for r in records]
    return policy.decide(request, profile, history, now, wish.on_quiet_hours)


def refusal_problem(refusal: Refuse, now: datetime) -> Problem:
    """The problem answering a policy refusal: 429 with ``Retry-After`` for the cap, else 422."""
    extra: dict[str, Any] = {}
    if refusal.code in (policy.RefusalCode.QUIET_HOURS, policy.RefusalCode.CONTACT_LIMIT):
        extra["retry_at"] = None if refusal.retry_at is None else refusal.retry_at.astimezone(UTC)
    status = 422
    if refusal.code == policy.RefusalCode.CONTACT_LIMIT:
        status = 429
        if refusal.retry_at is not None:
            extra["retry_after"] = max(1, math.ceil((refusal.retry_at - now).total_seconds()))
    return Problem(status, ProblemCode(refusal.code.value), refusal.reason, **extra)


def slot_of(decision: Allow | Defer, now: datetime) -> tuple[datetime, MessageStatus]:
    """The instant an allowed or deferred message may go, and its status (queued or scheduled)."""
    instant = decision.send_at if isinstance(decision, Allow) else decision.until
    instant = instant.astimezone(UTC)
    return instant, MessageStatus.QUEUED if instant <= now else MessageStatus.SCHEDULED


async def enqueue(tx: UnitOfWork, message: Message, instant: datetime) -> None:
    """Hand ``message`` to the dispatcher at ``instant`` and book it in the contact ledger."""
    await tx.outbox.add(store.OutboxItem(message.id, instant))
    await tx.contacts.record(
        store.ContactRecord(
            creditor_id=message.creditor_id,
            debtor_id=message.debtor_id,
            phone=message.phone,
            role=message.role,
            channel=policy.Channel.SMS,
            at=instant,
            message_id=message.id,
        )
    )


async def _accept(
    tx: UnitOfWork,
    sender: Principal,
    request: SendRequest,
    draft: Draft,
    decision: Allow | Defer,
    now: datetime,
) -> Outcome:
    held = draft.scan.verdict is Verdict.REVIEW
    instant, status = slot_of(decision, now)
    if held:
        status = MessageStatus.HELD
    message = _message(sender.creditor_id, request, draft, status, now, instant)
    await tx.messages.add(message)
    if not held:
        await enqueue(tx, message, instant)
    detail = decision.reason if isinstance(decision, Defer) else ""
    if held:
        detail = "held for a reviewer: the text has terms that need a person's review"
    body = to_builtins(MessageAccepted.of(message, detail))
    action = AuditAction.MESSAGE_HELD if held else AuditAction.MESSAGE_ACCEPTED
    await tx.audit.append(_event(sender, action, message.id, now, _audit_detail(request, body)))
    await _remember(tx, sender, request, 202, body, now)
    return Outcome(202, body)


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
    problem: Problem,
    now: datetime,
    version: TemplateVersion | None,
) -> Outcome:
    body = to_builtins(problem.body())
    detail = {
        **_audit_detail(request, {"code": problem.code.value, "detail": problem.detail}),
        "template_version": None if version is None else version.version,
    }
    subject = f"debtor:{request.recipient.debtor_id}"
    await tx.audit.append(_event(sender, AuditAction.MESSAGE_REFUSED, subject, now, detail))
    await _remember(tx, sender, request, problem.status, body, now)
    return Outcome(problem.status, body)


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


def _event(
    sender: Principal, action: AuditAction, subject: str, now: datetime, detail: dict[str, Any]
) -> store.AuditEvent:
    return store.AuditEvent(now, sender.creditor_id, sender.key_id, action, subject, detail)


async def _remembered(tx: UnitOfWork, creditor_id: str, request: SendRequest) -> Outcome | None:
    """The first response to the request's idempotency key, if it was used before."""
    if request.idempotency_key is None:
        return None
    record = await tx.idempotency.get(creditor_id, request.idempotency_key)
    if record is None:
        return None
    if record.request_hash != request.request_hash:
        raise Problem(
            409,
            ProblemCode.IDEMPOTENCY_CONFLICT,
            "this Idempotency-Key was used with a different request body; use a new key",
        )
    body: dict[str, Any] = dict(record.response_body)  # type: ignore[arg-type]
    return Outcome(record.response_status, body, replayed=True)


async def _remember(
    tx: UnitOfWork,
    sender: Principal,
    request: SendRequest,
    status: int,
    body: dict[str, Any],
    now: datetime,
) -> None:
    if request.idempotency_key is not None:
        key, digest = request.idempotency_key, request.request_hash
        await tx.idempotency.put(
            store.IdempotencyRecord(sender.creditor_id, key, digest, status, body, now)
        )


def _observe(
    gateway: Gateway,
    sender: Principal,
    request: SendRequest,
    outcome: Outcome,
    version: TemplateVersion | None,
) -> None:
    """One log event per outcome, and the counters; the text is never logged."""
    body = outcome.body
    fields = {
        "creditor": sender.creditor_id,
        "template_id": request.template_id,
        "template_version": None if version is None else version.version,
        "phone": mask_phone(request.recipient.phone),
        "debtor_id": request.recipient.debtor_id,
    }
    if outcome.status != 202:
        gateway.metrics.refusals.labels(body["code"]).inc()
        log.info("message_refused", code=body["code"], status=outcome.status, **fields)
        return
    gateway.metrics.accepted.labels(body["status"]).inc()
    event = "message_held" if body["status"] == MessageStatus.HELD else "message_accepted"
    log.info(event, message_id=body["id"], status=body["status"], verdict=body["verdict"], **fields)
