"""A stand-in peer for the generic ``http`` carrier: it counts what arrives and answers as told.

The dispatcher's crash test and ``dispatch_bench.py`` need a carrier that
says exactly what it received. This one speaks the fixed wire contract of
``smsgate/carriers/http_json.py`` from the peer's side, written against the
contract rather than smsgate's code so it also checks the adapter:

* ``POST /`` (any path) with ``{"reference": "<message_id>-<attempt>", "to",
  "text", "segments", "encoding", "creditor"}``, ``Idempotency-Key`` and,
  when the sink has a secret, ``X-Smsgate-Signature: v1=<hex
  hmac-sha256(secret, f"{ts}." + body)>`` over ``X-Smsgate-Timestamp``;
* answers ``200 {"id": "sink-<n>"}``; a bad signature gets 401 and a body
  that is not the contract 400 (both counted as ``refused``, never received).

Every arrival is counted by reference *before* the optional delay, so a
request that reached the sink counts even if its sender dies waiting.
Failure modes (every n-th request): ``fail_every`` answers 503 (retryable),
``drop_every`` closes the connection without an answer (outcome unknown).

``GET /counts`` returns the counts as JSON; run it alone with
``python benchmarks/http_sink.py --port 0 --delay-ms 50:200`` (it prints
``listening on http://127.0.0.1:<port>``; the secret, if any, comes from
``SMSGATE_SINK_SECRET``).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from aiohttp import web

FIELDS = ("reference", "to", "text", "segments", "encoding", "creditor")


@dataclass(frozen=True)
class Behaviour:
    """How the sink answers: a random delay in ``[low, high]`` ms, and its failure modes."""

    delay_ms: tuple[float, float] = (0.0, 0.0)
    fail_every: int = 0
    drop_every: int = 0
    secret: bytes | None = None


class HttpSink:
    """The sink's state and its aiohttp application; see the module docstring."""

    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.behaviour = behaviour or Behaviour()
        self.received: Counter[str] = Counter()  # by reference
        self.answered: Counter[int] = Counter()  # by status
        self.refused = 0
        self._arrivals = 0

    def app(self) -> web.Application:
        """An application answering sends on any path and ``GET /counts``."""
        app = web.Application()
        app.router.add_get("/counts", self.counts)
        app.router.add_post("/{tail:.*}", self.send)
        return app

    def by_message(self) -> Counter[str]:
        """Arrivals by message id (every attempt of a message together)."""
        found: Counter[str] = Counter()
        for reference, count in self.received.items():
            found[reference.rsplit("-", 1)[0]] += count
        return found

    async def counts(self, _: web.Request) -> web.Response:
        document = {
            "received": dict(self.received),
            "answered": {str(status): n for status, n in self.answered.items()},
            "refused": self.refused,
        }
        return web.json_response(document)

    async def send(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        problem = self._problem(request, body)
        if problem is not None:
            self.refused += 1
            return web.json_response({"code": problem[1]}, status=problem[0])
        self._arrivals += 1
        arrival = self._arrivals
        self.received[json.loads(body)["reference"]] += 1
        low, high = self.behaviour.delay_ms
        if high > 0:
            await asyncio.sleep(random.uniform(low, high) / 1000)
        return self._answer(request, arrival)

    def _answer(self, request: web.Request, arrival: int) -> web.StreamResponse:
        if _every(self.behaviour.drop_every, arrival) and request.transport is not None:
            request.transport.close()
            self.answered[0] += 1
            return web.Response(status=503)  # never reaches the closed connection
        status = 503 if _every(self.behaviour.fail_every, arrival) else 200
        self.answered[status] += 1
        if status != 200:
            return web.json_response({"code": "unavailable"}, status=status)
        return web.json_response({"id": f"sink-{arrival}"})

    def _problem(self, request: web.Request, body: bytes) -> tuple[int, str] | None:
        secret = self.behaviour.secret
        if secret is not None and not _signed(secret, request, body):
            return 401, "bad_signature"
        try:
            document: Any = json.loads(body)
        except ValueError:
            return 400, "not_json"
        if not isinstance(document, dict) or any(name not in document for name in FIELDS):
            return 400, "not_the_contract"
        if request.headers.get("Idempotency-Key") != document["reference"]:
            return 400, "idempotency_key_is_not_the_reference"
        return None


def _signed(secret: bytes, request: web.Request, body: bytes) -> bool:
    timestamp = request.headers.get("X-Smsgate-Timestamp", "")
    offered = request.headers.get("X-Smsgate-Signature", "").split(",")
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(value.strip(), f"v1={digest}") for value in offered)


def _every(n: int, arrival: int) -> bool:
    return n > 0 and arrival % n == 0


async def start_sink(sink: HttpSink, port: int = 0) -> tuple[web.AppRunner, str]:
    """Serve ``sink`` on 127.0.0.1 (a free port by default); the runner and the base URL."""
    runner = web.AppRunner(sink.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{bound}"


def _delay(text: str) -> tuple[float, float]:
    low, _, high = text.partition(":")
    return float(low), float(high or low)


async def _serve(args: argparse.Namespace) -> None:
    secret = os.environ.get("SMSGATE_SINK_SECRET")
    behaviour = Behaviour(
        _delay(args.delay_ms), args.fail_every, args.drop_every,
        secret.encode() if secret else None,
    )  # fmt: skip
    runner, url = await start_sink(HttpSink(behaviour), args.port)
    print(f"listening on {url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay-ms", default="0", help="LOW[:HIGH] milliseconds per answer")
    parser.add_argument("--fail-every", type=int, default=0, help="answer every n-th with 503")
    parser.add_argument("--drop-every", type=int, default=0, help="drop every n-th unanswered")
    asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
