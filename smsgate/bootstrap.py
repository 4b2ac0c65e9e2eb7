"""The composition root: every entry point builds what it runs on here, and closes it here.

``smsgate serve`` (``smsgate.api.app.serving_app``), the demo, the test
fixtures and anything else that answers requests hold a :class:`Gateway`
from ``open_gateway``; ``smsgate dispatch`` holds the store and the carriers
from ``open_outbound``; the operator's commands hold the store alone from
``open_operator_store``. Each opens in the order that fails cheapest first
(a bad carrier configuration before the database is touched) and closes in
reverse, so no entry point repeats the wiring or forgets a close.

Nothing happens at import time, and nothing here imports aiohttp: the
operator's commands load this module without the HTTP stack. The metrics
(``smsgate.api.metrics``, Prometheus counters that are mostly the HTTP
surface's) stay beside the API; the root only builds them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from smsgate.api.metrics import GatewayMetrics
from smsgate.carriers.fleet import CarrierFleet, build_fleet
from smsgate.failure_limits import AuthThrottle
from smsgate.service.principals import KeyRing
from smsgate.service.wordlist_audit import ReloadAuditor, audit_live_version
from smsgate.settings import Settings
from smsgate.store import Store, database_url, open_store, utc_now
from smsgate.store.sql.schema import MigrationOptions
from smsgate.wordlists import WordlistSource, shipped_wordlists


@dataclass(frozen=True, slots=True)
class Gateway:
    """Store, scanner source, clock, key ring, metrics and carriers of one app instance.

    ``carriers`` is there even when this instance does not dispatch
    (``SMSGATE_DISPATCH=0``): delivery reports and replies still arrive here.
    ``auth_throttle`` counts failed authentications of the API and the UI
    sign-in together (see ``smsgate.failure_limits``); ``unknown_templates``
    counts each key's sends refused for an unknown template.
    """

    settings: Settings
    store: Store
    wordlists: WordlistSource
    keys: KeyRing
    metrics: GatewayMetrics
    clock: Callable[[], datetime]
    carriers: CarrierFleet
    auth_throttle: AuthThrottle = field(default_factory=AuthThrottle)
    #: Sends for an unknown template, per key (``smsgate.service.sending``): the same
    #: sliding window, so a key's refusals cannot grow the audit log without bound.
    unknown_templates: AuthThrottle = field(default_factory=lambda: AuthThrottle(30, 60))


async def build_gateway(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Gateway:
    """Build the carrier fleet, open the store (running migrations) and load the wordlists.

    The caller owns the result and closes it with ``close_gateway``;
    ``open_gateway`` does both. Raises ``InvalidCarrierConfig`` or
    ``UnknownCarrier`` for a bad carrier configuration before anything is opened.
    """
    carriers = build_fleet(settings)
    auditor = ReloadAuditor(clock)
    try:
        wordlists = WordlistSource(settings.wordlists_dir or shipped_wordlists(), on_change=auditor)
        store = await open_store(settings.database_url)
    except BaseException:
        await carriers.aclose()
        raise
    auditor.attach(store)
    await audit_live_version(store, wordlists.current().version, clock())
    return Gateway(
        settings=settings,
        store=store,
        wordlists=wordlists,
        keys=KeyRing(store, settings.auth_cache_seconds, now=clock),
        metrics=GatewayMetrics(),
        clock=clock,
        carriers=carriers,
        auth_throttle=AuthThrottle(
            settings.auth_failure_limit, settings.auth_failure_window_seconds
        ),
        unknown_templates=AuthThrottle(settings.unknown_template_limit, 60),
    )


async def close_gateway(gateway: Gateway) -> None:
    """Close what ``build_gateway`` opened: carriers, pending key-use writes, then the store."""
    await gateway.carriers.aclose()
    await gateway.keys.aclose()
    await gateway.store.close()


@asynccontextmanager
async def open_gateway(
    settings: Settings, clock: Callable[[], datetime] = utc_now
) -> AsyncIterator[Gateway]:
    """A built gateway for the duration of the block, closed after it however it ends."""
    gateway = await build_gateway(settings, clock)
    try:
        yield gateway
    finally:
        await close_gateway(gateway)


@dataclass(frozen=True, slots=True)
class Outbound:
    """What the background workers send with: the store and the carrier fleet."""

    store: Store
    carriers: CarrierFleet


@asynccontextmanager
async def open_outbound(settings: Settings) -> AsyncIterator[Outbound]:
    """The store and carriers of a dispatcher process; the fleet is checked before the store."""
    carriers = build_fleet(settings)
    try:
        store = await open_store(settings.database_url)
        try:
            yield Outbound(store, carriers)
        finally:
            await store.close()
    finally:
        await carriers.aclose()


@asynccontextmanager
async def open_operator_store(
    environ: Mapping[str, str] = os.environ, migration: MigrationOptions | None = None
) -> AsyncIterator[Store]:
    """The store of ``SMSGATE_DATABASE_URL`` (default ``./smsgate.db``) for one operator command.

    ``migration`` carries an operator's decisions to the migrations (``smsgate migrate``).
    """
    store = await open_store(database_url(environ), migration)
    try:
        yield store
    finally:
        await store.close()
