"""What a reply's intents do, in the reply's unit of work: stop, wrong number,
third-party refusal, complaint (see ``smsgate.service.replies`` for when each applies).

Each action adds its flag once (a reply resent or repeated acts once), then
settles what still waits for the phone: rejected for a stop, a wrong number
(that debtor's only) or a third party's refusal; held for a reviewer for a
complaint. A message that moved on since it was read is left to whoever moved
it (``booking.withdraw``). Every change is audited with the carrier as actor
and the reply id as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from smsgate.service import booking
from smsgate.service.confirmations import queue_confirmation
from smsgate.store import (
    AuditAction,
    AuditEvent,
    DetachedPhone,
    InboundReply,
    Message,
    MessageStatus,
    OptOut,
    OptOutKind,
    OptOutSource,
    ReplyIntent,
    UnitOfWork,
    format_instant,
)


async def act(
    tx: UnitOfWork,
    reply: InboundReply,
    answered: Message,
    intents: frozenset[ReplyIntent],
    actor: str,
    now: datetime,
) -> tuple[list[str], list[str], list[str]]:
    """Do what the intents ask for the creditor of ``answered``; the rejected, held and
    confirmation ids.

    A stop is confirmed (if the creditor turned that on) unless the same
    reply also complains: a do-not-contact flag stops even the confirmation.
    """
    creditor_id = answered.creditor_id
    rejected: list[str] = []
    held: list[str] = []
    confirmations: list[str] = []
    if ReplyIntent.WRONG_PARTY in intents:
        rejected += await _detach(tx, reply, answered, actor, now)
    if ReplyIntent.THIRD_PARTY_REFUSAL in intents:
        rejected += await _refuse_third_party(tx, reply, creditor_id, actor, now)
    if ReplyIntent.STOP in intents:
        rejected += await _stop(tx, reply, creditor_id, actor, now)
        if ReplyIntent.COMPLAINT not in intents:
            confirmations += await _confirm(tx, reply, answered, actor, now)
    if ReplyIntent.COMPLAINT in intents:
        held += await _flag(tx, reply, creditor_id, actor, now)
    return rejected, held, confirmations


@dataclass(frozen=True, slots=True)
class _Stoppage:
    """What an intent does to the messages still waiting for the phone."""

    status: MessageStatus
    action: AuditAction
    reason: str
    detail: str


_STOP = _Stoppage(
    MessageStatus.REJECTED, AuditAction.MESSAGE_REJECTED, "opted_out",
    "opted_out: the recipient replied to stop",
)  # fmt: skip
_THIRD_PARTY = _Stoppage(
    MessageStatus.REJECTED, AuditAction.MESSAGE_REJECTED, "opted_out",
    "opted_out: a third party at this phone refused contact",
)  # fmt: skip
_DETACH = _Stoppage(
    MessageStatus.REJECTED, AuditAction.MESSAGE_REJECTED, "opted_out",
    "opted_out: wrong number, the phone is detached from this debtor",
)  # fmt: skip
_HOLD = _Stoppage(
    MessageStatus.HELD, AuditAction.MESSAGE_HELD, "do_not_contact",
    "held for a reviewer: the recipient complained",
)  # fmt: skip


async def _stop(
    tx: UnitOfWork, reply: InboundReply, creditor_id: str, actor: str, now: datetime
) -> list[str]:
    await _add_flag(tx, reply, creditor_id, OptOutKind.OPT_OUT, actor, now)
    return await _settle_pending(tx, reply, creditor_id, actor, now, _STOP)


async def _confirm(
    tx: UnitOfWork, reply: InboundReply, answered: Message, actor: str, now: datetime
) -> list[str]:
    """Queue the confirmation of the phone's opt-out, once per opt-out (if turned on)."""
    active = await tx.opt_outs.active(answered.creditor_id, reply.phone)
    opt_out = next((flag for flag in active if flag.kind == OptOutKind.OPT_OUT), None)
    if opt_out is None:  # _stop just made sure there is one
        return []
    queued = await queue_confirmation(tx, reply, answered, opt_out, actor, now)
    return [] if queued is None else [queued]


async def _detach(
    tx: UnitOfWork, reply: InboundReply, answered: Message, actor: str, now: datetime
) -> list[str]:
    """The phone is no longer contacted for the debtor the answered message was for."""
    creditor_id, debtor_id = answered.creditor_id, answered.debtor_id
    detached = DetachedPhone(creditor_id, debtor_id, reply.phone, now, reply.id)
    if await tx.detachments.add(detached):
        event = _event(AuditAction.PHONE_DETACHED, creditor_id, actor, reply.phone, now, reply,
                       debtor_id=debtor_id)  # fmt: skip
        await tx.audit.append(event)
    return await _settle_pending(tx, reply, creditor_id, actor, now, _DETACH, debtor_id)


async def _refuse_third_party(
    tx: UnitOfWork, reply: InboundReply, creditor_id: str, actor: str, now: datetime
) -> list[str]:
    """The phone is never contacted again for any debtor of the creditor (any template)."""
    await _add_flag(tx, reply, creditor_id, OptOutKind.THIRD_PARTY_REFUSAL, actor, now)
    return await _settle_pending(tx, reply, creditor_id, actor, now, _THIRD_PARTY)


async def _flag(
    tx: UnitOfWork, reply: InboundReply, creditor_id: str, actor: str, now: datetime
) -> list[str]:
    await _add_flag(tx, reply, creditor_id, OptOutKind.DO_NOT_CONTACT, actor, now)
    return await _settle_pending(tx, reply, creditor_id, actor, now, _HOLD)


async def _settle_pending(
    tx: UnitOfWork,
    reply: InboundReply,
    creditor_id: str,
    actor: str,
    now: datetime,
    stoppage: _Stoppage,
    debtor_id: str | None = None,
) -> list[str]:
    """Move what still waits for the phone out of the outbox and the ledger; their ids.

    ``debtor_id``: only the messages for that debtor (a wrong number).
    """
    settled = []
    for message in await tx.messages.pending_to_phone(creditor_id, reply.phone):
        if message.status is stoppage.status:
            continue
        if stoppage is _STOP and await tx.confirmations.of_message(message.id) is not None:
            continue  # a second 退订 does not cancel the confirmation of the first
        if debtor_id is not None and message.debtor_id != debtor_id:
            continue
        detail = f"{stoppage.detail} ({reply.id})"
        if stoppage is _HOLD:
            detail = complaint_detail(reply)
        if not await booking.withdraw(tx, message, stoppage.status, now, detail):
            continue  # moved on since it was read (``booking.withdraw``)
        event = _event(stoppage.action, creditor_id, actor, message.id, now, reply,
                       reason=stoppage.reason)  # fmt: skip
        await tx.audit.append(event)
        settled.append(message.id)
    return settled


async def _add_flag(
    tx: UnitOfWork,
    reply: InboundReply,
    creditor_id: str,
    kind: OptOutKind,
    actor: str,
    now: datetime,
) -> None:
    active = await tx.opt_outs.active(creditor_id, reply.phone)
    if any(opt_out.kind == kind for opt_out in active):
        return
    reason = f"reply {reply.id} via {reply.carrier}"
    await tx.opt_outs.add(OptOut(creditor_id, reply.phone, kind, OptOutSource.MO, now, reason))
    detail = {"kind": kind.value, "source": OptOutSource.MO.value}
    event = _event(AuditAction.OPT_OUT_ADDED, creditor_id, actor, reply.phone, now, reply, **detail)
    await tx.audit.append(event)


def complaint_detail(reply: InboundReply) -> str:
    """Why a message is held for a complaint: the reply's words and when they came.

    It is the creditor's own recipient's reply, shown only to that creditor's
    reviewers; it is never logged.
    """
    when = format_instant(reply.received_at)
    words = repr(reply.text[:300]) if reply.text else "(words withheld: it named no creditor)"
    return f"held for a reviewer: the recipient complained at {when}: {words} ({reply.id})"


def _event(
    action: AuditAction,
    creditor_id: str,
    actor: str,
    subject: str,
    now: datetime,
    reply: InboundReply,
    **detail: str,
) -> AuditEvent:
    return AuditEvent(now, creditor_id, actor, action, subject, {**detail, "reply": reply.id})
