"""A use case's refusal becomes the same problem+json the API always answered.

``smsgate.api.refusal_status`` is the one table from refusal code to HTTP
status; these tests pin the table to DESIGN.md's statuses and show that the
translation carries every extra member through, in order, so the bodies on
the wire (and those replayed from idempotency records) do not change.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from smsgate.api.message_answers import ANSWERS
from smsgate.api.problems import ProblemCode
from smsgate.api.refusal_status import REFUSAL_STATUS, as_problem, problem_of
from smsgate.core import policy
from smsgate.service import booking
from smsgate.service.refusals import Refusal, RefusalCode, invalid_request, not_found


class TestTable:
    """Every refusal code has one status, and its string is a code of the API."""

    def test_every_code_has_a_status(self) -> None:
        assert set(REFUSAL_STATUS) == set(RefusalCode)

    def test_every_code_is_a_problem_code(self) -> None:
        assert {code.value for code in RefusalCode} <= {code.value for code in ProblemCode}

    def test_the_policy_codes_are_refusal_codes(self) -> None:
        assert {code.value for code in policy.PolicyCode} <= {code.value for code in RefusalCode}

    @pytest.mark.parametrize(
        ("code", "status"),
        [
            pytest.param(RefusalCode.INVALID_REQUEST, 400, id="invalid_request"),
            pytest.param(RefusalCode.FOUR_EYES, 403, id="four_eyes"),
            pytest.param(RefusalCode.NOT_FOUND, 404, id="not_found"),
            pytest.param(RefusalCode.IDEMPOTENCY_CONFLICT, 409, id="idempotency_conflict"),
            pytest.param(RefusalCode.LAST_ADMIN_KEY, 409, id="last_admin_key"),
            pytest.param(RefusalCode.SENSITIVE_TERM, 422, id="sensitive_term"),
            pytest.param(RefusalCode.QUIET_HOURS, 422, id="quiet_hours"),
            pytest.param(RefusalCode.TIMEZONE_MISMATCH, 422, id="timezone_mismatch"),
            pytest.param(RefusalCode.CONTACT_LIMIT, 429, id="contact_limit"),
            pytest.param(RefusalCode.REFUSAL_RATE_LIMITED, 429, id="refusal_rate_limited"),
        ],
    )
    def test_design_statuses(self, code: RefusalCode, status: int) -> None:
        assert problem_of(Refusal(code, "no")).status == status


class TestTranslation:
    """The problem carries the refusal's code, detail and extra members unchanged."""

    def test_body_in_order(self) -> None:
        refusal = Refusal(RefusalCode.MESSAGE_TOO_LONG, "too long", segments=4, max_segments=3)
        assert list(problem_of(refusal).body("/v1/messages").items()) == [
            ("type", "https://smsgate.dev/problems/message_too_long"),
            ("title", "Message too long"),
            ("status", 422),
            ("code", "message_too_long"),
            ("detail", "too long"),
            ("instance", "/v1/messages"),
            ("segments", 4),
            ("max_segments", 3),
        ]

    def test_policy_cap_answers_429_with_retry_after(self) -> None:
        now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
        retry_at = datetime(2026, 3, 2, 1, 0, 30, 500_000, tzinfo=UTC)
        decision = policy.Refuse(policy.PolicyCode.CONTACT_LIMIT, "cap reached", retry_at)
        response = problem_of(booking.policy_refusal(decision, now)).response()
        assert (response.status, response.headers["Retry-After"]) == (429, "31")
        body = msgspec.json.decode(response.body)  # type: ignore[arg-type]
        assert (body["retry_at"], body["retry_after"]) == ("2026-03-02T01:00:30.500000Z", 31)

    def test_quiet_hours_has_retry_at_only(self) -> None:
        now = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
        decision = policy.Refuse(policy.PolicyCode.QUIET_HOURS, "quiet", None)
        problem = problem_of(booking.policy_refusal(decision, now))
        assert (problem.status, dict(problem.extra)) == (422, {"retry_at": None})

    def test_helpers(self) -> None:
        assert problem_of(not_found("key")).body() == {
            "type": "https://smsgate.dev/problems/not_found",
            "title": "Not found",
            "status": 404,
            "code": "not_found",
            "detail": "key not found",
        }
        assert problem_of(invalid_request("bad", field="phone")).body()["field"] == "phone"

    def test_a_shell_problem_passes_unchanged(self) -> None:
        problem = problem_of(not_found("page"))
        assert as_problem(problem) is problem


class TestSendAnswers:
    """A refused send is answered, and remembered, as the problem document without instance."""

    def test_refused(self) -> None:
        outcome = ANSWERS.refused(Refusal(RefusalCode.OPTED_OUT, "opted out"))
        assert (outcome.status, outcome.body["code"], "instance" in outcome.body) == (
            422,
            "opted_out",
            False,
        )
