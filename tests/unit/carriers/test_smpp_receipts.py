"""Reading deliver_sm: receipts as DeliveryReports, replies as InboundSms, parts reassembled."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from smsgate.carriers import DeliveryState
from smsgate.carriers.smpp.inbound import MoAssembler
from smsgate.carriers.smpp.pdu import MessageBody, Tlv, TlvTag
from smsgate.carriers.smpp.receipts import (
    MalformedReceipt,
    delivery_report,
    e164_of,
    is_receipt,
    receipt_fields,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def receipt(text: str, *tlvs: Tlv, esm_class: int = 0x04) -> MessageBody:
    return MessageBody(
        source_addr="8613800138000", source_addr_ton=1, destination_addr="10690001",
        esm_class=esm_class, short_message=text.encode("latin-1"), tlvs=tlvs,
    )  # fmt: skip


def reply(
    octets: bytes, *tlvs: Tlv, esm_class: int = 0, source: str = "8613800138000"
) -> MessageBody:
    return MessageBody(
        source_addr=source, source_addr_ton=1, destination_addr="10690001",
        esm_class=esm_class, data_coding=8, short_message=octets, tlvs=tlvs,
    )  # fmt: skip


STANDARD = (
    "id:5f3a0001 sub:001 dlvrd:001 submit date:2405011200 done date:2405011201 "
    "stat:{stat} err:{err} text:Zhang San, your bill"
)


class TestReceiptTexts:
    """The receipt text's stat decides the state; its id and done date are kept."""

    @pytest.mark.parametrize(
        ("stat", "state"),
        [
            pytest.param("DELIVRD", DeliveryState.DELIVERED, id="delivered"),
            pytest.param("UNDELIV", DeliveryState.FAILED, id="undeliverable"),
            pytest.param("EXPIRED", DeliveryState.FAILED, id="expired"),
            pytest.param("REJECTD", DeliveryState.FAILED, id="rejected"),
            pytest.param("DELETED", DeliveryState.FAILED, id="deleted"),
            pytest.param("ENROUTE", DeliveryState.ACCEPTED, id="enroute"),
            pytest.param("ACCEPTD", DeliveryState.ACCEPTED, id="accepted"),
            pytest.param("MK:0001", DeliveryState.ACCEPTED, id="unknown-word"),
        ],
    )
    def test_stat_words(self, stat: str, state: DeliveryState) -> None:
        report = delivery_report(receipt(STANDARD.format(stat=stat, err="000")), UTC)
        assert (report.state, report.error_code) == (state, stat)
        assert report.carrier_message_id == "5f3a0001"

    def test_fields_dates_and_phone(self) -> None:
        report = delivery_report(receipt(STANDARD.format(stat="UNDELIV", err="034")), SHANGHAI)
        assert report.description == "err:034"
        assert report.reported_at == datetime(2024, 5, 1, 4, 1, tzinfo=UTC)
        assert report.phone == "+8613800138000"

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("id:abc_1 stat:DELIVRD", {"id": "abc_1", "stat": "DELIVRD"}, id="short"),
            pytest.param(
                "ID:7 Stat:delivrd Text:id:9 stat:UNDELIV",
                {"id": "7", "stat": "delivrd", "text": "id:9 stat:UNDELIV"},
                id="case-and-text-last",
            ),
            pytest.param(
                "id:1 submit date:2405011200 done date:240501120130",
                {"id": "1", "submit date": "2405011200", "done date": "240501120130"},
                id="dates",
            ),
        ],
    )
    def test_receipt_fields(self, text: str, expected: dict[str, str]) -> None:
        assert receipt_fields(text) == expected

    @pytest.mark.parametrize(
        "done",
        [pytest.param("", id="absent"), pytest.param("2413011200", id="month-13"),
         pytest.param("24050112", id="too-short")],
    )  # fmt: skip
    def test_garbled_dates_are_none(self, done: str) -> None:
        report = delivery_report(receipt(f"id:1 done date:{done} stat:DELIVRD"), UTC)
        assert report.reported_at is None

    def test_lower_case_stat_is_understood(self) -> None:
        report = delivery_report(receipt("id:1 stat:delivrd"), UTC)
        assert report.state is DeliveryState.DELIVERED


class TestReceiptTlvs:
    """receipted_message_id and message_state win over the free-form text."""

    def test_tlvs_win(self) -> None:
        body = receipt(
            STANDARD.format(stat="DELIVRD", err="000"),
            Tlv.c_string(TlvTag.RECEIPTED_MESSAGE_ID, "A1B2"),
            Tlv.u8(TlvTag.MESSAGE_STATE, 5),
        )
        report = delivery_report(body, UTC)
        assert (report.carrier_message_id, report.state, report.error_code) == (
            "A1B2", DeliveryState.FAILED, "UNDELIV"
        )  # fmt: skip

    def test_tlvs_alone_suffice(self) -> None:
        body = receipt(
            "",
            Tlv.c_string(TlvTag.RECEIPTED_MESSAGE_ID, "A1B2"),
            Tlv.u8(TlvTag.MESSAGE_STATE, 2),
        )
        report = delivery_report(body, UTC)
        assert (report.carrier_message_id, report.state) == ("A1B2", DeliveryState.DELIVERED)

    def test_no_id_anywhere_is_malformed(self) -> None:
        with pytest.raises(MalformedReceipt):
            delivery_report(receipt("stat:DELIVRD"), UTC)


class TestWhichIsWhich:
    """esm_class tells receipts from replies."""

    @pytest.mark.parametrize(
        ("esm_class", "expected"),
        [
            pytest.param(0x04, True, id="smsc-receipt"),
            pytest.param(0x08, True, id="sme-ack"),
            pytest.param(0x20, True, id="intermediate"),
            pytest.param(0x44, True, id="receipt-with-udhi"),
            pytest.param(0x00, False, id="mo"),
            pytest.param(0x40, False, id="mo-with-udhi"),
        ],
    )
    def test_esm_class(self, esm_class: int, expected: bool) -> None:
        assert is_receipt(receipt("id:1", esm_class=esm_class)) is expected


class TestAddresses:
    """Only provably international addresses become E.164."""

    @pytest.mark.parametrize(
        ("address", "ton", "expected"),
        [
            pytest.param("8613800138000", 1, "+8613800138000", id="international"),
            pytest.param("+8613800138000", 0, "+8613800138000", id="plus"),
            pytest.param("008613800138000", 0, "+8613800138000", id="00-prefix"),
            pytest.param("13800138000", 2, "13800138000", id="national-kept"),
            pytest.param("", 1, None, id="empty"),
        ],
    )
    def test_e164_of(self, address: str, ton: int, expected: str | None) -> None:
        assert e164_of(address, ton) == expected


class TestReplies:
    """Replies are decoded, and concatenated ones reassembled once complete."""

    def test_a_whole_reply(self) -> None:
        inbound = MoAssembler().add(reply("退订".encode("utf-16-be")))
        assert inbound is not None
        assert (inbound.phone, inbound.text, inbound.extension) == (
            "+8613800138000", "退订", "10690001"
        )  # fmt: skip

    @pytest.mark.parametrize(
        "header",
        [
            pytest.param(lambda n: bytes([5, 0, 3, 0x2A, 2, n]), id="8-bit-ref"),
            pytest.param(lambda n: bytes([6, 8, 4, 0x01, 0x2A, 2, n]), id="16-bit-ref"),
        ],
    )
    def test_udh_parts_out_of_order(self, header: object) -> None:
        assert callable(header)
        # The emoji's surrogate pair is split across the parts, as some phones do.
        octets = "还款了😀".encode("utf-16-be")
        first, second = octets[:8], octets[8:]
        assembler = MoAssembler()
        assert assembler.add(reply(header(2) + second, esm_class=0x40)) is None
        inbound = assembler.add(reply(header(1) + first, esm_class=0x40))
        assert inbound is not None
        assert inbound.text == "还款了😀"
        assert assembler.pending == 0

    def test_sar_parts(self) -> None:
        def part(n: int, text: str) -> MessageBody:
            sar = (
                Tlv.u16(TlvTag.SAR_MSG_REF_NUM, 7),
                Tlv.u8(TlvTag.SAR_TOTAL_SEGMENTS, 2),
                Tlv.u8(TlvTag.SAR_SEGMENT_SEQNUM, n),
            )
            return reply(text.encode("utf-16-be"), *sar)

        assembler = MoAssembler()
        assert assembler.add(part(1, "我已")) is None
        inbound = assembler.add(part(2, "还款"))
        assert inbound is not None
        assert inbound.text == "我已还款"

    def test_parts_of_different_senders_do_not_mix(self) -> None:
        assembler = MoAssembler()
        header = bytes([5, 0, 3, 1, 2, 1])
        assembler.add(reply(header + "甲".encode("utf-16-be"), esm_class=0x40, source="861"))
        assert assembler.add(reply(header[:5] + b"\x02" + b"\x4e\x59", esm_class=0x40,
                                   source="862")) is None  # fmt: skip
        assert assembler.pending == 2

    def test_an_impossible_numbering_is_kept_whole(self) -> None:
        inbound = MoAssembler().add(reply(bytes([5, 0, 3, 1, 2, 3]) + b"\x4e\x59", esm_class=0x40))
        assert inbound is not None
        assert inbound.text == "乙"

    def test_stale_parts_are_dropped(self) -> None:
        now = [0.0]
        assembler = MoAssembler(max_age=60, clock=lambda: now[0])
        assembler.add(reply(bytes([5, 0, 3, 1, 2, 1]) + b"\x4e\x59", esm_class=0x40))
        now[0] = 61.0
        assembler.add(reply(bytes([5, 0, 3, 2, 2, 1]) + b"\x4e\x59", esm_class=0x40))
        assert assembler.pending == 1

    def test_at_most_max_pending_are_held(self) -> None:
        assembler = MoAssembler(max_pending=3)
        for ref in range(10):
            assembler.add(reply(bytes([5, 0, 3, ref, 2, 1]) + b"\x4e\x59", esm_class=0x40))
        assert assembler.pending == 3
