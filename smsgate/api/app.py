"""The composition root: build the gateway's services from settings, and the aiohttp app.

Nothing happens at import time. ``bootstrap`` opens the store and loads the
wordlists; ``create_app`` wires routes and middlewares around a ready
:class:`Gateway`; ``serving_app`` does both inside the server's event loop,
runs the dispatcher beside the API and closes everything on cleanup (the
aiohttp ``cleanup_ctx`` idiom).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

from aiohttp import web

from smsgate.api.gateway import Gateway
from smsgate.api.keys import KeyRing
from smsgate.api.metrics import GatewayMetrics
from smsgate.api.middleware import problem_responses, request_metrics
from smsgate.api.operations import GATEWAY, add_routes
from smsgate.api.routes import all_operations
from smsgate.api.wordlist_audit import ReloadAuditor, audit_live_version
from smsgate.carriers import CarrierAdapter, build_carrier
from smsgate.dispatch import run_dispatcher
from smsgate.settings import Settings
from smsgate.store import open_store, utc_now
from smsgate.wordlists import WordlistSource, shipped_wordlists


async def bootstrap(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Gateway:
    """Open the store (running migrations) and load the wordlists."""
    auditor = ReloadAuditor(clock)
    wordlists = WordlistSource(settings.wordlists_dir or shipped_wordlists(), on_change=auditor)
    store = await open_store(settings.database_url)
    auditor.attach(store)
    await audit_live_version(store, wordlists.current().version, clock())
    return Gateway(
        settings=settings,
        store=store,
        wordlists=wordlists,
        keys=KeyRing(store, settings.auth_cache_seconds),
        metrics=GatewayMetrics(),
        clock=clock,
    )


def create_app(gateway: Gateway) -> web.Application:
    """The aiohttp application serving ``gateway``."""
    app = web.Application(
        client_max_size=gateway.settings.max_body_bytes,
        middlewares=[request_metrics, problem_responses],
    )
    app[GATEWAY] = gateway
    add_routes(app, all_operations())
    return app


def configured_carrier(settings: Settings) -> CarrierAdapter:
    """The carrier adapter the settings name (``console`` by default)."""
    config = {"path": str(settings.carrier_file)} if settings.carrier_file else {}
    return build_carrier(settings.carrier, config)


async def serving_app(
    settings: Settings, on_ready: Callable[[Gateway], Awaitable[None]] | None = None
) -> web.Application:
    """The app ``smsgate serve`` runs, built inside the server's event loop.

    Bootstraps the gateway, calls ``on_ready`` (the demo seeds its data
    there), runs the dispatcher beside the API unless ``SMSGATE_DISPATCH=0``,
    and on shutdown lets in-flight sends finish before closing the store.
    """
    gateway = await bootstrap(settings)
    if on_ready is not None:
        await on_ready(gateway)
    app = create_app(gateway)

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        carrier = configured_carrier(settings) if settings.dispatch_in_process else None
        dispatcher = (
            asyncio.create_task(run_dispatcher(gateway.store, carrier, stop_event=stop))
            if carrier is not None
            else None
        )
        yield
        stop.set()
        if dispatcher is not None and carrier is not None:
            await dispatcher
            await carrier.aclose()
        await gateway.store.close()

    app.cleanup_ctx.append(lifecycle)
    return app
