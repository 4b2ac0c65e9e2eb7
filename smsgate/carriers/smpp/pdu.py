"""SMPP 3.4 PDUs as values: pure encode and decode of the few commands an ESME needs.

A PDU on the wire is a 16-octet header (command_length, command_id,
command_status, sequence_number, all big-endian 32-bit) and a body of
mandatory fields followed by optional TLVs (tag, length, value). We speak
only what a transceiver sending MT and receiving receipts and MO needs:
bind_transceiver, unbind, enquire_link, submit_sm, deliver_sm, their
responses, and generic_nack. Anything else the SMSC sends decodes as
:class:`UnknownCommand` so the session can answer it with a generic_nack.

Every decode failure is a :class:`PduError` (the session drops the
connection, because framing can no longer be trusted); nothing else is
raised for any input, which the property tests check.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

HEADER = struct.Struct(">IIII")
HEADER_LENGTH = HEADER.size
#: Larger frames are refused: an SMSC never needs more, and a garbled length must not OOM us.
MAX_PDU_LENGTH = 64 * 1024
RESPONSE_BIT = 0x80000000
INTERFACE_VERSION = 0x34


class CommandId(IntEnum):
    """The command_id values we encode or decode."""

    GENERIC_NACK = 0x80000000
    SUBMIT_SM = 0x00000004
    SUBMIT_SM_RESP = 0x80000004
    DELIVER_SM = 0x00000005
    DELIVER_SM_RESP = 0x80000005
    UNBIND = 0x00000006
    UNBIND_RESP = 0x80000006
    BIND_TRANSCEIVER = 0x00000009
    BIND_TRANSCEIVER_RESP = 0x80000009
    ENQUIRE_LINK = 0x00000015
    ENQUIRE_LINK_RESP = 0x80000015

    @property
    def is_response(self) -> bool:
        """Whether this command answers a request (generic_nack included)."""
        return bool(self.value & RESPONSE_BIT)


class CommandStatus(IntEnum):
    """command_status values of SMPP 3.4 §5.1.3 that we act on or name in logs."""

    ESME_ROK = 0x00
    ESME_RINVMSGLEN = 0x01
    ESME_RINVCMDLEN = 0x02
    ESME_RINVCMDID = 0x03
    ESME_RINVBNDSTS = 0x04
    ESME_RALYBND = 0x05
    ESME_RSYSERR = 0x08
    ESME_RINVSRCADR = 0x0A
    ESME_RINVDSTADR = 0x0B
    ESME_RINVMSGID = 0x0C
    ESME_RBINDFAIL = 0x0D
    ESME_RINVPASWD = 0x0E
    ESME_RINVSYSID = 0x0F
    ESME_RMSGQFUL = 0x14
    ESME_RINVESMCLASS = 0x43
    ESME_RSUBMITFAIL = 0x45
    ESME_RINVSRCTON = 0x48
    ESME_RINVDSTTON = 0x50
    ESME_RTHROTTLED = 0x58
    ESME_RX_T_APPN = 0x64
    ESME_RX_P_APPN = 0x65
    ESME_RX_R_APPN = 0x66
    ESME_RINVOPTPARSTREAM = 0xC0
    ESME_RINVDCS = 0x104


class TlvTag(IntEnum):
    """Optional-parameter tags we write or read."""

    RECEIPTED_MESSAGE_ID = 0x001E
    USER_MESSAGE_REFERENCE = 0x0204
    SAR_MSG_REF_NUM = 0x020C
    SAR_TOTAL_SEGMENTS = 0x020E
    SAR_SEGMENT_SEQNUM = 0x020F
    SC_INTERFACE_VERSION = 0x0210
    NETWORK_ERROR_CODE = 0x0423
    MESSAGE_PAYLOAD = 0x0424
    MESSAGE_STATE = 0x0427


class PduError(ValueError):
    """Bytes that are not a well-formed PDU, or a value that cannot be encoded as one."""


@dataclass(frozen=True, slots=True)
class Tlv:
    """One optional parameter; ``value`` is the raw octets (build with the helpers)."""

    tag: int
    value: bytes

    @classmethod
    def u8(cls, tag: int, number: int) -> Tlv:
        return cls(tag, number.to_bytes(1, "big"))

    @classmethod
    def u16(cls, tag: int, number: int) -> Tlv:
        return cls(tag, number.to_bytes(2, "big"))

    @classmethod
    def c_string(cls, tag: int, text: str) -> Tlv:
        return cls(tag, text.encode("ascii") + b"\0")

    def as_int(self) -> int:
        """The value as a big-endian unsigned integer (0 for an empty value)."""
        return int.from_bytes(self.value, "big")

    def as_text(self) -> str:
        """The value as an ASCII C-octet string, its terminating NUL (if any) removed."""
        return self.value.rstrip(b"\0").decode("ascii", errors="replace")


def find_tlv(tlvs: tuple[Tlv, ...], tag: int) -> Tlv | None:
    """The first TLV with ``tag``, or ``None``."""
    return next((tlv for tlv in tlvs if tlv.tag == tag), None)


@dataclass(frozen=True, slots=True)
class BindBody:
    """bind_transceiver's body; ``password`` never appears in a repr."""

    system_id: str
    password: str
    system_type: str = ""
    interface_version: int = INTERFACE_VERSION
    addr_ton: int = 0
    addr_npi: int = 0
    address_range: str = ""

    def __repr__(self) -> str:
        return f"BindBody(system_id={self.system_id!r}, password=***)"


@dataclass(frozen=True, slots=True)
class BindRespBody:
    """bind_transceiver_resp's body: the SMSC's system_id and its TLVs."""

    system_id: str = ""
    tlvs: tuple[Tlv, ...] = ()


@dataclass(frozen=True, slots=True)
class MessageBody:
    """The body shared by submit_sm and deliver_sm (SMPP 3.4 §4.4.1, §4.6.1)."""

    source_addr: str = ""
    destination_addr: str = ""
    short_message: bytes = b""
    esm_class: int = 0
    data_coding: int = 0
    registered_delivery: int = 0
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    dest_addr_ton: int = 0
    dest_addr_npi: int = 0
    service_type: str = ""
    protocol_id: int = 0
    priority_flag: int = 0
    schedule_delivery_time: str = ""
    validity_period: str = ""
    replace_if_present_flag: int = 0
    sm_default_msg_id: int = 0
    tlvs: tuple[Tlv, ...] = ()


@dataclass(frozen=True, slots=True)
class MessageRespBody:
    """submit_sm_resp / deliver_sm_resp: the message id (``""`` when refused)."""

    message_id: str = ""


Body = BindBody | BindRespBody | MessageBody | MessageRespBody | None


@dataclass(frozen=True, slots=True)
class Pdu:
    """One PDU: header fields and a body (``None`` for header-only commands)."""

    command_id: CommandId
    sequence_number: int
    body: Body = None
    command_status: int = CommandStatus.ESME_ROK


@dataclass(frozen=True, slots=True)
class UnknownCommand:
    """A well-framed PDU whose command we do not speak; answer with generic_nack."""

    command_id: int
    command_status: int
    sequence_number: int


def encode(pdu: Pdu) -> bytes:
    """The PDU's octets, header included.

    Raises ``PduError`` if a string is not ASCII or is longer than its field
    allows, or a number does not fit its field.
    """
    try:
        body = _encode_body(pdu.body)
        length = HEADER_LENGTH + len(body)
        return HEADER.pack(length, pdu.command_id, pdu.command_status, pdu.sequence_number) + body
    except (struct.error, OverflowError, UnicodeEncodeError) as error:
        raise PduError(f"cannot encode {pdu.command_id.name}: {error}") from error


def frame_length(header: bytes) -> int:
    """The command_length announced by the first four octets; raises ``PduError`` if absurd."""
    length = int.from_bytes(header[:4], "big")
    if not HEADER_LENGTH <= length <= MAX_PDU_LENGTH:
        raise PduError(f"command_length {length} is outside {HEADER_LENGTH}–{MAX_PDU_LENGTH}")
    return length


def decode(frame: bytes) -> Pdu | UnknownCommand:
    """The PDU in ``frame`` (exactly one whole PDU); raises ``PduError`` if malformed."""
    if len(frame) < HEADER_LENGTH or frame_length(frame) != len(frame):
        raise PduError(f"frame of {len(frame)} octets does not match its command_length")
    _, command, status, sequence = HEADER.unpack_from(frame)
    try:
        command_id = CommandId(command)
    except ValueError:
        return UnknownCommand(command, status, sequence)
    reader = _Reader(frame, HEADER_LENGTH)
    body = _decode_body(command_id, status, reader)
    return Pdu(command_id, sequence, body, status)


def _c_string(text: str, max_octets: int) -> bytes:
    """A C-octet string; ``max_octets`` counts the terminating NUL, as the spec's sizes do."""
    raw = text.encode("ascii")
    if b"\0" in raw or len(raw) + 1 > max_octets:
        raise PduError(f"string of {len(raw)} octets does not fit a {max_octets}-octet field")
    return raw + b"\0"


def _tlvs(tlvs: tuple[Tlv, ...]) -> bytes:
    return b"".join(struct.pack(">HH", tlv.tag, len(tlv.value)) + tlv.value for tlv in tlvs)


def _encode_body(body: Body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, BindBody):
        return b"".join(
            [
                _c_string(body.system_id, 16),
                _c_string(body.password, 9),
                _c_string(body.system_type, 13),
                struct.pack(">BBB", body.interface_version, body.addr_ton, body.addr_npi),
                _c_string(body.address_range, 41),
            ]
        )
    if isinstance(body, BindRespBody):
        return _c_string(body.system_id, 16) + _tlvs(body.tlvs)
    if isinstance(body, MessageRespBody):
        return _c_string(body.message_id, 65)
    return _encode_message(body)


def _encode_message(body: MessageBody) -> bytes:
    if len(body.short_message) > 254:
        raise PduError("short_message holds at most 254 octets; use message_payload")
    return b"".join(
        [
            _c_string(body.service_type, 6),
            struct.pack(">BB", body.source_addr_ton, body.source_addr_npi),
            _c_string(body.source_addr, 21),
            struct.pack(">BB", body.dest_addr_ton, body.dest_addr_npi),
            _c_string(body.destination_addr, 21),
            struct.pack(">BBB", body.esm_class, body.protocol_id, body.priority_flag),
            _c_string(body.schedule_delivery_time, 17),
            _c_string(body.validity_period, 17),
            struct.pack(
                ">BBBBB",
                body.registered_delivery,
                body.replace_if_present_flag,
                body.data_coding,
                body.sm_default_msg_id,
                len(body.short_message),
            ),
            body.short_message,
            _tlvs(body.tlvs),
        ]
    )


class _Reader:
    """A cursor over one frame; every overrun is a ``PduError``."""

    def __init__(self, frame: bytes, offset: int) -> None:
        self._frame = frame
        self._offset = offset

    @property
    def at_end(self) -> bool:
        return self._offset >= len(self._frame)

    def octets(self, count: int) -> bytes:
        end = self._offset + count
        if end > len(self._frame):
            raise PduError("PDU ends inside a field")
        chunk, self._offset = self._frame[self._offset : end], end
        return chunk

    def u8(self) -> int:
        return self.octets(1)[0]

    def c_string(self, max_octets: int) -> str:
        end = self._frame.find(b"\0", self._offset, self._offset + max_octets)
        if end < 0:
            raise PduError(f"C-octet string longer than {max_octets} octets or unterminated")
        raw, self._offset = self._frame[self._offset : end], end + 1
        # Latin-1 never fails: SMSCs put odd octets in ids, and a receipt must not be lost for it.
        return raw.decode("latin-1")

    def tlvs(self) -> tuple[Tlv, ...]:
        found: list[Tlv] = []
        while not self.at_end:
            tag, length = struct.unpack(">HH", self.octets(4))
            found.append(Tlv(tag, self.octets(length)))
        return tuple(found)


def _decode_body(command: CommandId, status: int, reader: _Reader) -> Body:
    if command in _HEADER_ONLY:
        return None
    if reader.at_end and command.is_response:
        # A refused request's response may carry no body at all (SMPP 3.4 §3.3.2).
        return BindRespBody() if command is CommandId.BIND_TRANSCEIVER_RESP else MessageRespBody()
    if command is CommandId.BIND_TRANSCEIVER:
        return _decode_bind(reader)
    if command is CommandId.BIND_TRANSCEIVER_RESP:
        return BindRespBody(reader.c_string(16), reader.tlvs())
    if command in (CommandId.SUBMIT_SM_RESP, CommandId.DELIVER_SM_RESP):
        message_id = reader.c_string(65)
        reader.tlvs()  # SMPP 5.0 SMSCs may append TLVs; they carry nothing we need.
        return MessageRespBody(message_id)
    return _decode_message(reader)


_HEADER_ONLY = frozenset(
    {CommandId.GENERIC_NACK, CommandId.UNBIND, CommandId.UNBIND_RESP}
    | {CommandId.ENQUIRE_LINK, CommandId.ENQUIRE_LINK_RESP}
)


def _decode_bind(reader: _Reader) -> BindBody:
    system_id, password, system_type = reader.c_string(16), reader.c_string(9), reader.c_string(13)
    version, ton, npi = reader.u8(), reader.u8(), reader.u8()
    return BindBody(system_id, password, system_type, version, ton, npi, reader.c_string(41))


def _decode_message(reader: _Reader) -> MessageBody:
    service_type = reader.c_string(6)
    source_ton, source_npi, source = reader.u8(), reader.u8(), reader.c_string(21)
    dest_ton, dest_npi, destination = reader.u8(), reader.u8(), reader.c_string(21)
    esm_class, protocol_id, priority = reader.u8(), reader.u8(), reader.u8()
    schedule, validity = reader.c_string(17), reader.c_string(17)
    registered, replace, coding, default_id = (reader.u8() for _ in range(4))
    short_message = reader.octets(reader.u8())
    return MessageBody(
        source_addr=source,
        destination_addr=destination,
        short_message=short_message,
        esm_class=esm_class,
        data_coding=coding,
        registered_delivery=registered,
        source_addr_ton=source_ton,
        source_addr_npi=source_npi,
        dest_addr_ton=dest_ton,
        dest_addr_npi=dest_npi,
        service_type=service_type,
        protocol_id=protocol_id,
        priority_flag=priority,
        schedule_delivery_time=schedule,
        validity_period=validity,
        replace_if_present_flag=replace,
        sm_default_msg_id=default_id,
        tlvs=reader.tlvs(),
    )
