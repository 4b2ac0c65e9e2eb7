"""A stand-in for the gateway's ``/v1/dlr/kannel`` and ``/v1/mo/kannel``: it records and says ok.

Kannel's callbacks are plain GET requests; the recorder keeps each one as the
framework-free ``CallbackRequest`` built by the gateway's own ``callback_request``, so a
test hands it straight to ``KannelCallbacks``. It answers every request 200
``ok``, as ``KannelCallbacks.reply()`` says the gateway does.
"""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from smsgate.api.callback_routes import callback_request
from smsgate.carriers import CallbackRequest


class CallbackRecorder:
    """An aiohttp server on a free 127.0.0.1 port that records every request."""

    def __init__(self) -> None:
        self.requests: list[CallbackRequest] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._record)
        # Kannel keeps its connections open; do not wait aiohttp's default minute for them.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base_url + path

    def at(self, path: str) -> list[CallbackRequest]:
        """The requests recorded for ``path``, in arrival order."""
        return [request for request in self.requests if request.path == path]

    async def wait_for(self, path: str, count: int, within: float = 10.0) -> list[CallbackRequest]:
        """The requests for ``path`` once there are ``count``; fails after ``within`` s."""
        deadline = time.monotonic() + within
        while len(found := self.at(path)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(found)} of {count} callbacks reached {path}")
            await asyncio.sleep(0.05)
        return found

    async def _record(self, request: web.Request) -> web.Response:
        self.requests.append(await callback_request(request))
        return web.Response(text="ok", content_type="text/plain")
