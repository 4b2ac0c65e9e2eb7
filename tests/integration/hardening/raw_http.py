"""Raw HTTP/1.1 over a socket, for requests aiohttp's client would refuse to send or would fix.

A hostile client lies about lengths, stops mid-body, sends bytes that are not
UTF-8 or headers a byte at a time; these helpers write exactly the bytes a
test gives and read back the answer, with a deadline on every wait.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

from .limited import LimitedGateway


@dataclass(frozen=True)
class RawAnswer:
    """A response as read off the wire, and how long the first line took to arrive."""

    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0]

    def problem(self) -> dict[str, Any]:
        """The problem+json document of the answer (asserts that it is one)."""
        assert self.content_type == "application/problem+json", (self.status, self.body[:200])
        document: dict[str, Any] = json.loads(self.body)
        assert document["status"] == self.status
        return document


def request_head(
    method: str,
    path: str,
    *,
    token: str | None = None,
    content_type: str | None = "application/json",
    length: int | None = None,
    extra: bytes = b"",
) -> bytes:
    """The bytes of a request line and headers (``Connection: close``), blank line included."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return "\r\n".join(lines).encode() + b"\r\n" + extra + b"\r\n"


async def read_answer(
    reader: asyncio.StreamReader, started: float, within: float = 10.0
) -> RawAnswer:
    """The next response on ``reader``; raises ``TimeoutError`` after ``within`` seconds."""
    async with asyncio.timeout(within):
        head = await reader.readuntil(b"\r\n\r\n")
        seconds = time.monotonic() - started
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in filter(None, header_lines):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return RawAnswer(int(status_line.split()[1]), headers, body, seconds)


async def exchange(lg: LimitedGateway, data: bytes, within: float = 10.0) -> RawAnswer:
    """Send ``data`` on a new connection and read the answer."""
    reader, writer = await lg.connect()
    try:
        started = time.monotonic()
        writer.write(data)
        await writer.drain()
        return await read_answer(reader, started, within)
    finally:
        writer.close()


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    """Whether the server closes the connection (EOF or reset, nothing more sent) in time."""
    try:
        async with asyncio.timeout(seconds):
            return await reader.read() == b""
    except ConnectionError:  # closed while our unread bytes were in flight
        return True
    except TimeoutError:
        return False
