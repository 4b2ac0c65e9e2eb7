"""The whole-run log-hygiene check can fail, and the real pipeline masks what it must."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import structlog

from .log_hygiene import (
    LogLine,
    LogTap,
    is_log_event,
    log_files,
    scan,
    secrets_in_environment,
    session_tap,
)

SESSION_SECRET = "a-session-secret-the-tests-set-0123456789"


class TestScanner:
    """Synthetic lines with a leak are reported, masked; clean lines pass."""

    @pytest.mark.parametrize(
        ("line", "kind"),
        [
            pytest.param('{"event": "x", "auth": "sgk_Zm9vYmFyYmF6cXV4MTIz"}', "api_key", id="key"),
            pytest.param('{"event": "x", "phone": "+8613800138000"}', "phone", id="e164"),
            pytest.param('{"event": "x", "phone": "13800138000"}', "phone", id="national"),
            pytest.param("2026-11-23 WARNING sent to 13912345678", "phone", id="plain-text"),
            pytest.param(
                '{"event": "x", "note": "张三您好，您的账单1234.50元"}', "body", id="body"
            ),
            pytest.param(
                '{"event": "x", "note": "\\u8bf7\\u5c3d\\u5feb\\u8fd8\\u6b3e"}',
                "body",
                id="escaped",
            ),
            pytest.param(f'{{"event": "x", "detail": "{SESSION_SECRET}"}}', "secret", id="secret"),
        ],
    )
    def test_a_leak_is_reported_masked(self, line: str, kind: str) -> None:
        [finding] = scan([LogLine("tests/x.py::test_y", line)], [SESSION_SECRET])
        assert (finding.source, finding.kind) == ("tests/x.py::test_y", kind)
        for leaked in ("sgk_Zm9v", "8613800138000", "13800138000", "13912345678", SESSION_SECRET):
            assert leaked not in finding.line
        assert "tests/x.py::test_y" in str(finding)

    @pytest.mark.parametrize(
        "line",
        [
            pytest.param('{"event": "x", "phone": "+86138****8000"}', id="masked-e164"),
            pytest.param('{"event": "x", "phone": "138****8000"}', id="masked-national"),
            pytest.param('{"event": "x", "message_id": "msg_13800138000abc"}', id="id"),
            pytest.param('{"event": "x", "carrier_id": "c0d13800138000f"}', id="hex-id"),
            pytest.param('{"timestamp": "2026-11-23T02:00:00.123456Z"}', id="timestamp"),
            pytest.param('{"event": "x", "at_ms": 1763863200123}', id="epoch-ms"),
            pytest.param('{"event": "x", "key": "key_45JYAm7oOLk2Lpe_FTyPQg"}', id="key-id"),
            pytest.param('{"event": "x", "template": "overdue-reminder"}', id="template-name"),
        ],
    )
    def test_clean_lines_pass(self, line: str) -> None:
        assert scan([LogLine("t", line)], [SESSION_SECRET]) == []

    def test_short_secret_values_are_not_searched(self) -> None:
        assert scan([LogLine("t", '{"event": "x", "level": "info"}')], ["info"]) == []

    def test_secrets_come_from_variables_named_like_one(self) -> None:
        environment = {"SMSGATE_WEBHOOK_SECRET": "w" * 40, "SMSGATE_PORT": "8080", "X_TOKEN": "t"}
        assert secrets_in_environment(environment) == {"w" * 40, "t"}

    def test_subprocess_log_files_are_read(self, tmp_path: Path) -> None:
        # Not *.log: the session's own check reads those, and this one leaks on purpose.
        log = tmp_path / "process-0.synthetic"
        event = json.dumps({"event": "message_sent", "phone": "+8613800138000"})
        log.write_text(f"starting\n{event}\nTraceback: not JSON\n")
        lines = list(log_files(tmp_path, "*.synthetic"))
        assert lines == [LogLine("process-0.synthetic", event)]
        assert [f.kind for f in scan(lines)] == ["phone"]

    def test_only_json_events_count_as_log_lines(self) -> None:
        assert is_log_event('{"event": "x"}')
        assert not is_log_event('{"id": "msg_x"}')
        assert not is_log_event("sgk_printed_by_the_demo_banner_on_purpose")


class TestSessionTap:
    """Every test's structlog events reach the session tap through the production pipeline."""

    def test_a_full_phone_is_logged_masked(self, request: pytest.FixtureRequest) -> None:
        tap = session_tap()
        assert tap is not None, "tests/conftest.py did not install the log tap"
        before = len(tap.lines)
        structlog.get_logger("smsgate.test").info(
            "opt_out_added", phone="+8613800138000", note="reply from 13912345678", text="您好"
        )
        mine = [line for line in tap.lines[before:] if line.source == request.node.nodeid]
        [line] = [json.loads(line.text) for line in mine]
        assert line["event"] == "opt_out_added"
        assert (line["phone"], line["note"]) == ("+86138****8000", "reply from 139****5678")
        assert "text" not in line
        assert scan(mine) == []

    def test_a_leaking_line_fed_to_the_tap_would_fail_the_run(self) -> None:
        tap = LogTap()  # a private tap: the session's must stay clean
        tap.feed("harness", ['{"event": "sent", "to": "+8613800138000"}', "plain output"])
        assert [(f.source, f.kind) for f in scan(tap.lines)] == [("harness", "phone")]
