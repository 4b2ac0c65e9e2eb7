"""The first transaction of a send: may this claimed message go, and as which attempt?

In one write transaction the dispatcher reads the message and its earlier
attempts, re-checks the policy (``recheck``), and then either settles the
item without sending (rejected, rescheduled, skipped) or renews its lease,
chooses the carrier account (``Router``: the creditor's route, failover,
circuits), records a new attempt as under way and marks the message
``sending``. Only after that commits does the carrier get called, so a crash
mid-send leaves an unfinished attempt behind, which is how the next claimant
knows that the outcome is unknown and must not resend blindly: it goes to an
operator, or, for an account that reconciles, is looked up (``Reconcile``);
unless a delivery report settled the message meanwhile, which proves the
carrier had it (the attempt is finished as sent, the report's status kept).

The message's contact booking moves with its send in the same transaction:
a rescheduled message's booking moves to the instant it will go, and one
sent on another local day than it was booked for (it waited past midnight
for a backlog, a retry or open circuits) is first judged by that day's caps
(``recheck_moved``): it goes, moves on to the first day with room, or is
rejected with ``contact_limit`` and its booking withdrawn.

A stop confirmation has no booking and skips the policy: it is re-checked
by ``recheck_confirmation`` alone (the opt-out it confirms lets it through).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from smsgate.carriers import OutboundSms
from smsgate.core.audience import Audience
from smsgate.core.lifecycle import REPORTED, SENDABLE
from smsgate.core.policy import Allow, Contact, Defer, PolicyError, Refuse
from smsgate.dispatch.lanes import AllCircuitsOpen, Chosen
from smsgate.dispatch.outcomes import DispatchOutcome, Disposition, outcome_of
from smsgate.dispatch.recheck import (
    moved_day_window,
    recheck,
    recheck_confirmation,
    recheck_moved,
    rechecked_slot,
)
from smsgate.dispatch.reconcile import AWAITING, Reconcile, awaiting_lookup, failed_lookups
from smsgate.store import (
    TEMPLATE_RETIRED,
    AttemptOutcome,
    Message,
    MessageStatus,
    OutboxItem,
    SendAttempt,
    UnitOfWork,
    version_serves,
)


class Router(Protocol):
    """Which carrier account an attempt goes to (``smsgate.dispatch.lanes.Lanes``)."""

    def choose(
        self, creditor_id: str, previous: SendAttempt | None
    ) -> Chosen | AllCircuitsOpen: ...

    def reconciles(self, carrier: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Claim:
    """Who holds an outbox item, for how long a renewal lasts, and how carriers are chosen."""

    owner: str
    lease: timedelta
    router: Router
    #: How long to set aside a message whose creditor's policy cannot be read.
    policy_error_delay: timedelta


@dataclass(frozen=True, slots=True)
class Ready:
    """A message cleared to go, as the attempt just recorded, and the account it goes to."""

    message: Message
    sms: OutboundSms
    carrier: str
    #: The account the previous attempt failed on, when this one is a failover.
    failover_from: str | None = None
    #: Whether an unknown outcome is looked up at the carrier rather than left to an operator.
    reconciles: bool = False


async def prepare_send(
    tx: UnitOfWork, item: OutboxItem, claim: Claim, now: datetime
) -> Ready | Reconcile | DispatchOutcome:
    """``Ready`` to call the carrier, ``Reconcile`` to look the last attempt up there,
    or the ``DispatchOutcome`` of settling the item without either."""
    message = await tx.messages.get(item.message_id, creditor_id=None)
    if message is None:
        await tx.outbox.complete(item.message_id, claim.owner)
        return DispatchOutcome(Disposition.SKIPPED, item.message_id, {"reason": "no such message"})
    attempts = await tx.attempts.of_message(message.id)
    last = attempts[-1] if attempts else None
    if last is not None and last.outcome is None:
        if message.status in REPORTED:
            return await _settle_reported(tx, message, last, claim, now)
        return await _settle_interrupted(tx, message, last, claim, now)
    if awaiting_lookup(message, last):
        assert last is not None  # awaiting_lookup says so
        return await _lookup_due(tx, message, last, claim, now)
    if message.status not in SENDABLE:
        await tx.outbox.complete(message.id, claim.owner)
        return outcome_of(Disposition.SKIPPED, message, reason=f"status {message.status}")
    if not await version_serves(tx, message):
        return await _reject_unserved(tx, message, claim, now)
    confirmation = await tx.confirmations.of_message(message.id)
    if confirmation is not None:
        opt_outs = await tx.opt_outs.active(message.creditor_id, message.phone)
        refusal = recheck_confirmation(confirmation, opt_outs, now)
        if refusal is not None:
            return await _reject(tx, message, refusal, claim, now)
        return await _start_attempt(tx, message, last, claim, now)
    try:
        decision = await _decide(tx, message, now)
    except PolicyError as error:
        await tx.outbox.release(message.id, claim.owner, now + claim.policy_error_delay)
        return outcome_of(Disposition.ERROR, message, reason=str(error))
    if isinstance(decision, Refuse):
        return await _reject(tx, message, decision, claim, now)
    if isinstance(decision, Defer):
        return await _reschedule(tx, message, decision, claim, now)
    return await _start_attempt(tx, message, last, claim, now)


async def _decide(tx: UnitOfWork, message: Message, now: datetime) -> Refuse | Defer | None:
    """``Refuse``, ``Defer``, or ``None`` to send now; a send moved to another local day
    than its booking is judged by that day's caps, and sending now moves the booking."""
    creditor = await tx.creditors.get(message.creditor_id)
    if creditor is None:  # the schema's foreign key makes this unreachable
        raise LookupError(f"message {message.id} names unknown creditor {message.creditor_id}")
    opt_outs = await tx.opt_outs.active(message.creditor_id, message.phone)
    decision = recheck(message, creditor, opt_outs, now)
    if isinstance(decision, Refuse):
        return decision
    slot = rechecked_slot(decision, now)
    booking = await tx.contacts.of_message(message.id)
    window = None if booking is None else moved_day_window(message, creditor, booking.at, slot)
    if window is not None:
        others = await _other_contacts(tx, message, window)
        moved = recheck_moved(message, creditor, opt_outs, slot, others, now)
        if not isinstance(moved, Allow):
            return moved
        if isinstance(decision, Allow):
            await tx.contacts.move(message.id, now)
    return decision if isinstance(decision, Defer) else None


async def _other_contacts(
    tx: UnitOfWork, message: Message, window: tuple[datetime, datetime]
) -> list[Contact]:
    """The contacts the message's caps count in ``window``, less its own booking."""
    start, end = window
    if message.role == Audience.THIRD_PARTY:
        records = await tx.contacts.of_phone(message.creditor_id, message.phone, start, end)
    else:
        records = await tx.contacts.of_debtor_or_phone(
            message.creditor_id, message.debtor_id, message.phone, start, end
        )
    return [
        Contact(r.at, r.debtor_id, r.phone, r.channel, r.role)
        for r in records
        if r.message_id != message.id
    ]


async def _settle_reported(
    tx: UnitOfWork, message: Message, attempt: SendAttempt, claim: Claim, now: datetime
) -> DispatchOutcome:
    """A report settled the message while its send was cut off: the carrier had it.

    As when the report beats the answer (``results``), the report's status
    stays and the attempt is finished as sent; there is nothing to look up.
    """
    detail = "interrupted, but a delivery report says the carrier had it"
    await tx.attempts.finish(message.id, attempt.attempt, AttemptOutcome.SENT, now, detail=detail)
    await tx.outbox.complete(message.id, claim.owner)
    return outcome_of(
        Disposition.SENT, message, attempt=attempt.attempt, carrier=attempt.carrier,
        reason="reported",
    )  # fmt: skip


async def _settle_interrupted(
    tx: UnitOfWork, message: Message, attempt: SendAttempt, claim: Claim, now: datetime
) -> Reconcile | DispatchOutcome:
    """An attempt a crash cut off may have reached the carrier: look it up, or ask a person."""
    detail = "interrupted: the dispatcher stopped while the carrier had the message"
    await tx.attempts.finish(
        message.id, attempt.attempt, AttemptOutcome.UNKNOWN, now, detail=detail
    )
    if claim.router.reconciles(attempt.carrier):
        await tx.messages.set_status(message.id, MessageStatus.SENDING, now, AWAITING)
        return await _lookup_due(tx, message, attempt, claim, now, failed=0)
    return await _to_operator(tx, message, attempt, claim, now, "interrupted")


async def _lookup_due(
    tx: UnitOfWork,
    message: Message,
    attempt: SendAttempt,
    claim: Claim,
    now: datetime,
    failed: int | None = None,
) -> Reconcile | DispatchOutcome:
    """``Reconcile`` the attempt now, unless its account no longer can (config changed)."""
    if not claim.router.reconciles(attempt.carrier):
        return await _to_operator(tx, message, attempt, claim, now, "cannot_reconcile")
    if not await tx.outbox.renew(message.id, claim.owner, now, claim.lease):
        return outcome_of(Disposition.LEASE_LOST, message, attempt=attempt.attempt)
    if failed is None:
        failed = failed_lookups(await tx.messages.history(message.id), attempt.attempt)
    return Reconcile(message, attempt, failed)


async def _to_operator(
    tx: UnitOfWork, message: Message, attempt: SendAttempt, claim: Claim, now: datetime,
    reason: str,
) -> DispatchOutcome:  # fmt: skip
    await tx.messages.set_status(message.id, MessageStatus.UNKNOWN, now, reason)
    await tx.outbox.complete(message.id, claim.owner)
    return outcome_of(
        Disposition.UNKNOWN, message, attempt=attempt.attempt, carrier=attempt.carrier,
        reason=reason,
    )  # fmt: skip


async def _reject(
    tx: UnitOfWork, message: Message, refusal: Refuse, claim: Claim, now: datetime
) -> DispatchOutcome:
    return await _rejected(tx, message, refusal.code, refusal.reason, claim, now)


async def _reject_unserved(
    tx: UnitOfWork, message: Message, claim: Claim, now: datetime
) -> DispatchOutcome:
    """Reject a message whose template version no longer serves (the template was retired).

    Retiring settles the template's pending messages itself; this catches one
    that raced the retirement, so a withdrawn text never reaches a carrier.
    """
    reason = "the template no longer serves this version"
    return await _rejected(tx, message, TEMPLATE_RETIRED, reason, claim, now)


async def _rejected(
    tx: UnitOfWork, message: Message, code: str, reason: str, claim: Claim, now: datetime
) -> DispatchOutcome:
    # The message will never go, so its reserved contact must stop counting.
    await tx.messages.set_status(message.id, MessageStatus.REJECTED, now, f"{code}: {reason}")
    await tx.contacts.withdraw(message.id)
    await tx.outbox.complete(message.id, claim.owner)
    return outcome_of(Disposition.REJECTED, message, code=code)


async def _reschedule(
    tx: UnitOfWork, message: Message, deferral: Defer, claim: Claim, now: datetime
) -> DispatchOutcome:
    detail = f"{deferral.code}: {deferral.reason}"
    await tx.messages.set_status(message.id, MessageStatus.SCHEDULED, now, detail)
    # The booking goes with the send: the day it counts on is the day it will go.
    await tx.contacts.move(message.id, deferral.until)
    await tx.outbox.release(message.id, claim.owner, deferral.until)
    return outcome_of(
        Disposition.RESCHEDULED, message, code=deferral.code, due_at=deferral.until.isoformat()
    )


async def _start_attempt(
    tx: UnitOfWork, message: Message, previous: SendAttempt | None, claim: Claim, now: datetime
) -> Ready | DispatchOutcome:
    number = previous.attempt + 1 if previous is not None else 1
    chosen = claim.router.choose(message.creditor_id, previous)
    if isinstance(chosen, AllCircuitsOpen):
        # Not an attempt: nothing was sent, so the message waits without using up a retry.
        held = await tx.outbox.release(message.id, claim.owner, chosen.until)
        disposition = Disposition.RELEASED if held else Disposition.LEASE_LOST
        return outcome_of(
            disposition, message, reason="circuits_open", due_at=chosen.until.isoformat()
        )
    if not await tx.outbox.renew(message.id, claim.owner, now, claim.lease):
        return outcome_of(Disposition.LEASE_LOST, message, attempt=number)
    sms = OutboundSms(
        message_id=message.id, attempt=number, phone=message.phone, text=message.text,
        segments=message.segments, encoding=message.encoding, creditor_id=message.creditor_id,
        template_id=message.template_id, template_version=message.template_version,
    )  # fmt: skip
    attempt = SendAttempt(message.id, number, chosen.carrier, sms.client_reference, now)
    await tx.attempts.start(attempt)
    await tx.messages.set_status(message.id, MessageStatus.SENDING, now, f"attempt {number}")
    reconciles = claim.router.reconciles(chosen.carrier)
    return Ready(message, sms, chosen.carrier, chosen.failover_from, reconciles)
