"""Routes of the send path and of held-message review: ``/v1/messages…`` and ``/v1/held…``.

Handlers parse (strict bodies; the phone checked as a textable E.164 number and
the time zone as a geographic IANA name, each problem naming its field), call
``smsgate.service.sending`` or ``smsgate.service.held``, and render.

A send answers with what the service returns, replays included, so a replay
carries the first response's status and body unchanged (plus an
``Idempotent-Replayed: true`` header). A batch decodes its items one by one:
a malformed item is a 400 in its slot, not a 400 for the whole batch, and
each item is settled in its own transaction, in order, so items for the same
debtor are counted against the cap in the order they were sent. A batch's
``Idempotency-Key`` covers the whole batch and keys each item (``batches``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from aiohttp import web

from smsgate.api.bodies import (
    debtor_reference,
    decode_body,
    decode_json,
    json_response,
    to_builtins,
    utc_instant,
    whole_number,
)
from smsgate.api.message_answers import ANSWERS, problem_answer
from smsgate.api.message_models import (
    HeldComplaint,
    HeldMessage,
    HeldMessages,
    HeldOutcome,
    HeldReview,
    MessageAccepted,
    MessageBatch,
    MessageBatchItem,
    MessageBatchResults,
    MessageDetail,
    MessageRequest,
    RawMessageBatch,
    findings_of,
)
from smsgate.api.operations import Call, Operation, Response, page_limit
from smsgate.api.problems import PROBLEM_CONTENT_TYPE, Problem, invalid_request, not_found
from smsgate.bootstrap import Gateway
from smsgate.core.policy import Recipient, UnknownTimeZone, geographic_zone
from smsgate.logs import mask_phone
from smsgate.service import batches, held, sending
from smsgate.service.phones import textable_e164
from smsgate.service.principals import Principal
from smsgate.service.refusals import Refusal
from smsgate.store import InboundReply, Message, Role

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
MAX_HELD_PAGE = 500


async def send_message(call: Call) -> web.StreamResponse:
    """Vet and enqueue one message."""
    body = await decode_body(call.request, MessageRequest)
    request = send_request(body, _idempotency_key(call.request), to_builtins(body))
    outcome = await sending.send_message(call.gateway, call.principal, request, ANSWERS)
    return _outcome_response(outcome)


async def send_batch(call: Call) -> web.StreamResponse:
    """Vet and enqueue each message of a batch independently; per-item results.

    With an ``Idempotency-Key`` the whole batch is idempotent (``batches``): a
    retry replays the first response and sends nothing again.
    """
    batch = await decode_body(call.request, RawMessageBatch, envelope=True)
    limit = call.gateway.settings.max_batch_items
    if not 1 <= len(batch.messages) <= limit:
        raise invalid_request(
            f"a batch holds 1 to {limit} messages, got {len(batch.messages)}", max_items=limit
        )
    key = _idempotency_key(call.request)
    decoded = [_batch_item(raw) for raw in batch.messages]
    items = [item for item, _ in decoded]
    digest = sending.body_hash({"messages:batch": [identity for _, identity in decoded]})
    outcome = await batches.send_batch(call.gateway, call.principal, items, ANSWERS, key, digest)
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    return web.Response(
        body=msgspec.json.encode(outcome.body), content_type="application/json", headers=headers
    )


def _batch_item(raw: msgspec.Raw) -> tuple[batches.BatchItem, Any]:
    """The item as a send request (or the 400 refusing it) and what identifies it in the batch."""
    try:
        item = decode_json(bytes(raw), MessageBatchItem)
    except Problem as problem:
        return problem_answer(problem), msgspec.json.decode(bytes(raw))
    hashed = to_builtins(item)
    identity = dict(hashed)
    key = hashed.pop("idempotency_key")
    try:
        return send_request(item, key, hashed), identity
    except Problem as problem:
        return problem_answer(problem), identity
    except Refusal as refusal:
        return ANSWERS.refused(refusal), identity


def send_request(body: MessageRequest, key: str | None, hashed: Any) -> sending.SendRequest:
    """The service's request from a decoded body; ``hashed`` is what identifies it.

    Raises a 400 ``invalid_request`` :class:`Problem` naming a bad phone, debtor
    reference, time zone or ``send_at``. A zone must be a geographic IANA name
    (``Asia/Shanghai``): a clock setting such as ``localtime``, ``UTC`` or
    ``right/…`` is a malformed value, like an unknown name. Whether the zone is
    one the number may be in is the policy's question (422 ``timezone_mismatch``),
    asked by the service.
    """
    given = body.recipient
    if given.timezone is not None:
        try:
            geographic_zone(given.timezone)
        except UnknownTimeZone as error:
            problem = invalid_request(f"recipient.timezone: {error}", field="recipient.timezone")
            raise problem from None
    recipient = Recipient(
        phone=textable_e164(given.phone, "recipient.phone"),
        debtor_id=debtor_reference(given.debtor_id, "recipient.debtor_id"),
        role=given.role,
        timezone=given.timezone,
        tags=frozenset(given.tags),
    )
    return sending.SendRequest(
        template_id=body.template_id,
        variables=body.variables,
        recipient=recipient,
        send_at=None if body.send_at is None else utc_instant(body.send_at, "send_at"),
        on_quiet_hours=body.on_quiet_hours,
        idempotency_key=key,
        request_hash=sending.body_hash(hashed),
    )


def _idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise invalid_request(
            f"{IDEMPOTENCY_HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters"
        )
    return key


def _outcome_response(outcome: sending.SendAnswer) -> web.Response:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    if "retry_after" in outcome.body:
        headers["Retry-After"] = str(outcome.body["retry_after"])
    return web.Response(
        status=outcome.status,
        body=msgspec.json.encode(outcome.body),
        content_type="application/json" if outcome.status < 400 else PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


async def get_message(call: Call) -> web.StreamResponse:
    """A message of the caller's creditor with its status history."""
    message_id = call.request.match_info["message_id"]
    async with call.gateway.store.read() as tx:
        message = await tx.messages.get(message_id, creditor_id=call.creditor_id)
        history = [] if message is None else await tx.messages.history(message_id)
        confirmation = None if message is None else await tx.confirmations.of_message(message_id)
    if message is None:
        raise not_found("message")
    confirms = None if confirmation is None else confirmation.reply_id
    return json_response(MessageDetail.of(message, history, confirms))


async def list_held(call: Call) -> web.StreamResponse:
    """The creditor's held messages, oldest first (``?limit=``, default 100)."""
    limit = whole_number(call.request.query.get("limit", "100"), "limit", 1, MAX_HELD_PAGE)
    messages = await held.held_messages(call.gateway, call.creditor_id, limit)
    complaints = await held.complaints(call.gateway, call.creditor_id, (m.phone for m in messages))
    return json_response(
        HeldMessages(held=[_held_body(m, complaints.get(m.phone)) for m in messages])
    )


def _held_body(message: Message, complaint: InboundReply | None) -> HeldMessage:
    return HeldMessage(
        id=message.id,
        template_id=message.template_id,
        template_version=message.template_version,
        phone=mask_phone(message.phone),
        debtor_id=message.debtor_id,
        role=message.role,
        text=message.text,
        findings=findings_of(message),
        wordlist_version=message.wordlist_version,
        created_at=message.created_at,
        send_at=message.send_at,
        complaint=None if complaint is None else HeldComplaint(
            reply_id=complaint.id, text=complaint.text, received_at=complaint.received_at
        ),
    )  # fmt: skip


async def release_held(call: Call) -> web.StreamResponse:
    """Release a held message: decided again now, then queued or scheduled."""
    return await _review(call, held.release)


async def reject_held(call: Call) -> web.StreamResponse:
    """Reject a held message for good."""
    return await _review(call, held.reject)


ReviewDecision = Callable[[Gateway, Principal, str, str], Awaitable[held.Reviewed]]


async def _review(call: Call, decide: ReviewDecision) -> web.StreamResponse:
    """Parse the reviewer's reason, let ``decide`` act on the path's message, render the result."""
    body = await decode_body(call.request, HeldReview)
    message_id = call.request.match_info["message_id"]
    reviewed = await decide(call.gateway, call.principal, message_id, body.reason)
    outcome = HeldOutcome(
        id=reviewed.message_id,
        status=reviewed.status,
        send_at=reviewed.send_at,
        detail=reviewed.detail,
    )
    return json_response(outcome)


_SENDERS = frozenset({Role.SENDER})
_READERS = frozenset({Role.SENDER, Role.REVIEWER, Role.ADMIN})
_REVIEWERS = frozenset({Role.REVIEWER})
_KEY_HELP = (
    "Optional. The same key with the same body replays the first response (202 or "
    "4xx refusal); with another body it is a 409 idempotency_conflict."
)
_BATCH_KEY_HELP = (
    "Optional. The whole batch is idempotent: the same key with the same body replays "
    "the first response (every item's status and body) and sends nothing again; with "
    "another body it is a 409 idempotency_conflict. An item without its own "
    "idempotency_key is keyed '<key>§<index>'; an item's own key is used as given."
)
_REFUSALS = {
    404: Response("Unknown template, or another creditor's", problem=True),
    409: Response("idempotency_conflict: the key was used with another body", problem=True),
    422: Response(
        "Refused: template_not_approved, audience_mismatch, variable_invalid (errors), "
        "sensitive_term (findings), message_too_long, opted_out, quiet_hours (retry_at), "
        "timezone_mismatch (the zone is not one the number may be in)",
        problem=True,
    ),
    429: Response(
        "contact_limit: retry_at and Retry-After say when a slot opens; "
        "refusal_rate_limited: too many sends for unknown templates from this key "
        "(not audited; Retry-After)",
        problem=True,
    ),
}
_REVIEW_RESPONSES = {
    200: Response("The message's new status", HeldOutcome),
    404: Response("No such message of this creditor", problem=True),
    409: Response("invalid_state: the message is not held", problem=True),
}

OPERATIONS: list[Operation] = [
    Operation(
        "POST",
        "/v1/messages",
        "sendMessage",
        "Send a message from an approved template (queued, scheduled or held)",
        "messages",
        send_message,
        roles=_SENDERS,
        request_model=MessageRequest,
        responses={202: Response("Accepted", MessageAccepted), **_REFUSALS},
        headers={IDEMPOTENCY_HEADER: _KEY_HELP},
    ),
    Operation(
        "POST",
        "/v1/messages:batch",
        "sendMessageBatch",
        "Send several messages; each item is settled on its own, in order",
        "messages",
        send_batch,
        roles=_SENDERS,
        request_model=MessageBatch,
        responses={
            200: Response("Per-item status and body", MessageBatchResults),
            409: Response("idempotency_conflict: the key was used with another body", problem=True),
        },
        headers={IDEMPOTENCY_HEADER: _BATCH_KEY_HELP},
    ),
    Operation(
        "GET",
        "/v1/messages/{message_id}",
        "getMessage",
        "A message with its status history",
        "messages",
        get_message,
        roles=_READERS,
        responses={
            200: Response("The message", MessageDetail),
            404: Response("No such message of this creditor", problem=True),
        },
    ),
    Operation(
        "GET",
        "/v1/held",
        "listHeld",
        "Messages held for review, oldest first, with findings",
        "held",
        list_held,
        roles=_REVIEWERS,
        query={"limit": page_limit(MAX_HELD_PAGE)},
        responses={200: Response("Held messages", HeldMessages)},
    ),
    Operation(
        "POST",
        "/v1/held/{message_id}/release",
        "releaseHeld",
        "Release a held message (policy decided again now; may be refused, then it stays held)",
        "held",
        release_held,
        roles=_REVIEWERS,
        request_model=HeldReview,
        responses={
            **_REVIEW_RESPONSES,
            422: Response(
                "template_retired, sensitive_term (a block term of the live wordlist), "
                "opted_out, audience_mismatch, timezone_mismatch or quiet_hours now",
                problem=True,
            ),
            429: Response("contact_limit now; retry_at says when", problem=True),
        },
    ),
    Operation(
        "POST",
        "/v1/held/{message_id}/reject",
        "rejectHeld",
        "Reject a held message",
        "held",
        reject_held,
        roles=_REVIEWERS,
        request_model=HeldReview,
        responses=_REVIEW_RESPONSES,
    ),
]
