"""Operator endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document."""

from __future__ import annotations

from functools import cache

import msgspec
from aiohttp import web

from smsgate.api.bodies import json_response
from smsgate.api.operations import GATEWAY, Operation, Response
from smsgate.api.problems import Problem, ProblemCode
from smsgate.store import StoreError


async def healthz(request: web.Request) -> web.StreamResponse:
    """Alive: the process answers (nothing else is checked)."""
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.StreamResponse:
    """Ready: the database answers and a wordlist is loaded."""
    gateway = request.app[GATEWAY]
    try:
        await gateway.store.ping()
    except StoreError:
        raise Problem(503, ProblemCode.STORE_UNAVAILABLE, "the database does not answer") from None
    version = gateway.wordlists.current().version
    return json_response({"status": "ready", "wordlist_version": version})


async def metrics(request: web.Request) -> web.StreamResponse:
    """Prometheus text exposition; the outbox depth is read at scrape time."""
    gateway = request.app[GATEWAY]
    async with gateway.store.read() as tx:
        gateway.metrics.queue_depth.set(await tx.outbox.depth())
    return web.Response(
        body=gateway.metrics.exposition(), content_type="text/plain", charset="utf-8"
    )


async def openapi(request: web.Request) -> web.StreamResponse:
    """The OpenAPI 3.1 document of every route."""
    return web.Response(body=_openapi_json(), content_type="application/json")


@cache
def _openapi_json() -> bytes:
    """The document, generated once: the route table does not change while running."""
    # Imported here: the route table includes this module's own operations.
    from smsgate.api.openapi import openapi_document
    from smsgate.api.routes import all_operations

    return msgspec.json.encode(openapi_document(all_operations()))


OPERATIONS = [
    Operation(
        "GET",
        "/healthz",
        "healthz",
        "Liveness",
        "ops",
        healthz,
        responses={200: Response("The process is alive")},
    ),
    Operation(
        "GET",
        "/readyz",
        "readyz",
        "Readiness",
        "ops",
        readyz,
        responses={
            200: Response("Database and wordlists ready"),
            503: Response("Not ready", problem=True),
        },
    ),
    Operation(
        "GET",
        "/metrics",
        "metrics",
        "Prometheus metrics",
        "ops",
        metrics,
        responses={200: Response("Text exposition format")},
    ),
    Operation(
        "GET",
        "/openapi.json",
        "openapi",
        "This document",
        "ops",
        openapi,
        responses={200: Response("OpenAPI 3.1 document")},
    ),
]
