"""Booking a contact: the policy's decision and the writes that take a recipient's slot.

Sending a new message and releasing a held one end the same way, inside the
caller's write transaction: the phone's active opt-outs and the contact
history in the policy's ``history_window`` are read, ``policy.decide`` rules,
and an allowed or deferred message is handed to the outbox and booked in the
contact ledger at the instant it may go. Both paths use this one piece so
that a release is held to exactly the rules of a first send, and so that the
read and the booking always share a transaction: write transactions are
serialised, so two requests cannot both see the last free slot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from smsgate import store
from smsgate.core import policy
from smsgate.core.audience import Audience
from smsgate.core.lifecycle import IllegalMove
from smsgate.core.policy import Allow, Defer, OnQuietHours, PolicyProfile, Recipient, Refuse
from smsgate.service.principals import Principal
from smsgate.service.refusals import Refusal, RefusalCode
from smsgate.store import Message, MessageStatus, UnitOfWork
from smsgate.store.audit import AuditAction


@dataclass(frozen=True, slots=True)
class ContactWish:
    """What the policy is asked: may this recipient get a text of ``audience`` at ``send_at``?"""

    recipient: Recipient
    audience: Audience
    send_at: datetime | None
    on_quiet_hours: OnQuietHours


def creditor_profile(creditor: store.Creditor) -> PolicyProfile:
    """The creditor's contact policy: its base profile with its overrides applied.

    Raises ``ProfileError`` if the stored configuration no longer checks out.
    """
    return policy.profile_from_config(creditor.profile_name, creditor.profile_overrides)


async def opt_out_kinds(tx: UnitOfWork, creditor_id: str, phone: str) -> set[store.OptOutKind]:
    """The kinds of the creditor's active opt-outs of ``phone``."""
    return {opt_out.kind for opt_out in await tx.opt_outs.active(creditor_id, phone)}


def contact_status(
    kinds: set[store.OptOutKind], *, complaint_holds: bool = False
) -> policy.ContactStatus:
    """What active opt-outs of these kinds say about a phone.

    A do-not-contact flag (a complaint) refuses contact, unless
    ``complaint_holds``: a new send to a complaining phone is held for a
    reviewer instead (``sending``), so that a person decides, while a
    release stays refused until a reviewer lifts the flag with a reason.
    """
    refusing = kinds - {store.OptOutKind.THIRD_PARTY_REFUSAL}
    if complaint_holds:
        refusing -= {store.OptOutKind.DO_NOT_CONTACT}
    return policy.ContactStatus(
        opted_out=bool(refusing),
        third_party_refused=store.OptOutKind.THIRD_PARTY_REFUSAL in kinds,
    )


async def contact_decision(
    tx: UnitOfWork,
    creditor_id: str,
    profile: PolicyProfile,
    wish: ContactWish,
    now: datetime,
    status: policy.ContactStatus | None = None,
) -> policy.Decision:
    """The policy's decision on ``wish`` from the opt-outs and the ledger as ``tx`` sees them.

    ``status`` overrides what the active opt-outs say (the caller read them already);
    whether a wrong-number reply detached the phone from the debtor is read here.
    """
    recipient = wish.recipient
    if status is None:
        status = contact_status(await opt_out_kinds(tx, creditor_id, recipient.phone))
    if await tx.detachments.is_detached(creditor_id, recipient.debtor_id, recipient.phone):
        status = replace(status, detached=True)
    request = policy.ContactRequest(recipient, wish.audience, status, wish.send_at)
    start, end = policy.history_window(profile, recipient, request.send_time(now))
    records = await cap_history(tx, creditor_id, recipient, start, end)
    history = [policy.Contact(r.at, r.debtor_id, r.phone, r.channel, r.role) for r in records]
    return policy.decide(request, profile, history, now, wish.on_quiet_hours)


async def cap_history(
    tx: UnitOfWork, creditor_id: str, recipient: Recipient, start: datetime, end: datetime
) -> list[store.ContactRecord]:
    """The ledger entries in ``[start, end)`` that the recipient's caps count.

    A third party's: every contact to the phone. A debtor's: the debtor's on
    any phone, and every debtor contact to the phone whatever ``debtor_id`` it
    named (the per-phone debtor cap), in one read that locks both.
    """
    if recipient.role == Audience.THIRD_PARTY:
        return await tx.contacts.of_phone(creditor_id, recipient.phone, start, end)
    return await tx.contacts.of_debtor_or_phone(
        creditor_id, recipient.debtor_id, recipient.phone, start, end
    )


def policy_refusal(decision: Refuse, now: datetime) -> Refusal:
    """The refusal of a policy decision, with when to retry: ``retry_at`` for quiet hours and
    the cap, and for the cap also ``retry_after`` (whole seconds, the API's ``Retry-After``)."""
    extra: dict[str, Any] = {}
    if decision.code in (policy.PolicyCode.QUIET_HOURS, policy.PolicyCode.CONTACT_LIMIT):
        extra["retry_at"] = None if decision.retry_at is None else decision.retry_at.astimezone(UTC)
    if decision.code == policy.PolicyCode.CONTACT_LIMIT and decision.retry_at is not None:
        extra["retry_after"] = max(1, math.ceil((decision.retry_at - now).total_seconds()))
    return Refusal(RefusalCode(decision.code.value), decision.reason, **extra)


def slot_of(decision: Allow | Defer, now: datetime) -> tuple[datetime, MessageStatus]:
    """The instant an allowed or deferred message may go, and its status (queued or scheduled)."""
    instant = decision.send_at if isinstance(decision, Allow) else decision.until
    instant = instant.astimezone(UTC)
    return instant, MessageStatus.QUEUED if instant <= now else MessageStatus.SCHEDULED


def deferral_reason(decision: Allow | Defer) -> str:
    """Why the message waits for a later slot; empty if it may go when asked."""
    return decision.reason if isinstance(decision, Defer) else ""


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


async def withdraw(
    tx: UnitOfWork, message: Message, status: MessageStatus, now: datetime, detail: str
) -> bool:
    """Undo ``enqueue`` for a message that will not go as booked: it takes ``status``
    (rejected, or held for a reviewer), leaves the outbox and gives back its slot.

    ``False``, and nothing changed, if another writer moved the message after
    the caller read it (PostgreSQL's concurrent writers; the store refuses the
    move): another reply or a retirement settled it, or a dispatcher took it
    to a carrier, too late to stop, as for a message sent a moment earlier;
    the caller's opt-out or retirement still stops the next one.

    The phone's lock comes first (PostgreSQL; nothing on SQLite's single
    writer). A dispatcher starting a send takes it before any of the
    message's rows (its re-check reads the phone's opt-outs), then renews its
    outbox lease and only then marks the message ``sending``, while this
    moves the message before it drops the outbox row: without the shared
    first lock the two would each hold the row the other waits for, and
    PostgreSQL would abort one of them, perhaps a stop. With it the later
    unit waits for the earlier one's commit, and then sees what it did.
    """
    await tx.contacts.hold_phone(message.creditor_id, message.phone)
    try:
        await tx.messages.set_status(message.id, status, now, detail)
    except IllegalMove:
        return False
    await tx.outbox.discard(message.id)
    await tx.contacts.withdraw(message.id)
    return True


def audit_event(
    actor: Principal,
    action: AuditAction,
    subject: str,
    now: datetime,
    detail: dict[str, Any],
) -> store.AuditEvent:
    """The audit entry of ``actor``'s key doing ``action`` to ``subject`` at ``now``."""
    return store.AuditEvent(now, actor.creditor_id, actor.key_id, action, subject, detail)
