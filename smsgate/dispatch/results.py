"""The second transaction of a send: what the carrier's answer means for the message.

The answer is a ``SendResult`` or one of the ``CarrierError`` family, and
the class alone decides (see ``smsgate.carriers.base``):

=====================  ===========================  ===========================
answer                 message status               outbox item
=====================  ===========================  ===========================
``SendResult``         ``sent``                     completed
retryable, attempts    ``queued`` (detail: retry)   released, due after backoff
left
retryable, none left   ``failed`` (retries_         completed
                       exhausted)
permanent              ``failed`` (carrier code)    completed
outcome unknown        ``unknown``                  completed: never resent
                                                    blindly
outcome unknown, the   ``sending`` (looking it up)  released, due after the
account reconciles                                  lookup delay (see
                                                    ``smsgate.dispatch.reconcile``)
=====================  ===========================  ===========================

A fast carrier's delivery report can arrive while the dispatcher is still
waiting for the answer to its request (``smsgate.service.receipts`` moves a
``sending`` message): then a ``SendResult`` or an unknown outcome keeps the
reported ``delivered``/``failed`` status, and the attempt is finished as
``sent``, because the report proves the carrier took it.

The attempt row is finished in every case. If the lease was lost meanwhile
(the send outlived it), the carrier's answer is still recorded, because it
is the truth about the message, and the outcome says the lease was lost. A
move the lifecycle no longer allows is refused by the store: an error answer
after a report (``delivered`` never becomes ``queued`` or ``failed``),
another dispatcher that gave the message to an operator meanwhile, a report
that landed, on PostgreSQL, between the check above and the move. Then the
answer stays on the attempt and the message keeps the other writer's status
(``overtaken``): a reported message is never queued and sent again.
"""

from __future__ import annotations

from datetime import datetime

from smsgate.carriers import (
    CarrierError,
    OutcomeUnknown,
    PermanentCarrierError,
    RetryableCarrierError,
    SendResult,
)
from smsgate.core.lifecycle import REPORTED, IllegalMove
from smsgate.dispatch.backoff import Retrying
from smsgate.dispatch.lanes import Answer
from smsgate.dispatch.outcomes import DispatchOutcome, Disposition, outcome_of
from smsgate.dispatch.overtaken import overtaken
from smsgate.dispatch.preparation import Ready
from smsgate.dispatch.reconcile import AWAITING, schedule_lookup
from smsgate.store import AttemptOutcome, MessageStatus, UnitOfWork


async def record_answer(
    tx: UnitOfWork, ready: Ready, answer: Answer, owner: str, retrying: Retrying, now: datetime
) -> DispatchOutcome:
    """Record the carrier's ``answer`` to ``ready`` and settle its outbox item.

    Each path finishes the attempt, then moves the message, then settles the
    item; a move the store refuses (another writer moved the message first)
    keeps the finished attempt and settles as ``overtaken`` says.
    """
    try:
        return await _record(tx, ready, answer, owner, retrying, now)
    except IllegalMove as refused:
        return await overtaken(
            tx, ready.message, refused, owner, attempt=ready.sms.attempt, carrier=ready.carrier
        )


async def _record(
    tx: UnitOfWork, ready: Ready, answer: Answer, owner: str, retrying: Retrying, now: datetime
) -> DispatchOutcome:
    if isinstance(answer, SendResult | OutcomeUnknown) and await _reported(tx, ready):
        return await _already_reported(tx, ready, answer, owner, now)
    if isinstance(answer, SendResult):
        return await _sent(tx, ready, answer, owner, now)
    if isinstance(answer, RetryableCarrierError):
        if retrying.policy.exhausted(ready.sms.attempt):
            return await _failed(tx, ready, answer, owner, now, "retries_exhausted")
        return await _retry(tx, ready, answer, owner, retrying, now)
    if isinstance(answer, PermanentCarrierError):
        return await _failed(tx, ready, answer, owner, now, "permanent")
    if not isinstance(answer, OutcomeUnknown):
        answer = OutcomeUnknown(f"{type(answer).__name__}: {answer}", code=answer.code)
    if ready.reconciles:
        return await _look_up_later(tx, ready, answer, owner, now + retrying.lookup_delay, now)
    return await _unknown(tx, ready, answer, owner, now)


async def _reported(tx: UnitOfWork, ready: Ready) -> bool:
    """Whether a delivery report settled the message while its send was under way."""
    message = await tx.messages.get(ready.sms.message_id, creditor_id=None)
    return message is not None and message.status in REPORTED


async def _already_reported(
    tx: UnitOfWork, ready: Ready, answer: SendResult | OutcomeUnknown, owner: str, now: datetime
) -> DispatchOutcome:
    carrier_id = answer.carrier_message_id if isinstance(answer, SendResult) else None
    await tx.attempts.finish(
        ready.sms.message_id, ready.sms.attempt, AttemptOutcome.SENT, now,
        carrier_message_id=carrier_id, detail="a delivery report arrived before the answer",
    )  # fmt: skip
    held = await tx.outbox.complete(ready.sms.message_id, owner)
    return _settled(held, Disposition.SENT, ready, carrier_message_id=carrier_id)


async def _sent(
    tx: UnitOfWork, ready: Ready, result: SendResult, owner: str, now: datetime
) -> DispatchOutcome:
    message_id, attempt = ready.sms.message_id, ready.sms.attempt
    await tx.attempts.finish(
        message_id, attempt, AttemptOutcome.SENT, now,
        carrier_message_id=result.carrier_message_id,
    )  # fmt: skip
    detail = f"{result.carrier} {result.carrier_message_id or ''}".rstrip()
    await tx.messages.set_status(message_id, MessageStatus.SENT, now, detail)
    held = await tx.outbox.complete(message_id, owner)
    return _settled(held, Disposition.SENT, ready, carrier_message_id=result.carrier_message_id)


async def _retry(
    tx: UnitOfWork,
    ready: Ready,
    error: RetryableCarrierError,
    owner: str,
    retrying: Retrying,
    now: datetime,
) -> DispatchOutcome:
    message_id, attempt = ready.sms.message_id, ready.sms.attempt
    due_at = now + retrying.policy.delay(attempt, retrying.jitter)
    await _finish(tx, ready, AttemptOutcome.RETRYABLE, error, now)
    await tx.messages.set_status(message_id, MessageStatus.QUEUED, now, _retry_detail(error))
    held = await tx.outbox.release(message_id, owner, due_at)
    return _settled(held, Disposition.RETRYING, ready, code=error.code, due_at=due_at.isoformat())


async def _failed(
    tx: UnitOfWork,
    ready: Ready,
    error: CarrierError,
    owner: str,
    now: datetime,
    reason: str,
) -> DispatchOutcome:
    outcome = (
        AttemptOutcome.PERMANENT
        if isinstance(error, PermanentCarrierError)
        else AttemptOutcome.RETRYABLE
    )
    await _finish(tx, ready, outcome, error, now)
    detail = f"{reason}: {error.code}" if error.code else reason
    await tx.messages.set_status(ready.sms.message_id, MessageStatus.FAILED, now, detail)
    held = await tx.outbox.complete(ready.sms.message_id, owner)
    return _settled(held, Disposition.FAILED, ready, code=error.code, reason=reason)


async def _unknown(
    tx: UnitOfWork, ready: Ready, error: OutcomeUnknown, owner: str, now: datetime
) -> DispatchOutcome:
    await _finish(tx, ready, AttemptOutcome.UNKNOWN, error, now)
    await tx.messages.set_status(ready.sms.message_id, MessageStatus.UNKNOWN, now, "no answer")
    held = await tx.outbox.complete(ready.sms.message_id, owner)
    return _settled(held, Disposition.UNKNOWN, ready, code=error.code, reason=str(error))


async def _look_up_later(
    tx: UnitOfWork, ready: Ready, error: OutcomeUnknown, owner: str, due_at: datetime,
    now: datetime,
) -> DispatchOutcome:  # fmt: skip
    await _finish(tx, ready, AttemptOutcome.UNKNOWN, error, now)
    held = await schedule_lookup(tx, ready.message, owner, now, due_at, AWAITING)
    return _settled(
        held, Disposition.RECONCILING, ready, code=error.code, reason=str(error),
        due_at=due_at.isoformat(),
    )  # fmt: skip


async def _finish(
    tx: UnitOfWork, ready: Ready, outcome: AttemptOutcome, error: CarrierError, now: datetime
) -> None:
    await tx.attempts.finish(
        ready.sms.message_id, ready.sms.attempt, outcome, now,
        error_code=error.code, detail=str(error),
    )  # fmt: skip


def _retry_detail(error: RetryableCarrierError) -> str:
    return f"retry after: {error.code}" if error.code else "retry after a retryable error"


def _settled(
    held: bool, disposition: Disposition, ready: Ready, **fields: object
) -> DispatchOutcome:
    """The outcome, or ``LEASE_LOST`` (answer recorded all the same) if the lease was gone."""
    if not held:
        fields["recorded"] = disposition.value
        disposition = Disposition.LEASE_LOST
    return outcome_of(
        disposition, ready.message, attempt=ready.sms.attempt, carrier=ready.carrier, **fields
    )
