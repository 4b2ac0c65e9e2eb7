"""Fuzzing template validation, compilation and rendering with hostile values and bodies.

What is promised (``templates/sandbox.py``, ``schema.py``, ``lint.py``):
``CompiledTemplate.render`` raises only ``VariableErrors`` (values that do not
fit), ``RenderedTooLong`` or ``RenderRefused``; a value is inserted as the
literal text it is, never evaluated; ``compile_template`` raises only
``TemplateProblem``; ``lint`` never raises for a bad template; and the
widest rendering a reviewer is shown bounds every real rendering.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from smsgate.core.audience import Audience
from smsgate.core.sms import Encoding, measure
from smsgate.core.templates import (
    MAX_RENDERED_CHARS,
    CompiledTemplate,
    RenderRefused,
    TemplateProblem,
    TemplateSource,
    VariableErrors,
    compile_template,
    lint,
    parse_schema,
)
from smsgate.core.templates.free_text import contact_problem
from smsgate.wordlists import load_scanner

from .support import FUZZ, TRICKY, fewer, hostile_text

DECLARED = {
    "name": {"type": "str", "max_length": 30},
    "n": {"type": "int", "min": -5, "max": 1_000_000},
    "amount": {"type": "money", "max": "1000000"},
    "due": {"type": "date"},
    "tel": {"type": "phone"},
    "kind": {"type": "enum", "values": ["甲", "B"]},
}
SCHEMA = parse_schema(DECLARED)
BODY = (
    "前{{ name }}|{{ n }}|{{ amount }}|{{ amount|money }}|{{ due|date('iso') }}"
    "|{{ tel }}|{{ kind }}后"
)
COMPILED = compile_template(BODY, SCHEMA)
SCANNER = load_scanner()
FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}
# 【】 and every bracket that could fake a second signature (after NFKC folding).
SIGNATURE_LIKE = set("【】〖〗〘〙〚〛[]〔〕")

JINJA_IN_VALUES = [
    "{{ 7*7 }}",
    "{% raw %}",
    "{% endraw %}{{ name }}",
    "{{ ''.__class__.__mro__ }}",
    "{% for i in range(10) %}x{% endfor %}",
    "<script>alert(1)</script>",
    "&amp;&lt;",
    "%s%s%n",
    "{0.__class__}",
    "${7*7}",
    "【签名】",
]
anything = st.one_of(
    hostile_text,
    st.sampled_from(JINJA_IN_VALUES),
    st.text(max_size=30),
    st.text(min_size=30, max_size=31),
    st.integers(),
    st.integers(-6, 1_000_001),
    st.from_regex(r"-?[0-9]{1,20}", fullmatch=True),
    st.from_regex(r"[0-9]{1,14}(\.[0-9]{0,3})?", fullmatch=True),
    st.from_regex(r"\+?[0-9]{3,22}", fullmatch=True),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([Decimal("-0"), Decimal("sNaN"), Decimal("1E+2"), Decimal("0.001")]),
    st.dates(),
    st.datetimes(),
    st.sampled_from(["甲", "B", "b", "甲 "]),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.lists(st.integers(), max_size=2),
    st.just("x" * 100_000),
)


def literal(name: str, value: object) -> str:
    """How an accepted value must appear in the text, worked out without the code under test."""
    if name in {"name", "tel", "kind"}:
        assert isinstance(value, str)
        return value
    if name == "n":
        return str(int(value))  # type: ignore[call-overload]
    if name == "due":
        return value if isinstance(value, str) else value.isoformat()  # type: ignore[attr-defined]
    raise AssertionError(name)


def accepted_str(value: object, max_length: int) -> bool:
    return (
        isinstance(value, str)
        and bool(value.strip())
        and len(value) <= max_length
        and not any(unicodedata.category(c) in FORBIDDEN_CATEGORIES for c in value)
        and not any(unicodedata.normalize("NFKC", c) in SIGNATURE_LIKE for c in value)
        # Links and phone numbers: the detector has its own tests (test_template_free_text).
        and contact_problem(value, frozenset()) is None
    )


VALID: dict[str, Any] = {
    "name": "张三",
    "n": 5,
    "amount": "12.50",
    "due": "2026-11-23",
    "tel": "95555",
    "kind": "甲",
}
NAME_ONLY = compile_template("您好{{ name }}。", parse_schema({"name": DECLARED["name"]}))


class TestHostileValues:
    """Values of any type and content are refused cleanly or inserted literally."""

    @FUZZ
    @given(st.sampled_from(sorted(DECLARED)), anything)
    def test_refused_or_rendered_literally(self, name: str, value: object) -> None:
        """Promise: only VariableErrors escape; an accepted value appears exactly as given."""
        values = VALID | {name: value}
        try:
            text = COMPILED.render(values)
        except VariableErrors as error:
            refused = error.variables
        else:
            refused = ()
        assert set(refused) <= {name}
        if refused:
            return
        amount = Decimal(values["amount"])
        assert math.isfinite(amount)
        assert amount >= 0
        assert accepted_str(values["name"], 30)
        assert not isinstance(values["n"], bool)
        expected = (
            f"前{values['name']}|{literal('n', values['n'])}|{amount:.2f}|¥{amount:,.2f}"
            f"|{literal('due', values['due'])}|{values['tel']}|{values['kind']}后"
        )
        assert text == expected

    @FUZZ
    @given(hostile_text | st.sampled_from(JINJA_IN_VALUES) | st.text(min_size=1, max_size=30))
    def test_a_string_is_never_evaluated(self, name: str) -> None:
        """Promise: a str value renders as itself whatever it contains, or is refused."""
        try:
            text = NAME_ONLY.render({"name": name})
        except VariableErrors:
            assert not accepted_str(name, 30)
        else:
            assert text == f"您好{name}。"


# Pieces of template syntax, valid and broken, for bodies an author might type.
FRAGMENTS = [
    "{{", "}}", "{%", "%}", "{#", "#}", "{%-", "-%}", " ", "\n", "if ", "elif ", "else",
    "endif", "for ", " in ", "endfor", "raw", "endraw", "set ", "=", "macro ", "(", ")",
    "[", "]", ".", ",", "'", '"', "|", "name", "n", "amount", "due", "tel", "kind", "not ",
    " and ", " or ", "==", ">", "<", "1", "9" * 30, "9" * 5000, "-", "+", "~", "*", "**", "%",
    "money", "date", "upper", "trim", "mask", "attr", "format", "__class__", "range",
    "cycler", "lipsum", "self", "loop", "您好", "公安", "【", "is ", "defined",
]  # fmt: skip
bodies = st.lists(
    st.sampled_from(FRAGMENTS) | st.sampled_from(TRICKY) | hostile_text, max_size=30
).map("".join)


class TestArbitraryBodies:
    """Whatever an author submits, lint reports and compile refuses with template errors only."""

    @fewer(4)
    @given(bodies)
    def test_lint_never_raises(self, body: str) -> None:
        """Promise: ``lint`` returns a report for any body (lint.py)."""
        report = lint(TemplateSource(body, Audience.DEBTOR, DECLARED), SCANNER, "cn-shenzhen")
        for issue in report.issues:
            assert issue.line is None or issue.line >= 1
            assert issue.column is None or issue.column >= 1

    @fewer(4)
    @given(bodies)
    def test_compile_raises_template_problems_only(self, body: str) -> None:
        """Promise: TemplateProblem or a template whose render raises only documented errors."""
        try:
            compiled = compile_template(body, SCHEMA)
        except TemplateProblem:
            return
        try:
            text = compiled.preview()
        except RenderRefused:
            return
        assert len(text) <= MAX_RENDERED_CHARS


# Structurally valid templates: literal text, outputs through allowed filters, nested ifs.
OUTPUTS = [
    "{{ name }}", "{{ name|trim|upper }}", "{{ name|lower }}", "{{ name|mask }}", "{{ n }}",
    "{{ n|mask }}", "{{ amount|money }}", "{{ due|date }}", "{{ due|date('md') }}",
    "{{ due|date('iso') }}", "{{ tel }}", "{{ tel|mask }}", "{{ kind }}", "{{ kind|lower }}",
]  # fmt: skip
TESTS = [
    "n > 3", "n == 0", "not n", "name == 'x'", "kind == '甲' and n < 10",
    "not (amount > 100 or tel == '95555')", "due", "n >= 1 or n <= 0",
]  # fmt: skip
literal_text = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="{}%#【】\r"), max_size=12
)


def if_block(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda test, then, elifs, other: (
            f"{{% if {test} %}}{then}"
            + "".join(f"{{% elif {t} %}}{b}" for t, b in elifs)
            + ("" if other is None else f"{{% else %}}{other}")
            + "{% endif %}"
        ),
        st.sampled_from(TESTS),
        inner,
        st.lists(st.tuples(st.sampled_from(TESTS), inner), max_size=2),
        st.none() | inner,
    )


templates = st.recursive(
    st.lists(literal_text | st.sampled_from(OUTPUTS), max_size=6).map("".join),
    lambda inner: st.lists(inner | if_block(inner), max_size=4).map("".join),
    max_leaves=12,
)
bmp_name = st.text(
    st.characters(
        max_codepoint=0xFFFF,
        exclude_categories=tuple(FORBIDDEN_CATEGORIES),
        exclude_characters="【】",
    ),
    min_size=1,
    max_size=30,
).filter(lambda name: accepted_str(name, 30))
valid_values = st.fixed_dictionaries(
    {
        "name": bmp_name,
        "n": st.integers(-5, 1_000_000),
        "amount": st.decimals(0, 1_000_000, places=2),
        "due": st.dates(date(1, 1, 1), date(9999, 12, 31)),
        "tel": st.from_regex(r"\+?[0-9]{5,19}", fullmatch=True),
        "kind": st.sampled_from(["甲", "B"]),
    }
)


def cost(text: str) -> tuple[bool, int]:
    measured = measure(text)
    return measured.encoding is Encoding.UCS2, measured.units


class TestValidTemplates:
    """Templates inside the SMS subset compile, render within the cap, and are estimated safely."""

    @fewer(4)
    @given(templates, valid_values)
    def test_widest_rendering_bounds_every_rendering(
        self, body: str, values: dict[str, Any]
    ) -> None:
        """Promise: ``longest_text`` costs at least as much as any rendering (BMP values)."""
        compiled: CompiledTemplate = compile_template(body, SCHEMA)
        text = compiled.render(values)
        assert cost(compiled.longest_text()) >= cost(text)
        assert len(text) <= MAX_RENDERED_CHARS

    @FUZZ
    @given(st.text(st.characters(min_codepoint=0x1F300, max_codepoint=0x1F5FF), max_size=30))
    def test_astral_values_stay_within_the_estimate(self, name: str) -> None:
        """Promise (variables.py): the rendered text never exceeds what the reviewer saw.

        Emoji are two UTF-16 units each, so ``max_length`` counts them twice:
        a value that would cost more than the estimate is refused instead.
        """
        compiled = compile_template("{{ name }}", parse_schema({"name": {"type": "str"}}))
        try:
            text = compiled.render({"name": name})
        except VariableErrors:
            assert 2 * len(name) > 20 or not name.strip()
        else:
            assert cost(compiled.longest_text()) >= cost(text)
