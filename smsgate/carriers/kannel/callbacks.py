"""The kannel carrier's callbacks: Kannel's ``dlr-url`` and ``sms-service`` ``get-url`` requests.

Kept apart from the ``sendsms`` side in ``kannel`` (the same split as
``aliyun.callbacks``): reading what Kannel calls us with needs none of the
HTTP client or the settings parser, only the token, the allowed addresses
and the region senders without a country code live in. ``kannel``
documents both URLs and the ``kannel.conf`` they come from; here they are
read::

    dlr-url   ?ref=…&status=%d&answer=%A&ts=%T&smsc=%i&token=…   one DeliveryReport
    get-url   ?token=…&from=%p&to=%P&text=%b&ts=%T&id=%I&coding=%c   one InboundSms

Both carry the ``token`` (compared in constant time) and may be limited to
``allowed_ips``; anything unreadable raises ``MalformedCallback``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

import phonenumbers

from smsgate.carriers.callbacks import (
    CallbackReply,
    CallbackRequest,
    DeliveryReport,
    DeliveryState,
    InboundSms,
    MalformedCallback,
)
from smsgate.carriers.options import IPNetwork, require_allowed_address, require_token

#: Kannel's DLR types (``%d``); 32 is the intermediate report of Kannel 1.5.
DLR_STATES = {
    1: DeliveryState.DELIVERED,
    2: DeliveryState.FAILED,
    4: DeliveryState.ACCEPTED,
    8: DeliveryState.ACCEPTED,
    16: DeliveryState.FAILED,
    32: DeliveryState.ACCEPTED,
}
#: The ``status`` parameter as Kannel writes it (``%d``: ASCII digits), by its text.
_DLR_STATES_BY_TEXT = {str(code): state for code, state in DLR_STATES.items()}
#: Unix times in seconds up to this many digits (beyond year 33658): more is not a time.
_MAX_UNIX_DIGITS = 12
#: What Kannel reads as success: any 2xx. A short text keeps its logs readable.
REPLY = CallbackReply(content_type="text/plain", body=b"ok")

_STAT = re.compile(r"\bstat:(\S+)")
_ERR = re.compile(r"\berr:(\S+)")


class KannelCallbacks:
    """The ``CarrierCallbacks`` of Kannel's ``dlr-url`` and ``sms-service`` GET requests."""

    def __init__(
        self, token: str, allowed_networks: Sequence[IPNetwork] = (), region: str = "CN"
    ) -> None:
        """``region`` (ISO 3166, ``CN``) is where senders written without a country code live."""
        self._token = token
        self._allowed = tuple(allowed_networks)
        self._region = region

    def authenticate(self, request: CallbackRequest) -> None:
        """Raise ``CallbackRejected`` unless the peer is allowed and the ``token`` matches."""
        require_allowed_address(request, self._allowed)
        require_token(request, self._token)

    def delivery_reports(self, request: CallbackRequest) -> list[DeliveryReport]:
        """The one report of a ``dlr-url`` hit; raises ``MalformedCallback`` if unreadable."""
        ref = request.param("ref")
        if not ref:
            raise MalformedCallback("the delivery report has no ref parameter")
        status = request.param("status") or ""
        state = _DLR_STATES_BY_TEXT.get(status)
        if state is None:
            raise MalformedCallback(f"status must be a Kannel DLR type {sorted(DLR_STATES)}")
        answer = request.param("answer") or ""
        code, description = smsc_answer(answer)
        return [
            DeliveryReport(
                state=state,
                client_reference=ref,
                error_code=code,
                description=description,
                reported_at=_unix_time(request.param("ts")),
            )
        ]

    def inbound_messages(self, request: CallbackRequest) -> list[InboundSms]:
        """The one reply of an ``sms-service`` hit; raises ``MalformedCallback`` if unreadable."""
        sender = request.param("from")
        text = request.param("text")
        if not sender or text is None:
            raise MalformedCallback("the reply needs from and text parameters")
        if request.param("coding") == "2":
            raise MalformedCallback(
                "the reply arrived as raw UCS-2: set mo-recode = true in smsbox"
            )
        return [
            InboundSms(
                phone=e164_from_kannel(sender, self._region),
                text=text,
                received_at=_unix_time(request.param("ts")),
                carrier_message_id=request.param("id") or None,
                extension=request.param("to") or "",
            )
        ]

    def reply(self) -> CallbackReply:
        """200 ``ok`` as text/plain: Kannel only checks for a 2xx."""
        return REPLY


def smsc_answer(answer: str) -> tuple[str, str]:
    """The error code and description in the SMSC's words (``%A``) of one report.

    ``id:… stat:UNDELIV err:045 text:…`` gives ``("UNDELIV:045", …)``,
    ``NACK/0x45/Invalid Destination`` gives ``("NACK/0x45", …)``, ``ACK/``
    gives ``("ACK", "ACK/")``. The quoted ``text:`` (the start of the message)
    is dropped from the description.
    """
    description = answer.split(" text:", 1)[0].strip()[:200]
    stat = _STAT.search(answer)
    if stat:
        err = _ERR.search(answer)
        failed = err is not None and err.group(1).strip("0") != ""
        return (f"{stat.group(1)}:{err.group(1)}" if failed and err else stat.group(1)), description
    if "/" in answer:
        return "/".join(part for part in answer.split("/")[:2] if part), description
    return answer.strip()[:40], description


def e164_from_kannel(number: str, region: str) -> str:
    """A sender number as an SMSC writes it (``+86…``, ``0086…``, ``86…``, ``138…``) in E.164.

    Digits read as a national number of ``region`` win when valid; then as
    an international number. Raises ``MalformedCallback`` if it is not a number.
    """
    text = number.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    candidates = [text] if text.startswith("+") else [text, "+" + text]
    parsed = []
    for candidate in candidates:
        try:
            parsed.append(phonenumbers.parse(candidate, region))
        except phonenumbers.NumberParseException:
            continue
    if not parsed:
        raise MalformedCallback("the reply's from is not a phone number")
    best = next((n for n in parsed if phonenumbers.is_valid_number(n)), parsed[0])
    return phonenumbers.format_number(best, phonenumbers.PhoneNumberFormat.E164)


def _unix_time(value: str | None) -> datetime | None:
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= _MAX_UNIX_DIGITS):
        raise MalformedCallback("ts must be a unix time in seconds")
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (OverflowError, OSError, ValueError):  # past what the platform's time functions take
        raise MalformedCallback("ts must be a unix time in seconds") from None
