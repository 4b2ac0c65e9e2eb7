"""Why a use case says no: a :class:`Refusal` with a stable code, a detail and extra facts.

Services raise refusals and know nothing of HTTP: the API answers each code
with its status from one table (``smsgate.api.refusal_status``), the UI
shows the detail on a page, the operator's CLI prints it. The codes are part
of the contract (DESIGN.md): upstream systems branch on them, so they are
only ever added, never renamed, and every string here is also one of the
API's ``ProblemCode`` values. The contact policy's codes
(``smsgate.core.policy.PolicyCode``) are a subset, taken from there rather
than spelled twice; ``booking.policy_refusal`` lifts a decision's code into
this enum.

The exception tree is one class deep on purpose: a caller branches on
``code``, never on a subclass, so a new refusal is a new code and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from smsgate.core.policy.decisions import PolicyCode


class RefusalCode(StrEnum):
    """The stable codes a use case refuses with (the same strings as on the wire)."""

    TEMPLATE_NOT_APPROVED = "template_not_approved"
    AUDIENCE_MISMATCH = PolicyCode.AUDIENCE_MISMATCH.value
    VARIABLE_INVALID = "variable_invalid"
    SENSITIVE_TERM = "sensitive_term"
    OPTED_OUT = PolicyCode.OPTED_OUT.value
    CONTACT_LIMIT = PolicyCode.CONTACT_LIMIT.value
    QUIET_HOURS = PolicyCode.QUIET_HOURS.value
    FOUR_EYES = "four_eyes"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    INVALID_REQUEST = "invalid_request"
    NOT_FOUND = "not_found"
    TEMPLATE_INVALID = "template_invalid"
    INVALID_STATE = "invalid_state"
    CONFLICT = "conflict"
    MESSAGE_TOO_LONG = "message_too_long"
    LAST_ADMIN_KEY = "last_admin_key"
    TIMEZONE_MISMATCH = PolicyCode.TIMEZONE_MISMATCH.value
    TEMPLATE_RETIRED = "template_retired"
    REFUSAL_RATE_LIMITED = "refusal_rate_limited"


class Refusal(Exception):
    """A use case's refusal: its stable ``code``, a ``detail`` a person can act on, and facts.

    ``extra`` holds the refusal's further members exactly as the caller
    shows them (``findings``, ``errors``, ``retry_after``, ``rule``…): the
    API writes them into the problem document unchanged.
    """

    def __init__(self, code: RefusalCode, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.extra: Mapping[str, Any] = extra

    def __repr__(self) -> str:
        return f"Refusal({self.code.value!r}, {self.detail!r})"


def invalid_request(detail: str, **extra: Any) -> Refusal:
    """An ``invalid_request`` refusal: the input cannot be used as given."""
    return Refusal(RefusalCode.INVALID_REQUEST, detail, **extra)


def not_found(what: str) -> Refusal:
    """A ``not_found`` refusal for an object that does not exist, or belongs to another creditor."""
    return Refusal(RefusalCode.NOT_FOUND, f"{what} not found")
