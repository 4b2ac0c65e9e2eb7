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

Hostile bodies end as a 400 too, never a 500: bytes that are not UTF-8
(msgspec raises ``UnicodeDecodeError`` for them, not a ``DecodeError``),
nesting deeper than the interpreter's recursion limit (msgspec's decoder
recurses and raises ``RecursionError``), and ``\u0000`` in a string, which
PostgreSQL cannot store in a ``text`` column. Instants are refused outside
the years :data:`EARLIEST_YEAR`..:data:`LATEST_YEAR`, where converting them
to UTC or adding a day would overflow ``datetime``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import msgspec
from aiohttp import web

from smsgate.api.problems import Problem, ProblemCode, invalid_request
from smsgate.core.policy import DebtorIdError, canonical_debtor_id

T = TypeVar("T")

_encoder = msgspec.json.Encoder()
# A \u0000 escape: preceded by an even number of backslashes (none included).
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
EARLIEST_YEAR = 1970
LATEST_YEAR = 9000

MAX_DEBTOR_ID_LENGTH = 128
DebtorId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_DEBTOR_ID_LENGTH,
        pattern=r"^\S(.*\S)?$",
        description=(
            "The creditor's reference of the debtor; case-insensitive, stored and answered in "
            "canonical form (NFKC, upper-case); no spaces, invisible characters or letters of "
            "mixed scripts"
        ),
    ),
]
MAX_VARIABLES = 100
#: Template variables by name, as a draft declares them and a send fills them in. Capped, so
#: that a refusal listing each bad variable stays small; no 2,000-character text uses more.
Variables = Annotated[
    dict[str, Any],
    msgspec.Meta(max_length=MAX_VARIABLES, description=f"at most {MAX_VARIABLES} variables"),
]
RequiredReason = Annotated[
    str, msgspec.Meta(max_length=500, pattern=r"\S", description="Why; kept in the audit log")
]


class RequestModel(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every request body model: unknown fields are refused."""


async def decode_body(request: web.Request, model: type[T], *, envelope: bool = False) -> T:
    """The request's JSON body as ``model``; raises a :class:`Problem` for anything else.

    ``envelope`` is for a body whose items are decoded one by one later
    (``msgspec.Raw``): a NUL in an item is then that item's problem alone.
    """
    if request.content_type != "application/json":
        raise Problem(
            415,
            ProblemCode.UNSUPPORTED_MEDIA_TYPE,
            "send the body as application/json",
        )
    raw = await request.read()
    return decode_json(raw, model, envelope=envelope)


def decode_json(raw: bytes, model: type[T], *, envelope: bool = False) -> T:
    """Decode ``raw`` JSON into ``model``; a :class:`Problem` names what is wrong.

    Raises a 400 ``invalid_request`` :class:`Problem` for malformed JSON, bytes
    that are not UTF-8, nesting too deep to decode, a NUL character in a
    string (unless ``envelope``: see :func:`decode_body`), or a value ``model`` refuses.
    """
    if not envelope and _NUL_ESCAPE.search(raw):
        raise invalid_request("strings must not contain the NUL character (\\u0000)")
    try:
        return msgspec.json.decode(raw, type=model, strict=True)
    except msgspec.ValidationError as error:
        raise invalid_request(str(error)) from None
    except msgspec.DecodeError as error:
        raise invalid_request(f"malformed JSON: {error}") from None
    except UnicodeDecodeError:
        raise invalid_request("malformed JSON: the body is not valid UTF-8") from None
    except RecursionError:
        raise invalid_request("malformed JSON: nested too deeply") from None


def debtor_reference(raw: str, field: str) -> str:
    """The canonical form of the debtor reference ``raw`` given as ``field``.

    Every route that takes a ``debtor_id`` passes it through here, so that a
    send and a recorded call of one debtor count against the same cap. Raises
    a 400 ``invalid_request`` :class:`Problem` naming ``field`` for a spelling
    ``canonical_debtor_id`` refuses, or one longer than the limit once normalised.
    """
    try:
        canonical = canonical_debtor_id(raw)
    except DebtorIdError as error:
        raise invalid_request(f"{field}: {error}", field=field) from None
    if len(canonical) > MAX_DEBTOR_ID_LENGTH:
        detail = f"{field}: longer than {MAX_DEBTOR_ID_LENGTH} characters once normalised"
        raise invalid_request(detail, field=field)
    return canonical


def utc_instant(value: datetime, field: str) -> datetime:
    """``value`` (aware) in UTC; a 400 ``invalid_request`` :class:`Problem` naming ``field``
    if it lies outside the years ``EARLIEST_YEAR``..``LATEST_YEAR``."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise invalid_request(
            f"{field} must lie in the years {EARLIEST_YEAR} to {LATEST_YEAR}", field=field
        )
    return value.astimezone(UTC)


def whole_number(raw: str, name: str, low: int, high: int) -> int:
    """The query parameter ``name`` given as ``raw``: ASCII digits from ``low`` to ``high``.

    Raises a 400 ``invalid_request`` :class:`Problem` otherwise. ``str.isdigit``
    alone is not enough: it accepts ``²``, which ``int`` refuses, and ``int``
    refuses more than 4300 digits.
    """
    digits = raw.isascii() and raw.isdigit() and len(raw) <= len(str(high))
    if not digits or not low <= int(raw) <= high:
        raise invalid_request(f"{name} must be a whole number from {low} to {high}")
    return int(raw)


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
