"""The entry point the shells call: ``smsgate dispatch`` and the task in ``smsgate serve``.

Both own the store and the carrier fleet (they build them from settings and
close them); ``run_dispatcher`` only runs a ``Dispatcher`` over them until told to
stop, so the same loop serves a foreground command (stopped by SIGTERM) and
a background task of the web server (stopped by its cleanup).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from datetime import timedelta

import structlog

from smsgate.carriers import CarrierAdapter
from smsgate.carriers.fleet import CarrierFleet
from smsgate.dispatch.backoff import Jitter, full_jitter
from smsgate.dispatch.dispatcher import Clock, Dispatcher, DispatchSettings
from smsgate.dispatch.throttle import Sleep
from smsgate.settings import Settings
from smsgate.store import Store, utc_now

_log = structlog.get_logger("smsgate.dispatch")


def new_owner_id() -> str:
    """A lease owner id unique to this dispatcher: ``host:pid:random``.

    The host and pid tell an operator whose claims are stuck; the random part
    keeps two dispatchers in one process (or a recycled pid) apart.
    """
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def dispatch_settings(settings: Settings) -> DispatchSettings:
    """The dispatcher's lease, batch, concurrency and send timeout from ``SMSGATE_*`` settings."""
    return DispatchSettings(
        lease=timedelta(seconds=settings.dispatch_lease_seconds),
        batch_size=settings.dispatch_batch_size,
        concurrency=settings.dispatch_concurrency,
        send_timeout=timedelta(seconds=settings.send_timeout_seconds),
    )


async def run_dispatcher(
    store: Store,
    carriers: CarrierFleet | CarrierAdapter,
    *,
    stop_event: asyncio.Event,
    settings: DispatchSettings | None = None,
    poll_interval: float = 1.0,
    owner: str | None = None,
    clock: Clock = utc_now,
    sleep: Sleep = asyncio.sleep,
    jitter: Jitter = full_jitter,
) -> None:
    """Dispatch due messages through ``carriers`` until ``stop_event`` is set.

    Returns once in-flight sends are recorded and unstarted claims released.
    Does not close ``store`` or ``carriers``: the caller opened them. Raises
    only what the first claim raises if the store is unusable (e.g. closed);
    later store errors are logged and retried.
    """
    fleet = carriers if isinstance(carriers, CarrierFleet) else CarrierFleet.of(carriers)
    dispatcher = Dispatcher(
        store, fleet, owner=owner or new_owner_id(), settings=settings,
        clock=clock, sleep=sleep, jitter=jitter,
    )  # fmt: skip
    _log.info("dispatcher_started", owner=dispatcher.owner, carriers=fleet.names())
    watcher = asyncio.create_task(_stop_on(stop_event, dispatcher))
    try:
        await dispatcher.run_forever(poll_interval)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        _log.info("dispatcher_stopped", owner=dispatcher.owner, carriers=fleet.names())


async def _stop_on(stop_event: asyncio.Event, dispatcher: Dispatcher) -> None:
    await stop_event.wait()
    dispatcher.stop()
