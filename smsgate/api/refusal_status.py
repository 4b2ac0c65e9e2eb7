"""The one table from a use case's refusal code to its HTTP status, and the translation.

Services raise :class:`~smsgate.service.refusals.Refusal` and know no
status; this module is the single boundary where a refusal becomes a
:class:`~smsgate.api.problems.Problem` (the error middleware, the UI and the
message answers all translate through ``problem_of``), the way httpx maps its
transport's exceptions at one place. The statuses are those of DESIGN.md:
422 for content and policy refusals, 429 for ``contact_limit``, 409 for
conflicts with the stored state.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from smsgate.api.problems import Problem, ProblemCode
from smsgate.service.refusals import Refusal, RefusalCode

REFUSAL_STATUS: Mapping[RefusalCode, int] = MappingProxyType(
    {
        RefusalCode.INVALID_REQUEST: 400,
        RefusalCode.FOUR_EYES: 403,
        RefusalCode.NOT_FOUND: 404,
        RefusalCode.IDEMPOTENCY_CONFLICT: 409,
        RefusalCode.INVALID_STATE: 409,
        RefusalCode.CONFLICT: 409,
        RefusalCode.LAST_ADMIN_KEY: 409,
        RefusalCode.TEMPLATE_NOT_APPROVED: 422,
        RefusalCode.AUDIENCE_MISMATCH: 422,
        RefusalCode.VARIABLE_INVALID: 422,
        RefusalCode.SENSITIVE_TERM: 422,
        RefusalCode.OPTED_OUT: 422,
        RefusalCode.QUIET_HOURS: 422,
        RefusalCode.TEMPLATE_INVALID: 422,
        RefusalCode.MESSAGE_TOO_LONG: 422,
        RefusalCode.TIMEZONE_MISMATCH: 422,
        RefusalCode.TEMPLATE_RETIRED: 422,
        RefusalCode.CONTACT_LIMIT: 429,
        RefusalCode.REFUSAL_RATE_LIMITED: 429,
    }
)


def problem_of(refusal: Refusal) -> Problem:
    """The problem answering ``refusal``: its status from the table, the same code and members."""
    code = refusal.code
    return Problem(REFUSAL_STATUS[code], ProblemCode(code.value), refusal.detail, **refusal.extra)


def as_problem(refused: Problem | Refusal) -> Problem:
    """``refused`` as a problem: a shell's own problem unchanged, a refusal through the table."""
    return refused if isinstance(refused, Problem) else problem_of(refused)
