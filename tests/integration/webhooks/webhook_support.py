"""Builders for the webhook tests: status changes written through the store, a running worker."""

from __future__ import annotations

import asyncio
import ipaddress
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from datetime import timedelta
from pathlib import Path

import httpx

from smsgate.store import Message, MessageStatus, Store, Webhook
from smsgate.webhooks import (
    Backoff,
    Resolve,
    TargetAllowList,
    WebhookSettings,
    creditor_secret,
    resolve_host,
    run_webhooks,
)

from ..dispatch.dispatch_support import Clock

#: The test deployment's SMSGATE_WEBHOOK_SECRET.
MASTER = b"test-master-secret-0123456789abcdef-not-for-production"
BACKOFF = Backoff(base=timedelta(seconds=30), cap=timedelta(minutes=10))
SETTINGS = WebhookSettings(
    batch_size=100, timeout=timedelta(seconds=3), lease=timedelta(seconds=30), backoff=BACKOFF
)
#: Seconds between the worker's polls: short, so tests wait little.
POLL = 0.02
#: The test receivers listen on 127.0.0.1, which webhooks refuse unless the operator
#: allows it: the tests' deployment does, as SMSGATE_WEBHOOK_ALLOW_NETWORKS=127.0.0.1/32.
LOOPBACK = TargetAllowList(networks=(ipaddress.ip_network("127.0.0.1/32"),))


def secret_of(creditor_id: str) -> str:
    """The creditor's signing secret, as the CLI prints it."""
    return creditor_secret(MASTER, creditor_id)


async def progress(
    store: Store, clock: Clock, message: Message, *statuses: MessageStatus, detail: str = ""
) -> None:
    """Move ``message`` through ``statuses`` as the dispatcher does, one transaction each."""
    for status in statuses:
        clock.advance(timedelta(seconds=1))
        async with store.transaction() as tx:
            await tx.messages.set_status(message.id, status, clock(), detail)


def recorded_events(db_path: Path, creditor_id: str) -> list[tuple[int, str, str]]:
    """The creditor's ``message_events`` as (id, message id, status), read straight from disk."""
    with closing(sqlite3.connect(db_path)) as db:
        rows = db.execute(
            "SELECT e.id, e.message_id, e.status FROM message_events AS e"
            " JOIN messages AS m ON m.id = e.message_id WHERE m.creditor_id = ? ORDER BY e.id",
            (creditor_id,),
        ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


def received(events: list[dict[str, object]]) -> list[tuple[object, object, object]]:
    """Received events in the shape of ``recorded_events``."""
    return [(event["id"], event["message_id"], event["status"]) for event in events]


async def webhook_of(store: Store, creditor_id: str) -> Webhook:
    async with store.read() as tx:
        webhook = await tx.webhooks.get(creditor_id)
    assert webhook is not None
    return webhook


async def wait_for_failures(store: Store, count: int, creditor_id: str = "acme") -> Webhook:
    """The webhook once ``count`` failures are recorded and its lease is given back."""
    for _ in range(500):
        webhook = await webhook_of(store, creditor_id)
        if webhook.failures >= count and webhook.lease_owner is None:
            return webhook
        await asyncio.sleep(0.02)
    raise AssertionError(f"the webhook did not fail {count} times")


@asynccontextmanager
async def running(
    store: Store,
    clock: Clock,
    settings: WebhookSettings = SETTINGS,
    *,
    targets: TargetAllowList = LOOPBACK,
    resolve: Resolve = resolve_host,
    client: httpx.AsyncClient | None = None,
) -> AsyncIterator[asyncio.Task[None]]:
    """``run_webhooks`` in the background for the block, stopped (and awaited) after it."""
    stop = asyncio.Event()
    worker = asyncio.create_task(
        run_webhooks(
            store, stop_event=stop, secret=MASTER, clock=clock, poll_interval=POLL,
            settings=settings, owner="w1", targets=targets, resolve=resolve, client=client,
        )
    )  # fmt: skip
    try:
        yield worker
    finally:
        stop.set()
        await asyncio.wait_for(worker, timeout=10)
