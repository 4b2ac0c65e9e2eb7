"""Inbound replies (MO): store every one, and act at once on stops and complaints.

A reply names only the phone it came from (and, for Aliyun and Tencent, the
签名 it answered; people also copy a 【签名】 into the text). It belongs to the
creditor whose message went to that phone through the same carrier within
``ATTRIBUTION_WINDOW`` (a setting), narrowed to messages carrying the named
签名; when it names none and several creditors texted the phone, a reply that
asks for something acts for all of them (see :func:`take_reply`). A reply no
creditor can be matched to is stored for an operator and changes nothing.

In the one transaction that stores the reply (the actions are in
``smsgate.service.reply_actions``):

- a stop (退订, TD, STOP …) adds an ``opt_out`` (source ``mo``) and rejects
  every message of that creditor still waiting for the phone (queued,
  scheduled or held), withdrawing their contact bookings; a creditor that
  turned it on also gets one confirmation text queued per opt-out
  (``smsgate.service.confirmations``), which a later stop does not cancel;
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
from smsgate.service import reply_actions
from smsgate.store import (
    REPLY_PREFIX,
    AuditAction,
    AuditEvent,
    InboundReply,
    Message,
    ReplyIntent,
    Store,
    UnitOfWork,
    format_instant,
    new_id,
    retries,
)

log = structlog.get_logger("smsgate.feedback")

#: How far back a reply may answer a message (default of ``Settings.reply_attribution_days``).
ATTRIBUTION_WINDOW = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class ReplyOutcome:
    """The stored reply, whether it was new, and the messages its intents stopped or held.

    ``shared`` are the copies stored for the other creditors a reply naming
    none was attributed to (see :func:`take_reply`).
    """

    reply: InboundReply
    new: bool
    rejected: tuple[str, ...] = ()
    held: tuple[str, ...] = ()
    shared: tuple[InboundReply, ...] = ()
    #: The stop confirmations queued (``smsgate.service.confirmations``).
    confirmations: tuple[str, ...] = ()


#: What a shared copy of a reply holds instead of the words (see :func:`take_reply`).
WITHHELD = ""


async def take_reply(
    store: Store,
    carrier: str,
    sms: InboundSms,
    classifier: ReplyClassifier,
    now: datetime,
    window: timedelta = ATTRIBUTION_WINDOW,
) -> ReplyOutcome:
    """Store ``sms`` once, attributed to the creditor(s) it answers, and act on its intents.

    Attribution: the creditor whose 签名 the reply names (the carrier's field,
    else a 【签名】 quoted in the text) among those that texted the phone
    through ``carrier`` within ``window``; else the newest of them. A stop,
    refusal, wrong number or complaint naming no creditor, when several
    texted the phone, acts for every one of them (the safe direction); each
    then gets its own copy pointing at its own message, with the words
    withheld (``WITHHELD``): it learns that a reply came and what it meant,
    never what another creditor sent or was told.

    The unit runs again if the database aborted it for a concurrent one
    (``UnitAborted``, ``smsgate.store.retries``), so a stop answered by such
    an abort is not left to the carrier's retry; raises it after the last run.
    """
    classification = classifier.classify(sms.text)
    intents = frozenset(ReplyIntent(intent.value) for intent in classification.intents)

    async def take(tx: UnitOfWork) -> ReplyOutcome:
        since = now - window
        return await _take(tx, carrier, sms, intents, classification.signatures, since, now)

    # Aborted to break a deadlock, the unit is run again: a stop must not be lost.
    return _logged(await retries.in_transaction(store, take, name="take_reply"))


async def _take(
    tx: UnitOfWork,
    carrier: str,
    sms: InboundSms,
    intents: frozenset[ReplyIntent],
    quoted: tuple[str, ...],
    since: datetime,
    now: datetime,
) -> ReplyOutcome:
    """``take_reply`` inside its unit: store the reply (and its copies) and act once."""
    answered = await _answered_messages(tx, carrier, sms, quoted, since)
    shared = len(answered) > 1 and bool(intents)
    if not shared:
        answered = answered[:1]
    replies = [
        _reply(carrier, sms, intents, message, now, shared=shared, copy=index)
        for index, message in enumerate(answered or [None])
    ]
    if not await tx.replies.add(replies[0]):
        return ReplyOutcome(replies[0], new=False)
    rejected: list[str] = []
    held: list[str] = []
    confirmations: list[str] = []
    for reply, message in zip(replies, answered, strict=False):
        if reply is not replies[0]:
            await tx.replies.add(reply)
        await tx.audit.append(_received(reply, message, f"carrier:{carrier}", now))
        acted = await reply_actions.act(tx, reply, message, intents, f"carrier:{carrier}", now)
        rejected += acted[0]
        held += acted[1]
        confirmations += acted[2]
    return ReplyOutcome(replies[0], True, tuple(rejected), tuple(held), tuple(replies[1:]),
                        tuple(confirmations))  # fmt: skip


async def _answered_messages(
    tx: UnitOfWork,
    carrier: str,
    sms: InboundSms,
    quoted: tuple[str, ...],
    since: datetime,
) -> list[Message]:
    """The newest message of each creditor the reply may answer, newest first.

    Messages to the phone through ``carrier`` since ``since``; only those
    signed with the carrier's 签名 field if it gives one; else, if the text
    quotes a 【签名】 some of them carry, only those (a quote matching none
    names nobody, and the reply is treated as naming no creditor).
    """
    through: list[Message] = []
    for message in await tx.messages.recent_to_phone(sms.phone, since):
        if sms.signature and not message.text.startswith(_signed_prefix(sms.signature)):
            continue
        attempts = await tx.attempts.of_message(message.id)
        if any(attempt.carrier == carrier for attempt in attempts):
            through.append(message)
    if not sms.signature and quoted:
        prefixes = tuple(_signed_prefix(signature) for signature in quoted)
        named = [message for message in through if message.text.startswith(prefixes)]
        through = named or through
    newest: dict[str, Message] = {}
    for message in through:
        newest.setdefault(message.creditor_id, message)
    return list(newest.values())


def _signed_prefix(signature: str) -> str:
    """How a text signed with ``signature`` begins (``【安信消费金融】``)."""
    return f"{SIGNATURE_OPEN}{signature}{SIGNATURE_CLOSE}"


def _reply(
    carrier: str,
    sms: InboundSms,
    intents: frozenset[ReplyIntent],
    answered: Message | None,
    now: datetime,
    *,
    shared: bool = False,
    copy: int = 0,
) -> InboundReply:
    key = reply_key(carrier, sms)
    return InboundReply(
        id=new_id(REPLY_PREFIX),
        carrier=carrier,
        phone=sms.phone,
        text=WITHHELD if shared else sms.text[:1000],
        received_at=sms.received_at or now,
        dedupe_key=f"{key}\x1fcopy{copy}" if copy else key,
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


def _received(reply: InboundReply, answered: Message, actor: str, now: datetime) -> AuditEvent:
    """The reply's audit leaf (its intents, never its words), committed with the reply."""
    detail = {
        "reply": reply.id, "carrier": reply.carrier, "intents": sorted(reply.intents),
        "debtor_id": answered.debtor_id, "phone": mask_phone(reply.phone),
        "received_at": format_instant(reply.received_at),
    }  # fmt: skip
    action = AuditAction.REPLY_RECEIVED
    return AuditEvent(now, answered.creditor_id, actor, action, answered.id, detail)


def _logged(outcome: ReplyOutcome) -> ReplyOutcome:
    reply = outcome.reply
    log.info(
        "inbound_reply" if outcome.new else "inbound_reply_duplicate",
        carrier=reply.carrier, phone=mask_phone(reply.phone), creditor=reply.creditor_id,
        message_id=reply.message_id, intents=sorted(reply.intents),
        rejected=len(outcome.rejected), held=len(outcome.held),
        confirmations=len(outcome.confirmations),
    )  # fmt: skip
    return outcome
