"""Delivery reports: match each to the attempt it is about, store it once, move the message.

A report names our attempt by the carrier's message id (what ``SendResult``
recorded) or by our client reference ``{message_id}-{attempt}`` that some
carriers echo back (Kannel's ``dlr-url``, Aliyun ``out_id``, Tencent
``SessionContext``). A report naming an attempt another carrier made is
treated as unmatched: one carrier must not be able to settle another's
messages, and a mismatch usually means a callback URL pointing at the wrong
gateway.

Each report is stored in its own transaction, keyed so that the carrier's
inevitable duplicates are dropped before anything changes. A final report
(``delivered``, ``failed``) moves a message that went out (``sending``,
``sent``, ``unknown``) and nothing else: the first final word wins, and a
late "failed" after "delivered" is recorded but does not rewrite history.
``sending`` is included because a fast carrier's report can arrive before the
dispatcher has recorded the carrier's answer; the dispatcher then keeps the
reported state instead of overwriting it with ``sent``.

Two reports for one message may race on PostgreSQL (both read ``sent``); the
store lets one move land and refuses the other (``IllegalMove``), which is
then recorded and moves nothing, exactly as if it had come second.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

import structlog

from smsgate.carriers import DeliveryReport
from smsgate.carriers.echo import carrier_text
from smsgate.core.lifecycle import AWAITING_REPORT, IllegalMove
from smsgate.store import (
    RECEIPT_PREFIX,
    AuditAction,
    AuditEvent,
    DeliveryReceipt,
    Message,
    MessageStatus,
    ReceiptState,
    SendAttempt,
    Store,
    UnitOfWork,
    new_id,
)

log = structlog.get_logger("smsgate.feedback")


_FINAL_STATUS = {
    ReceiptState.DELIVERED: MessageStatus.DELIVERED,
    ReceiptState.FAILED: MessageStatus.FAILED,
}


class ReceiptEffect(StrEnum):
    """What storing one report did."""

    DUPLICATE = "duplicate"
    UNMATCHED = "unmatched"
    RECORDED = "recorded"
    MOVED = "moved"


@dataclass(frozen=True, slots=True)
class ReceiptOutcome:
    """The stored receipt and what it did."""

    receipt: DeliveryReceipt
    effect: ReceiptEffect


async def take_report(
    store: Store, carrier: str, report: DeliveryReport, now: datetime
) -> ReceiptOutcome:
    """Store ``report`` from ``carrier`` once and apply it; never raises for an unknown id."""
    async with store.transaction() as tx:
        attempt = await _matching_attempt(tx, carrier, report)
        message = None
        if attempt is not None:
            message = await tx.messages.get(attempt.message_id, creditor_id=None)
        if message is not None:
            report = without_echoes(report, message)
        receipt = _receipt(carrier, report, now, attempt, message)
        if not await tx.receipts.add(receipt):
            return _logged(ReceiptOutcome(receipt, ReceiptEffect.DUPLICATE))
        if message is not None:
            await tx.audit.append(_audit_event(receipt, message, now))
        effect = await _apply(tx, receipt, message, now)
    return _logged(ReceiptOutcome(receipt, effect))


async def _matching_attempt(
    tx: UnitOfWork, carrier: str, report: DeliveryReport
) -> SendAttempt | None:
    attempt = None
    if report.carrier_message_id:
        attempt = await tx.attempts.by_carrier_message_id(carrier, report.carrier_message_id)
    if attempt is None and report.client_reference:
        attempt = await _by_reference(tx, report.client_reference)
    if attempt is None or attempt.carrier != carrier:
        return None
    return attempt


async def _by_reference(tx: UnitOfWork, reference: str) -> SendAttempt | None:
    message_id, _, number = reference.rpartition("-")
    if not message_id or not number.isdigit():
        return None
    attempts = await tx.attempts.of_message(message_id)
    return next((a for a in attempts if a.attempt == int(number)), None)


def _receipt(
    carrier: str,
    report: DeliveryReport,
    now: datetime,
    attempt: SendAttempt | None,
    message: Message | None,
) -> DeliveryReceipt:
    state = ReceiptState(report.state.value)
    return DeliveryReceipt(
        id=new_id(RECEIPT_PREFIX),
        carrier=carrier,
        state=state,
        received_at=now,
        dedupe_key=receipt_key(carrier, report),
        carrier_message_id=report.carrier_message_id,
        client_reference=report.client_reference,
        message_id=None if message is None else message.id,
        attempt=None if attempt is None or message is None else attempt.attempt,
        creditor_id=None if message is None else message.creditor_id,
        error_code=report.error_code,
        description=report.description,
        reported_at=report.reported_at,
    )


def _audit_event(receipt: DeliveryReceipt, message: Message, now: datetime) -> AuditEvent:
    """The report's audit leaf, committed with the receipt (evidence packs hold it)."""
    detail = {
        "receipt": receipt.id, "carrier": receipt.carrier, "state": receipt.state.value,
        "error_code": receipt.error_code, "attempt": receipt.attempt,
        "debtor_id": message.debtor_id,
    }  # fmt: skip
    actor = f"carrier:{receipt.carrier}"
    return AuditEvent(
        now, message.creditor_id, actor, AuditAction.DELIVERY_REPORTED, message.id, detail
    )


def without_echoes(report: DeliveryReport, message: Message) -> DeliveryReport:
    """``report`` with any echo of the message's text or phone cut out of its code and
    description (both already bounded and masked), before it is keyed and stored."""
    echoes = (message.text, message.phone)
    return replace(
        report,
        error_code=carrier_text(report.error_code, echoes=echoes),
        description=carrier_text(report.description, echoes=echoes),
    )


def receipt_key(carrier: str, report: DeliveryReport) -> str:
    """What makes two reports the same report: carrier, ids, state and code.

    A carrier that reports ``accepted`` and later ``delivered`` sends two
    reports; one that repeats ``delivered`` sends one report twice.
    """
    parts = (
        carrier, report.carrier_message_id or "", report.client_reference or "",
        report.state.value, report.error_code,
    )  # fmt: skip
    return "\x1f".join(parts)


async def _apply(
    tx: UnitOfWork, receipt: DeliveryReceipt, message: Message | None, now: datetime
) -> ReceiptEffect:
    if message is None:
        return ReceiptEffect.UNMATCHED
    final = _FINAL_STATUS.get(receipt.state)
    if final is None or message.status not in AWAITING_REPORT:
        return ReceiptEffect.RECORDED
    detail = f"{receipt.carrier}: {receipt.error_code or receipt.state.value}"
    try:
        await tx.messages.set_status(message.id, final, now, detail)
    except IllegalMove:  # another report (or the dispatcher) moved it first
        return ReceiptEffect.RECORDED
    return ReceiptEffect.MOVED


def _logged(outcome: ReceiptOutcome) -> ReceiptOutcome:
    receipt = outcome.receipt
    fields = {
        "carrier": receipt.carrier, "state": receipt.state.value, "effect": outcome.effect.value,
        "message_id": receipt.message_id, "error_code": receipt.error_code,
    }  # fmt: skip
    if outcome.effect is ReceiptEffect.UNMATCHED:
        log.warning("delivery_report_unmatched", carrier_message_id=receipt.carrier_message_id,
                    client_reference=receipt.client_reference, **fields)  # fmt: skip
    else:
        log.info("delivery_report", **fields)
    return outcome
