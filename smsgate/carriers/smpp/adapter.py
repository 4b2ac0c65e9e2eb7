"""``SmppCarrier``: the CarrierAdapter over one SMPP transceiver session, and its factory.

``send`` submits every part of the message in order and returns when the
SMSC accepted them all. The first part's message id is the message's
``carrier_message_id``, and only the first part asks for a delivery receipt
(registered_delivery 1, the others 0), so the receipt that decides the
message quotes the id we recorded. A receipt an SMSC sends for another part
anyway still reaches the sink, which finds no attempt for it and records it
as unknown.

Errors are translated here, at one boundary:

* not bound, or no window slot: nothing written → ``RetryableCarrierError``;
* ESME_RTHROTTLED, ESME_RMSGQFUL, ESME_RSYSERR, ESME_RX_T_APPN, ESME_RINVBNDSTS
  → ``RetryableCarrierError`` with code ``smpp_0x58`` …;
* any other refusal (ESME_RINVDSTADR …) → ``PermanentCarrierError``, code ``smpp_0x0b`` …;
* written but unanswered (timeout, connection lost) → ``OutcomeUnknown``.

Once an earlier part was accepted the message is partly on its way, so
sending it again would duplicate that part: a throttled later part is
retried a few times here, and any failure that remains is ``OutcomeUnknown``
for an operator or reconciliation to settle.

Receipts and replies arriving as deliver_sm go to the attached
``CallbackSink``; the deliver_sm_resp is sent after the sink returned, and
``ESME_RX_T_APPN`` (try again later) is answered while no sink is attached
or when it fails, so nothing the SMSC hands us is acknowledged unstored.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import structlog

from smsgate.carriers.base import (
    CarrierAdapter,
    CarrierError,
    OutboundSms,
    OutcomeUnknown,
    PermanentCarrierError,
    RetryableCarrierError,
    SendResult,
)
from smsgate.carriers.callbacks import CallbackSink
from smsgate.carriers.smpp.config import SmppAccount, account_from_config
from smsgate.carriers.smpp.inbound import MoAssembler
from smsgate.carriers.smpp.pdu import (
    CommandId,
    CommandStatus,
    MessageBody,
    MessageRespBody,
    PduError,
)
from smsgate.carriers.smpp.receipts import MalformedReceipt, delivery_report, is_receipt
from smsgate.carriers.smpp.segments import Part, split_message
from smsgate.carriers.smpp.session import (
    ConnectionLost,
    NotBound,
    ResponseTimeout,
    SmppSession,
)
from smsgate.logs import mask_phone

RETRYABLE_STATUSES = frozenset(
    {
        CommandStatus.ESME_RTHROTTLED,
        CommandStatus.ESME_RMSGQFUL,
        CommandStatus.ESME_RSYSERR,
        CommandStatus.ESME_RX_T_APPN,
        CommandStatus.ESME_RINVBNDSTS,
    }
)
#: How often a throttled later part is tried again, and the first pause (doubling).
LATER_PART_TRIES = 3
LATER_PART_PAUSE = 0.2


def create_smpp(config: Mapping[str, Any]) -> CarrierAdapter:
    """The ``smpp`` adapter; see ``smsgate.carriers.smpp.config`` for its settings."""
    return SmppCarrier(account_from_config(config))


def status_code(status: int) -> str:
    """The carrier code recorded for an SMPP command_status: ``smpp_0x58``."""
    return f"smpp_0x{status:02x}"


def refusal(status: int) -> CarrierError:
    """The error for a submit refused with ``status``: retryable or permanent."""
    try:
        name = CommandStatus(status).name
    except ValueError:
        name = "unnamed status"
    text = f"the SMSC refused the submit: {name} (0x{status:02x})"
    if status in RETRYABLE_STATUSES:
        return RetryableCarrierError(text, code=status_code(status))
    return PermanentCarrierError(text, code=status_code(status))


class SmppCarrier:
    """A ``CarrierAdapter`` and ``PushesCallbacks`` over one SMPP account (see module docstring)."""

    def __init__(
        self, account: SmppAccount, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._account = account
        self._clock = clock
        self._session: SmppSession | None = None
        self._started_at = 0.0
        self._closed = False
        self._sink: CallbackSink | None = None
        self._replies = MoAssembler()
        self._reference = secrets.randbelow(0x10000)
        self._log = structlog.get_logger("smsgate.carriers.smpp").bind(carrier=account.name)

    @property
    def name(self) -> str:
        return self._account.name

    def attach(self, sink: CallbackSink) -> None:
        """Hand receipts and replies to ``sink``; connects now if an event loop is running."""
        self._sink = sink
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        if not self._closed:
            self._started()

    async def start(self) -> None:
        """Connect and bind in the background now, rather than on the first send."""
        if not self._closed:
            self._started()

    async def send(self, message: OutboundSms) -> SendResult:
        """Submit every part; raises only the ``CarrierError`` family (see module docstring)."""
        if self._closed:
            raise RetryableCarrierError("the SMPP adapter is closed", code="smpp_closed")
        session = self._started()
        grace = self._started_at + self._account.timeout_seconds - time.monotonic()
        if not await session.wait_bound(max(grace, 0.0)):
            raise RetryableCarrierError("the SMPP session is not bound", code="smpp_not_bound")
        try:
            parts = split_message(message.text, self._account.concatenation, self._next_reference())
        except ValueError as error:
            raise PermanentCarrierError(str(error), code="smpp_too_long") from None
        first_id = ""
        for number, part in enumerate(parts, start=1):
            body = self._submit_body(message.phone, part, receipt=number == 1)
            message_id = await self._submit_part(session, body, accepted_before=number > 1)
            first_id = first_id or message_id
        self._log.info(
            "smpp.submitted",
            message_id=message.message_id,
            phone=mask_phone(message.phone),
            parts=len(parts),
            carrier_message_id=first_id,
        )
        return SendResult(self.name, self._clock(), first_id or None)

    async def aclose(self) -> None:
        """Unbind and close the session; the adapter is unusable afterwards."""
        self._closed = True
        if self._session is not None:
            await self._session.aclose()

    def _started(self) -> SmppSession:
        if self._session is None:
            self._session = SmppSession(
                self._account.session, self._on_deliver, account=self._account.name
            )
            self._started_at = time.monotonic()
            self._session.start()
        return self._session

    def _next_reference(self) -> int:
        self._reference = (self._reference + 1) % 0x10000
        return self._reference

    def _submit_body(self, phone: str, part: Part, *, receipt: bool) -> MessageBody:
        account = self._account
        return MessageBody(
            source_addr=account.source_addr,
            source_addr_ton=account.source_ton,
            source_addr_npi=account.source_npi,
            destination_addr=phone.removeprefix("+"),
            dest_addr_ton=account.dest_ton,
            dest_addr_npi=account.dest_npi,
            short_message=part.short_message,
            esm_class=part.esm_class,
            data_coding=part.data_coding,
            registered_delivery=1 if receipt else 0,
            tlvs=part.tlvs,
        )

    async def _submit_part(
        self, session: SmppSession, body: MessageBody, *, accepted_before: bool
    ) -> str:
        """One part's message id; raises the ``CarrierError`` its answer calls for."""
        for attempt in range(LATER_PART_TRIES if accepted_before else 1):
            if attempt:
                await asyncio.sleep(LATER_PART_PAUSE * 2 ** (attempt - 1))
            try:
                return await self._submit_once(session, body)
            except RetryableCarrierError as error:
                failure: CarrierError = error
            except PermanentCarrierError as error:
                failure = error
                break
        if not accepted_before:
            raise failure
        raise OutcomeUnknown(
            f"a later part failed after earlier parts were accepted: {failure}", code=failure.code
        )

    async def _submit_once(self, session: SmppSession, body: MessageBody) -> str:
        try:
            answer = await session.submit(body)
        except NotBound:
            raise RetryableCarrierError(
                "the SMPP session is not bound", code="smpp_not_bound"
            ) from None
        except (ResponseTimeout, ConnectionLost) as error:
            raise OutcomeUnknown(str(error), code="smpp_no_response") from None
        except PduError as error:
            raise PermanentCarrierError(str(error), code="smpp_unencodable") from None
        if answer.command_status != CommandStatus.ESME_ROK:
            self._log.warning(
                "smpp.submit_refused",
                phone=mask_phone(body.destination_addr),
                status=status_code(answer.command_status),
            )
            raise refusal(answer.command_status)
        if answer.command_id is not CommandId.SUBMIT_SM_RESP or not isinstance(
            answer.body, MessageRespBody
        ):
            raise OutcomeUnknown("the SMSC answered the submit with a bare generic_nack")
        return answer.body.message_id

    async def _on_deliver(self, body: MessageBody) -> int:
        """Hand a deliver_sm to the sink; the command_status to acknowledge it with."""
        sink = self._sink
        if sink is None:
            self._log.warning("smpp.deliver_deferred", reason="no sink attached")
            return CommandStatus.ESME_RX_T_APPN
        if not is_receipt(body):
            reply = self._replies.add(body)
            if reply is not None:
                await sink.inbound_message(self.name, reply)
                self._log.info("smpp.reply_received", phone=mask_phone(reply.phone))
            return CommandStatus.ESME_ROK
        try:
            report = delivery_report(body, self._account.receipt_timezone)
        except MalformedReceipt:
            # Refusing it would make the SMSC resend it forever; it can never match anyway.
            self._log.error("smpp.receipt_unreadable", phone=mask_phone(body.source_addr))
            return CommandStatus.ESME_ROK
        await sink.delivery_report(self.name, report)
        self._log.info(
            "smpp.receipt_received",
            carrier_message_id=report.carrier_message_id,
            state=report.state.value,
            error_code=report.error_code,
        )
        return CommandStatus.ESME_ROK
