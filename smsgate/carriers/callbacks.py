"""What carriers tell us back: delivery reports (DLR) and inbound replies (MO).

Carriers push these to ``POST /v1/dlr/{carrier}`` and ``/v1/mo/{carrier}``
(Kannel calls its ``dlr-url`` with GET, so both methods arrive), each in its
own format. An adapter that receives callbacks also provides a
``CarrierCallbacks``: it checks the request is genuinely from the carrier
and translates the body into the neutral values below, so the gateway
handles an Aliyun ``SmsReport``, a Tencent status push, a Kannel ``dlr-url``
hit and an SMPP ``deliver_sm`` receipt the same way.

Everything here is plain data and pure functions of it: a ``CallbackRequest``
is built by the HTTP layer from the aiohttp request (or by the SMPP client
from a PDU), so parsers are unit-tested without a server.

Errors::

    CallbackError          the request cannot be used; the endpoint answers 4xx
    ├── CallbackRejected   not from the carrier: bad or missing signature or
    │                      token, replayed timestamp, address not allowed (401/403)
    └── MalformedCallback  from the carrier (authenticated) but unreadable (400)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from smsgate.carriers.echo import CARRIER_CODE_LIMIT, carrier_id, carrier_text


class DeliveryState(StrEnum):
    """Where a carrier says a sent message is.

    ``accepted`` is an intermediate report (Kannel's "sent to SMSC", an
    SMPP ``ENROUTE``): it is recorded but changes nothing. ``delivered`` and
    ``failed`` are final and move the message; ``expired`` and ``rejected``
    from an SMSC count as failed.
    """

    ACCEPTED = "accepted"
    DELIVERED = "delivered"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        """Whether the report ends the message's journey."""
        return self is not DeliveryState.ACCEPTED


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """One carrier report about one sent message.

    The gateway matches it to our attempt by ``carrier_message_id`` (what
    ``SendResult`` recorded) or, for carriers that echo our id back (Aliyun
    ``out_id``, Kannel's ``dlr-url`` parameters, Tencent ``SessionContext``),
    by ``client_reference`` (``{message_id}-{attempt}``). At least one of the
    two is set. ``error_code`` is the carrier's own code (``DELIVERED``,
    ``MK:0001``, ``UNDELIV`` …); ``reported_at`` is the carrier's time of the
    event if it gave one. ``phone`` is E.164 when the carrier quoted it.
    ``error_code`` and ``description`` are kept as
    :func:`~smsgate.carriers.echo.carrier_text` (bounded, printable, phones
    masked) whatever the parser passed, since both are stored and shown; the
    two ids as :func:`~smsgate.carriers.echo.carrier_id`, as ``SendResult``'s.
    """

    state: DeliveryState
    carrier_message_id: str | None = None
    client_reference: str | None = None
    error_code: str = ""
    description: str = ""
    reported_at: datetime | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        if not (self.carrier_message_id or self.client_reference):
            raise ValueError("a delivery report needs a carrier message id or a client reference")
        object.__setattr__(self, "carrier_message_id", carrier_id(self.carrier_message_id))
        object.__setattr__(self, "client_reference", carrier_id(self.client_reference))
        object.__setattr__(
            self, "error_code", carrier_text(self.error_code, limit=CARRIER_CODE_LIMIT)
        )
        object.__setattr__(self, "description", carrier_text(self.description))


@dataclass(frozen=True, slots=True)
class InboundSms:
    """One reply a recipient sent us (MO).

    ``phone`` is the sender in E.164. ``received_at`` is the carrier's time if
    it gave one. ``signature`` (the 签名 the reply answered, which Aliyun and
    Tencent quote) and ``extension`` (the sub-number / ``extend`` code, or the
    number it was sent to) help find which creditor the reply is for.
    ``carrier_message_id`` lets duplicates of one reply be recognised.
    """

    phone: str
    text: str
    received_at: datetime | None = None
    carrier_message_id: str | None = None
    signature: str = ""
    extension: str = ""


@dataclass(frozen=True, slots=True)
class CallbackRequest:
    """An HTTP callback as the parser needs it, independent of the web framework.

    ``query`` keeps every value of a repeated parameter; ``headers`` keys are
    lower-case; ``body`` is the raw bytes (signatures are computed over them);
    ``remote`` is the peer's IP address for allow-lists.
    """

    method: str
    path: str
    query: Mapping[str, Sequence[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    remote: str = ""

    def header(self, name: str) -> str | None:
        """A header's value by case-insensitive name."""
        return self.headers.get(name.lower())

    def param(self, name: str) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else None


@dataclass(frozen=True, slots=True)
class CallbackReply:
    """What the endpoint answers a carrier whose callback was accepted.

    Carriers retry until they read their own idea of success (Aliyun wants
    ``{"code": 0, "msg": "成功"}``, Tencent ``{"result": 0, "errmsg": "OK"}``,
    Kannel any 2xx), so the adapter says what to send.
    """

    status: int = 200
    content_type: str = "application/json"
    body: bytes = b'{"ok":true}'


class CallbackError(Exception):
    """A callback the endpoint refuses; the message says why (never echoing secrets)."""


class CallbackRejected(CallbackError):
    """Not provably from the carrier: bad signature or token, replay, address not allowed."""


class MalformedCallback(CallbackError):
    """From the carrier, but its body or parameters cannot be read."""


@runtime_checkable
class CarrierCallbacks(Protocol):
    """How one carrier's callbacks are authenticated and read.

    ``authenticate`` runs first and raises ``CallbackRejected``; the two
    parsers raise ``MalformedCallback`` and return every item of a batch
    (Aliyun and Tencent push lists). ``reply`` is what to answer on success.
    """

    def authenticate(self, request: CallbackRequest) -> None: ...

    def delivery_reports(self, request: CallbackRequest) -> list[DeliveryReport]: ...

    def inbound_messages(self, request: CallbackRequest) -> list[InboundSms]: ...

    def reply(self) -> CallbackReply: ...


@runtime_checkable
class ReceivesCallbacks(Protocol):
    """An adapter whose carrier pushes reports and replies to us."""

    @property
    def callbacks(self) -> CarrierCallbacks: ...


class LookupAnswer(StrEnum):
    """What a carrier's status query said about an attempt whose outcome was unknown."""

    ACCEPTED = "accepted"
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class Lookup:
    """The answer of a status query; ``carrier_message_id`` is set when it was accepted."""

    answer: LookupAnswer
    carrier_message_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "carrier_message_id", carrier_id(self.carrier_message_id))


@runtime_checkable
class QueriesStatus(Protocol):
    """An adapter whose carrier can say whether it received one attempt (reconciliation).

    ``look_up`` finds the attempt by its client reference (and phone, and
    the day it was sent, which some carriers' queries need). It raises a
    ``CarrierError`` when the carrier cannot tell; ``NOT_FOUND`` must only be
    returned when the carrier is sure it has no such attempt, because the
    dispatcher then sends again.
    """

    async def look_up(self, attempt_reference: str, phone: str, sent_on: datetime) -> Lookup: ...


class CallbackSink(Protocol):
    """Where an adapter that holds a connection (SMPP) hands what arrives on it.

    HTTP carriers' callbacks reach the gateway's endpoints; an SMPP SMSC sends
    receipts and replies as ``deliver_sm`` on the bound session instead, so
    the gateway gives such adapters a sink and they call it for each one.
    The sink stores the item before returning; an adapter acknowledges the
    PDU only after ``await`` returns, so a crash never loses a receipt.
    """

    async def delivery_report(self, carrier: str, report: DeliveryReport) -> None: ...

    async def inbound_message(self, carrier: str, message: InboundSms) -> None: ...


@runtime_checkable
class PushesCallbacks(Protocol):
    """An adapter that receives reports and replies on its own connection (SMPP)."""

    def attach(self, sink: CallbackSink) -> None:
        """Deliver everything that arrives from now on to ``sink``."""
        ...
