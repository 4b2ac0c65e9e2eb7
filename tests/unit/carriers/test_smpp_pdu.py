"""The SMPP PDU codec: exact octets for known PDUs, round-trips, and only PduError for garbage."""

from __future__ import annotations

import contextlib
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.carriers.smpp.pdu import (
    BindBody,
    BindRespBody,
    CommandId,
    CommandStatus,
    MessageBody,
    MessageRespBody,
    Pdu,
    PduError,
    Tlv,
    TlvTag,
    UnknownCommand,
    decode,
    encode,
    find_tlv,
)

octet = st.integers(0, 255)
sequence = st.integers(1, 0x7FFFFFFF)


def c_text(max_octets: int) -> st.SearchStrategy[str]:
    """ASCII text without NUL that fits a field of ``max_octets`` (NUL included)."""
    return st.text(st.characters(min_codepoint=1, max_codepoint=127), max_size=max_octets - 1)


tlvs = st.lists(st.builds(Tlv, st.integers(0, 0xFFFF), st.binary(max_size=40)), max_size=4).map(
    tuple
)
message_bodies = st.builds(
    MessageBody,
    source_addr=c_text(21), destination_addr=c_text(21), short_message=st.binary(max_size=254),
    esm_class=octet, data_coding=octet, registered_delivery=octet, source_addr_ton=octet,
    source_addr_npi=octet, dest_addr_ton=octet, dest_addr_npi=octet, service_type=c_text(6),
    protocol_id=octet, priority_flag=octet, schedule_delivery_time=c_text(17),
    validity_period=c_text(17), replace_if_present_flag=octet, sm_default_msg_id=octet, tlvs=tlvs,
)  # fmt: skip
bind_bodies = st.builds(
    BindBody, c_text(16), c_text(9), c_text(13), octet, octet, octet, c_text(41)
)


class TestKnownOctets:
    """Encoding gives the octets SMPP 3.4 prescribes."""

    def test_enquire_link_is_a_bare_header(self) -> None:
        assert encode(Pdu(CommandId.ENQUIRE_LINK, 7)).hex() == "00000010000000150000000000000007"

    def test_bind_transceiver(self) -> None:
        pdu = Pdu(CommandId.BIND_TRANSCEIVER, 1, BindBody("ab", "pw"))
        expected = "0000001b0000000900000000000000016162007077000034000000"
        assert encode(pdu).hex() == expected

    def test_submit_sm_resp_carries_the_message_id(self) -> None:
        frame = bytes.fromhex("00000017800000040000000000000003") + b"5f3a01\0"
        assert decode(frame) == Pdu(
            CommandId.SUBMIT_SM_RESP, 3, MessageRespBody("5f3a01"), CommandStatus.ESME_ROK
        )

    def test_a_refusal_may_have_no_body(self) -> None:
        frame = bytes.fromhex("00000010800000040000005800000009")
        pdu = decode(frame)
        assert isinstance(pdu, Pdu)
        assert (pdu.command_status, pdu.body) == (CommandStatus.ESME_RTHROTTLED, MessageRespBody())


class TestRoundTrip:
    """Whatever we encode decodes to the same value."""

    @given(message_bodies, sequence, st.sampled_from([CommandId.SUBMIT_SM, CommandId.DELIVER_SM]))
    def test_messages(self, body: MessageBody, number: int, command: CommandId) -> None:
        pdu = Pdu(command, number, body)
        assert decode(encode(pdu)) == pdu

    @given(bind_bodies, sequence)
    def test_binds(self, body: BindBody, number: int) -> None:
        pdu = Pdu(CommandId.BIND_TRANSCEIVER, number, body)
        assert decode(encode(pdu)) == pdu

    @given(c_text(16), tlvs, sequence, st.integers(0, 0xFFFFFFFF))
    def test_bind_responses(
        self, system_id: str, found: tuple[Tlv, ...], number: int, status: int
    ) -> None:
        pdu = Pdu(CommandId.BIND_TRANSCEIVER_RESP, number, BindRespBody(system_id, found), status)
        assert decode(encode(pdu)) == pdu

    @given(c_text(65), sequence)
    def test_message_responses(self, message_id: str, number: int) -> None:
        for command in (CommandId.SUBMIT_SM_RESP, CommandId.DELIVER_SM_RESP):
            pdu = Pdu(command, number, MessageRespBody(message_id))
            assert decode(encode(pdu)) == pdu

    @given(sequence, st.integers(0, 0xFFFFFFFF))
    def test_header_only_commands(self, number: int, status: int) -> None:
        for command in (CommandId.UNBIND, CommandId.UNBIND_RESP, CommandId.GENERIC_NACK):
            pdu = Pdu(command, number, None, status)
            assert decode(encode(pdu)) == pdu


class TestMalformed:
    """Bad input is a PduError, and nothing else ever escapes the decoder."""

    @given(st.binary(max_size=300))
    def test_garbage_raises_only_pdu_error(self, junk: bytes) -> None:
        with contextlib.suppress(PduError):
            decode(junk)

    @given(message_bodies, st.data())
    def test_a_truncated_message_is_refused(self, body: MessageBody, data: st.DataObject) -> None:
        # Without TLVs every cut lands inside a mandatory field (a cut between TLVs is valid).
        frame = encode(Pdu(CommandId.DELIVER_SM, 1, replace(body, tlvs=())))
        cut = data.draw(st.integers(17, len(frame) - 1))
        shortened = len(frame[:cut]).to_bytes(4, "big") + frame[4:cut]
        with pytest.raises(PduError):
            decode(shortened)

    def test_an_unknown_command_is_named_not_refused(self) -> None:
        frame = bytes.fromhex("00000010000001030000000000000005")  # data_sm
        assert decode(frame) == UnknownCommand(0x103, 0, 5)

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param(MessageBody(source_addr="1" * 21), id="address-too-long"),
            pytest.param(MessageBody(short_message=b"x" * 255), id="short-message-too-long"),
            pytest.param(MessageBody(destination_addr="一"), id="not-ascii"),
            pytest.param(MessageBody(esm_class=256), id="octet-overflow"),
        ],
    )
    def test_unencodable_values_are_refused(self, body: MessageBody) -> None:
        with pytest.raises(PduError):
            encode(Pdu(CommandId.SUBMIT_SM, 1, body))

    def test_a_length_beyond_the_limit_is_refused(self) -> None:
        with pytest.raises(PduError):
            decode(bytes.fromhex("7fffffff000000150000000000000001"))


class TestTlvs:
    """TLV helpers write and read the octets the spec defines."""

    def test_helpers(self) -> None:
        found = (
            Tlv.u16(TlvTag.SAR_MSG_REF_NUM, 0x1234),
            Tlv.u8(TlvTag.SAR_TOTAL_SEGMENTS, 3),
            Tlv.c_string(TlvTag.RECEIPTED_MESSAGE_ID, "abc"),
        )
        assert [tlv.value for tlv in found] == [b"\x12\x34", b"\x03", b"abc\0"]
        ref = find_tlv(found, TlvTag.SAR_MSG_REF_NUM)
        receipted = find_tlv(found, TlvTag.RECEIPTED_MESSAGE_ID)
        assert ref is not None
        assert receipted is not None
        assert (ref.as_int(), receipted.as_text()) == (0x1234, "abc")
        assert find_tlv(found, TlvTag.MESSAGE_PAYLOAD) is None

    def test_bind_repr_hides_the_password(self) -> None:
        assert "hunter2" not in repr(BindBody("sys", "hunter2"))
