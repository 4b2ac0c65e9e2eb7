"""Splitting one message into the submit_sm parts an SMSC concatenates on the handset.

A text that fits one SMS (160 septets / 70 UCS-2 units) goes as one plain
part. A longer one is cut into parts of at most 153 septets / 67 units,
walking the text character by character so that a surrogate pair (emoji,
𠮷) or a GSM escape pair is never split: the same walk as
``smsgate.core.sms.measure``, so we send exactly as many parts as the
message was measured (and billed) for. How the parts say they belong
together is the account's ``concatenation`` setting:

``udh``
    a 6-octet user-data header in short_message (IEI 0x00, 8-bit reference,
    total, sequence) and esm_class 0x40 (UDHI); what most SMSCs expect.
``sar``
    the sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs and a
    bare short_message; the SMSC builds the header itself.
``payload``
    no splitting by us: the whole text in one submit_sm's message_payload TLV,
    for SMSCs that segment themselves.

The encoding is read from the text (``encoding_of``), not trusted from the
caller, so a GSM-7 label on a text GSM-7 cannot carry can never garble it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from smsgate.carriers.smpp.alphabet import data_coding_of, encode_char
from smsgate.carriers.smpp.pdu import Tlv, TlvTag
from smsgate.core.sms import (
    CONCATENATED_SEGMENT_UNITS,
    MAX_CONCATENATED_SEGMENTS,
    SINGLE_SEGMENT_UNITS,
    Encoding,
    encoding_of,
)

ESM_CLASS_UDHI = 0x40
UDH_CONCAT_8BIT = 0x00


class Concatenation(StrEnum):
    """How the parts of a long message are tied together (see the module docstring)."""

    UDH = "udh"
    SAR = "sar"
    PAYLOAD = "payload"


@dataclass(frozen=True, slots=True)
class Part:
    """One submit_sm's worth of a message: what goes in short_message, esm_class and TLVs."""

    short_message: bytes
    data_coding: int
    esm_class: int = 0
    tlvs: tuple[Tlv, ...] = ()


def split_message(text: str, concatenation: Concatenation, reference: int) -> list[Part]:
    """The parts to submit for ``text``, in order.

    ``reference`` ties the parts together (its low 8 bits in a UDH, its low
    16 bits in sar_msg_ref_num); use a new one per message. Raises
    ``ValueError`` if the text needs more than 255 parts.
    """
    encoding = encoding_of(text)
    coding = data_coding_of(encoding)
    if concatenation is Concatenation.PAYLOAD:
        payload = b"".join(encode_char(char, encoding) for char in text)
        return [Part(b"", coding, tlvs=(Tlv(TlvTag.MESSAGE_PAYLOAD, payload),))]
    chunks = split_octets(text, encoding)
    if len(chunks) == 1:
        return [Part(chunks[0], coding)]
    if len(chunks) > MAX_CONCATENATED_SEGMENTS:
        raise ValueError(f"{len(chunks)} parts; concatenation allows {MAX_CONCATENATED_SEGMENTS}")
    total = len(chunks)
    if concatenation is Concatenation.SAR:
        return [
            Part(chunk, coding, tlvs=sar_tlvs(reference, total, number))
            for number, chunk in enumerate(chunks, start=1)
        ]
    return [
        Part(udh(reference, total, number) + chunk, coding, esm_class=ESM_CLASS_UDHI)
        for number, chunk in enumerate(chunks, start=1)
    ]


def split_octets(text: str, encoding: Encoding) -> list[bytes]:
    """The encoded text cut into segment payloads; one payload if it fits a single SMS."""
    encoded = [encode_char(char, encoding) for char in text]
    unit = 2 if encoding is Encoding.UCS2 else 1
    if sum(len(octets) for octets in encoded) // unit <= SINGLE_SEGMENT_UNITS[encoding]:
        return [b"".join(encoded)]
    capacity = CONCATENATED_SEGMENT_UNITS[encoding] * unit
    chunks: list[bytes] = []
    current = b""
    for octets in encoded:
        # A character that does not fit whole opens the next part: pairs are never split.
        if len(current) + len(octets) > capacity:
            chunks.append(current)
            current = b""
        current += octets
    chunks.append(current)
    return chunks


def udh(reference: int, total: int, number: int) -> bytes:
    """The concatenation user-data header: length 5, IEI 0x00, IE length 3, ref, total, number."""
    return bytes([5, UDH_CONCAT_8BIT, 3, reference & 0xFF, total, number])


def sar_tlvs(reference: int, total: int, number: int) -> tuple[Tlv, ...]:
    """The three SAR TLVs of part ``number`` of ``total``."""
    return (
        Tlv.u16(TlvTag.SAR_MSG_REF_NUM, reference & 0xFFFF),
        Tlv.u8(TlvTag.SAR_TOTAL_SEGMENTS, total),
        Tlv.u8(TlvTag.SAR_SEGMENT_SEQNUM, number),
    )
