"""The route table: every operation's path, roles, request and responses, in one place.

The table drives three things, so they cannot drift apart: the aiohttp
routes, the authentication and role check that wraps every handler (a route
cannot forget it), and the OpenAPI document. A handler receives a
:class:`Call` (request, principal, gateway) and returns a response.

Authentication (:func:`authenticate`, which the UI's sign-in uses too) asks
the failed-auth throttle first, so a client address over its limit gets 429
``auth_rate_limited`` before any key is looked at; the OpenAPI document
lists that 429 for every operation needing a key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiohttp import web

from smsgate.api.auth_throttle import client_address
from smsgate.api.problems import Problem, ProblemCode
from smsgate.bootstrap import Gateway
from smsgate.service.principals import KeyRefusal, Principal
from smsgate.store import Role

log = structlog.get_logger(__name__)

GATEWAY: web.AppKey[Gateway] = web.AppKey("gateway", Gateway)


@dataclass(frozen=True, slots=True)
class Call:
    """One authenticated request as a handler sees it."""

    request: web.Request
    principal: Principal
    gateway: Gateway

    @property
    def creditor_id(self) -> str:
        """The caller's creditor: every lookup is scoped to it."""
        return self.principal.creditor_id


Handler = Callable[[Call], Awaitable[web.StreamResponse]]
PublicHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Response:
    """A documented response of an operation."""

    description: str
    model: Any = None
    problem: bool = False
    #: Other media types the response may have, beside the model's JSON: type -> JSON Schema.
    media: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QueryParameter:
    """An optional query parameter: its JSON Schema and what it does (for the OpenAPI document)."""

    schema: Mapping[str, Any]
    description: str


def page_limit(most: int, default: int = 100) -> QueryParameter:
    """The ``limit`` parameter of a list: how many items, from 1 to ``most``."""
    schema = {"type": "integer", "minimum": 1, "maximum": most, "default": default}
    return QueryParameter(schema, f"At most this many items (1..{most})")


PHONE_FILTER = QueryParameter({"type": "string"}, "Only this phone number (E.164; send '+' as %2B)")


@dataclass(frozen=True, slots=True)
class Operation:
    """One method and path. ``roles`` empty means public (ops endpoints)."""

    method: str
    path: str
    operation_id: str
    summary: str
    tag: str
    handler: Handler | PublicHandler
    roles: frozenset[Role] = frozenset()
    request_model: Any = None
    responses: Mapping[int, Response] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, QueryParameter] = field(default_factory=dict)
    #: What the OpenAPI document says of it beyond the summary (after the roles).
    description: str = ""

    @property
    def public(self) -> bool:
        """Whether the operation needs no API key."""
        return not self.roles


def bearer_token(request: web.Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if well formed."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def route_handler(operation: Operation) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler of ``operation``: authenticate, check roles, then call it."""
    if operation.public:
        public: PublicHandler = operation.handler  # type: ignore[assignment]
        return public
    handler: Handler = operation.handler  # type: ignore[assignment]

    async def authorised(request: web.Request) -> web.StreamResponse:
        gateway = request.app[GATEWAY]
        principal = await authenticate(request, bearer_token(request), surface="api")
        if not principal.roles & operation.roles:
            needed = ", ".join(sorted(operation.roles))
            raise Problem(403, ProblemCode.FORBIDDEN, f"this key lacks the role: one of {needed}")
        return await handler(Call(request, principal, gateway))

    return authorised


async def authenticate(request: web.Request, token: str | None, *, surface: str) -> Principal:
    """The principal of the live key ``token``, for a request from the API or the UI.

    Raises a 429 ``auth_rate_limited`` :class:`Problem` (with ``retry_after``)
    while the client's address is throttled, whatever the token, and a 401
    ``unauthorized`` one for a missing, malformed, unknown or revoked key,
    which counts against the address unless no key was sent at all.
    """
    gateway = request.app[GATEWAY]
    client = client_address(request, gateway.settings.trust_proxy)
    wait = gateway.auth_throttle.retry_after(client)
    if wait is not None:
        gateway.metrics.auth_failures.labels(surface, "rate_limited").inc()
        raise Problem(
            429,
            ProblemCode.AUTH_RATE_LIMITED,
            f"too many failed authentications from this address; retry in {wait} s",
            retry_after=wait,
        )
    check = await gateway.keys.check(token)
    if check.principal is not None:
        return check.principal
    refusal = check.refusal or KeyRefusal.UNKNOWN
    gateway.metrics.auth_failures.labels(surface, refusal.value).inc()
    log.info("auth_failed", client=client, surface=surface, reason=refusal.value, key=check.key_id)
    if refusal is not KeyRefusal.MISSING and gateway.auth_throttle.failed(client):
        limit, window = gateway.auth_throttle.limit, gateway.auth_throttle.window
        log.warning("auth_rate_limited", client=client, surface=surface, limit=limit, window=window)
    raise Problem(
        401, ProblemCode.UNAUTHORIZED, "send a valid API key as 'Authorization: Bearer …'"
    )


def add_routes(app: web.Application, operations: list[Operation]) -> None:
    """Register every operation on ``app``."""
    for operation in operations:
        app.router.add_route(
            operation.method, operation.path, route_handler(operation), name=operation.operation_id
        )
