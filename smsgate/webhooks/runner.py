"""The entry point the shells call: ``run_webhooks`` beside the dispatcher.

Like ``smsgate.dispatch.run_dispatcher`` it runs until a stop event is set
and does not close the store, which the caller opened. It refuses to run
when webhooks are configured but there is no master secret to sign them
with: it logs ``webhooks_refused`` and raises ``WebhookSecretMissing``, so
the gap is loud rather than a silent absence of deliveries. With no secret
and no webhooks there is nothing to do, and it returns at once.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket

import httpx
import structlog

from smsgate.store import Store, utc_now
from smsgate.webhooks.config import MASTER_SECRET_VARIABLE, WebhookSecretMissing
from smsgate.webhooks.targets import Resolve, TargetAllowList, resolve_host
from smsgate.webhooks.worker import Clock, WebhookSettings, WebhookWorker

_log = structlog.get_logger("smsgate.webhooks")


def new_worker_id() -> str:
    """A lease owner id unique to this worker: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


async def run_webhooks(
    store: Store,
    *,
    stop_event: asyncio.Event,
    secret: bytes | None,
    client: httpx.AsyncClient | None = None,
    clock: Clock = utc_now,
    poll_interval: float = 1.0,
    settings: WebhookSettings | None = None,
    owner: str | None = None,
    targets: TargetAllowList | None = None,
    resolve: Resolve = resolve_host,
) -> None:
    """Deliver status webhooks until ``stop_event`` is set; ``secret`` is the master secret.

    Without ``client`` one is made (no redirects, ``settings.timeout``) and
    closed on return; a given client is left open. ``targets`` is the
    operator's allow-list (default: public addresses only) and ``resolve``
    the resolver (see ``targets``). Raises
    ``WebhookSecretMissing`` (after logging ``webhooks_refused``) if
    ``secret`` is empty while webhooks are configured, or a ``StoreError``
    if the store cannot be read to find that out; once running, store
    errors are logged and retried.
    """
    if not secret:
        await _refuse_if_configured(store)
        return
    settings = settings or WebhookSettings()
    http = client or _default_client(settings)
    worker = WebhookWorker(
        store, secret=secret, client=http, owner=owner or new_worker_id(),
        settings=settings, clock=clock, targets=targets, resolve=resolve,
    )  # fmt: skip
    _log.info("webhooks_started", owner=worker.owner)
    watcher = asyncio.create_task(_stop_on(stop_event, worker))
    try:
        await worker.run_forever(poll_interval)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        if client is None:
            await http.aclose()
        _log.info("webhooks_stopped", owner=worker.owner)


async def _refuse_if_configured(store: Store) -> None:
    async with store.read() as tx:
        hooks = await tx.webhooks.all()
    if not hooks:
        _log.info("webhooks_disabled", reason=f"{MASTER_SECRET_VARIABLE} is not set")
        return
    _log.error(
        "webhooks_refused", creditors=[hook.creditor_id for hook in hooks],
        reason=f"{MASTER_SECRET_VARIABLE} is not set",
    )  # fmt: skip
    raise WebhookSecretMissing(
        f"{len(hooks)} creditor(s) have status webhooks but {MASTER_SECRET_VARIABLE} is not"
        " set, so they cannot be signed; set it, or remove the webhooks with"
        " `smsgate creditors webhook <creditor> --remove`"
    )


def _default_client(settings: WebhookSettings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        follow_redirects=False,
        timeout=settings.timeout.total_seconds(),
        limits=httpx.Limits(max_connections=settings.concurrency),
    )


async def _stop_on(stop_event: asyncio.Event, worker: WebhookWorker) -> None:
    await stop_event.wait()
    worker.stop()
