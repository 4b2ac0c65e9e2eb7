"""The README's run command, as a newcomer uses it: start the demo, paste the printed curl,
and see the message come out of the console carrier."""

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .local import free_port
from .security.log_hygiene import feed_log_lines


def read_until(process: subprocess.Popen[str], pattern: str, timeout: float) -> list[str]:
    """Lines of stdout up to and including the first that matches ``pattern``."""
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        lines.append(line.rstrip("\n"))
        if re.search(pattern, line):
            return lines
    pytest.fail(f"no line matching {pattern!r} within {timeout}s; got:\n" + "\n".join(lines))


def printed_curl(lines: list[str]) -> list[str]:
    """The curl command of the banner, joined over its continuation lines, as argv."""
    start = next(i for i, line in enumerate(lines) if line.startswith("curl -s -X POST"))
    command = []
    for line in lines[start:]:
        command.append(line.rstrip("\\").strip())
        if not line.endswith("\\"):
            break
    return shlex.split(" ".join(command))


class TestRunCommand:
    """``smsgate demo`` serves; its printed curl sends a message the console carrier prints."""

    def test_printed_curl_sends_a_message(self, tmp_path: Path) -> None:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMSGATE_")}
        env["SMSGATE_LOG_FORMAT"] = "json"
        process = subprocess.Popen(
            [sys.executable, "-m", "smsgate.cli", "demo", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            banner = read_until(process, r"dispatcher_started", timeout=60)
            feed_log_lines("smsgate demo", banner)  # its start-up log events, for the log check
            curl = printed_curl(banner)
            sent = subprocess.run(curl, capture_output=True, text=True, timeout=30, check=True)
            accepted = json.loads(sent.stdout)
            assert accepted["status"] == "queued", accepted
            carrier_line = read_until(
                process, '"carrier": "console", "message_id": "' + re.escape(accepted["id"]), 30
            )[-1]
            sms = json.loads(carrier_line)
            assert sms["carrier"] == "console"
            assert sms["text"].startswith("【安信消费金融】张三您好")
            # The demo picks a number where it is daytime now: the one it printed.
            assert sms["to"] == json.loads(curl[curl.index("-d") + 1])["recipient"]["phone"]
            ui = next(line for line in banner if line.startswith("Compliance UI: "))
            url = ui.split()[2]
            status_only = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url]
            page = subprocess.run(
                status_only, capture_output=True, text=True, timeout=30, check=True
            )
            assert page.stdout in {"200", "302", "303"}, page.stdout
        finally:
            process.terminate()
            process.communicate(timeout=30)
        assert (tmp_path / "smsgate-demo.db").exists()
