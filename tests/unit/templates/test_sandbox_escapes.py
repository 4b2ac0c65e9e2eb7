"""Sandbox escapes and resource bombs an author might submit, through the service's own path.

The template API lints a submitted body (``lint``), refuses it when lint
reports a ``syntax_error``/``forbidden_construct``/``schema_invalid``
(``service/templates.UNUSABLE``), and renders an approved one with
``compile_template(...).render``. Each attempt below must be refused on that
path with a clear code, must also be refused by the sandbox environment on
its own (the second and third walls of ``sandbox.py``), and must finish at
once without building a large output.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from jinja2.exceptions import TemplateError

from smsgate.api.problems import ProblemCode
from smsgate.api.refusal_status import problem_of
from smsgate.core.audience import Audience
from smsgate.core.templates import (
    MAX_RENDERED_CHARS,
    LintCode,
    RenderedTooLong,
    SmsSandbox,
    TemplateProblem,
    TemplateSource,
    TemplateSyntaxProblem,
    compile_template,
    lint,
    parse_schema,
)
from smsgate.core.templates.parsing import MAX_NESTING_DEPTH, MAX_TEMPLATE_NODES
from smsgate.service.drafting import render as render_for_sending
from smsgate.service.refusals import Refusal
from smsgate.service.templates import UNUSABLE
from smsgate.store import TemplateVersion, VersionStatus
from smsgate.wordlists import load_scanner

VARIABLES = {"name": {"type": "str", "max_length": 500}, "days": {"type": "int"}}
SCHEMA = parse_schema(VARIABLES)
VALUES = {"name": "张三", "days": 5}
SCANNER = load_scanner()
# A refusal must come at once; generous for a loaded CI box.
PROMPT_SECONDS = 2.0
FORBIDDEN = LintCode.FORBIDDEN_CONSTRUCT
UNKNOWN = LintCode.UNKNOWN_VARIABLE
SYNTAX = LintCode.SYNTAX_ERROR

ESCAPES = [
    pytest.param("{{ ''.__class__.__mro__ }}", FORBIDDEN, id="mro"),
    pytest.param("{{ ''.__class__.__mro__[1].__subclasses__() }}", FORBIDDEN, id="subclasses"),
    pytest.param("{{ cycler.__init__.__globals__ }}", FORBIDDEN, id="cycler-globals"),
    pytest.param("{{ joiner }}", UNKNOWN, id="joiner"),
    pytest.param("{{ namespace(a=1) }}", FORBIDDEN, id="namespace"),
    pytest.param("{{ lipsum() }}", FORBIDDEN, id="lipsum"),
    pytest.param("{{ range }}", UNKNOWN, id="range"),
    pytest.param("{{ self._TemplateReference__context }}", FORBIDDEN, id="self-context"),
    pytest.param("{{ request }}", UNKNOWN, id="request"),
    pytest.param("{{ config }}", UNKNOWN, id="config"),
    pytest.param("{{ name|attr('__class__') }}", FORBIDDEN, id="attr-filter"),
    pytest.param("{{ name['__class__'] }}", FORBIDDEN, id="item-dunder"),
    pytest.param("{{ '{0.__class__}'.format(name) }}", FORBIDDEN, id="str-format"),
    pytest.param("{{ '%s'|format(name) }}", FORBIDDEN, id="format-filter"),
    pytest.param("{{ '%s' % name }}", FORBIDDEN, id="percent"),
    pytest.param("{{ str.format_map }}", FORBIDDEN, id="format-map"),
    pytest.param("{% for i in range(10**9) %}x{% endfor %}", FORBIDDEN, id="huge-range"),
    pytest.param("{{ 'x' * 10**9 }}", FORBIDDEN, id="string-times"),
    pytest.param("{{ name|center(10**9) }}", FORBIDDEN, id="center"),
    pytest.param("{{ 'x'|center(1000000000) }}", FORBIDDEN, id="center-const"),
    pytest.param("{{ name|indent(1000000000) }}", FORBIDDEN, id="indent"),
    pytest.param("{{ name|wordwrap(1, true, '\\n' * 10**6) }}", FORBIDDEN, id="wordwrap"),
    pytest.param(
        "{% for a in name %}{% for b in name %}{% for c in name %}{{ name }}"
        "{% endfor %}{% endfor %}{% endfor %}",
        FORBIDDEN,
        id="nested-loops",
    ),
    pytest.param("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", FORBIDDEN, id="macro-rec"),
    pytest.param(
        "{% for x in [name] recursive %}{{ loop([x, x]) }}{% endfor %}", FORBIDDEN, id="loop-rec"
    ),
    pytest.param("{% include 'other' %}", FORBIDDEN, id="include"),
    pytest.param("{% import 'other' as o %}", FORBIDDEN, id="import"),
    pytest.param("{% from 'other' import x %}", FORBIDDEN, id="from-import"),
    pytest.param("{% extends 'base' %}", FORBIDDEN, id="extends"),
    pytest.param("{% set x = name * 100000000 %}{{ x }}", FORBIDDEN, id="set-huge"),
    pytest.param("{% filter upper %}{{ name }}{% endfilter %}", FORBIDDEN, id="filter-block"),
    pytest.param(
        "{% for i in name %}{% set s = s ~ name %}{% endfor %}", FORBIDDEN, id="concat-loop"
    ),
    pytest.param("{{ name ~ name }}", FORBIDDEN, id="concat"),
    pytest.param("{{ 9**9**9 }}", FORBIDDEN, id="power-bomb"),
    pytest.param("{% if days > 9**9**9 %}x{% endif %}", FORBIDDEN, id="power-in-test"),
    pytest.param("{% if days > " + "9" * 5000 + " %}x{% endif %}", SYNTAX, id="int-digits"),
    pytest.param("{{ ｎａｍｅ }}", UNKNOWN, id="full-width-name"),
    pytest.param("{{ na\u200bme }}", SYNTAX, id="zero-width-in-tag"),
    pytest.param("{{ name.__ｃlass__ }}", FORBIDDEN, id="full-width-dunder"),
    pytest.param("{{ name }}{{ \u0430ttr }}", UNKNOWN, id="cyrillic-a"),
    pytest.param("{%if days%}" * 60 + "x" + "{%endif%}" * 60, SYNTAX, id="deep-ifs"),
    pytest.param("{{ name" + "|trim" * 300 + " }}", SYNTAX, id="filter-chain"),
    pytest.param("{% if " + "not " * 400 + "days %}x{% endif %}", SYNTAX, id="not-chain"),
    pytest.param("{% if days" + " and days" * 300 + " %}x{% endif %}", SYNTAX, id="and-chain"),
]


# Refused by lint only: were one reached, the sandbox would render it harmlessly
# (our own filters, a doubled value, a nesting Python's compiler still takes).
HARMLESS_IF_REACHED = {"filter-block", "concat", "deep-ifs", "and-chain", "int-digits"}


def lint_codes(body: str) -> set[LintCode]:
    report = lint(TemplateSource(body, Audience.DEBTOR, VARIABLES), SCANNER, "cn-shenzhen")
    return {issue.code for issue in report.issues if issue.severity == "error"}


@contextmanager
def promptly() -> Iterator[None]:
    started = time.perf_counter()
    yield
    assert time.perf_counter() - started < PROMPT_SECONDS


class TestRefusedWhenSubmitted:
    """Lint and compile refuse every escape with a clear code, at once."""

    @pytest.mark.parametrize(("body", "code"), ESCAPES)
    def test_lint_refuses_and_the_api_would_not_store_it(self, body: str, code: LintCode) -> None:
        with promptly():
            codes = lint_codes(body)
        assert code in codes
        assert codes & UNUSABLE or code is UNKNOWN

    @pytest.mark.parametrize(("body", "code"), ESCAPES)
    def test_compile_refuses_with_the_same_code(self, body: str, code: LintCode) -> None:
        with promptly(), pytest.raises(TemplateProblem) as caught:
            compile_template(body, SCHEMA)
        assert caught.value.code == code
        assert caught.value.line == 1


def sandbox_render(body: str) -> str:
    return SmsSandbox().from_string(body).render(**VALUES)


class TestRefusedByTheSandboxItself:
    """Without the first wall, the environment still refuses at compile or render."""

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param(p.values[0], id=p.id)
            for p in ESCAPES
            if p.values[1] is not UNKNOWN and p.id not in HARMLESS_IF_REACHED
        ],
    )
    def test_never_executes(self, body: str) -> None:
        with promptly(), pytest.raises((TemplateError, RecursionError, SyntaxError)):
            sandbox_render(body)

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param("{% for c in name %}{% endfor %}", id="for"),
            pytest.param("{% macro m() %}{% endmacro %}", id="macro"),
            pytest.param("{% call name() %}{% endcall %}", id="call"),
            pytest.param("{% block b %}{% endblock %}", id="block"),
            pytest.param("{% include 'x' %}", id="include"),
            pytest.param("{% import 'x' as y %}", id="import"),
            pytest.param("{% from 'x' import y %}", id="from"),
            pytest.param("{% extends 'x' %}", id="extends"),
        ],
    )
    def test_cannot_compile_what_repeats_recurses_or_loads(self, body: str) -> None:
        with pytest.raises(TemplateError, match="cannot be compiled in the SMS sandbox"):
            SmsSandbox().from_string(body)


def nested(depth: int) -> dict[str, str]:
    """Bodies whose trees are ``depth`` levels deep, one per way of nesting."""
    ifs = depth - 2
    return {
        "ifs": "{%if days%}" * ifs + "{{name}}" + "{%endif%}" * ifs,
        "nots": "{%if " + "not " * (depth - 2) + "days%}x{%endif%}",
        "ands": "{%if days" + " and days" * (depth - 2) + "%}x{%endif%}",
        "filters": "{{name" + "|trim" * (depth - 2) + "}}",
    }


def call_deep(frames: int, function: Callable[[], Any]) -> Any:
    """Run ``function`` below ``frames`` stack frames, as a request handler would."""
    return function() if frames == 0 else call_deep(frames - 1, function)


class TestSizeLimits:
    """Trees up to the limits compile and render even deep in a stack; beyond, a syntax error."""

    @pytest.mark.parametrize("shape", ["ifs", "nots", "ands", "filters"])
    def test_at_the_depth_limit(self, shape: str) -> None:
        body = nested(MAX_NESTING_DEPTH)[shape]
        compiled = call_deep(sys.getrecursionlimit() // 3, lambda: compile_template(body, SCHEMA))
        assert compiled.render(VALUES) in {"张三", "x", ""}

    @pytest.mark.parametrize("shape", ["ifs", "nots", "ands", "filters"])
    def test_beyond_the_depth_limit(self, shape: str) -> None:
        with pytest.raises(TemplateSyntaxProblem, match="nested too deeply"):
            compile_template(nested(MAX_NESTING_DEPTH + 1)[shape], SCHEMA)

    def test_too_many_parts(self) -> None:
        body = "{%if days" + "<1" * (MAX_TEMPLATE_NODES // 2) + "%}x{%endif%}"
        with promptly(), pytest.raises(TemplateSyntaxProblem, match="too large"):
            compile_template(body, SCHEMA)

    def test_too_long(self) -> None:
        with promptly(), pytest.raises(TemplateSyntaxProblem, match="longer than 20000"):
            compile_template("{% if days %}x{% endif %}" * 1000, SCHEMA)

    def test_largest_body_the_api_accepts_stays_within_the_node_limit(self) -> None:
        body = "{%if days<1<1<1" + "<1" * (MAX_RENDERED_CHARS // 2) + "%}x{%endif%}"
        assert compile_template(body, SCHEMA).render(VALUES) == ""


class TestOutputCap:
    """Rendering stops as soon as the text exceeds the cap; nothing larger is built."""

    def test_stops_at_the_first_piece_past_the_cap(self) -> None:
        body = "{{ name }}" * 100
        with pytest.raises(RenderedTooLong) as caught:
            compile_template(body, SCHEMA).render({"name": "长" * 500, "days": 1})
        assert MAX_RENDERED_CHARS < caught.value.length <= MAX_RENDERED_CHARS + 500
        assert caught.value.limit == MAX_RENDERED_CHARS
        assert "exceeds the limit of 2000 characters" in str(caught.value)

    def test_exactly_at_the_cap_renders(self) -> None:
        body = "{{ name }}" * (MAX_RENDERED_CHARS // 500)
        text = compile_template(body, SCHEMA).render({"name": "长" * 500, "days": 1})
        assert len(text) == MAX_RENDERED_CHARS


class TestSendPathAnswers422:
    """A send whose rendering hits the cap is a 422 problem, never a server error."""

    def test_render_over_the_cap_is_message_too_long(self) -> None:
        version = TemplateVersion(
            "tpl_1", 1, "{{ name }}" * 5, VARIABLES, VersionStatus.APPROVED, "key_1",
            datetime(2026, 1, 1, tzinfo=UTC), "w1",
        )  # fmt: skip
        with pytest.raises(Refusal) as caught:
            render_for_sending(version, {"name": "长" * 500, "days": 1})
        problem = problem_of(caught.value)
        assert (problem.status, problem.code) == (422, ProblemCode.MESSAGE_TOO_LONG)
