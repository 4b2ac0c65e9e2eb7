"""The composition root: build the gateway's services from settings, and the aiohttp app.

Nothing happens at import time. ``bootstrap`` opens the store and loads the
wordlists; ``create_app`` wires routes and middlewares around a ready
:class:`Gateway`; ``build_app`` does both and closes the store on cleanup
(the aiohttp ``cleanup_ctx`` idiom).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime

from aiohttp import web

from smsgate.api.gateway import Gateway
from smsgate.api.keys import KeyRing
from smsgate.api.metrics import GatewayMetrics
from smsgate.api.middleware import problem_responses, request_metrics
from smsgate.api.operations import GATEWAY, add_routes
from smsgate.api.routes import all_operations
from smsgate.settings import Settings
from smsgate.store import open_store, utc_now
from smsgate.wordlists import WordlistSource, shipped_wordlists


async def bootstrap(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Gateway:
    """Open the store (running migrations) and load the wordlists."""
    store = await open_store(settings.database_url)
    wordlists = WordlistSource(settings.wordlists_dir or shipped_wordlists())
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


def build_app(settings: Settings) -> web.Application:
    """An app that bootstraps on startup and closes the store on cleanup."""
    app = web.Application()

    async def lifecycle(outer: web.Application) -> AsyncIterator[None]:
        gateway = await bootstrap(settings)
        outer.add_subapp("/", create_app(gateway))
        yield
        await gateway.store.close()

    app.cleanup_ctx.append(lifecycle)
    return app
