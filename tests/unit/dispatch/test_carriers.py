"""Carrier adapters: the error family, the fake, the JSON-line carriers and the registry."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

import smsgate.carriers
from smsgate.carriers import (
    CarrierError,
    ConsoleCarrier,
    FakeCarrier,
    FileCarrier,
    InvalidCarrierConfig,
    OutboundSms,
    OutcomeUnknown,
    PermanentCarrierError,
    RetryableCarrierError,
    SendResult,
    UnknownCarrier,
    build_carrier,
    carrier_names,
)
from smsgate.core.sms import Encoding

AT = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
SMS = OutboundSms("msg_a", 2, "+8613800138000", "【安信】您好", 1, Encoding.UCS2, "acme")


class TestOutboundSms:
    """An attempt's client reference is ``{message_id}-{attempt}``, stable per attempt."""

    def test_client_reference(self) -> None:
        assert SMS.client_reference == "msg_a-2"

    def test_attempts_count_from_one(self) -> None:
        with pytest.raises(ValueError, match="from 1"):
            OutboundSms("msg_a", 0, "+86138", "x", 1, Encoding.GSM7, "acme")


class TestErrorTree:
    """Every send failure is a ``CarrierError`` of exactly one kind, carrying the carrier's code."""

    @pytest.mark.parametrize("kind", [RetryableCarrierError, PermanentCarrierError, OutcomeUnknown])
    def test_kinds(self, kind: type[CarrierError]) -> None:
        error = kind("nope", code="E42")
        assert isinstance(error, CarrierError)
        assert (str(error), error.code) == ("nope", "E42")

    def test_unknown_carrier_is_a_lookup_error(self) -> None:
        assert issubclass(UnknownCarrier, LookupError)
        assert not issubclass(UnknownCarrier, CarrierError)


class TestFakeCarrier:
    """The handler decides each send; every call is recorded."""

    async def test_default_accepts(self) -> None:
        carrier = FakeCarrier(clock=lambda: AT)
        assert await carrier.send(SMS) == SendResult("fake", AT, "fake-msg_a-2")
        assert carrier.calls == [SMS]

    async def test_async_handler_and_full_result(self) -> None:
        async def handler(sms: OutboundSms) -> SendResult:
            return SendResult("other", AT, "x")

        assert await FakeCarrier(handler).send(SMS) == SendResult("other", AT, "x")

    async def test_errors_pass_through_and_are_counted(self) -> None:
        def refuse(sms: OutboundSms) -> str:
            raise PermanentCarrierError("bad number", code="1")

        carrier = FakeCarrier(refuse)
        with pytest.raises(PermanentCarrierError):
            await carrier.send(SMS)
        assert carrier.sent_ids() == ["msg_a"]

    async def test_closed(self) -> None:
        carrier = FakeCarrier()
        await carrier.aclose()
        with pytest.raises(RuntimeError):
            await carrier.send(SMS)


class TestJournalCarriers:
    """Console and file carriers write one flushed JSON line per message."""

    async def test_console(self, capsys: pytest.CaptureFixture[str]) -> None:
        carrier = ConsoleCarrier(clock=lambda: AT)
        result = await carrier.send(SMS)
        await carrier.aclose()
        line = json.loads(capsys.readouterr().out)
        assert line == {
            "carrier": "console", "message_id": "msg_a", "to": "+8613800138000",
            "text": "【安信】您好", "segments": 1, "at": "2024-05-01T02:00:00+00:00",
        }  # fmt: skip
        assert (result.carrier, result.accepted_at) == ("console", AT)
        assert str(result.carrier_message_id).startswith("console-")

    async def test_file_appends_flushed_lines(self, tmp_path: Path) -> None:
        path = tmp_path / "sent.jsonl"
        path.write_text('{"earlier": true}\n', encoding="utf-8")
        carrier = FileCarrier(path, clock=lambda: AT)
        first = await carrier.send(SMS)
        assert len(path.read_text(encoding="utf-8").splitlines()) == 2  # visible before close
        second = await carrier.send(SMS)
        await carrier.aclose()
        await carrier.aclose()
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert [line.get("carrier") for line in lines] == [None, "file", "file"]
        assert lines[1]["text"] == "【安信】您好"
        assert first.carrier_message_id != second.carrier_message_id


class TestRegistry:
    """Adapters are found by name in the ``smsgate.carriers`` entry-point group."""

    def test_shipped_adapters_registered(self) -> None:
        assert {"console", "file"} <= set(carrier_names())
        assert "fake" not in carrier_names()

    async def test_build_console(self) -> None:
        carrier = build_carrier("console")
        assert isinstance(carrier, ConsoleCarrier)
        await carrier.aclose()

    async def test_build_file(self, tmp_path: Path) -> None:
        carrier = build_carrier("file", {"path": str(tmp_path / "out.jsonl")})
        assert isinstance(carrier, FileCarrier)
        assert carrier.name == "file"
        await carrier.aclose()

    def test_unknown_name(self) -> None:
        with pytest.raises(UnknownCarrier, match=r"'smpp-typo'.*installed: .*console"):
            build_carrier("smpp-typo")

    @pytest.mark.parametrize(
        ("name", "config", "match"),
        [
            pytest.param("file", {}, "needs a path", id="file-without-path"),
            pytest.param("file", {"path": "x", "pth": "y"}, "unknown setting", id="typo"),
            pytest.param("console", {"stream": "stderr"}, "unknown setting", id="console"),
        ],
    )
    def test_bad_config(self, name: str, config: dict[str, str], match: str) -> None:
        with pytest.raises(InvalidCarrierConfig, match=match):
            build_carrier(name, config)


class TestPublicApi:
    """Every name in ``__all__`` exists, once."""

    def test_all(self) -> None:
        names = smsgate.carriers.__all__
        assert all(hasattr(smsgate.carriers, name) for name in names)
        assert len(set(names)) == len(names)
