"""A peer of the generic ``http`` carrier, on raw sockets, that fails in exactly one way.

aiohttp (or any HTTP server library) answers properly by design; to reset a
connection half-way, never answer, or send a body shorter than its
``Content-Length`` the peer has to own the socket. This one reads the
request itself (headers, then ``Content-Length`` bytes of JSON body, the
contract of ``smsgate/carriers/http_json.py``) and then does what its
``Fault`` says. Every connection is closed after one exchange.

What it counts is what matters for "nothing is sent twice": ``taken`` holds
the message ids of requests the peer read in full and did not refuse, i.e.
that a real carrier could have delivered; ``refused`` those it turned down
with a status that means "not taken" (502), and ``cut`` those it reset
before reading their body.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from collections import Counter
from enum import StrEnum


class Fault(StrEnum):
    """How the peer answers a send."""

    NONE = "none"  # 200 {"id": ...}: a healthy carrier
    HANG = "hang"  # reads the request, never answers
    RESET_AFTER_READ = "reset_after_read"  # reads the request, then RST
    RESET_BEFORE_BODY = "reset_before_body"  # reads the headers only, then RST
    NOT_JSON = "not_json"  # 200 with a plain-text body
    TRUNCATED_JSON = "truncated_json"  # 200, Content-Length longer than the body sent
    WRONG_SHAPE = "wrong_shape"  # 200 with JSON that has no "id"
    HTML_502 = "html_502"  # a proxy's HTML error page


_HTML_PAGE = b"<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"


class FaultyPeer:
    """A one-fault HTTP peer on 127.0.0.1; ``start()``, then ``url``, then ``close()``."""

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.taken: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.cut = 0
        self._server: asyncio.Server | None = None
        self._closing = asyncio.Event()
        self._answered = 0

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the peer first"
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/sms"

    async def start(self) -> FaultyPeer:
        self._server = await asyncio.start_server(self._exchange, "127.0.0.1", 0)
        return self

    async def close(self) -> None:
        self._closing.set()  # hanging exchanges end now
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            length = await _read_head(reader)
            if self.fault is Fault.RESET_BEFORE_BODY:
                self.cut += 1
                return _reset(writer)
            reference = json.loads(await reader.readexactly(length))["reference"]
            await self._answer(reference, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            return None
        finally:
            if not writer.transport.is_closing():
                writer.close()

    async def _answer(self, reference: str, writer: asyncio.StreamWriter) -> None:
        message_id = reference.rsplit("-", 1)[0]
        if self.fault is Fault.HTML_502:
            self.refused[message_id] += 1
            return await _respond(writer, 502, "text/html", _HTML_PAGE)
        self.taken[message_id] += 1
        if self.fault is Fault.HANG:
            await self._closing.wait()
        elif self.fault is Fault.RESET_AFTER_READ:
            _reset(writer)
        elif self.fault is Fault.NOT_JSON:
            await _respond(writer, 200, "text/plain", b"OK, queued")
        elif self.fault is Fault.TRUNCATED_JSON:
            await _respond(writer, 200, "application/json", b'{"id": "peer-', length=40)
        elif self.fault is Fault.WRONG_SHAPE:
            await _respond(writer, 200, "application/json", b'{"status": "ok", "ids": [1]}')
        else:
            self._answered += 1
            body = json.dumps({"id": f"peer-{self._answered}"}).encode()
            await _respond(writer, 200, "application/json", body)


async def _read_head(reader: asyncio.StreamReader) -> int:
    """Read the request line and headers; the body's ``Content-Length``."""
    head = await reader.readuntil(b"\r\n\r\n")
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            return int(value.strip())
    return 0


async def _respond(
    writer: asyncio.StreamWriter, status: int, kind: str, body: bytes, *, length: int | None = None
) -> None:
    head = (
        f"HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\n"
        f"Content-Length: {len(body) if length is None else length}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST rather than a FIN (SO_LINGER of zero)."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
