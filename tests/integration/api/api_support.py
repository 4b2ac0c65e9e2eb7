"""A real gateway for API tests: aiohttp on 127.0.0.1, a real database, two creditors with keys.

Tests talk HTTP to it with aiohttp's client, as upstream systems do. The
clock is a :class:`FrozenClock` the test can move, so quiet hours and caps are
exact. ``GatewayUnderTest.key(creditor, *roles)`` mints keys on demand.
``GatewayUnderTest.acme`` and ``.globex`` name the test's two creditors:
``acme`` and ``globex`` on a gateway of its own, ``acme-7`` and ``globex-7`` on
one that a module's cases share (``shared_gateway``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from smsgate.api.app import create_app
from smsgate.bootstrap import Gateway, open_gateway
from smsgate.service import administration
from smsgate.settings import Settings
from smsgate.store import Role

from ..pg_server import DATABASE_URL_FILE

#: The SQLite file of a gateway in a test's ``tmp_path``.
SQLITE_FILE = "gateway.db"
# 10:00 in Shanghai: inside the contact window.
DEFAULT_NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@dataclass
class FrozenClock:
    """A clock that stands still until a test moves it."""

    now: datetime = DEFAULT_NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class GatewayUnderTest:
    """A running gateway and an HTTP session pointed at it."""

    gateway: Gateway
    base_url: str
    session: aiohttp.ClientSession
    clock: FrozenClock
    tokens: dict[tuple[str, frozenset[Role]], str] = field(default_factory=dict)
    #: The ids of the test's two creditors, 安信消费金融 and 环球小贷.
    acme: str = "acme"
    globex: str = "globex"
    #: The case's number on a shared gateway (0 on a gateway of its own), to make data unique.
    case: int = 0

    async def key(self, creditor: str, *roles: Role | str) -> str:
        """A bearer token of ``creditor`` with ``roles`` (minted once per combination).

        Each combination is its own person, minted by the operator, so any two
        of them pass the four-eyes rule.
        """
        wanted = frozenset(Role(r) for r in roles)
        if (creditor, wanted) not in self.tokens:
            person = f"{creditor} {'+'.join(sorted(wanted))}"
            _, token = await administration.create_key(
                self.gateway.store, creditor, wanted, at=self.clock(), label="test", person=person
            )
            self.tokens[(creditor, wanted)] = token
        return self.tokens[(creditor, wanted)]

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        """Send a request; returns status, decoded JSON body (or text) and the response."""
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        async with self.session.request(
            method, self.base_url + path, json=json, data=data, headers=all_headers
        ) as response:
            if response.content_type.endswith("json"):
                body = await response.json(content_type=None)
            else:
                body = await response.text()
            return response.status, body, response


def gateway_database_url(tmp_path: Path) -> str:
    """The database of the test owning ``tmp_path``: a SQLite file there (for an API test, a
    copy of a migrated empty one, ``tests/conftest.py``), unless the test runs on PostgreSQL,
    whose fresh database's URL ``tests/conftest.py`` left in ``tmp_path``."""
    chosen = tmp_path / DATABASE_URL_FILE
    return chosen.read_text() if chosen.exists() else f"sqlite:///{tmp_path / SQLITE_FILE}"


async def start_gateway(
    tmp_path: Path, *, port: int = 0, **settings: Any
) -> AsyncIterator[GatewayUnderTest]:
    """Start a gateway on a free 127.0.0.1 port with creditors ``acme`` and ``globex``.

    Its database is the test's (``gateway_database_url``); every API test
    runs once on SQLite and once on PostgreSQL. ``port`` 0 picks a free one;
    a test that must name the gateway's URL in its settings (a carrier's
    callback URL) picks one first.
    """
    clock = FrozenClock()
    config = Settings(database_url=gateway_database_url(tmp_path), **settings)
    async with open_gateway(config, clock=clock) as gateway:
        await create_creditors(gateway, clock())
        runner = web.AppRunner(create_app(gateway), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        async with aiohttp.ClientSession() as session:
            yield GatewayUnderTest(gateway, f"http://127.0.0.1:{port}", session, clock)
        await runner.cleanup()


async def create_creditors(gateway: Gateway, at: datetime, suffix: str = "") -> tuple[str, str]:
    """Creditors ``acme`` and ``globex`` (their ids end in ``suffix``); the two ids."""
    ids = []
    for creditor, name in (("acme", "安信消费金融"), ("globex", "环球小贷")):
        await administration.create_creditor(
            gateway.store, creditor + suffix, name=name, signature=name, profile="cn-shenzhen",
            at=at,
        )  # fmt: skip
        ids.append(creditor + suffix)
    return ids[0], ids[1]
