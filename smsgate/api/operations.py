"""The route table: every operation's path, roles, request and responses, in one place.

The table drives three things, so they cannot drift apart: the aiohttp
routes, the authentication and role check that wraps every handler (a route
cannot forget it), and the OpenAPI document. A handler receives a
:class:`Call` (request, principal, gateway) and returns a response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from smsgate.api.gateway import Gateway
from smsgate.api.keys import Principal
from smsgate.api.problems import Problem, ProblemCode
from smsgate.store import Role

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
        token = bearer_token(request)
        principal = await gateway.keys.principal(token) if token else None
        if principal is None:
            raise Problem(
                401, ProblemCode.UNAUTHORIZED, "send a valid API key as 'Authorization: Bearer …'"
            )
        if not principal.roles & operation.roles:
            needed = ", ".join(sorted(operation.roles))
            raise Problem(403, ProblemCode.FORBIDDEN, f"this key lacks the role: one of {needed}")
        return await handler(Call(request, principal, gateway))

    return authorised


def add_routes(app: web.Application, operations: list[Operation]) -> None:
    """Register every operation on ``app``."""
    for operation in operations:
        app.router.add_route(
            operation.method, operation.path, route_handler(operation), name=operation.operation_id
        )
