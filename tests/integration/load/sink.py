"""The carrier the load test's gateway sends through: a local peer of the generic ``http`` contract.

It answers every send with a fresh carrier id, as a real channel does, and
keeps what it was handed, so the test can tell afterwards that each accepted
message reached the carrier exactly once, and can push delivery reports back
for real carrier ids. It runs in the test's own event loop: at the load
test's rates a handler that appends to a list costs nothing worth measuring.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from smsgate.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureInvalid, verify

from ..local import free_port


@dataclass(frozen=True, slots=True)
class Handed:
    """One send the carrier accepted: our reference, its id for it, and when it came."""

    reference: str
    carrier_id: str
    at: float

    @property
    def message_id(self) -> str:
        """The gateway's message id, from the ``{message_id}-{attempt}`` reference."""
        return self.reference.rpartition("-")[0]


class CarrierSink:
    """Records every signed send; refuses an unsigned one with a 401, as a real peer would."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret
        self.handed: list[Handed] = []
        self.refused = 0
        self.url = ""

    async def send(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            verify(
                self._secret,
                request.headers.get(TIMESTAMP_HEADER),
                request.headers.get(SIGNATURE_HEADER),
                body,
                int(time.time()),
            )
        except SignatureInvalid:
            self.refused += 1
            return web.json_response({"code": "bad_signature"}, status=401)
        reference = json.loads(body)["reference"]
        carrier_id = f"peer-{len(self.handed) + 1}"
        self.handed.append(Handed(reference, carrier_id, time.monotonic()))
        return web.json_response({"id": carrier_id})

    def times_handed(self) -> Counter[str]:
        """How many times each message id reached the carrier, over all attempts."""
        return Counter(handed.message_id for handed in self.handed)


@asynccontextmanager
async def running_sink(secret: bytes) -> AsyncIterator[CarrierSink]:
    """A ``CarrierSink`` listening on 127.0.0.1 (its ``url`` set) until the block ends."""
    sink = CarrierSink(secret)
    app = web.Application()
    app.router.add_post("/send", sink.send)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    sink.url = f"http://127.0.0.1:{port}/send"
    try:
        yield sink
    finally:
        await runner.cleanup()
