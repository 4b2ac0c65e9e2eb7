"""Replies (MO): a non-receipt deliver_sm as InboundSms, long replies put back together.

A debtor's "退订" usually fits one SMS, but a longer reply arrives as parts
tied by a user-data header (IEI 0x00 with an 8-bit reference or 0x08 with
a 16-bit one) or by the sar_* TLVs, like the ones we send. Parts are held
until the last one arrives and the joined octets are decoded once, so a
surrogate pair split by the sender's phone across two parts still decodes.

Parts are acknowledged as they arrive and held only in memory: a restart
loses an incomplete reply, which the SMSC will not resend. That trade is
deliberate; holding the SMSC's acknowledgements back until the last part
would stall its window. Incomplete replies are dropped after ``max_age``
seconds, and the oldest one when more than ``max_pending`` are open.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from smsgate.carriers.callbacks import InboundSms
from smsgate.carriers.smpp.alphabet import decode_text
from smsgate.carriers.smpp.pdu import MessageBody, TlvTag, find_tlv
from smsgate.carriers.smpp.receipts import e164_of
from smsgate.carriers.smpp.segments import ESM_CLASS_UDHI

IEI_CONCAT_8BIT = 0x00
IEI_CONCAT_16BIT = 0x08


@dataclass(frozen=True, slots=True)
class MoPart:
    """What one deliver_sm contributes: its text octets and, if concatenated, where they go."""

    octets: bytes
    reference: int | None = None
    total: int = 1
    number: int = 1


def mo_part(body: MessageBody) -> MoPart:
    """The part carried by an MO deliver_sm (header stripped, payload TLV preferred)."""
    payload = find_tlv(body.tlvs, TlvTag.MESSAGE_PAYLOAD)
    octets = payload.value if payload else body.short_message
    if body.esm_class & ESM_CLASS_UDHI and octets:
        return _udh_part(octets)
    reference = find_tlv(body.tlvs, TlvTag.SAR_MSG_REF_NUM)
    total = find_tlv(body.tlvs, TlvTag.SAR_TOTAL_SEGMENTS)
    number = find_tlv(body.tlvs, TlvTag.SAR_SEGMENT_SEQNUM)
    if reference and total and number:
        return _concatenated(octets, reference.as_int(), total.as_int(), number.as_int())
    return MoPart(octets)


def _concatenated(octets: bytes, reference: int, total: int, number: int) -> MoPart:
    # A header that numbers parts impossibly cannot be reassembled: keep the text as a whole.
    if total > 1 and 1 <= number <= total:
        return MoPart(octets, reference, total, number)
    return MoPart(octets)


def _udh_part(octets: bytes) -> MoPart:
    header_end = 1 + octets[0]
    header, text = octets[1:header_end], octets[header_end:]
    offset = 0
    while offset + 2 <= len(header):
        iei, length = header[offset], header[offset + 1]
        data = header[offset + 2 : offset + 2 + length]
        offset += 2 + length
        if iei == IEI_CONCAT_8BIT and len(data) == 3:
            return _concatenated(text, data[0], data[1], data[2])
        if iei == IEI_CONCAT_16BIT and len(data) == 4:
            return _concatenated(text, int.from_bytes(data[:2], "big"), data[2], data[3])
    return MoPart(text)


def inbound_sms(body: MessageBody, octets: bytes) -> InboundSms:
    """The reply, its text being ``octets`` decoded by the deliver_sm's data_coding."""
    return InboundSms(
        phone=e164_of(body.source_addr, body.source_addr_ton) or "",
        text=decode_text(body.data_coding, octets),
        extension=body.destination_addr,
    )


_GroupKey = tuple[str, str, int, int]


@dataclass(slots=True)
class _Group:
    first: MessageBody
    opened_at: float
    parts: dict[int, bytes] = field(default_factory=dict)


class MoAssembler:
    """Collects MO parts and returns each reply once all its parts have arrived."""

    def __init__(
        self,
        *,
        max_pending: int = 1000,
        max_age: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_pending = max_pending
        self._max_age = max_age
        self._clock = clock
        self._groups: dict[_GroupKey, _Group] = {}

    @property
    def pending(self) -> int:
        """How many replies are waiting for parts."""
        return len(self._groups)

    def add(self, body: MessageBody) -> InboundSms | None:
        """The whole reply if ``body`` completes one (or is whole itself), else ``None``."""
        part = mo_part(body)
        if part.reference is None:
            return inbound_sms(body, part.octets)
        self._evict()
        key = (body.source_addr, body.destination_addr, part.reference, part.total)
        group = self._groups.setdefault(key, _Group(body, self._clock()))
        group.parts[part.number] = part.octets
        if len(group.parts) < part.total:
            return None
        del self._groups[key]
        octets = b"".join(group.parts[number] for number in sorted(group.parts))
        return inbound_sms(group.first, octets)

    def _evict(self) -> None:
        deadline = self._clock() - self._max_age
        for key in [key for key, group in self._groups.items() if group.opened_at < deadline]:
            del self._groups[key]
        while len(self._groups) >= self._max_pending:
            del self._groups[next(iter(self._groups))]
