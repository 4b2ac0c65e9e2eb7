"""The aiohttp app around a gateway, and the app ``smsgate serve`` runs.

Nothing happens at import time. The gateway itself is built and closed by
the composition root (``smsgate.bootstrap``); ``create_app`` wires routes and
middlewares around a ready :class:`Gateway`; ``serving_app`` builds one
inside the server's event loop, runs the dispatcher beside the API and
closes everything on cleanup (the aiohttp ``cleanup_ctx`` idiom).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from aiohttp import web

from smsgate.api.limits import DEFAULT_LIMITS, RequestLimits, bounded_body
from smsgate.api.middleware import problem_responses, refuse_nul_characters, request_metrics
from smsgate.api.operations import GATEWAY, add_routes
from smsgate.api.routes import all_operations
from smsgate.audit_keys import AuditSigner
from smsgate.bootstrap import Gateway, build_gateway, close_gateway
from smsgate.service.audit_checks import run_audit_verification
from smsgate.service.sequencer import run_sequencer
from smsgate.settings import Settings, require_audit_signer
from smsgate.web import add_web
from smsgate.workers import run_workers


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

    Builds the gateway (``smsgate.bootstrap``), calls ``on_ready`` (the demo seeds its data
    there), runs the background workers (dispatcher, webhooks) beside the API unless
    ``SMSGATE_DISPATCH=0``, integrates new audit leaves into the tree every
    ``SMSGATE_AUDIT_INTEGRATE_MS`` (``smsgate.service.sequencer``; it needs
    ``SMSGATE_AUDIT_SIGNING_KEY``), verifies the tree every
    ``SMSGATE_AUDIT_VERIFY_SECONDS`` (``smsgate.service.audit_checks``),
    and on shutdown lets in-flight sends finish before closing the carriers
    and the store.
    """
    signer = require_audit_signer(settings)  # before anything is opened
    gateway = await build_gateway(settings)
    if on_ready is not None:
        await on_ready(gateway)
    app = create_app(gateway)

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        tasks = [asyncio.create_task(job) for job in _background(gateway, signer, stop)]
        yield
        stop.set()
        for task in tasks:  # the dispatcher first: in-flight sends finish
            await task
        await close_gateway(gateway)

    app.cleanup_ctx.append(lifecycle)
    return app


def _background(
    gateway: Gateway, signer: AuditSigner, stop: asyncio.Event
) -> list[Coroutine[Any, Any, None]]:
    """What ``serve`` runs beside the API: dispatcher, sequencer, audit verification."""
    settings, store, clock = gateway.settings, gateway.store, gateway.clock
    jobs: list[Coroutine[Any, Any, None]] = []
    if settings.dispatch_in_process:
        jobs.append(run_workers(store, gateway.carriers, settings, stop_event=stop, clock=clock))
    interval = settings.audit_integrate_ms / 1000
    jobs.append(run_sequencer(store, signer, clock, stop_event=stop, interval=interval))
    if settings.audit_verify_seconds:
        jobs.append(
            run_audit_verification(
                store, signer.verifier, clock, stop_event=stop,
                interval=settings.audit_verify_seconds,
            )
        )  # fmt: skip
    return jobs
