"""What the dispatcher hands a carrier, what it gets back, and how a carrier fails.

An adapter is one small Protocol, ``CarrierAdapter``: ``send`` one message,
``aclose`` when done. Each adapter translates its SDK's or HTTP client's
errors into the family below at one boundary (a single ``try`` around the
call), so the dispatcher decides retry, failure or reconciliation from the
class alone and never sees a vendor exception::

    CarrierError                  anything a carrier adapter raises
    ├── RetryableCarrierError     not accepted, safe to send again later:
    │                             connect timeout before the request was written,
    │                             5xx, throttling (SMPP ESME_RTHROTTLED, HTTP 429)
    ├── PermanentCarrierError     refused for good: invalid number, content
    │                             rejected; ``code`` is the carrier's own code
    └── OutcomeUnknown            the request was written but no answer came:
                                  the carrier may have accepted it, so it must
                                  NOT be resent blindly (reconcile or ask an operator)

``UnknownCarrier`` (also ``LookupError``) is a configuration error raised by
the registry, not by a send, and so stands outside the family.

A ``CarrierError``'s message and code are carrier text: they are bounded,
made printable and phone-masked on construction (``smsgate.carriers.echo``),
and the dispatcher, which knows what it sent, cuts echoes of the text and the
phone out of them (``without_echoes``) before anything is logged or stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, Self

from smsgate.carriers.echo import CARRIER_CODE_LIMIT, carrier_id, carrier_text
from smsgate.core.sms import SIGNATURE_CLOSE, SIGNATURE_OPEN, Encoding


@dataclass(frozen=True, slots=True)
class OutboundSms:
    """One attempt at one message, exactly as approved: the text is final and signed.

    ``client_reference`` is ``{message_id}-{attempt}``: the same for the same
    attempt, so carriers that deduplicate by a client id drop a repeat of it.
    ``phone`` is E.164 (``+8613800138000``). ``template_id`` and
    ``template_version`` name the approved template the text came from, for
    carriers that only send their own registered templates (Aliyun, Tencent)
    and so need a mapping from ours to theirs.
    """

    message_id: str
    attempt: int
    phone: str
    text: str
    segments: int
    encoding: Encoding
    creditor_id: str
    template_id: str = ""
    template_version: int = 0

    def __post_init__(self) -> None:
        if self.attempt < 1:
            raise ValueError(f"attempts count from 1, got {self.attempt}")

    @property
    def client_reference(self) -> str:
        """The stable reference of this attempt, for carriers that deduplicate."""
        return client_reference(self.message_id, self.attempt)

    @property
    def signature(self) -> str:
        """The 签名 the text starts with (``【安信消费金融】…`` gives ``安信消费金融``), or ``""``.

        Carriers that add the signature themselves from a registered sign name
        (Aliyun ``SignName``, Tencent ``SignName``) need it apart from the body.
        """
        return _split_signature(self.text)[0]

    @property
    def body(self) -> str:
        """The text without its leading ``【signature】``."""
        return _split_signature(self.text)[1]


def _split_signature(text: str) -> tuple[str, str]:
    if text.startswith(SIGNATURE_OPEN):
        close = text.find(SIGNATURE_CLOSE)
        if close > 1:
            return text[1:close], text[close + 1 :]
    return "", text


def client_reference(message_id: str, attempt: int) -> str:
    """``{message_id}-{attempt}``: what a carrier sees as our id for one attempt."""
    return f"{message_id}-{attempt}"


@dataclass(frozen=True, slots=True)
class SendResult:
    """A carrier accepted the message; delivery reports will quote ``carrier_message_id``.

    The id is kept as :func:`~smsgate.carriers.echo.carrier_id` (bounded, printable).
    """

    carrier: str
    accepted_at: datetime
    carrier_message_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "carrier_message_id", carrier_id(self.carrier_message_id))


class CarrierAdapter(Protocol):
    """A way to hand SMS to one carrier account.

    ``send`` returns once the carrier accepted the message, or raises one of
    the ``CarrierError`` family and nothing else. ``aclose`` releases
    connections; the adapter is unusable afterwards.
    """

    @property
    def name(self) -> str:
        """The configured name (``console``, ``aliyun-main`` …), for records and logs."""
        ...

    async def send(self, message: OutboundSms) -> SendResult: ...

    async def aclose(self) -> None: ...


class CarrierError(Exception):
    """Anything a carrier adapter raises from ``send``.

    ``code`` is the carrier's own error code where it gave one (``""`` if not),
    recorded on the attempt so an operator can look it up in the carrier's docs.
    Both are kept as :func:`~smsgate.carriers.echo.carrier_text`: a carrier
    that echoes the request cannot put an unmasked phone or a page of text
    into a log line or an attempt row.
    """

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(carrier_text(message))
        self.code = carrier_text(code, limit=CARRIER_CODE_LIMIT)

    def without_echoes(self, *sent: str) -> Self:
        """The same error with every echo of ``sent`` (our text, our phone) cut out.

        A new exception of the same class, without the vendor exception it
        was raised from (whose text may hold the echo).
        """
        message = carrier_text(str(self), echoes=sent)
        return type(self)(message, code=carrier_text(self.code, echoes=sent))


class RetryableCarrierError(CarrierError):
    """The carrier did not take the message, and sending it again later is safe."""


class PermanentCarrierError(CarrierError):
    """The carrier refused the message for good (invalid number, content rejected)."""


class OutcomeUnknown(CarrierError):
    """The request was written but no answer came; the carrier may have accepted it."""


class UnknownCarrier(LookupError):
    """No carrier adapter is registered under the configured name."""
