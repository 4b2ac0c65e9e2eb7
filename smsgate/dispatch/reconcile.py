"""Reconciliation: asking the carrier what became of an attempt whose outcome is unknown.

A send that timed out after the request was written, or that a crash cut
off, may or may not have reached the carrier. Sending again could deliver
twice, which a debtor may rightly complain about; giving up leaves an
operator to find out by hand. For accounts configured with
``unknown_outcome = "reconcile"`` whose adapter can query a message's
status (``QueriesStatus``), the dispatcher asks instead:

================  ===========================================================
the carrier says  what happens
================  ===========================================================
accepted          the attempt was sent: ``sent``, with the carrier's id
not found         the attempt never arrived: ``queued``, sent again as the next
                  attempt (failing over, as after a retryable error)
cannot tell       looked up again after ``lookup_delay``; after ``lookups``
                  failures, ``unknown`` for an operator
================  ===========================================================

While waiting, the message stays ``sending`` in the outbox with its last
attempt finished as ``unknown``; that pair is what tells the next claimant
to look it up rather than send. Each failed lookup is a ``sending`` step of
the message's history, which is how they are counted across dispatchers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from smsgate.carriers import CarrierError, Lookup, LookupAnswer
from smsgate.core.lifecycle import IllegalMove
from smsgate.dispatch.backoff import Retrying
from smsgate.dispatch.outcomes import DispatchOutcome, Disposition, outcome_of
from smsgate.dispatch.overtaken import overtaken
from smsgate.store import (
    AttemptOutcome,
    Message,
    MessageStatus,
    SendAttempt,
    StatusChange,
    UnitOfWork,
)

AWAITING = "outcome unknown: looking it up at the carrier"


@dataclass(frozen=True, slots=True)
class Reconcile:
    """A message whose last attempt's outcome is unknown, due to be looked up at its carrier."""

    message: Message
    attempt: SendAttempt
    failed_lookups: int = 0


def awaiting_lookup(message: Message, last: SendAttempt | None) -> bool:
    """Whether ``message`` waits in the outbox for its last attempt to be looked up."""
    return (
        last is not None
        and last.outcome is AttemptOutcome.UNKNOWN
        and message.status is MessageStatus.SENDING
    )


def failed_lookups(history: Sequence[StatusChange], attempt: int) -> int:
    """How many lookups of ``attempt`` have failed, read from the message's history."""
    prefix = _failure_prefix(attempt)
    return sum(1 for change in history if change.detail.startswith(prefix))


async def schedule_lookup(
    tx: UnitOfWork, message: Message, owner: str, now: datetime, due_at: datetime, detail: str
) -> bool:
    """Keep the message ``sending``, its item due at ``due_at``; ``False`` if the lease was lost."""
    await tx.messages.set_status(message.id, MessageStatus.SENDING, now, detail)
    return await tx.outbox.release(message.id, owner, due_at)


async def record_lookup(
    tx: UnitOfWork,
    pending: Reconcile,
    answer: Lookup | CarrierError,
    owner: str,
    retrying: Retrying,
    now: datetime,
) -> DispatchOutcome:
    """Act on the carrier's answer about ``pending`` (see the module docstring's table).

    A move the store refuses (a report, or another dispatcher's lookup, moved
    the message first) keeps the finished attempt and settles as ``overtaken``.
    """
    try:
        return await _record(tx, pending, answer, owner, retrying, now)
    except IllegalMove as refused:
        attempt = pending.attempt
        return await overtaken(
            tx, pending.message, refused, owner, attempt=attempt.attempt,
            carrier=attempt.carrier, reconciled=True,
        )  # fmt: skip


async def _record(
    tx: UnitOfWork,
    pending: Reconcile,
    answer: Lookup | CarrierError,
    owner: str,
    retrying: Retrying,
    now: datetime,
) -> DispatchOutcome:
    if isinstance(answer, CarrierError):
        if pending.failed_lookups + 1 >= retrying.lookups:
            return await _give_up(tx, pending, answer, owner, now)
        return await _look_again(tx, pending, answer, owner, retrying, now)
    if answer.answer is LookupAnswer.ACCEPTED:
        return await _accepted(tx, pending, answer, owner, now)
    return await _not_received(tx, pending, owner, retrying, now)


async def _accepted(
    tx: UnitOfWork, pending: Reconcile, lookup: Lookup, owner: str, now: datetime
) -> DispatchOutcome:
    message, attempt = pending.message, pending.attempt
    await tx.attempts.finish(
        message.id, attempt.attempt, AttemptOutcome.SENT, now,
        carrier_message_id=lookup.carrier_message_id, detail="reconciled: the carrier has it",
    )  # fmt: skip
    detail = f"{attempt.carrier} {lookup.carrier_message_id or ''}".rstrip() + " (reconciled)"
    await tx.messages.set_status(message.id, MessageStatus.SENT, now, detail)
    held = await tx.outbox.complete(message.id, owner)
    return _settled(held, Disposition.SENT, pending, carrier_message_id=lookup.carrier_message_id)


async def _not_received(
    tx: UnitOfWork, pending: Reconcile, owner: str, retrying: Retrying, now: datetime
) -> DispatchOutcome:
    message, number = pending.message, pending.attempt.attempt
    await tx.attempts.finish(
        message.id, number, AttemptOutcome.RETRYABLE, now,
        detail="reconciled: the carrier never received it",
    )  # fmt: skip
    if retrying.policy.exhausted(number):
        await tx.messages.set_status(message.id, MessageStatus.FAILED, now, "retries_exhausted")
        held = await tx.outbox.complete(message.id, owner)
        return _settled(held, Disposition.FAILED, pending, reason="retries_exhausted")
    detail = "reconciled: not received, sending again"
    await tx.messages.set_status(message.id, MessageStatus.QUEUED, now, detail)
    held = await tx.outbox.release(message.id, owner, now)
    return _settled(held, Disposition.RETRYING, pending, reason="not_found", due_at=now.isoformat())


async def _look_again(
    tx: UnitOfWork,
    pending: Reconcile,
    error: CarrierError,
    owner: str,
    retrying: Retrying,
    now: datetime,
) -> DispatchOutcome:
    number = pending.attempt.attempt
    due_at = now + retrying.lookup_delay
    detail = f"{_failure_prefix(number)} ({pending.failed_lookups + 1}): {error}"
    held = await schedule_lookup(tx, pending.message, owner, now, due_at, detail)
    return _settled(
        held, Disposition.RECONCILING, pending, code=error.code, due_at=due_at.isoformat()
    )


async def _give_up(
    tx: UnitOfWork, pending: Reconcile, error: CarrierError, owner: str, now: datetime
) -> DispatchOutcome:
    message, number = pending.message, pending.attempt.attempt
    lookups = pending.failed_lookups + 1
    await tx.attempts.finish(
        message.id, number, AttemptOutcome.UNKNOWN, now, error_code=error.code,
        detail=f"reconciliation gave up after {lookups} failed lookups: {error}",
    )  # fmt: skip
    await tx.messages.set_status(message.id, MessageStatus.UNKNOWN, now, "reconciliation failed")
    held = await tx.outbox.complete(message.id, owner)
    return _settled(held, Disposition.UNKNOWN, pending, code=error.code, reason="lookups_failed")


def _failure_prefix(attempt: int) -> str:
    return f"lookup of attempt {attempt} failed"


def _settled(
    held: bool, disposition: Disposition, pending: Reconcile, **fields: object
) -> DispatchOutcome:
    if not held:
        fields["recorded"] = disposition.value
        disposition = Disposition.LEASE_LOST
    attempt = pending.attempt
    return outcome_of(
        disposition, pending.message, attempt=attempt.attempt, carrier=attempt.carrier,
        reconciled=True, **fields,
    )  # fmt: skip
