"""The composition root: build the gateway's services from settings, and the aiohttp app.

Nothing happens at import time. ``bootstrap`` opens the store, loads the
wordlists and builds the carrier fleet; ``create_app`` wires routes and
middlewares around a ready :class:`Gateway`; ``serving_app`` does both inside
the server's event loop, runs the dispatcher beside the API and closes
everything on cleanup (the aiohttp ``cleanup_ctx`` idiom).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

from aiohttp import web

from smsgate.api.auth_throttle import AuthThrottle
from smsgate.api.gateway import Gateway
from smsgate.api.keys import KeyRing
from smsgate.api.limits import DEFAULT_LIMITS, RequestLimits, bounded_body
from smsgate.api.metrics import GatewayMetrics
from smsgate.api.middleware import problem_responses, refuse_nul_characters, request_metrics
from smsgate.api.operations import GATEWAY, add_routes
from smsgate.api.routes import all_operations
from smsgate.api.wordlist_audit import ReloadAuditor, audit_live_version
from smsgate.carriers.fleet import build_fleet
from smsgate.service.audit_checks import run_audit_verification
from smsgate.settings import Settings
from smsgate.store import open_store, utc_now
from smsgate.web import add_web
from smsgate.wordlists import WordlistSource, shipped_wordlists
from smsgate.workers import run_workers


async def bootstrap(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Gateway:
    """Build the carrier fleet, open the store (running migrations) and load the wordlists.

    Raises ``InvalidCarrierConfig`` or ``UnknownCarrier`` for a bad carrier
    configuration before anything is opened.
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


def create_app(gateway: Gateway, limits: RequestLimits = DEFAULT_LIMITS) -> web.Application:
    """The aiohttp application serving ``gateway``, holding each client to ``limits``."""
    max_bytes = gateway.settings.max_body_bytes
    app = web.Application(
        client_max_size=max_bytes,
        middlewares=[
            request_metrics,
            problem_responses,
            refuse_nul_characters,
            bounded_body(limits, max_bytes),
        ],
        handler_args=limits.handler_args(),
    )
    app[GATEWAY] = gateway
    add_routes(app, all_operations())
    add_web(app)
    app.on_cleanup.append(_settle_key_usage)
    return app


async def _settle_key_usage(app: web.Application) -> None:
    # After the server has finished its requests, before whoever owns the store closes it.
    await app[GATEWAY].keys.aclose()


async def serving_app(
    settings: Settings, on_ready: Callable[[Gateway], Awaitable[None]] | None = None
) -> web.Application:
    """The app ``smsgate serve`` runs, built inside the server's event loop.

    Bootstraps the gateway, calls ``on_ready`` (the demo seeds its data
    there), runs the background workers (dispatcher, webhooks) beside the API unless
    ``SMSGATE_DISPATCH=0``, verifies new audit entries every
    ``SMSGATE_AUDIT_VERIFY_SECONDS`` (``smsgate.service.audit_checks``),
    and on shutdown lets in-flight sends finish before closing the carriers
    and the store.
    """
    gateway = await bootstrap(settings)
    if on_ready is not None:
        await on_ready(gateway)
    app = create_app(gateway)

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        workers: asyncio.Task[None] | None = None
        if settings.dispatch_in_process:
            working = run_workers(
                gateway.store, gateway.carriers, settings, stop_event=stop, clock=gateway.clock
            )
            workers = asyncio.create_task(working)
        verifying: asyncio.Task[None] | None = None
        if settings.audit_verify_seconds:
            checking = run_audit_verification(
                gateway.store, gateway.clock, stop_event=stop,
                interval=settings.audit_verify_seconds,
            )  # fmt: skip
            verifying = asyncio.create_task(checking)
        yield
        stop.set()
        if workers is not None:
            await workers
        if verifying is not None:
            await verifying
        await gateway.carriers.aclose()
        await gateway.keys.aclose()
        await gateway.store.close()

    app.cleanup_ctx.append(lifecycle)
    return app
