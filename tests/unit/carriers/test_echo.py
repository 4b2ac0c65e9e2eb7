"""``carrier_text``: what a carrier says back is bounded, printable, masked and cut of echoes."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from smsgate.carriers import (
    DeliveryReport,
    DeliveryState,
    OutboundSms,
    OutcomeUnknown,
    PermanentCarrierError,
    RetryableCarrierError,
    SendResult,
)
from smsgate.carriers.echo import (
    CARRIER_CODE_LIMIT,
    CARRIER_ID_LIMIT,
    CARRIER_TEXT_LIMIT,
    carrier_text,
)
from smsgate.carriers.kannel.adapter import read_answer
from smsgate.core.sms import Encoding

PHONE = "+8613800138000"
MASKED = "+86138****8000"
TEXT = "【安信消费金融】张三您好，您的账单1234.50元已逾期5天，请尽快还款。"
SENT = (TEXT, PHONE)


class TestBounds:
    """Length-bounded with an ellipsis; printable; nothing else changed."""

    def test_a_short_code_is_kept_as_it_is(self) -> None:
        assert carrier_text("isv.BUSINESS_LIMIT_CONTROL") == "isv.BUSINESS_LIMIT_CONTROL"

    def test_a_long_text_is_cut_with_an_ellipsis(self) -> None:
        cut = carrier_text("x" * 10_000)
        assert len(cut) == CARRIER_TEXT_LIMIT
        assert cut.endswith("…")
        assert carrier_text("y" * CARRIER_TEXT_LIMIT) == "y" * CARRIER_TEXT_LIMIT

    def test_control_and_format_characters_become_single_spaces(self) -> None:
        raw = "line one\r\n\tline\x00two\x1b[31m \u202eevil\u2028end"
        assert carrier_text(raw) == "line one line two [31m evil end"

    @given(st.text(), st.integers(min_value=0, max_value=300), st.lists(st.text(), max_size=3))
    def test_never_raises_and_holds_its_bound(self, value: str, limit: int, echoes: list) -> None:
        cut = carrier_text(value, limit=limit, echoes=echoes)
        assert len(cut) <= max(limit, 1)
        assert cut.isprintable()
        assert carrier_text(cut, limit=limit) == cut  # what is kept is kept as it is


class TestMasking:
    """Phone numbers are masked as in our own log fields; echoes of what we sent are cut out."""

    def test_a_phone_is_masked_without_knowing_it(self) -> None:
        assert carrier_text(f"bad number {PHONE[3:]}") == "bad number 138****8000"

    @pytest.mark.parametrize(
        "spelled",
        [
            pytest.param("+86 138 0013 8000", id="spaces"),
            pytest.param("86-138-0013-8000", id="dashes"),
            pytest.param("(138) 0013.8000", id="national"),
        ],
    )
    def test_the_sent_phone_is_masked_however_it_is_spaced(self, spelled: str) -> None:
        assert carrier_text(f"to={spelled};", echoes=SENT) == f"to={MASKED};"

    def test_the_sent_text_is_cut_out(self) -> None:
        assert carrier_text(f"rejected: {TEXT} (E42)", echoes=SENT) == "rejected: [text] (E42)"

    def test_a_piece_of_the_text_is_cut_out_too(self) -> None:
        # A carrier that quotes the start of the text (Kannel's "text:" field does).
        assert carrier_text(f"E42 text:{TEXT[8:20]}", echoes=SENT) == "E42 text:[text]"

    def test_common_english_words_are_no_echo(self) -> None:
        sent = ("Please pay the bill now. Reply STOP to opt out", PHONE)
        assert carrier_text("the number is invalid", echoes=sent) == "the number is invalid"
        assert carrier_text("echo: Please pay the bill", echoes=sent) == "echo: [text]"


class TestErrorsAndReports:
    """The carrier error family and delivery reports keep carrier text only in this form."""

    def test_a_carrier_error_is_bounded_and_masked_on_construction(self) -> None:
        error = PermanentCarrierError(f"refused {PHONE[1:]} " + "!" * 500, code="c" * 100)
        assert len(str(error)) == CARRIER_TEXT_LIMIT
        assert PHONE[1:] not in str(error)
        assert len(error.code) == CARRIER_CODE_LIMIT

    @pytest.mark.parametrize("kind", [RetryableCarrierError, PermanentCarrierError, OutcomeUnknown])
    def test_without_echoes_keeps_the_class_and_drops_the_cause(self, kind: type) -> None:
        try:
            try:
                raise ValueError(TEXT)
            except ValueError as cause:
                raise kind(f"no: {TEXT}", code=f"E {PHONE}") from cause
        except kind as error:
            clean = error.without_echoes(*SENT)
        assert type(clean) is kind
        assert (str(clean), clean.code) == ("no: [text]", f"E {MASKED}")
        assert clean.__cause__ is None

    def test_a_delivery_report_keeps_carrier_text_bounded_and_masked(self) -> None:
        report = DeliveryReport(
            DeliveryState.FAILED,
            client_reference="msg_a-1",
            error_code=f"UNDELIV {PHONE} " + "x" * 100,
            description=f"to {PHONE[3:]}\n" + "y" * 1000,
        )
        assert report.error_code.startswith(f"UNDELIV {MASKED}")
        assert len(report.error_code) == CARRIER_CODE_LIMIT
        assert report.description.startswith("to 138****8000 yyy")
        assert len(report.description) == CARRIER_TEXT_LIMIT

    def test_message_ids_are_bounded_alike_so_reports_still_match(self) -> None:
        raw = "0123456789" * 50 + "\x00"
        sent = SendResult("smpp", datetime(2026, 1, 1, tzinfo=UTC), raw)
        report = DeliveryReport(DeliveryState.DELIVERED, carrier_message_id=raw)
        assert sent.carrier_message_id == report.carrier_message_id == raw[:CARRIER_ID_LIMIT]
        nul = DeliveryReport(DeliveryState.DELIVERED, carrier_message_id="\x00")
        assert nul.carrier_message_id == "\ufffd"  # unprintable, but still an id
        numeric = SendResult("smpp", datetime(2026, 1, 1, tzinfo=UTC), "13800138000")
        assert numeric.carrier_message_id == "13800138000"  # matched, so never masked

    def test_kannel_logs_and_raises_a_refusal_without_the_echo(self) -> None:
        sms = OutboundSms("msg_a", 1, PHONE, TEXT, 1, Encoding.UCS2, "acme")
        response = httpx.Response(400, text=f"Bad text '{TEXT}' to {PHONE}\n")
        with capture_logs() as events, pytest.raises(PermanentCarrierError) as raised:
            read_answer(response, sms)
        [refused] = events
        assert refused["answer"] == f"Bad text '[text]' to {MASKED}"
        assert TEXT[8:12] not in str(raised.value)
