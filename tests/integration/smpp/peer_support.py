"""The peer SMSC (node ``smpp`` package's server, see ``peer/server.js``) and a recording sink.

The peer prints one JSON line per PDU it receives and takes commands as
JSON lines on its stdin; :class:`Peer` reads the lines in the background and
lets a test wait for the records it expects. It is an SMSC we did not
write, so what our client sends is checked against another implementation
of SMPP, not against our own decoder.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from smsgate.carriers import DeliveryReport, InboundSms

PEER_DIR = Path(__file__).parent / "peer"
INSTALL_HINT = (
    "the SMPP peer needs node and its npm modules: "
    "apt-get install -y nodejs npm && npm ci --prefix tests/integration/smpp/peer"
)
SYSTEM_ID = "smsgate"
PASSWORD = "pw12345"

Record = dict[str, Any]


def require_node() -> str:
    """The node executable; fails the test (never skips) if node or the modules are missing."""
    node = shutil.which("node")
    if node is None or not (PEER_DIR / "node_modules" / "smpp" / "package.json").is_file():
        pytest.fail(INSTALL_HINT)
    return node


class Peer:
    """A running peer SMSC: its port, every record it printed, and a way to command it."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self.records: list[Record] = []
        self._changed = asyncio.Condition()
        self._reader = asyncio.get_running_loop().create_task(self._read())
        self.port = 0

    @classmethod
    async def start(cls) -> Peer:
        process = await asyncio.create_subprocess_exec(
            require_node(), str(PEER_DIR / "server.js"), "0", SYSTEM_ID, PASSWORD,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        peer = cls(process)
        listening = await peer.wait_for(lambda r: r["event"] == "listening")
        peer.port = listening[0]["port"]
        return peer

    async def _read(self) -> None:
        assert self._process.stdout is not None
        async for line in self._process.stdout:
            async with self._changed:
                self.records.append(json.loads(line))
                self._changed.notify_all()

    def matching(self, predicate: Callable[[Record], bool]) -> list[Record]:
        return [record for record in self.records if predicate(record)]

    def pdus(self, command: str) -> list[Record]:
        """Every PDU of ``command`` the peer received, in order."""
        return self.matching(lambda r: r["event"] == "pdu" and r["command"] == command)

    async def wait_for(
        self, predicate: Callable[[Record], bool], count: int = 1, seconds: float = 5.0
    ) -> list[Record]:
        """The first ``count`` records matching; fails the test if they do not come in time."""
        async with asyncio.timeout(seconds), self._changed:
            await self._changed.wait_for(lambda: len(self.matching(predicate)) >= count)
        return self.matching(predicate)[:count]

    async def wait_for_pdus(self, command: str, count: int = 1) -> list[Record]:
        """The first ``count`` PDUs of ``command`` the peer received."""
        return await self.wait_for(lambda r: r in self.pdus(command), count)

    async def command(self, **command: Any) -> None:
        """Send one control command and wait until the peer carried it out."""
        assert self._process.stdin is not None
        done = len(self.matching(lambda r: r["event"] == "done"))
        self._process.stdin.write((json.dumps(command) + "\n").encode())
        await self._process.stdin.drain()
        await self.wait_for(lambda r: r["event"] == "done", count=done + 1)

    async def stop(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        try:
            async with asyncio.timeout(5):
                await self._process.wait()
        except TimeoutError:
            self._process.kill()
            await self._process.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


class RecordingSink:
    """A ``CallbackSink`` that keeps what it is given; ``gate`` can hold a report back."""

    def __init__(self) -> None:
        self.reports: list[tuple[str, DeliveryReport]] = []
        self.replies: list[tuple[str, InboundSms]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.report_arrived = asyncio.Event()
        self.reply_arrived = asyncio.Event()

    async def delivery_report(self, carrier: str, report: DeliveryReport) -> None:
        self.report_arrived.set()
        await self.gate.wait()
        self.reports.append((carrier, report))

    async def inbound_message(self, carrier: str, message: InboundSms) -> None:
        self.replies.append((carrier, message))
        self.reply_arrived.set()
