"""A real gateway served from a background thread, for tests that call it synchronously.

schemathesis sends its requests with ``requests``, which blocks; a gateway in
the test's own event loop would never get to answer. So the gateway runs in
its own thread and loop (``start_gateway``, on SQLite), seeded with what lets
generated requests reach deep code: one key of each role, templates in each
review state, a queued message, and a spare key for the key-management routes
to rotate and revoke.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smsgate.service import administration
from smsgate.store import Role, VersionStatus

from ..api.api_support import GatewayUnderTest, start_gateway
from ..api.message_support import PHONE, message, seed_template

ROLES = (Role.SENDER, Role.AUTHOR, Role.REVIEWER, Role.ADMIN)


@dataclass(frozen=True)
class ServedGateway:
    """Where the gateway answers, a token per role, and ids of seeded objects by parameter name."""

    base_url: str
    tokens: dict[Role, str]
    seeded: dict[str, list[str]]


async def _seed(gw: GatewayUnderTest) -> ServedGateway:
    tokens = {role: await gw.key("acme", role) for role in ROLES}
    approved = await seed_template(gw)
    draft = await seed_template(gw, statuses=(VersionStatus.DRAFT,))
    submitted = await seed_template(gw, statuses=(VersionStatus.SUBMITTED,))
    status, sent, _ = await gw.call(
        "POST", "/v1/messages", token=tokens[Role.SENDER], json=message(approved)
    )
    assert status == 202, sent
    spare, _ = await administration.create_key(
        gw.gateway.store, "acme", {Role.SENDER}, at=gw.clock()
    )
    seeded = {
        "template_id": [approved, draft, submitted],
        "message_id": [sent["id"]],
        "key_id": [spare.id],
        "phone": [PHONE],
        "carrier": ["console"],
    }
    return ServedGateway(gw.base_url, tokens, seeded)


@contextmanager
def served_gateway(tmp_path: Path, **settings: Any) -> Iterator[ServedGateway]:
    """Run a seeded gateway in a background thread until the block ends."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="served-gateway", daemon=True)
    thread.start()
    running: AsyncIterator[GatewayUnderTest] = start_gateway(tmp_path, **settings)

    async def up() -> ServedGateway:
        return await _seed(await anext(running))

    started: Future[ServedGateway] = asyncio.run_coroutine_threadsafe(up(), loop)
    try:
        yield started.result(timeout=60)
    finally:
        asyncio.run_coroutine_threadsafe(_drain(running), loop).result(timeout=60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


async def _drain(running: AsyncIterator[GatewayUnderTest]) -> None:
    async for _ in running:
        pass
