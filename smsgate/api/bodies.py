"""Strict JSON in and out: typed request models decoded by msgspec, clear 4xx on anything else.

Request models are ``msgspec.Struct`` types with ``forbid_unknown_fields``, so a
typo in a field name is an error, not a silently ignored option. msgspec's
messages name the path of the bad value (``$.recipient.phone``), which goes
straight into the problem's detail. The body size limit is aiohttp's
``client_max_size``; the middleware turns its 413 into a problem.

The field types that request bodies of several route modules accept are
declared here once, so that every route refuses the same spellings: a
debtor reference one route stores and another refuses would split one
person's contact history in two.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import msgspec
from aiohttp import web

from smsgate.api.problems import Problem, ProblemCode, invalid_request

T = TypeVar("T")

_encoder = msgspec.json.Encoder()

DebtorId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=128,
        pattern=r"^\S(.*\S)?$",
        description="The creditor's reference of the debtor (no surrounding spaces)",
    ),
]
RequiredReason = Annotated[
    str, msgspec.Meta(max_length=500, pattern=r"\S", description="Why; kept in the audit log")
]


class RequestModel(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every request body model: unknown fields are refused."""


async def decode_body(request: web.Request, model: type[T]) -> T:
    """The request's JSON body as ``model``; raises a :class:`Problem` for anything else."""
    if request.content_type != "application/json":
        raise Problem(
            415,
            ProblemCode.UNSUPPORTED_MEDIA_TYPE,
            "send the body as application/json",
        )
    raw = await request.read()
    return decode_json(raw, model)


def decode_json(raw: bytes, model: type[T]) -> T:
    """Decode ``raw`` JSON into ``model``; a :class:`Problem` names what is wrong."""
    try:
        return msgspec.json.decode(raw, type=model, strict=True)
    except msgspec.ValidationError as error:
        raise invalid_request(str(error)) from None
    except msgspec.DecodeError as error:
        raise invalid_request(f"malformed JSON: {error}") from None


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON response encoded by msgspec (dataclasses, enums and datetimes included)."""
    return web.Response(
        status=status, body=_encoder.encode(body), content_type="application/json", headers=headers
    )


def to_builtins(value: Any) -> Any:
    """``value`` as plain JSON-compatible Python objects (for hashing and storage)."""
    return msgspec.to_builtins(value)
