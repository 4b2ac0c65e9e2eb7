"""Delivery receipts: a deliver_sm that reports on a message we submitted, as a DeliveryReport.

An SMSC marks a receipt in esm_class (message type 0x04 SMSC delivery
receipt, 0x08 SME acknowledgement, 0x20 intermediate notification) and
describes it twice: in the de-facto text of SMPP 3.4 Appendix B::

    id:5f3a0001 sub:001 dlvrd:001 submit date:2405011200 done date:2405011201
    stat:DELIVRD err:000 text:【安信消费金融】张三…

and, from SMSCs that follow §5.3.2, in the receipted_message_id and
message_state TLVs. The TLVs win where present, because the text is free
form and some SMSCs trim or reformat it. The carrier message id is taken
as is: it is the id the SMSC returned in submit_sm_resp (a few SMSCs quote
it in decimal when they returned hex; such receipts do not match and the
gateway records them as unknown rather than guessing).

Receipt dates carry no time zone; the account's ``receipt_timezone`` says
which one the SMSC writes them in.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from smsgate.carriers.callbacks import DeliveryReport, DeliveryState
from smsgate.carriers.smpp.alphabet import DataCoding
from smsgate.carriers.smpp.pdu import MessageBody, TlvTag, find_tlv

#: esm_class message-type bits (0x3C) that mark a deliver_sm as a receipt, not an MO.
RECEIPT_TYPES = frozenset({0x04, 0x08, 0x20})
TON_INTERNATIONAL = 1

#: The receipt text's ``stat`` words and what they mean for the message.
STAT_STATES = {
    "DELIVRD": DeliveryState.DELIVERED,
    "ENROUTE": DeliveryState.ACCEPTED,
    "ACCEPTD": DeliveryState.ACCEPTED,
    "UNKNOWN": DeliveryState.ACCEPTED,
    "EXPIRED": DeliveryState.FAILED,
    "DELETED": DeliveryState.FAILED,
    "UNDELIV": DeliveryState.FAILED,
    "REJECTD": DeliveryState.FAILED,
}
#: The message_state TLV's values (SMPP 3.4 §5.2.28) as the matching stat words.
MESSAGE_STATES = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}

_FIELD = re.compile(r"(?<![A-Za-z])(id|sub|dlvrd|submit date|done date|stat|err|text):", re.I)


class MalformedReceipt(ValueError):
    """A deliver_sm marked as a receipt that names no message id."""


def is_receipt(body: MessageBody) -> bool:
    """Whether the deliver_sm's esm_class marks it as a receipt rather than an MO."""
    return (body.esm_class & 0x3C) in RECEIPT_TYPES


def delivery_report(body: MessageBody, timezone: tzinfo) -> DeliveryReport:
    """The report a receipt deliver_sm carries; raises ``MalformedReceipt`` without an id.

    A stat word we do not know reads as ``ACCEPTED``: recorded, changing nothing,
    rather than failing a message on a guess.
    """
    fields = receipt_fields(_receipt_text(body))
    id_tlv = find_tlv(body.tlvs, TlvTag.RECEIPTED_MESSAGE_ID)
    carrier_message_id = id_tlv.as_text() if id_tlv else fields.get("id", "")
    if not carrier_message_id:
        raise MalformedReceipt("a delivery receipt without a message id")
    state_tlv = find_tlv(body.tlvs, TlvTag.MESSAGE_STATE)
    stat = MESSAGE_STATES.get(state_tlv.as_int(), "") if state_tlv else ""
    stat = stat or fields.get("stat", "").upper()
    err = fields.get("err", "")
    return DeliveryReport(
        state=STAT_STATES.get(stat, DeliveryState.ACCEPTED),
        carrier_message_id=carrier_message_id,
        error_code=stat,
        description=f"err:{err}" if err else "",
        reported_at=receipt_time(fields.get("done date", ""), timezone),
        phone=e164_of(body.source_addr, body.source_addr_ton),
    )


def receipt_fields(text: str) -> dict[str, str]:
    """The ``key:value`` fields of a receipt text, keys lower-case; ``text`` is the rest."""
    matches = list(_FIELD.finditer(text))
    fields: dict[str, str] = {}
    for index, match in enumerate(matches):
        key = match.group(1).lower()
        if key == "text":
            fields.setdefault(key, text[match.end() :])
            break
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        fields.setdefault(key, text[match.end() : end].strip())
    return fields


def receipt_time(value: str, timezone: tzinfo) -> datetime | None:
    """``YYMMDDhhmm`` or ``YYMMDDhhmmss`` in ``timezone``, or ``None`` if absent or garbled."""
    formats = {10: "%y%m%d%H%M", 12: "%y%m%d%H%M%S"}
    fmt = formats.get(len(value))
    if fmt is None or not value.isdigit():
        return None
    try:
        return datetime.strptime(value, fmt).replace(tzinfo=timezone)
    except ValueError:
        return None


def e164_of(address: str, ton: int) -> str | None:
    """An SMPP address as E.164 where it is provably international, else the digits as given.

    ``None`` for an empty address. International TON (1), a leading ``+`` or
    ``00`` give ``+digits``; a national or unknown number stays as the SMSC
    wrote it, because guessing a country code would invent a phone number.
    """
    digits = address.strip()
    if not digits:
        return None
    if digits.startswith("+"):
        return digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if ton == TON_INTERNATIONAL:
        return "+" + digits
    return digits


def _receipt_text(body: MessageBody) -> str:
    payload = find_tlv(body.tlvs, TlvTag.MESSAGE_PAYLOAD)
    octets = payload.value if payload else body.short_message
    if body.data_coding == DataCoding.UCS2:
        return octets.decode("utf-16-be", errors="replace")
    # Receipt texts are ASCII in practice whatever data_coding says; reading them as
    # GSM 03.38 would turn "_" in an id into "§".
    return octets.decode("latin-1")
