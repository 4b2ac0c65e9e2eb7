"""The smpp adapter against a real SMSC we did not write: the node ``smpp`` package's server.

These need node and ``npm ci --prefix tests/integration/smpp/peer``; without them they fail
with that instruction rather than skip, so a CI that lost the install step goes red.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

import pytest
from structlog.testing import capture_logs

from smsgate.carriers import (
    DeliveryState,
    OutboundSms,
    OutcomeUnknown,
    PermanentCarrierError,
    RetryableCarrierError,
)
from smsgate.core.sms import measure

from .conftest import MakeCarrier
from .peer_support import PASSWORD, Peer, Record, RecordingSink

PHONE = "+8613800138000"
SIGNED = "【安信消费金融】"
# 200 Chinese characters, with astral characters (emoji, 𠮷) where a naive split would cut them.
LONG_TEXT = SIGNED + "".join(
    itertools.islice(itertools.cycle("您好您的账单已逾期请尽快还款😀谢谢配合𠮷"), 200)
)
_ids = itertools.count(1)


def outbound(text: str) -> OutboundSms:
    measured = measure(text)
    return OutboundSms(
        message_id=f"msg_{next(_ids)}", attempt=1, phone=PHONE, text=text,
        segments=measured.segments, encoding=measured.encoding, creditor_id="acme",
    )  # fmt: skip


def udh_text(submits: list[Record]) -> str:
    """The text the handset shows for UDH-concatenated parts, checking the headers on the way."""
    octets = [bytes.fromhex(submit["short_message"]) for submit in submits]
    assert all(submit["esm_class"] & 0x40 for submit in submits)
    assert {part[:4] for part in octets} == {bytes([5, 0, 3, octets[0][3]])}
    assert [(part[4], part[5]) for part in octets] == [
        (len(octets), n) for n in range(1, len(octets) + 1)
    ]
    return b"".join(part[6:] for part in octets).decode("utf-16-be")


def sar_text(submits: list[Record]) -> str:
    """The text of SAR-concatenated parts, checking their TLVs on the way."""
    tlvs = [submit["tlvs"] for submit in submits]
    assert len({t["sar_msg_ref_num"] for t in tlvs}) == 1
    assert [(t["sar_total_segments"], t["sar_segment_seqnum"]) for t in tlvs] == [
        (len(tlvs), n) for n in range(1, len(tlvs) + 1)
    ]
    return b"".join(bytes.fromhex(s["short_message"]) for s in submits).decode("utf-16-be")


class TestLongMessages:
    """A long UCS-2 message is split into parts the SMSC puts back together exactly."""

    @pytest.mark.parametrize(
        ("concatenation", "reassemble"),
        [pytest.param("udh", udh_text, id="udh"), pytest.param("sar", sar_text, id="sar")],
    )
    async def test_parts_reassemble_to_the_text(
        self,
        peer: Peer,
        make_carrier: MakeCarrier,
        concatenation: str,
        reassemble: Callable[[list[Record]], str],
    ) -> None:
        carrier = make_carrier(concatenation=concatenation)
        message = outbound(LONG_TEXT)

        result = await carrier.send(message)

        submits = peer.pdus("submit_sm")
        assert len(submits) == message.segments > 3
        assert reassemble(submits) == LONG_TEXT
        assert {s["data_coding"] for s in submits} == {8}
        assert [s["registered_delivery"] for s in submits] == [1] + [0] * (len(submits) - 1)
        accepted = peer.matching(lambda r: r["event"] == "accepted")
        assert result.carrier_message_id == accepted[0]["message_id"]

    async def test_payload_sends_the_whole_text_at_once(
        self, peer: Peer, make_carrier: MakeCarrier
    ) -> None:
        await make_carrier(concatenation="payload").send(outbound(LONG_TEXT))

        [submit] = peer.pdus("submit_sm")
        assert bytes.fromhex(submit["tlvs"]["message_payload"]).decode("utf-16-be") == LONG_TEXT
        assert submit["short_message"] == ""

    async def test_destination_is_the_international_number(
        self, peer: Peer, make_carrier: MakeCarrier
    ) -> None:
        await make_carrier().send(outbound(SIGNED + "您好"))

        [submit] = peer.pdus("submit_sm")
        assert (submit["destination_addr"], submit["dest_addr_ton"]) == ("8613800138000", 1)
        assert submit["source_addr"] == "10690001"


class TestRefusals:
    """The SMSC's answers become the CarrierError the dispatcher acts on."""

    async def test_throttling_is_retryable_and_the_next_send_succeeds(
        self, peer: Peer, make_carrier: MakeCarrier
    ) -> None:
        carrier = make_carrier()
        await carrier.start()
        await peer.wait_for_pdus("bind_transceiver")
        await peer.command(cmd="fail_next", status=0x58)

        with pytest.raises(RetryableCarrierError) as refused:
            await carrier.send(outbound(SIGNED + "您好"))
        result = await carrier.send(outbound(SIGNED + "您好"))

        assert refused.value.code == "smpp_0x58"
        assert result.carrier_message_id
        assert len(peer.pdus("submit_sm")) == 2

    async def test_an_invalid_destination_is_permanent(
        self, peer: Peer, make_carrier: MakeCarrier
    ) -> None:
        carrier = make_carrier()
        await carrier.start()
        await peer.wait_for_pdus("bind_transceiver")
        await peer.command(cmd="fail_next", status=0x0B)

        with pytest.raises(PermanentCarrierError) as refused:
            await carrier.send(outbound(SIGNED + "您好"))

        assert refused.value.code == "smpp_0x0b"

    async def test_a_throttled_later_part_is_tried_again(
        self, peer: Peer, make_carrier: MakeCarrier
    ) -> None:
        carrier = make_carrier()
        await carrier.start()
        await peer.wait_for_pdus("bind_transceiver")
        await peer.command(cmd="fail_next", status=0x58, after=1)
        message = outbound(LONG_TEXT)

        await carrier.send(message)

        submits = peer.pdus("submit_sm")
        assert len(submits) == message.segments + 1
        assert submits[1]["short_message"] == submits[2]["short_message"]
        assert udh_text([submits[0], *submits[2:]]) == LONG_TEXT

    async def test_a_later_part_refused_for_good_leaves_the_outcome_unknown(
        self, peer: Peer, make_carrier: MakeCarrier
    ) -> None:
        carrier = make_carrier()
        await carrier.start()
        await peer.wait_for_pdus("bind_transceiver")
        await peer.command(cmd="fail_next", status=0x0B, after=1)

        with pytest.raises(OutcomeUnknown) as unknown:
            await carrier.send(outbound(LONG_TEXT))

        assert unknown.value.code == "smpp_0x0b"
        assert len(peer.pdus("submit_sm")) == 2

    async def test_an_unanswered_submit_has_an_unknown_outcome(
        self, peer: Peer, make_carrier: MakeCarrier
    ) -> None:
        carrier = make_carrier(timeout_seconds=0.5)
        await carrier.start()
        await peer.wait_for_pdus("bind_transceiver")
        await peer.command(cmd="ignore_next")

        with pytest.raises(OutcomeUnknown):
            await carrier.send(outbound(SIGNED + "您好"))

        assert len(peer.pdus("submit_sm")) == 1

    async def test_a_refused_bind_leaves_sends_retryable(
        self, peer: Peer, make_carrier: MakeCarrier
    ) -> None:
        carrier = make_carrier(password="wrong", timeout_seconds=0.5)

        with pytest.raises(RetryableCarrierError) as refused:
            await carrier.send(outbound(SIGNED + "您好"))

        assert refused.value.code == "smpp_not_bound"
        assert peer.pdus("bind_transceiver")
        assert not peer.pdus("submit_sm")


class TestCallbacks:
    """Receipts and replies arriving as deliver_sm reach the sink before they are acknowledged."""

    async def test_a_receipt_reaches_the_sink_as_delivered(
        self, peer: Peer, make_carrier: MakeCarrier, sink: RecordingSink
    ) -> None:
        carrier = make_carrier()

        result = await carrier.send(outbound(SIGNED + "您好"))
        await asyncio.wait_for(sink.report_arrived.wait(), 5)
        await peer.wait_for_pdus("deliver_sm_resp")

        [(name, report)] = sink.reports
        assert name == "smpp-test"
        assert report.state is DeliveryState.DELIVERED
        assert report.carrier_message_id == result.carrier_message_id
        assert report.phone == PHONE

    async def test_the_receipt_is_acknowledged_only_after_the_sink_returned(
        self, peer: Peer, make_carrier: MakeCarrier, sink: RecordingSink
    ) -> None:
        sink.gate.clear()
        await make_carrier().send(outbound(SIGNED + "您好"))
        await asyncio.wait_for(sink.report_arrived.wait(), 5)
        await asyncio.sleep(0.2)
        unacknowledged = peer.pdus("deliver_sm_resp")

        sink.gate.set()
        [ack] = await peer.wait_for_pdus("deliver_sm_resp")

        assert unacknowledged == []
        assert ack["command_status"] == 0

    async def test_without_a_sink_the_smsc_is_told_to_try_again(
        self, peer: Peer, make_carrier: MakeCarrier
    ) -> None:
        await make_carrier(attach=False).send(outbound(SIGNED + "您好"))

        [ack] = await peer.wait_for_pdus("deliver_sm_resp")

        assert ack["command_status"] == 0x64

    async def test_an_opt_out_reply_reaches_the_sink(
        self, peer: Peer, make_carrier: MakeCarrier, sink: RecordingSink
    ) -> None:
        carrier = make_carrier()
        await carrier.start()
        await peer.wait_for_pdus("bind_transceiver")

        await peer.command(
            cmd="deliver", source_addr="8613800138000", source_addr_ton=1,
            destination_addr="10690001", data_coding=8,
            short_message_hex="退订".encode("utf-16-be").hex(),
        )  # fmt: skip
        await asyncio.wait_for(sink.reply_arrived.wait(), 5)

        [(name, reply)] = sink.replies
        assert (name, reply.phone, reply.text, reply.extension) == (
            "smpp-test", PHONE, "退订", "10690001"
        )  # fmt: skip

    async def test_a_reply_in_two_parts_is_put_back_together(
        self, peer: Peer, make_carrier: MakeCarrier, sink: RecordingSink
    ) -> None:
        carrier = make_carrier()
        await carrier.start()
        await peer.wait_for_pdus("bind_transceiver")
        halves = ["我已经还款了😀", "请不要再发短信"]

        for number, half in enumerate(halves, start=1):
            header = bytes([5, 0, 3, 0x2A, 2, number])
            await peer.command(
                cmd="deliver", source_addr="8613800138000", source_addr_ton=1,
                destination_addr="10690001", data_coding=8, esm_class=0x40,
                short_message_hex=(header + half.encode("utf-16-be")).hex(),
            )  # fmt: skip
        await asyncio.wait_for(sink.reply_arrived.wait(), 5)
        await peer.wait_for_pdus("deliver_sm_resp", count=2)

        assert [reply.text for _, reply in sink.replies] == ["".join(halves)]


class TestSessionLife:
    """The session stays bound, comes back after a cut, and unbinds when closed."""

    async def test_enquire_link_keeps_the_session_up(
        self, peer: Peer, make_carrier: MakeCarrier
    ) -> None:
        carrier = make_carrier(enquire_link_seconds=0.2)
        await carrier.start()

        await peer.wait_for_pdus("enquire_link", count=3)
        await peer.command(cmd="enquire_link")
        await peer.wait_for_pdus("enquire_link_resp")
        result = await carrier.send(outbound(SIGNED + "您好"))

        assert result.carrier_message_id
        assert len(peer.pdus("bind_transceiver")) == 1
        assert not peer.matching(lambda r: r["event"] == "closed")

    async def test_a_cut_connection_is_bound_again(
        self, peer: Peer, make_carrier: MakeCarrier
    ) -> None:
        carrier = make_carrier()
        await carrier.start()
        await peer.wait_for_pdus("bind_transceiver")

        await peer.command(cmd="drop")
        await peer.wait_for_pdus("bind_transceiver", count=2)
        result = await carrier.send(outbound(SIGNED + "您好"))

        assert result.carrier_message_id

    async def test_close_unbinds_cleanly(self, peer: Peer, make_carrier: MakeCarrier) -> None:
        carrier = make_carrier()
        await carrier.send(outbound(SIGNED + "您好"))

        await carrier.aclose()
        [closed] = await peer.wait_for(lambda r: r["event"] == "closed")
        await asyncio.sleep(0.3)

        assert len(peer.pdus("unbind")) == 1
        assert closed["bound"] is False
        assert len(peer.pdus("bind_transceiver")) == 1
        with pytest.raises(RetryableCarrierError):
            await carrier.send(outbound(SIGNED + "您好"))


class TestLogs:
    """Operator logs name the account and the masked number, never the text or the password."""

    async def test_a_send_logs_no_secrets(
        self, peer: Peer, make_carrier: MakeCarrier, sink: RecordingSink
    ) -> None:
        text = SIGNED + "张三您好，您的账单已逾期"
        with capture_logs() as events:
            await make_carrier().send(outbound(text))
            await asyncio.wait_for(sink.report_arrived.wait(), 5)

        logged = repr(events)
        names = [event["event"] for event in events]
        assert {"smpp.bound", "smpp.submitted", "smpp.receipt_received"} <= set(names)
        assert "张三" not in logged
        assert PASSWORD not in logged
        assert "13800138000" not in logged
        assert "138****8000" in logged
