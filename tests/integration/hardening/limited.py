"""A real gateway with tight request limits, in the test's own event loop, for raw-socket tests.

``start_gateway`` serves the default :class:`RequestLimits`; slow-client tests
need limits of a second or so to stay short, so this starts the same gateway
(same creditors, same SQLite database layout) with ``limits`` of the test's
choosing, and hands back its port for raw sockets beside the usual client.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from smsgate.api.app import create_app
from smsgate.api.limits import RequestLimits
from smsgate.bootstrap import open_gateway
from smsgate.service import administration
from smsgate.settings import Settings
from smsgate.store import Role

from ..api.api_support import FrozenClock, GatewayUnderTest

TIGHT = RequestLimits(head_seconds=1.0, body_seconds=1.0, lingering_seconds=0.5)


@dataclass(frozen=True)
class LimitedGateway:
    """A running gateway: its HTTP wrapper, port, a sender's token and its limits."""

    gw: GatewayUnderTest
    port: int
    sender: str
    limits: RequestLimits

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A raw TCP connection to the gateway."""
        return await asyncio.open_connection("127.0.0.1", self.port)


async def limited_gateway(
    tmp_path: Path, limits: RequestLimits = TIGHT, **settings: Any
) -> AsyncIterator[LimitedGateway]:
    """Serve a gateway with ``limits`` on a free 127.0.0.1 port until the generator ends."""
    clock = FrozenClock()
    config = Settings(database_url=f"sqlite:///{tmp_path / 'gateway.db'}", **settings)
    async with open_gateway(config, clock=clock) as gateway:
        await administration.create_creditor(
            gateway.store, "acme", name="安信", signature="安信", profile="cn-shenzhen", at=clock()
        )
        _, sender = await administration.create_key(
            gateway.store, "acme", {Role.SENDER}, at=clock()
        )
        runner = web.AppRunner(create_app(gateway, limits), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            async with aiohttp.ClientSession() as session:
                gw = GatewayUnderTest(gateway, f"http://127.0.0.1:{port}", session, clock)
                yield LimitedGateway(gw, port, sender, limits)
        finally:
            await runner.cleanup()
