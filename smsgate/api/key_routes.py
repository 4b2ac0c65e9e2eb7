"""Routes of key management: ``/v1/keys`` (list, create), ``…/{key_id}/rotate``, DELETE.

Admin keys only, each scoped to its own creditor: another creditor's key id
answers 404 ``not_found``, like an id that does not exist. Handlers parse,
call :class:`~smsgate.service.keys.KeyDesk` (which audits every change and
holds the rules: idempotent revocation, no revoking the last admin key,
no rotating a key twice, a person for every author or reviewer key), and
render. The token appears only in the 201 answer of a create or a rotate.
A key created or rotated here records the calling admin key as its minter,
which the four-eyes rule reads (``smsgate.service.four_eyes``).
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from smsgate.api.bodies import decode_body, json_response
from smsgate.api.key_models import (
    IssuedKeyBody,
    KeyBody,
    KeyList,
    KeyRotation,
    NewKey,
    RevokedKeyBody,
    RotatedKeyBody,
)
from smsgate.api.operations import Call, Operation, Response
from smsgate.service.keys import KeyActor, KeyDesk
from smsgate.store import Role

TAG = "keys"


def _desk(call: Call) -> tuple[KeyDesk, KeyActor]:
    gateway = call.gateway
    desk = KeyDesk(gateway.store, gateway.clock, evict=gateway.keys.forget)
    return desk, KeyActor(call.principal.key_id, call.creditor_id)


async def list_keys(call: Call) -> web.StreamResponse:
    """The caller's creditor's keys, oldest first."""
    desk, _ = _desk(call)
    keys = await desk.list(call.creditor_id)
    return json_response(KeyList(items=[KeyBody.of(key) for key in keys]))


async def create_key(call: Call) -> web.StreamResponse:
    """Mint a key of the caller's creditor; its token is in this answer only."""
    body = await decode_body(call.request, NewKey)
    desk, actor = _desk(call)
    issued = await desk.create(actor, call.creditor_id, body.roles, body.label, body.person)
    return json_response(IssuedKeyBody.of(issued), status=201)


async def rotate_key(call: Call) -> web.StreamResponse:
    """Mint a successor with the same roles, label and person; the old key works for the grace."""
    body = await decode_body(call.request, KeyRotation) if call.request.body_exists else None
    grace = timedelta(seconds=body.grace_seconds if body is not None else 0)
    desk, actor = _desk(call)
    rotation = await desk.rotate(actor, call.request.match_info["key_id"], grace)
    return json_response(RotatedKeyBody.of_rotation(rotation), status=201)


async def revoke_key(call: Call) -> web.StreamResponse:
    """Revoke a key now (idempotent: a revoked key answers with its original ``revoked_at``)."""
    desk, actor = _desk(call)
    key = await desk.revoke(actor, call.request.match_info["key_id"])
    assert key.revoked_at is not None  # the desk returns the key as revoked
    return json_response(RevokedKeyBody(id=key.id, revoked_at=key.revoked_at))


_ADMINS = frozenset({Role.ADMIN})
_NOT_FOUND = Response("No such key of this creditor", problem=True)

OPERATIONS: list[Operation] = [
    Operation(
        "GET", "/v1/keys", "list_keys", "The creditor's API keys (never their tokens)", TAG,
        list_keys, roles=_ADMINS, responses={200: Response("The keys, oldest first", KeyList)},
    ),
    Operation(
        "POST", "/v1/keys", "create_key", "Create an API key; its token is shown once", TAG,
        create_key, roles=_ADMINS, request_model=NewKey,
        responses={
            201: Response("The new key and its token", IssuedKeyBody),
            400: Response(
                "Malformed body, or an author or reviewer key without a person (invalid_request)",
                problem=True,
            ),
        },
    ),
    Operation(
        "POST", "/v1/keys/{key_id}/rotate", "rotate_key",
        "Replace a key by a new one with the same roles, label and person; the old one stops"
        " working after grace_seconds", TAG, rotate_key, roles=_ADMINS, request_model=KeyRotation,
        responses={
            201: Response("The successor key and its token", RotatedKeyBody),
            404: _NOT_FOUND,
            409: Response("The key is revoked or already rotated (invalid_state)", problem=True),
        },
    ),
    Operation(
        "DELETE", "/v1/keys/{key_id}", "revoke_key",
        "Revoke a key now (idempotent); the creditor's last admin key cannot be revoked", TAG,
        revoke_key, roles=_ADMINS,
        responses={
            200: Response("The revoked key", RevokedKeyBody),
            404: _NOT_FOUND,
            409: Response("The creditor's last admin key (last_admin_key)", problem=True),
        },
    ),
]  # fmt: skip
