"""Stand-ins for creditors' systems: one aiohttp server on 127.0.0.1, one endpoint per creditor.

Each endpoint verifies the signature of every post with ``smsgate.signing.verify``
and the creditor's own derived secret, exactly as a real receiver would, and
answers 401 to anything that fails. It can be told to answer a series of
statuses (then 200) or to hang until released, and keeps what it was sent.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from smsgate.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureInvalid, verify


@dataclass
class Post:
    """One post as the endpoint received it."""

    headers: dict[str, str]
    body: bytes

    def events(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = json.loads(self.body)["events"]
        return events


@dataclass
class Endpoint:
    """One creditor's receiver: its secret, its scripted answers and what it received."""

    secret: str
    answers: list[int] = field(default_factory=list)
    hold: asyncio.Event | None = None
    redirect: str = ""  # the Location of a 3xx answer
    posts: list[Post] = field(default_factory=list)  # every correctly signed post
    accepted: list[Post] = field(default_factory=list)  # those answered 2xx
    forged: int = 0

    def events(self) -> list[dict[str, Any]]:
        """Every event of the posts answered 2xx, in arrival order."""
        return [event for post in self.accepted for event in post.events()]

    async def wait_for_posts(self, count: int, within: float = 10.0) -> list[Post]:
        await _until(lambda: len(self.posts) >= count, within, lambda: f"{len(self.posts)} posts")
        return self.posts

    async def wait_for_events(self, count: int, within: float = 10.0) -> list[dict[str, Any]]:
        await _until(
            lambda: len(self.events()) >= count, within, lambda: f"{len(self.events())} events"
        )
        return self.events()


class Receiver:
    """The server; ``add`` an endpoint per creditor before the worker posts to it."""

    def __init__(self, clock: Callable[[], datetime], tls: ssl.SSLContext | None = None) -> None:
        self._clock = clock
        self._tls = tls
        self.endpoints: dict[str, Endpoint] = {}
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def add(
        self, creditor_id: str, secret: str, answers: Iterable[int] = (), *, hang: bool = False,
        redirect: str = "",
    ) -> Endpoint:  # fmt: skip
        endpoint = Endpoint(secret, list(answers), asyncio.Event() if hang else None, redirect)
        self.endpoints[creditor_id] = endpoint
        return endpoint

    def url(self, creditor_id: str) -> str:
        return f"{self.base_url}/hooks/{creditor_id}"

    async def start(self) -> None:
        app = web.Application()
        # Any method: a redirect a client followed as a GET is counted too (as forged).
        app.router.add_route("*", "/hooks/{creditor}", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._tls)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"{'https' if self._tls else 'http'}://127.0.0.1:{port}"

    async def stop(self) -> None:
        for endpoint in self.endpoints.values():
            if endpoint.hold is not None:
                endpoint.hold.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        endpoint = self.endpoints[request.match_info["creditor"]]
        body = await request.read()
        now = int(self._clock().timestamp())
        try:
            verify(
                endpoint.secret.encode("ascii"), request.headers.get(TIMESTAMP_HEADER),
                request.headers.get(SIGNATURE_HEADER), body, now,
            )  # fmt: skip
        except SignatureInvalid:
            endpoint.forged += 1
            return web.Response(status=401)
        post = Post(dict(request.headers), body)
        endpoint.posts.append(post)
        if endpoint.hold is not None:
            await endpoint.hold.wait()
        status = endpoint.answers.pop(0) if endpoint.answers else 200
        if 200 <= status < 300:
            endpoint.accepted.append(post)
        location = {"Location": endpoint.redirect} if endpoint.redirect else {}
        return web.Response(status=status, headers=location)


async def _until(done: Callable[[], bool], within: float, seen: Callable[[], str]) -> None:
    deadline = time.monotonic() + within
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {within}s with {seen()}")
        await asyncio.sleep(0.02)
