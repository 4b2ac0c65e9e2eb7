"""Routes carriers call back: ``/v1/dlr/{carrier}`` and ``/v1/mo/{carrier}``; and ``/v1/replies``.

Callbacks carry no API key: each carrier proves itself its own way (HMAC
signature, shared token, address allow-list), so the route hands the raw
request to the configured carrier's ``CarrierCallbacks`` to authenticate and
read, then stores what it says through ``smsgate.service.receipts`` and
``smsgate.service.replies``. Kannel calls its ``dlr-url`` with GET, so both
methods are routed. The success answer is the carrier's own idea of success
(``CallbackReply``), because carriers resend until they read it.

Failures are problem+json like every other route: 404 for a carrier name not
configured (or one that takes no callbacks), 401 ``callback_rejected``,
400 ``callback_invalid``; an unknown message id is stored, never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from aiohttp import web

from smsgate.api.bodies import json_response, whole_number
from smsgate.api.operations import (
    GATEWAY,
    PHONE_FILTER,
    Call,
    Operation,
    Response,
    page_limit,
)
from smsgate.api.problems import Problem, ProblemCode, not_found
from smsgate.api.reply_models import CallbackAccepted, ReplyBody, ReplyList
from smsgate.carriers import (
    CallbackRejected,
    CallbackReply,
    CallbackRequest,
    CarrierCallbacks,
    MalformedCallback,
    ReceivesCallbacks,
)
from smsgate.service.phones import parse_e164
from smsgate.service.receipts import take_report
from smsgate.service.replies import take_reply
from smsgate.store import Role
from smsgate.wordlists import reply_classifier

_MAX_LISTED = 500
_Item = TypeVar("_Item")


async def delivery_reports(request: web.Request) -> web.StreamResponse:
    """Store a carrier's delivery reports and move the messages they settle."""
    gateway = request.app[GATEWAY]
    name = request.match_info["carrier"]
    callbacks, callback = await _authenticated(request, name)
    reports = _read(lambda: callbacks.delivery_reports(callback))
    for report in reports:
        outcome = await take_report(gateway.store, name, report, gateway.clock())
        gateway.metrics.delivery_reports.labels(name, outcome.effect.value).inc()
    return _reply(callbacks.reply())


async def inbound_messages(request: web.Request) -> web.StreamResponse:
    """Store a carrier's inbound replies and act on stops and complaints."""
    gateway = request.app[GATEWAY]
    name = request.match_info["carrier"]
    callbacks, callback = await _authenticated(request, name)
    messages = _read(lambda: callbacks.inbound_messages(callback))
    classifier = reply_classifier(gateway.settings.wordlists_dir)
    for message in messages:
        window = timedelta(days=gateway.settings.reply_attribution_days)
        taken = await take_reply(gateway.store, name, message, classifier, gateway.clock(), window)
        if taken.new:
            for intent in [intent.value for intent in sorted(taken.reply.intents)] or ["none"]:
                gateway.metrics.replies.labels(name, intent).inc()
    return _reply(callbacks.reply())


async def list_replies(call: Call) -> web.StreamResponse:
    """The creditor's replies, newest first (``?phone=``, ``?limit=``)."""
    raw_phone = call.request.query.get("phone")
    phone = None if raw_phone is None else parse_e164(raw_phone, "phone")
    limit = whole_number(call.request.query.get("limit", "100"), "limit", 1, _MAX_LISTED)
    async with call.gateway.store.read() as tx:
        replies = await tx.replies.of_creditor(call.creditor_id, phone=phone, limit=limit)
        confirmed = await tx.confirmations.of_replies([reply.id for reply in replies])
    bodies = [ReplyBody.of(reply, confirmation_sent=reply.id in confirmed) for reply in replies]
    return json_response(ReplyList(replies=bodies))


async def _authenticated(
    request: web.Request, name: str
) -> tuple[CarrierCallbacks, CallbackRequest]:
    adapter = request.app[GATEWAY].carriers.get(name)
    if not isinstance(adapter, ReceivesCallbacks):
        raise not_found(f"carrier {name!r} taking callbacks")
    callbacks = adapter.callbacks
    callback = await callback_request(request)
    try:
        callbacks.authenticate(callback)
    except CallbackRejected as error:
        raise Problem(401, ProblemCode.CALLBACK_REJECTED, str(error)) from None
    return callbacks, callback


async def callback_request(request: web.Request) -> CallbackRequest:
    """The framework-free view of ``request`` that carrier parsers read."""
    return CallbackRequest(
        method=request.method,
        path=request.path,
        query={key: request.query.getall(key) for key in request.query},
        headers={key.lower(): value for key, value in request.headers.items()},
        body=await request.read(),
        remote=request.remote or "",
    )


def _read(parse: Callable[[], list[_Item]]) -> list[_Item]:
    try:
        return parse()
    except MalformedCallback as error:
        raise Problem(400, ProblemCode.CALLBACK_INVALID, str(error)) from None


def _reply(reply: CallbackReply) -> web.Response:
    return web.Response(status=reply.status, body=reply.body, content_type=reply.content_type)


_CALLBACK_RESPONSES = {
    200: Response("Accepted; the body is what the carrier expects", CallbackAccepted),
    400: Response("The carrier's body cannot be read", problem=True),
    401: Response("Not authenticated as that carrier", problem=True),
    404: Response("No such carrier takes callbacks here", problem=True),
}

OPERATIONS: list[Operation] = [
    *(
        Operation(
            method, "/v1/dlr/{carrier}", f"deliveryReport{method.title()}",
            "Delivery reports from a carrier (authenticated per carrier, not by API key)",
            "callbacks", delivery_reports, responses=_CALLBACK_RESPONSES,
        )
        for method in ("POST", "GET")
    ),
    *(
        Operation(
            method, "/v1/mo/{carrier}", f"inboundMessage{method.title()}",
            "Inbound replies from a carrier (authenticated per carrier, not by API key)",
            "callbacks", inbound_messages, responses=_CALLBACK_RESPONSES,
        )
        for method in ("POST", "GET")
    ),
    Operation(
        "GET", "/v1/replies", "listReplies",
        "Replies recipients sent (MO), newest first",
        "replies", list_replies,
        query={"phone": PHONE_FILTER, "limit": page_limit(_MAX_LISTED)},
        roles=frozenset({Role.SENDER, Role.REVIEWER, Role.ADMIN}),
        responses={200: Response("Replies", ReplyList)},
    ),
]  # fmt: skip
