"""schemathesis against the served ``/openapi.json``: every operation, every role, no surprises.

The schema is loaded from the running gateway, so a route added later (the
key-management routes, say) is fuzzed without touching this file. Each
operation is called with generated valid (positive) and invalid (negative)
requests by each role's key, and anonymously; the carrier callback routes
authenticate per carrier, so they are called anonymously only. Every answer
must be no 5xx, a status, content type and body the document declares, and
every 4xx a problem+json whose ``code`` is one of the documented codes.

Generated path parameters and body fields named like a seeded object
(``template_id``, ``message_id``, ``key_id``, ``phone``) are sometimes
replaced by ones the gateway holds (``served.py``), so requests reach past
the 404s and the phone check. The run is bounded and reproducible: a few
examples per operation, caller and mode (``SMSGATE_FUZZ_EXAMPLES``, default
4; one for a caller the key or role check refuses), derandomized, no example
database. Only what the document declares is generated: query parameters it
does not declare are not fuzzed (``test_api_edge_cases`` covers them).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from smsgate.api.problems import PROBLEM_CONTENT_TYPE, ProblemCode

from ..audit_support import SIGNER
from .served import ROLES, ServedGateway, served_gateway

#: Examples per operation, caller and mode; ``SMSGATE_FUZZ_EXAMPLES`` raises it for a long run.
EXAMPLES = int(os.environ.get("SMSGATE_FUZZ_EXAMPLES", "4"))
CALLBACK_TAG = "callbacks"
CALLERS = [pytest.param(None, id="anonymous"), *(pytest.param(r, id=r.value) for r in ROLES)]
MODES = [pytest.param(mode, id=mode.value) for mode in GenerationMode]


def problem_details(ctx: Any, response: schemathesis.Response, case: Case[Any]) -> bool | None:
    """Every 4xx is problem+json with a documented ``code``."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.split(";")[0] == PROBLEM_CONTENT_TYPE, f"4xx as {content_type!r}"
    document = response.json()
    assert document.get("code") in {code.value for code in ProblemCode}, document
    assert document.get("status") == response.status_code, document
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    problem_details,
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedGateway]:
    # With the audit key, as `serve` has it: GET /v1/evidence gets past its 503.
    with served_gateway(
        tmp_path_factory.mktemp("fuzz"), auth_failure_limit=1_000_000, audit_signer=SIGNER
    ) as running:
        yield running


@pytest.fixture(scope="module")
def schema(served: ServedGateway) -> Any:
    return schemathesis.openapi.from_url(served.base_url + "/openapi.json")


def with_seeded_ids(served: ServedGateway, case: Case[Any], pick: int | None) -> Case[Any]:
    """``case`` with path parameters and body fields named like a seeded id set to one (if
    ``pick``): ``template_id``, ``message_id``, ``key_id``, ``phone``…"""
    if pick is None:
        return case
    for name in case.path_parameters or {}:
        if name in served.seeded:
            case.path_parameters[name] = _nth(served.seeded[name], pick)
    _seed_fields(served, case.body, pick)
    return case


def _seed_fields(served: ServedGateway, value: Any, pick: int) -> None:
    if isinstance(value, list):
        for item in value:
            _seed_fields(served, item, pick)
    elif isinstance(value, dict):
        for name, inner in value.items():
            if name in served.seeded and isinstance(inner, str):
                value[name] = _nth(served.seeded[name], pick)
            else:
                _seed_fields(served, inner, pick)


def _nth(known: list[str], pick: int) -> str:
    return known[pick % len(known)]


def may_call(served: ServedGateway, operation: Any, headers: dict[str, str]) -> bool:
    """Whether the caller gets past the key and role checks (one request, dummy path ids)."""
    path = re.sub(r"{[^}]+}", "x", operation.path)
    answer = requests.request(operation.method.upper(), served.base_url + path, headers=headers)
    return answer.status_code not in (401, 403)


def negatable(operation: Any) -> bool:
    """Whether a request can be invalid at all: path parameters are free strings here."""
    return bool(operation.body) or bool(operation.query) or bool(operation.headers)


def fuzz(
    served: ServedGateway, operation: Any, token: str | None, mode: GenerationMode, seen: list[int]
) -> str:
    """Run the bounded examples of one operation, noting statuses in ``seen``; the failure
    found, or ``""``. A caller refused by the key or role check gets one example: the rest of
    the operation is out of its reach."""
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    examples_wanted = EXAMPLES if may_call(served, operation, headers) else 1
    picks = st.one_of(st.none(), st.integers(0, 5))
    generated = operation.as_strategy(mode)
    cases = st.builds(lambda case, pick: with_seeded_ids(served, case, pick), generated, picks)

    @settings(
        max_examples=examples_wanted,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def examples(case: Case[Any]) -> None:
        response = case.call(base_url=served.base_url, headers=headers, timeout=15)
        seen.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    try:
        examples()
    except Unsatisfiable:  # nothing to negate: every parameter is a free string
        return ""
    except Exception as failure:  # report every operation's failure together
        return f"{operation.label} [{mode.value}]: {failure}"
    return ""


class TestServedSchema:
    """Generated requests of every operation get a documented, well-formed answer."""

    @pytest.mark.parametrize("mode", MODES)
    @pytest.mark.parametrize("role", CALLERS)
    def test_every_operation_answers_as_documented(
        self, served: ServedGateway, schema: Any, role: Any, mode: GenerationMode
    ) -> None:
        token = None if role is None else served.tokens[role]
        operations = [result.ok() for result in schema.get_all_operations()]
        called = [op for op in operations if role is None or CALLBACK_TAG not in op.tags]
        if mode.is_negative:
            called = [op for op in called if negatable(op)]
        seen: list[int] = []
        failures = [fuzz(served, op, token, mode, seen) for op in called]
        assert not any(failures), "\n\n".join(f for f in failures if f)
        assert len(called) >= 10
        assert len(seen) >= len(called)
        if role is not None:  # the keys reached the handlers
            assert any(200 <= status < 300 for status in seen)
