"""Messages held by a ``review`` finding: a compliance reviewer releases or rejects each one.

A held message took no contact slot and has no outbox row (see ``sending``),
so release decides again, at release time and in the transaction that
enqueues it: opt-outs, contact hours and caps as they are *now*, through the
same ``booking`` a first send goes through. Release always defers out of
quiet hours: the sender's ``reject`` choice was about the moment they asked,
which has passed, and a reviewer working late must not have to wait for
08:00 to press the button.

Before the policy, release checks the text itself again:

- its template version must still serve (``store.version_serves``): a
  retired template's message is refused with ``template_retired``;
- the stored text (fixed at acceptance, so not rendered again) is scanned
  with the *live* wordlist: a term added since the message was held as
  ``block`` refuses the release with ``sensitive_term`` and its findings.

If the release is refused (the template retired, a blocked term, the phone
opted out meanwhile, or today's cap is full) the message stays held and the
refusal is audited and answered (422/429 with the code). Staying held keeps
the decision with a person: they can release it again when the cap opens,
or reject it with a reason; a wrongly added term may be taken out of the
wordlist again. Changing a held message's state is never implicit.

A released message gets its current ``send_at``: the release instant, or the
sender's requested instant if that is still ahead (then the deferral slot if
either falls in quiet hours), never the stale past instant it was held with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import structlog

from smsgate.bootstrap import Gateway
from smsgate.core.lifecycle import IllegalMove
from smsgate.core.policy import OnQuietHours, Recipient, Refuse
from smsgate.core.scanner import ScanResult, Verdict
from smsgate.logs import mask_phone
from smsgate.service import booking
from smsgate.service.drafting import blocked_refusal
from smsgate.service.principals import Principal
from smsgate.service.refusals import Refusal, RefusalCode, not_found
from smsgate.store import (
    InboundReply,
    JsonValue,
    Message,
    MessageStatus,
    OptOutKind,
    ReplyIntent,
    UnitOfWork,
    version_serves,
)
from smsgate.store.audit import AuditAction

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Reviewed:
    """What a reviewer's decision did to a held message."""

    message_id: str
    status: MessageStatus
    send_at: datetime | None
    detail: str


async def held_messages(gateway: Gateway, creditor_id: str, limit: int) -> list[Message]:
    """The creditor's held messages, oldest first."""
    async with gateway.store.read() as tx:
        return await tx.messages.held(creditor_id, limit=limit)


async def complaints(
    gateway: Gateway, creditor_id: str, phones: Iterable[str]
) -> dict[str, InboundReply]:
    """The newest complaint from each of ``phones`` whose do-not-contact flag is still up.

    A held message to such a phone is held *because* of it: reviewers see the
    complaint's words and time, not just "no sensitive terms found".
    """
    found: dict[str, InboundReply] = {}
    async with gateway.store.read() as tx:
        for phone in dict.fromkeys(phones):
            kinds = {o.kind for o in await tx.opt_outs.active(creditor_id, phone)}
            if OptOutKind.DO_NOT_CONTACT not in kinds:
                continue
            for reply in await tx.replies.of_creditor(creditor_id, phone=phone, limit=50):
                if ReplyIntent.COMPLAINT in reply.intents:
                    found[phone] = reply
                    break
    return found


async def release(gateway: Gateway, reviewer: Principal, message_id: str, reason: str) -> Reviewed:
    """Check the text and decide again, then enqueue.

    Raises ``not_found``, ``invalid_state``, ``template_retired`` or
    ``sensitive_term`` (the text), or the policy's refusal (422/429).
    """
    async with gateway.store.read() as tx:
        snapshot = await _held(tx, reviewer.creditor_id, message_id)
        creditor = await tx.creditors.get(reviewer.creditor_id)
    # Scanned outside the write transaction, as a first send is (``drafting``);
    # a message's text never changes, so the snapshot's text is the one released.
    own = () if creditor is None else (creditor.name, creditor.signature)
    scan = gateway.wordlists.current().scan(snapshot.text, snapshot.role, own_names=own)
    now = gateway.clock()
    async with gateway.store.transaction() as tx:
        message = await _held(tx, reviewer.creditor_id, message_id)
        refused = await _content_refusal(tx, reviewer, message, scan, now)
        outcome = refused or await _release_now(tx, reviewer, message, reason, now)
    if isinstance(outcome, Refusal):
        _log("held_release_refused", reviewer, message, code=outcome.code.value)
        raise outcome
    _log("message_released", reviewer, message, status=outcome.status.value)
    return outcome


async def _content_refusal(
    tx: UnitOfWork, reviewer: Principal, message: Message, scan: ScanResult, now: datetime
) -> Refusal | None:
    """The audited refusal of a text that may no longer go (retired, blocked), else ``None``."""
    refused: Refusal | None = None
    if not await version_serves(tx, message):
        refused = Refusal(
            RefusalCode.TEMPLATE_RETIRED,
            f"version {message.template_version} of the template no longer serves: the template"
            " was retired; reject the message",
        )  # fmt: skip
    elif scan.verdict is Verdict.BLOCK:
        refused = blocked_refusal(scan)
    if refused is not None:
        detail = {"code": refused.code.value, "detail": refused.detail, "stage": "release",
                  "wordlist_version": scan.wordlist_version}  # fmt: skip
        await _audit(tx, reviewer, AuditAction.MESSAGE_REFUSED, message, now, detail)
    return refused


async def _release_now(
    tx: UnitOfWork, reviewer: Principal, message: Message, reason: str, now: datetime
) -> Reviewed | Refusal:
    """Within the caller's transaction: the refusal (audited, nothing else changes) or release."""
    creditor = await tx.creditors.get(reviewer.creditor_id)
    if creditor is None:
        raise not_found("message")
    profile = booking.creditor_profile(creditor)
    recipient = _recipient(message)
    wish = booking.ContactWish(recipient, message.role, message.send_at, OnQuietHours.DEFER)
    decision = await booking.contact_decision(tx, reviewer.creditor_id, profile, wish, now)
    if isinstance(decision, Refuse):
        refused = booking.policy_refusal(decision, now)
        detail = {"code": refused.code.value, "detail": refused.detail, "stage": "release"}
        await _audit(tx, reviewer, AuditAction.MESSAGE_REFUSED, message, now, detail)
        return refused
    instant, status = booking.slot_of(decision, now)
    await _move(tx, message, status, now, f"released by a reviewer: {reason}")
    await tx.messages.set_send_at(message.id, instant)
    await booking.enqueue(tx, message, instant)
    detail = {"reason": reason, "status": status.value, "send_at": instant.isoformat()}
    await _audit(tx, reviewer, AuditAction.MESSAGE_RELEASED, message, now, detail)
    return Reviewed(message.id, status, instant, booking.deferral_reason(decision))


async def reject(gateway: Gateway, reviewer: Principal, message_id: str, reason: str) -> Reviewed:
    """Reject a held message for good; raises ``not_found`` or ``invalid_state``."""
    now = gateway.clock()
    async with gateway.store.transaction() as tx:
        message = await _held(tx, reviewer.creditor_id, message_id)
        await _move(tx, message, MessageStatus.REJECTED, now, reason)
        await _audit(tx, reviewer, AuditAction.MESSAGE_REJECTED, message, now, {"reason": reason})
    _log("message_rejected", reviewer, message)
    return Reviewed(message.id, MessageStatus.REJECTED, None, reason)


async def _held(tx: UnitOfWork, creditor_id: str, message_id: str) -> Message:
    message = await tx.messages.get(message_id, creditor_id=creditor_id)
    if message is None:
        raise not_found("message")
    if message.status is not MessageStatus.HELD:
        raise _not_held(message.status)
    return message


async def _move(
    tx: UnitOfWork, message: Message, status: MessageStatus, now: datetime, detail: str
) -> None:
    """Move the held message on; ``invalid_state`` if another writer moved it since it was
    read (another reviewer or a retirement, on PostgreSQL), as if this came after it."""
    try:
        await tx.messages.set_status(message.id, status, now, detail)
    except IllegalMove as moved:
        raise _not_held(moved.current) from None


def _not_held(status: MessageStatus) -> Refusal:
    return Refusal(
        RefusalCode.INVALID_STATE,
        f"the message is {status.value}, not held; only held messages are reviewed",
    )


def _recipient(message: Message) -> Recipient:
    return Recipient(message.phone, message.debtor_id, message.role, message.timezone, message.tags)


async def _audit(
    tx: UnitOfWork,
    reviewer: Principal,
    action: AuditAction,
    message: Message,
    now: datetime,
    detail: dict[str, str],
) -> None:
    facts: dict[str, JsonValue] = {
        "template_id": message.template_id,
        "template_version": message.template_version,
    }
    event = booking.audit_event(reviewer, action, message.id, now, {**facts, **detail})
    await tx.audit.append(event)


def _log(event: str, reviewer: Principal, message: Message, **fields: str) -> None:
    log.info(
        event,
        message_id=message.id,
        creditor=reviewer.creditor_id,
        template_id=message.template_id,
        template_version=message.template_version,
        verdict=message.verdict.value,
        phone=mask_phone(message.phone),
        **fields,
    )
