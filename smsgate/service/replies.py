"""Inbound replies (MO): store every one, and act at once on stops and complaints.

A reply names only the phone it came from (and, for Aliyun and Tencent, the
签名 it answered). It belongs to the creditor whose message most recently
went to that phone through the same carrier within ``ATTRIBUTION_WINDOW``,
narrowed to messages signed with the reply's 签名 when the carrier quotes one.
A reply no creditor can be matched to is stored for an operator and changes
nothing: acting on a guess could stop the wrong creditor's contact, or
nobody's.

In the one transaction that stores the reply:

- a stop (退订, TD, STOP …) adds an ``opt_out`` (source ``mo``) and rejects
  every message of that creditor still waiting for the phone (queued,
  scheduled or held), withdrawing their contact bookings;
- a wrong number (不是本人, 打错了, wrong number) detaches the phone from the
  debtor the answered message was for (``detached_phones``) and rejects what
  waits for that debtor at that phone; later sends for that debtor to that
  phone are refused ``opted_out`` (the detail says "wrong number"), while
  other debtors' messages to the phone are untouched;
- a third party's refusal (我不认识他, 别再找我了 …) adds a
  ``third_party_refusal`` opt-out and rejects what waits for the phone, for
  every debtor of the creditor. The policy then refuses the phone for *every*
  template, debtor templates included: "only a debtor template if it is the
  debtor's own number" cannot be checked, since the role is the sender's
  claim, so the refusal holds until a reviewer lifts it (with a reason) for a
  number that really is a debtor's own;
- a complaint (投诉, 骚扰, 12378 …) adds a ``do_not_contact`` flag and moves
  what is still queued or scheduled for the phone to ``held``, the complaint's
  words and time in the status detail, so a reviewer decides; later sends to
  the phone are held too (``sending``), and the held list shows the complaint.

Each is audited with the carrier as actor and the reply id as evidence.
Duplicated callbacks are dropped by the reply's dedupe key before anything
changes, so a reply resent ten times acts once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from smsgate.carriers import InboundSms
from smsgate.core.replies import ReplyClassifier
from smsgate.core.sms import SIGNATURE_CLOSE, SIGNATURE_OPEN
from smsgate.logs import mask_phone
from smsgate.store import (
    REPLY_PREFIX,
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
    Store,
    UnitOfWork,
    format_instant,
    new_id,
)

log = structlog.get_logger("smsgate.feedback")

#: How far back a reply may answer a message; older conversations are not guessed at.
ATTRIBUTION_WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class ReplyOutcome:
    """The stored reply, whether it was new, and the messages its intents stopped or held."""

    reply: InboundReply
    new: bool
    rejected: tuple[str, ...] = ()
    held: tuple[str, ...] = ()


async def take_reply(
    store: Store, carrier: str, sms: InboundSms, classifier: ReplyClassifier, now: datetime
) -> ReplyOutcome:
    """Store ``sms`` once, attributed to a creditor if one can be, and act on its intents."""
    intents = frozenset(ReplyIntent(intent.value) for intent in classifier.intents(sms.text))
    async with store.transaction() as tx:
        answered = await _answered_message(tx, carrier, sms, now)
        reply = _reply(carrier, sms, intents, answered, now)
        if not await tx.replies.add(reply):
            return _logged(ReplyOutcome(reply, new=False))
        rejected: list[str] = []
        held: list[str] = []
        if reply.creditor_id is not None:
            actor = f"carrier:{carrier}"
            if ReplyIntent.WRONG_PARTY in intents and answered is not None:
                rejected += await _detach(tx, reply, answered, actor, now)
            if ReplyIntent.THIRD_PARTY_REFUSAL in intents:
                rejected += await _refuse_third_party(tx, reply, reply.creditor_id, actor, now)
            if ReplyIntent.STOP in intents:
                rejected += await _stop(tx, reply, reply.creditor_id, actor, now)
            if ReplyIntent.COMPLAINT in intents:
                held = await _flag(tx, reply, reply.creditor_id, actor, now)
    return _logged(ReplyOutcome(reply, True, tuple(rejected), tuple(held)))


async def _answered_message(
    tx: UnitOfWork, carrier: str, sms: InboundSms, now: datetime
) -> Message | None:
    """The newest message to the phone that went through ``carrier`` (and its 签名, if quoted)."""
    for message in await tx.messages.recent_to_phone(sms.phone, now - ATTRIBUTION_WINDOW):
        if sms.signature and not message.text.startswith(_signed_prefix(sms.signature)):
            continue
        attempts = await tx.attempts.of_message(message.id)
        if any(attempt.carrier == carrier for attempt in attempts):
            return message
    return None


def _signed_prefix(signature: str) -> str:
    """How a text signed with ``signature`` begins (``【安信消费金融】``)."""
    return f"{SIGNATURE_OPEN}{signature}{SIGNATURE_CLOSE}"


def _reply(
    carrier: str,
    sms: InboundSms,
    intents: frozenset[ReplyIntent],
    answered: Message | None,
    now: datetime,
) -> InboundReply:
    return InboundReply(
        id=new_id(REPLY_PREFIX),
        carrier=carrier,
        phone=sms.phone,
        text=sms.text[:1000],
        received_at=sms.received_at or now,
        dedupe_key=reply_key(carrier, sms),
        intents=intents,
        creditor_id=None if answered is None else answered.creditor_id,
        message_id=None if answered is None else answered.id,
        carrier_message_id=sms.carrier_message_id,
        signature=sms.signature,
        extension=sms.extension,
    )


def reply_key(carrier: str, sms: InboundSms) -> str:
    """What makes two callbacks the same reply: the carrier's id, else phone, time and text.

    Without a carrier id and a carrier timestamp two identical replies cannot
    be told from one resent reply; they are then kept apart by a random part
    (storing a duplicate is harmless, losing a second 退订 is not).
    """
    if sms.carrier_message_id:
        return f"{carrier}\x1fid\x1f{sms.carrier_message_id}"
    when = format_instant(sms.received_at) if sms.received_at else new_id("t")
    digest = hashlib.sha256(sms.text.encode()).hexdigest()[:32]
    return f"{carrier}\x1f{sms.phone}\x1f{when}\x1f{digest}"


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
        if debtor_id is not None and message.debtor_id != debtor_id:
            continue
        detail = f"{stoppage.detail} ({reply.id})"
        if stoppage is _HOLD:
            detail = complaint_detail(reply)
        await tx.messages.set_status(message.id, stoppage.status, now, detail)
        await tx.outbox.discard(message.id)
        await tx.contacts.withdraw(message.id)
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
    words = reply.text[:300]
    return f"held for a reviewer: the recipient complained at {when}: {words!r} ({reply.id})"


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


def _logged(outcome: ReplyOutcome) -> ReplyOutcome:
    reply = outcome.reply
    log.info(
        "inbound_reply" if outcome.new else "inbound_reply_duplicate",
        carrier=reply.carrier, phone=mask_phone(reply.phone), creditor=reply.creditor_id,
        message_id=reply.message_id, intents=sorted(reply.intents),
        rejected=len(outcome.rejected), held=len(outcome.held),
    )  # fmt: skip
    return outcome
