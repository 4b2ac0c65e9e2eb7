"""The expected access table of the API, written from DESIGN.md and the README, and its scenes.

``EXPECTED`` says who may call each operation, by ``operation_id``. It is
data typed in by hand from the documents, never read from
``Operation.roles``: a table derived from the code under test could not
disagree with it. Where the product deliberately widened the documented
table, the entry says so and cites the test that pins the decision.

A :class:`Scene` prepares what one operation needs in the case's creditor
``acme`` (``gw.acme``: a draft to submit, a held message to release, a key
to revoke …) and
says how to call the operation with it: the path parameters, a minimal
valid body, and the marks of acme's data that another creditor must never
see in an answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from smsgate.carriers import client_reference
from smsgate.service import administration
from smsgate.signing import signature_headers
from smsgate.store import AttemptOutcome, MessageStatus, Role, SendAttempt

from ..api.api_support import GatewayUnderTest
from ..api.message_support import OVERDUE_VARIABLES, PHONE, message, seed_template

ROLES = (Role.SENDER, Role.AUTHOR, Role.REVIEWER, Role.ADMIN)
ANY_ROLE = frozenset(ROLES)
PEER_SECRET = "matrix-peer-callback-secret-0123456789"
PEER_CARRIERS = """
[carriers.peer]
kind = "http"
url = "http://127.0.0.1:9/never-called"

[routes]
default = ["peer"]
"""
ACME_DEBTOR = "D-ACME-7731"
OPT_OUT_REASON = "acme-private-reason"
#: 律师 is a review-severity term: a message with it is held for a reviewer.
HELD_BODY = "{{ name }}您好，您的账单{{ amount }}元已逾期{{ days }}天，我司已委托律 师跟进。"


class Access(Enum):
    """Who calls an operation when no API role is involved."""

    PUBLIC = "public"  # no key needed (ops endpoints)
    CARRIER = "carrier"  # no API key: the carrier's own signature or token (callbacks)


#: operation_id -> who may call it. DESIGN.md "HTTP API (contract)" and the README table.
EXPECTED: Mapping[str, frozenset[Role] | Access] = {
    "healthz": Access.PUBLIC,
    "readyz": Access.PUBLIC,
    "metrics": Access.PUBLIC,
    "openapi": Access.PUBLIC,
    "create_template": frozenset({Role.AUTHOR}),
    "list_templates": ANY_ROLE,  # "GET /v1/templates[/{id}] | any"
    "get_template": ANY_ROLE,
    "submit_template": frozenset({Role.AUTHOR}),
    "approve_template": frozenset({Role.REVIEWER}),
    "reject_template": frozenset({Role.REVIEWER}),
    "retire_template": frozenset({Role.AUTHOR, Role.REVIEWER}),  # README: author, reviewer
    "sendMessage": frozenset({Role.SENDER}),
    "sendMessageBatch": frozenset({Role.SENDER}),
    # DESIGN.md and the README say "sender"; reviewers read the held message they
    # release and admins the creditor's traffic: a deliberate widening pinned by
    # tests/integration/api/test_messages_review.py::TestRoles::test_readers.
    "getMessage": frozenset({Role.SENDER, Role.REVIEWER, Role.ADMIN}),
    "listHeld": frozenset({Role.REVIEWER}),
    "releaseHeld": frozenset({Role.REVIEWER}),
    "rejectHeld": frozenset({Role.REVIEWER}),
    "recordContact": frozenset({Role.SENDER}),
    "listOptOuts": frozenset({Role.SENDER, Role.ADMIN}),  # README: sender, admin / admin
    "addOptOut": frozenset({Role.SENDER, Role.ADMIN}),
    "removeOptOut": frozenset({Role.ADMIN}),
    "listReplies": frozenset({Role.SENDER, Role.REVIEWER, Role.ADMIN}),
    "deliveryReportPost": Access.CARRIER,
    "deliveryReportGet": Access.CARRIER,
    "inboundMessagePost": Access.CARRIER,
    "inboundMessageGet": Access.CARRIER,
    # Issue #8's key-management contract: admin only, scoped to the caller's creditor.
    "list_keys": frozenset({Role.ADMIN}),
    "create_key": frozenset({Role.ADMIN}),
    "rotate_key": frozenset({Role.ADMIN}),
    "revoke_key": frozenset({Role.ADMIN}),
    # Issue #17 item 4: "GET /v1/evidence?debtor_id=… for reviewer/admin of that creditor".
    "getEvidence": frozenset({Role.REVIEWER, Role.ADMIN}),
}


class Scope(Enum):
    """How an operation meets another creditor's data."""

    NONE = "none"  # public or carrier routes
    PATH = "path"  # an id of acme in the path: another creditor gets 404
    LIST = "list"  # a listing or pack: another creditor sees none of acme's items
    CREATE = "create"  # makes something: it lands in the caller's own creditor
    REFERENCE = "reference"  # names acme's template in the body: never accepted for another


@dataclass(frozen=True, slots=True)
class Prepared:
    """What a scene made in acme: path parameters, a body, and marks of acme's data."""

    params: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    marks: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    query: str = ""


@dataclass(frozen=True, slots=True)
class Scene:
    """How to call one operation with a minimal valid request, and what own success is."""

    scope: Scope
    own_status: int
    prepare: Callable[[GatewayUnderTest], Awaitable[Prepared]]


def acme_phone(gw: GatewayUnderTest) -> str:
    """A phone only this case's acme uses, so it marks acme's data in any answer.

    The cases share a gateway (``shared_gateway``): a reply from a phone
    another case's acme texted too would be attributed to either.
    """
    return f"+86137{gw.case:08d}"


async def nothing(_: GatewayUnderTest) -> Prepared:
    return Prepared()


def template_draft(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "audience": "debtor",
        "body": "{{ name }}您好，您的账单{{ amount }}元已逾期{{ days }}天，请尽快还款。",
        "variables": OVERDUE_VARIABLES,
    }


async def acme_template(gw: GatewayUnderTest, *, submit: bool = False) -> Prepared:
    """A draft of acme made by acme's author through the API (submitted when asked)."""
    author = await gw.key(gw.acme, Role.AUTHOR)
    name = "acme-confidential-reminder"
    status, created, _ = await gw.call(
        "POST", "/v1/templates", token=author, json=template_draft(name)
    )
    assert status == 201, created
    if submit:
        path = f"/v1/templates/{created['id']}/submit"
        status, body, _ = await gw.call("POST", path, token=author)
        assert status == 200, body
    return Prepared({"template_id": created["id"]}, marks=(name,))


async def draft_scene(gw: GatewayUnderTest) -> Prepared:
    return await acme_template(gw)


async def submitted_scene(gw: GatewayUnderTest) -> Prepared:
    prepared = await acme_template(gw, submit=True)
    return Prepared(prepared.params, {"reason": "matrix"}, prepared.marks)


async def retire_scene(gw: GatewayUnderTest) -> Prepared:
    prepared = await acme_template(gw)
    return Prepared(prepared.params, {"reason": "matrix"}, prepared.marks)


async def listed_template(gw: GatewayUnderTest) -> Prepared:
    return await acme_template(gw)


async def acme_send(gw: GatewayUnderTest, body: str | None = None) -> dict[str, Any]:
    """A message of acme accepted through the API (held when ``body`` has a review term).

    Marks of it in an answer: the debtor id, and ``+86137`` (the start of acme's
    phone, masked or not).
    """
    template_id = await seed_template(gw, gw.acme, **({"body": body} if body else {}))
    sender = await gw.key(gw.acme, Role.SENDER)
    request = message(template_id, recipient={"phone": acme_phone(gw), "debtor_id": ACME_DEBTOR})
    status, accepted, _ = await gw.call("POST", "/v1/messages", token=sender, json=request)
    assert status == 202, accepted
    return dict(accepted)


async def message_scene(gw: GatewayUnderTest) -> Prepared:
    accepted = await acme_send(gw)
    return Prepared({"message_id": accepted["id"]}, marks=(ACME_DEBTOR, "+86137"))


async def held_scene(gw: GatewayUnderTest) -> Prepared:
    accepted = await acme_send(gw, HELD_BODY)
    assert accepted["status"] == "held", accepted
    return Prepared({"message_id": accepted["id"]}, {"reason": "matrix"}, (ACME_DEBTOR, "+86137"))


async def listed_held(gw: GatewayUnderTest) -> Prepared:
    accepted = await acme_send(gw, HELD_BODY)
    return Prepared(marks=(accepted["id"], ACME_DEBTOR))


async def send_scene(gw: GatewayUnderTest) -> Prepared:
    template_id = await seed_template(gw, gw.acme)
    return Prepared(body=message(template_id), marks=("acme", "安信"))


async def batch_scene(gw: GatewayUnderTest) -> Prepared:
    template_id = await seed_template(gw, gw.acme)
    return Prepared(body={"messages": [message(template_id)]}, marks=("acme", "安信"))


async def contact_scene(_: GatewayUnderTest) -> Prepared:
    return Prepared(body={"debtor_id": "D-1", "phone": PHONE, "role": "debtor"})


async def acme_opt_out(gw: GatewayUnderTest) -> None:
    admin_key = await gw.key(gw.acme, Role.ADMIN)
    status, body, _ = await gw.call(
        "POST",
        "/v1/opt-outs",
        token=admin_key,
        json={"phone": acme_phone(gw), "reason": OPT_OUT_REASON},
    )
    assert status == 201, body


async def listed_opt_out(gw: GatewayUnderTest) -> Prepared:
    await acme_opt_out(gw)
    return Prepared(marks=(acme_phone(gw), OPT_OUT_REASON))


async def add_opt_out_scene(_: GatewayUnderTest) -> Prepared:
    return Prepared(body={"phone": "+8613900139000"})


async def remove_opt_out_scene(gw: GatewayUnderTest) -> Prepared:
    await acme_opt_out(gw)
    return Prepared({"phone": acme_phone(gw)}, {"reason": "matrix"}, (OPT_OUT_REASON,))


async def listed_reply(gw: GatewayUnderTest) -> Prepared:
    """A reply from acme's recipient, pushed by the ``peer`` carrier as a carrier would."""
    accepted = await acme_send(gw)
    now = gw.clock()
    async with gw.gateway.store.transaction() as tx:
        reference = client_reference(accepted["id"], 1)
        await tx.attempts.start(SendAttempt(accepted["id"], 1, "peer", reference, now))
        await tx.messages.set_status(accepted["id"], MessageStatus.SENDING, now, "attempt 1")
        await tx.attempts.finish(
            accepted["id"], 1, AttemptOutcome.SENT, now, carrier_message_id="p"
        )
        await tx.messages.set_status(accepted["id"], MessageStatus.SENT, now)
    document = {"messages": [{"from": acme_phone(gw), "text": "好的收到", "id": f"mo-{gw.acme}"}]}
    body = json.dumps(document).encode()
    headers = {"Content-Type": "application/json",
               **signature_headers(PEER_SECRET.encode(), body, int(time.time()))}  # fmt: skip
    status, answer, _ = await gw.call("POST", "/v1/mo/peer", data=body, headers=headers)
    assert status == 200, answer
    return Prepared(marks=(acme_phone(gw), "好的收到"))


async def evidence_scene(gw: GatewayUnderTest) -> Prepared:
    """The pack of one of acme's messages: its leaves name acme's debtor and masked phone.

    Another creditor asking for the same message id gets a valid pack without
    facts: the id it sent comes back as the subject, acme's data never does.
    """
    accepted = await acme_send(gw)
    return Prepared(query=f"message_id={accepted['id']}", marks=(ACME_DEBTOR, "+86137"))


async def callback_scene(_: GatewayUnderTest) -> Prepared:
    """An unsigned push to the configured carrier: an API key must not stand in for its proof."""
    return Prepared({"carrier": "peer"}, {"reports": [], "messages": []})


async def acme_key(gw: GatewayUnderTest) -> str:
    key, _ = await administration.create_key(
        gw.gateway.store, gw.acme, {Role.SENDER}, at=gw.clock(), label="acme-matrix-key"
    )
    return key.id


async def listed_key(gw: GatewayUnderTest) -> Prepared:
    return Prepared(marks=(await acme_key(gw), "acme-matrix-key"))


async def create_key_scene(_: GatewayUnderTest) -> Prepared:
    return Prepared(body={"roles": ["sender"], "label": "made-by-matrix"})


async def rotate_key_scene(gw: GatewayUnderTest) -> Prepared:
    key_id = await acme_key(gw)
    return Prepared({"key_id": key_id}, {"grace_seconds": 0}, ("acme-matrix-key",))


async def revoke_key_scene(gw: GatewayUnderTest) -> Prepared:
    key_id = await acme_key(gw)
    return Prepared({"key_id": key_id}, None, ("acme-matrix-key",))


#: operation_id -> its scene. Like EXPECTED, every operation must have one.
SCENES: Mapping[str, Scene] = {
    "healthz": Scene(Scope.NONE, 200, nothing),
    "readyz": Scene(Scope.NONE, 200, nothing),
    "metrics": Scene(Scope.NONE, 200, nothing),
    "openapi": Scene(Scope.NONE, 200, nothing),
    "create_template": Scene(Scope.CREATE, 201, lambda gw: _body(template_draft("matrix-new"))),
    "list_templates": Scene(Scope.LIST, 200, listed_template),
    "get_template": Scene(Scope.PATH, 200, draft_scene),
    "submit_template": Scene(Scope.PATH, 200, draft_scene),
    "approve_template": Scene(Scope.PATH, 200, submitted_scene),
    "reject_template": Scene(Scope.PATH, 200, submitted_scene),
    "retire_template": Scene(Scope.PATH, 200, retire_scene),
    "sendMessage": Scene(Scope.REFERENCE, 202, send_scene),
    "sendMessageBatch": Scene(Scope.REFERENCE, 200, batch_scene),
    "getMessage": Scene(Scope.PATH, 200, message_scene),
    "listHeld": Scene(Scope.LIST, 200, listed_held),
    "releaseHeld": Scene(Scope.PATH, 200, held_scene),
    "rejectHeld": Scene(Scope.PATH, 200, held_scene),
    "recordContact": Scene(Scope.CREATE, 201, contact_scene),
    "listOptOuts": Scene(Scope.LIST, 200, listed_opt_out),
    "addOptOut": Scene(Scope.CREATE, 201, add_opt_out_scene),
    "removeOptOut": Scene(Scope.PATH, 200, remove_opt_out_scene),
    "listReplies": Scene(Scope.LIST, 200, listed_reply),
    "deliveryReportPost": Scene(Scope.NONE, 401, callback_scene),
    "deliveryReportGet": Scene(Scope.NONE, 401, callback_scene),
    "inboundMessagePost": Scene(Scope.NONE, 401, callback_scene),
    "inboundMessageGet": Scene(Scope.NONE, 401, callback_scene),
    "list_keys": Scene(Scope.LIST, 200, listed_key),
    "create_key": Scene(Scope.CREATE, 201, create_key_scene),
    "rotate_key": Scene(Scope.PATH, 201, rotate_key_scene),
    "revoke_key": Scene(Scope.PATH, 200, revoke_key_scene),
    "getEvidence": Scene(Scope.LIST, 200, evidence_scene),
}


async def _body(body: dict[str, Any]) -> Prepared:
    return Prepared(body=body)
