"""Log safety: phones are masked, bodies and secrets dropped, before any line is written."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from smsgate.logs import REDACTED_FIELDS, configure_logging, mask_phone, numeric_field, redact


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """structlog configured to write JSON into a buffer; the old configuration restored after."""
    previous = structlog.get_config()
    stream = io.StringIO()
    configure_logging("json", stream)
    yield stream
    structlog.configure(**previous)


def lines_of(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


class TestMaskPhone:
    """Every phone-like run of seven or more digits keeps 3 leading and 4 trailing digits."""

    @pytest.mark.parametrize(
        ("raw", "digits", "last_four"),
        [
            pytest.param("+8613800138000", "8613800138000", "8000", id="cn-mobile-e164"),
            pytest.param("13800138000", "13800138000", "8000", id="cn-mobile-national"),
            pytest.param("8613800138000", "8613800138000", "8000", id="cn-mobile-no-plus"),
            pytest.param("+14155552671", "14155552671", "2671", id="us-e164"),
            pytest.param("+861062345678", "861062345678", "5678", id="cn-landline-e164"),
        ],
    )
    def test_full_number_never_survives(self, raw: str, digits: str, last_four: str) -> None:
        masked = mask_phone(raw)
        assert digits not in masked.replace("+", "")
        assert "****" in masked
        assert masked.endswith(last_four)

    @pytest.mark.parametrize(
        ("raw", "masked"),
        [
            pytest.param("请拨打13912345678联系", "请拨打139****5678联系", id="inside-chinese"),
            pytest.param("call +8613800138000 now", "call +86138****8000 now", id="inside-text"),
            pytest.param(
                "tel:13800138000,13900139000",
                "tel:138****8000,139****9000",
                id="two-numbers",
            ),
            pytest.param("/v1/opt-outs/+8613800138000", "/v1/opt-outs/+86138****8000", id="path"),
        ],
    )
    def test_numbers_inside_text(self, raw: str, masked: str) -> None:
        assert mask_phone(raw) == masked

    @pytest.mark.parametrize(
        "raw",
        [
            pytest.param("95555", id="bank-hotline"),
            pytest.param("10086", id="carrier-hotline"),
            pytest.param("D-1001", id="debtor-id"),
            pytest.param("2026-11-23T02:00:00.000000Z", id="timestamp"),
            pytest.param("123456", id="six-digits"),
            pytest.param("console-010dc53612345674361c", id="hex-carrier-id"),
            pytest.param("msg_Ab12345678Cd", id="message-id"),
            pytest.param("", id="empty"),
        ],
    )
    def test_short_runs_are_left_alone(self, raw: str) -> None:
        assert mask_phone(raw) == raw

    @pytest.mark.parametrize(
        ("raw", "masked"),
        [
            pytest.param("62345678", "****5678", id="eight-digit-landline"),
            pytest.param("010-62345678", "010-****5678", id="landline-with-separator"),
        ],
    )
    def test_landlines_are_masked(self, raw: str, masked: str) -> None:
        assert mask_phone(raw) == masked

    def test_ten_digit_hotline_is_masked_too(self) -> None:
        # 400 numbers are company hotlines, not personal data; masking them is harmless.
        assert mask_phone("4008001234") == "40****1234"

    @pytest.mark.parametrize(
        "raw", [pytest.param("+8613800138000", id="e164"), pytest.param("x 13800138000", id="text")]
    )
    def test_masking_twice_changes_nothing(self, raw: str) -> None:
        assert mask_phone(mask_phone(raw)) == mask_phone(raw)

    @pytest.mark.parametrize(
        ("raw", "masked"),
        [
            pytest.param("13800138000", "138****8000", id="national"),
            pytest.param("+8613800138000", "+86138****8000", id="e164-docstring-example"),
        ],
    )
    def test_design_form_hides_four_digits(self, raw: str, masked: str) -> None:
        assert mask_phone(raw) == masked


class TestRedact:
    """Body and secret fields are dropped; phones in top-level strings are masked."""

    @pytest.mark.parametrize("name", sorted(REDACTED_FIELDS))
    def test_drops_field(self, name: str) -> None:
        event = redact(None, "info", {"event": "x", name: "S3cret 13800138000"})
        assert event == {"event": "x"}

    @pytest.mark.parametrize(
        "name",
        [
            pytest.param("text", id="text"),
            pytest.param("body", id="body"),
            pytest.param("secret", id="secret"),
            pytest.param("authorization", id="authorization"),
        ],
    )
    def test_required_fields_are_in_the_list(self, name: str) -> None:
        assert name in REDACTED_FIELDS

    def test_masks_phones_and_keeps_the_rest(self) -> None:
        event = redact(
            None,
            "info",
            {"event": "opt_out_added", "phone": "+8613800138000", "creditor": "acme", "n": 3},
        )
        assert event == {
            "event": "opt_out_added",
            "phone": "+86138****8000",
            "creditor": "acme",
            "n": 3,
        }

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param({"phone": "+8613800138000"}, id="nested-dict"),
            pytest.param(["13800138000"], id="list"),
            pytest.param(13800138000, id="integer"),
        ],
    )
    def test_masks_phones_in_nested_values(self, value: Any) -> None:
        event = redact(None, "info", {"event": "x", "recipient": value})
        assert "13800138000" not in json.dumps(event)

    def test_drops_fields_whatever_their_case(self) -> None:
        event = redact(None, "info", {"event": "x", "Authorization": "Bearer sgk_abc"})
        assert event == {"event": "x"}


class TestNumericFields:
    """Integer ids, counts and latencies pass unmasked; phone fields stay masked whatever else."""

    @pytest.mark.parametrize(
        "name",
        [
            pytest.param("first_id", id="first-id"),
            pytest.param("last_id", id="last-id"),
            pytest.param("id", id="id"),
            pytest.param("event_ids", id="ids"),
            pytest.param("count", id="count"),
            pytest.param("failures", id="failures"),
            pytest.param("latency_ms", id="latency-ms"),
            pytest.param("wait_seconds", id="seconds"),
        ],
    )
    def test_big_integers_of_id_count_and_latency_fields_are_kept(self, name: str) -> None:
        event = redact(None, "info", {"event": "x", name: 13800138000})
        assert event[name] == 13800138000

    @pytest.mark.parametrize(
        "name",
        [
            pytest.param("phone", id="phone"),
            pytest.param("phone_id", id="phone-id"),
            pytest.param("to_number", id="to-number"),
            pytest.param("recipient", id="recipient"),
            pytest.param("valid", id="ends-in-id-letters-only"),
            pytest.param("amount", id="other"),
        ],
    )
    def test_other_integers_stay_masked(self, name: str) -> None:
        event = redact(None, "info", {"event": "x", name: 13800138000})
        assert event[name] == "138****8000"

    def test_a_string_in_an_id_field_is_still_masked(self) -> None:
        event = redact(None, "info", {"event": "x", "debtor_id": "13800138000"})
        assert event["debtor_id"] == "138****8000"

    def test_nested_names_decide_too(self) -> None:
        event = redact(
            None,
            "info",
            {"event": "x", "batch": {"first_id": 12345678, "phone": 13800138000}, "ids": [9876543]},
        )
        assert event["batch"] == {"first_id": 12345678, "phone": "138****8000"}
        assert event["ids"] == [9876543]

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            pytest.param("message_id", True, id="message-id"),
            pytest.param("segments", True, id="segments"),
            pytest.param("mobile", False, id="mobile"),
            pytest.param("from_id", False, id="from-hint-wins"),
        ],
    )
    def test_numeric_field(self, name: str, expected: bool) -> None:
        assert numeric_field(name) is expected


class TestConfiguredPipeline:
    """``configure_logging('json', stream)`` writes one safe JSON object per event."""

    def test_json_line_with_event_level_and_timestamp(self, json_lines: io.StringIO) -> None:
        structlog.get_logger("t").info(
            "opt_out_added", phone="+8613800138000", text="您的账单已逾期", secret="sgk_abc"
        )
        [line] = lines_of(json_lines)
        assert line["event"] == "opt_out_added"
        assert line["level"] == "info"
        assert line["timestamp"].endswith("Z")
        assert line["phone"] == "+86138****8000"
        assert "text" not in line
        assert "secret" not in line

    def test_exception_text_is_masked(self, json_lines: io.StringIO) -> None:
        try:
            raise ValueError("no route to +8613800138000")
        except ValueError:
            structlog.get_logger("t").exception("send_failed")
        assert "8613800138000" not in json_lines.getvalue()
