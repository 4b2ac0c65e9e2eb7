"""Routes of the contact ledger and the do-not-contact list: ``/v1/contacts``, ``/v1/opt-outs``.

Handlers parse (strict bodies; phones through ``smsgate.service.phones``, so
an opt-out is stored in the E.164 spelling a message will carry), call
``smsgate.service.contacts`` or ``smsgate.service.opt_outs``, and render.
Calls and opt-outs may concern any valid number, landlines included: a call
to a debtor's office phone still counts against the debtor's cap. Phones in
paths and queries are E.164 with ``+`` (``%2B`` when URL-encoded).

Lifting an opt-out takes its reason as a JSON body, not a query parameter: it
is free text that may quote a person, and URLs end up in proxy logs; a body is
also what the OpenAPI document can describe and validate.
"""

from __future__ import annotations

from aiohttp import web

from smsgate.api.bodies import debtor_reference, decode_body, json_response, utc_instant
from smsgate.api.contact_models import (
    ContactBody,
    NewContact,
    NewOptOut,
    OptOutBody,
    OptOutList,
    OptOutRemoval,
)
from smsgate.api.operations import PHONE_FILTER, Call, Operation, QueryParameter, Response
from smsgate.api.problems import invalid_request
from smsgate.service import contacts, opt_outs
from smsgate.service.phones import parse_e164
from smsgate.store import ContactRecord, OptOut, OptOutKind, OptOutSource, Role

_KINDS = ", ".join(kind.value for kind in OptOutKind)


async def record_contact(call: Call) -> web.StreamResponse:
    """Record a call against the debtor's contact caps."""
    body = await decode_body(call.request, NewContact)
    now = call.gateway.clock()
    contact = ContactRecord(
        creditor_id=call.creditor_id,
        debtor_id=debtor_reference(body.debtor_id, "debtor_id"),
        phone=parse_e164(body.phone, "phone"),
        role=body.role,
        channel=body.channel,
        at=now if body.at is None else utc_instant(body.at, "at"),
    )
    stored = await contacts.record_contact(call.gateway.store, contact, call.principal.key_id, now)
    return json_response(ContactBody.of(stored), status=201)


async def list_opt_outs(call: Call) -> web.StreamResponse:
    """The creditor's active opt-outs, of one phone if ``?phone=`` is given."""
    raw_phone = call.request.query.get("phone")
    phone = None if raw_phone is None else parse_e164(raw_phone, "phone")
    active = await opt_outs.active_opt_outs(call.gateway.store, call.creditor_id, phone)
    return json_response(OptOutList(opt_outs=[OptOutBody.of(o) for o in active]))


async def add_opt_out(call: Call) -> web.StreamResponse:
    """Add a phone to the do-not-contact list; 200 if that kind was active already."""
    body = await decode_body(call.request, NewOptOut)
    opt_out = OptOut(
        creditor_id=call.creditor_id,
        phone=parse_e164(body.phone, "phone"),
        kind=body.kind,
        source=OptOutSource.API,
        at=call.gateway.clock(),
        reason=body.reason,
    )
    added = await opt_outs.add_opt_out(call.gateway.store, opt_out, call.principal.key_id)
    return json_response(OptOutBody.of(added.opt_out), status=201 if added.created else 200)


async def remove_opt_out(call: Call) -> web.StreamResponse:
    """Lift the active opt-out of the path's phone and ``?kind=`` (default ``opt_out``)."""
    phone = parse_e164(call.request.match_info["phone"], "phone")
    kind = _kind(call.request.query.get("kind", OptOutKind.OPT_OUT.value))
    if not call.request.body_exists:
        raise invalid_request('a reason is required: send {"reason": "…"} as the JSON body')
    body = await decode_body(call.request, OptOutRemoval)
    removed = await opt_outs.remove_opt_out(
        call.gateway.store,
        call.creditor_id,
        phone,
        kind,
        reason=body.reason,
        actor=call.principal.key_id,
        at=call.gateway.clock(),
    )
    return json_response(OptOutBody.of(removed))


def _kind(raw: str) -> OptOutKind:
    try:
        return OptOutKind(raw)
    except ValueError:
        raise invalid_request(f"kind must be one of: {_KINDS}") from None


_SENDERS = frozenset({Role.SENDER})
_LIST_KEEPERS = frozenset({Role.SENDER, Role.ADMIN})
_ADMINS = frozenset({Role.ADMIN})
_KIND_QUERY = QueryParameter(
    {"type": "string", "enum": [kind.value for kind in OptOutKind], "default": "opt_out"},
    "Which kind of opt-out to lift",
)

OPERATIONS: list[Operation] = [
    Operation(
        "POST",
        "/v1/contacts",
        "recordContact",
        "Record a call so it counts against the daily contact cap",
        "contacts",
        record_contact,
        roles=_SENDERS,
        request_model=NewContact,
        responses={201: Response("The recorded contact", ContactBody)},
    ),
    Operation(
        "GET",
        "/v1/opt-outs",
        "listOptOuts",
        "List active opt-outs, newest first",
        "opt-outs",
        list_opt_outs,
        roles=_LIST_KEEPERS,
        query={"phone": PHONE_FILTER},
        responses={200: Response("Active opt-outs", OptOutList)},
    ),
    Operation(
        "POST",
        "/v1/opt-outs",
        "addOptOut",
        "Add an opt-out (idempotent: 200 with the active one if it exists)",
        "opt-outs",
        add_opt_out,
        roles=_LIST_KEEPERS,
        request_model=NewOptOut,
        responses={
            200: Response("That kind of opt-out was active already", OptOutBody),
            201: Response("The new opt-out", OptOutBody),
        },
    ),
    Operation(
        "DELETE",
        "/v1/opt-outs/{phone}",
        "removeOptOut",
        "Lift an active opt-out",
        "opt-outs",
        remove_opt_out,
        roles=_ADMINS,
        query={"kind": _KIND_QUERY},
        request_model=OptOutRemoval,
        responses={
            200: Response("The lifted opt-out, with removed_at", OptOutBody),
            404: Response("No active opt-out of that kind for this phone", problem=True),
        },
    ),
]
