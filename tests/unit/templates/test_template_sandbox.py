"""Unit tests for compiling and rendering templates in the SMS sandbox."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from jinja2.exceptions import SecurityError, TemplateError

from smsgate.core.audience import Audience
from smsgate.core.templates import (
    FILTERS,
    MAX_RENDERED_CHARS,
    FilterMisuse,
    ForbiddenConstruct,
    RenderedTooLong,
    RenderRefused,
    SmsSandbox,
    TemplateProblem,
    TemplateSchema,
    TemplateSource,
    TemplateSyntaxProblem,
    UnknownVariable,
    VariableErrors,
    compile_template,
    parse_schema,
)

DESIGN_BODY = "{{ name }}您好，您的账单{{ amount }}元已逾期{{ days }}天，请尽快还款。"
SCHEMA = parse_schema(
    {
        "name": {"type": "str", "max_length": 10},
        "amount": {"type": "money"},
        "days": {"type": "int", "max": 3650},
        "due": {"type": "date"},
        "card": {"type": "str", "max_length": 19, "allow": ["phone"]},
        "hotline": {"type": "phone", "max_length": 12},
        "product": {"type": "enum", "values": ["信用卡", "消费贷"]},
    }
)
VALUES: dict[str, Any] = {
    "name": "张三",
    "amount": "1234.50",
    "days": 5,
    "due": "2026-11-23",
    "card": "6222020200112345678",
    "hotline": "95555",
    "product": "信用卡",
}


def render(body: str, **overrides: Any) -> str:
    return compile_template(body, SCHEMA).render(VALUES | overrides)


class TestRender:
    """Validated values are substituted as plain text."""

    def test_design_example(self) -> None:
        assert render(DESIGN_BODY) == "张三您好，您的账单1234.50元已逾期5天，请尽快还款。"

    def test_filters(self) -> None:
        body = "{{ amount|money }}于{{ due|date }}/{{ due|date('md') }}/{{ due|date(\"iso\") }}到期"
        assert render(body) == "¥1,234.50于2026年11月23日/11月23日/2026-11-23到期"

    def test_mask_and_chained_filters(self) -> None:
        body = "卡号{{ card|mask }}，{{ name|trim|upper }}，{{ amount|money|lower }}"
        assert render(body, name=" ab ") == "卡号****5678，AB，¥1,234.50"

    @pytest.mark.parametrize(
        ("days", "product", "expected"),
        [
            pytest.param(40, "信用卡", "您的信用卡已严重逾期40天。", id="if-branch"),
            pytest.param(10, "信用卡", "您的信用卡已逾期。", id="elif-branch"),
            pytest.param(0, "消费贷", "您的消费贷未逾期。", id="else-branch"),
        ],
    )
    def test_if_elif_else(self, days: int, product: str, expected: str) -> None:
        body = (
            "您的{{ product }}"
            "{% if days > 30 and product == '信用卡' %}已严重逾期{{ days }}天"
            "{% elif not days == 0 or days != 0 %}已逾期"
            "{% else %}未逾期{% endif %}。"
        )
        assert render(body, days=days, product=product) == expected

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param("{{ 7*7 }}", id="expression"),
            pytest.param("{% for %}", id="statement"),
            pytest.param("{{ name }}", id="variable"),
        ],
    )
    def test_template_syntax_in_a_value_stays_literal(self, value: str) -> None:
        assert render("您好{{ name }}。", name=value) == f"您好{value}。"

    def test_comments_raw_and_whitespace_control(self) -> None:
        body = "您好 {#- 注释 #} {{- name -}} \n {% raw %}{{ 7*7 }}{% endraw %}"
        assert render(body) == "您好张三{{ 7*7 }}"

    def test_trailing_newline_is_kept(self) -> None:
        assert render("{{ name }}\n") == "张三\n"

    def test_validates_before_rendering(self) -> None:
        with pytest.raises(VariableErrors) as caught:
            compile_template(DESIGN_BODY, SCHEMA).render(VALUES | {"days": 4000, "x": 1})
        assert caught.value.variables == ("days", "x")

    def test_variables_used(self) -> None:
        compiled = compile_template(DESIGN_BODY, SCHEMA)
        assert compiled.variables_used == {"name", "amount", "days"}

    def test_output_is_capped(self) -> None:
        schema = parse_schema({"s": {"type": "str", "max_length": 500}})
        body = "{{ s }}" * 4
        assert len(compile_template(body, schema).render({"s": "长" * 500})) == 2000
        with pytest.raises(RenderedTooLong) as caught:
            compile_template(body + "。", schema).render({"s": "长" * 500})
        assert (caught.value.length, caught.value.limit) == (2001, MAX_RENDERED_CHARS)
        assert caught.value.code == "render_refused"

    def test_literal_text_is_capped_too(self) -> None:
        with pytest.raises(RenderedTooLong):
            compile_template("长" * 2001, TemplateSchema(())).render({})

    def test_type_error_in_a_test_is_refused_cleanly(self) -> None:
        compiled = compile_template("{% if name > 3 %}x{% endif %}", SCHEMA)
        with pytest.raises(RenderRefused, match="rendering failed"):
            compiled.render(VALUES)

    def test_template_source_compiles(self) -> None:
        source = TemplateSource(
            "{{ name }}您好", Audience.DEBTOR, {"name": {"type": "str", "max_length": 4}}
        )
        assert source.compile().render({"name": "张三"}) == "张三您好"


class TestSandboxEscapes:
    """Known sandbox escapes are refused at compile time, naming construct and place."""

    @pytest.mark.parametrize(
        ("body", "construct", "column"),
        [
            pytest.param(
                "{{ ''.__class__.__mro__ }}", "attribute access '.__mro__'", 17, id="str-mro"
            ),
            pytest.param("{{ name.__class__ }}", "attribute access '.__class__'", 9, id="class"),
            pytest.param(
                "{{ cycler.__init__.__globals__ }}",
                "attribute access '.__globals__'",
                20,
                id="cycler-globals",
            ),
            pytest.param("{{ '%s' % name }}", "operator '%'", 9, id="percent-format"),
            pytest.param("{{ name.format() }}", "method call '.format()'", 9, id="str-format"),
            pytest.param("{{ range(10**9) }}", "function call 'range()'", 4, id="range"),
            pytest.param("{{ 9**9**9**9 }}", "operator '**'", 5, id="power-bomb"),
            pytest.param("{{ name['__class__'] }}", "item access '[...]'", 8, id="item"),
            pytest.param("{{ name|attr('__class__') }}", "filter 'attr'", 9, id="attr-filter"),
            pytest.param("{{ name|format(1) }}", "filter 'format'", 9, id="format-filter"),
            pytest.param("{{ name|default('x') }}", "filter 'default'", 9, id="default-filter"),
            pytest.param("{{ name ~ name }}", "operator '~'", 9, id="concat"),
            pytest.param("{{ -days }}", "operator '-'", 4, id="unary"),
            pytest.param("{{ [name] }}", "'List'", 1, id="list-literal"),
            pytest.param("{{ name if days else name }}", "inline 'if' expression", 9, id="ifexp"),
            pytest.param("{{ name is defined }}", "test 'is defined'", 9, id="test"),
            pytest.param("{{ 'literal' }}", "a constant in output", 1, id="const-output"),
            pytest.param("{{ 'x'|upper }}", "a filter on anything but a variable", 8, id="const"),
        ],
    )
    def test_refused_at_compile(self, body: str, construct: str, column: int) -> None:
        with pytest.raises(ForbiddenConstruct) as caught:
            compile_template(body, SCHEMA)
        assert caught.value.construct == construct
        assert (caught.value.line, caught.value.column) == (1, column)
        assert caught.value.code == "forbidden_construct"
        assert "not allowed in SMS templates" in str(caught.value)

    @pytest.mark.parametrize(
        ("body", "variable"),
        [
            pytest.param("{{ lipsum }}", "lipsum", id="lipsum"),
            pytest.param("{{ cycler }}", "cycler", id="cycler"),
            pytest.param("{{ namespace }}", "namespace", id="namespace"),
            pytest.param("{{ self }}", "self", id="self"),
            pytest.param("{{ nmae }}", "nmae", id="typo"),
        ],
    )
    def test_globals_and_undeclared_names_are_unknown(self, body: str, variable: str) -> None:
        with pytest.raises(UnknownVariable) as caught:
            compile_template(body, SCHEMA)
        assert caught.value.variable == variable
        assert (caught.value.line, caught.value.column) == (1, 4)


class TestSandboxEnvironment:
    """The environment itself refuses the escapes again, as a second wall."""

    def test_has_no_globals_tests_or_foreign_filters(self) -> None:
        environment = SmsSandbox()
        assert environment.globals == {}
        assert environment.tests == {}
        assert set(environment.filters) == set(FILTERS)
        assert environment.autoescape is False

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param("{{ ''.__class__.__mro__ }}", id="str-mro"),
            pytest.param("{{ name.__class__ }}", id="class"),
            pytest.param("{{ cycler.__init__.__globals__ }}", id="cycler-globals"),
            pytest.param("{{ '%s' % name }}", id="percent-format"),
            pytest.param("{{ name.format() }}", id="str-format"),
            pytest.param("{{ name.upper() }}", id="harmless-method"),
            pytest.param("{{ range(10**9) }}", id="range"),
            pytest.param("{{ lipsum() }}", id="lipsum"),
            pytest.param("{{ name['x'] }}", id="item"),
            pytest.param("{{ -days }}", id="unary"),
        ],
    )
    def test_refuses_at_render(self, body: str) -> None:
        template = SmsSandbox().from_string(body)
        with pytest.raises(SecurityError):
            template.render(name="张三", days=5)

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param("{{ namespace }}", id="namespace"),
            pytest.param("{{ name|default('x') }}", id="default"),
            pytest.param("{{ name is defined }}", id="test"),
        ],
    )
    def test_missing_names_filters_and_tests_raise(self, body: str) -> None:
        with pytest.raises(TemplateError):
            SmsSandbox().from_string(body).render(name="张三")


class TestSandboxLimits:
    """The environment holds text compiled straight from a string to the parser's size limits."""

    def test_deep_text_is_refused_by_the_environment(self) -> None:
        with pytest.raises(TemplateError, match="nested too deeply"):
            SmsSandbox().from_string("{{ name" + "|trim" * 60 + " }}")

    def test_loops_cannot_be_compiled(self) -> None:
        with pytest.raises(TemplateError, match="cannot be compiled in the SMS sandbox"):
            SmsSandbox().from_string("{% for c in name %}{{ c }}{% endfor %}")


class TestForbiddenStatements:
    """Every statement but if/elif/else is refused, naming the tag and its line."""

    @pytest.mark.parametrize(
        ("statement", "tag"),
        [
            pytest.param("{% for x in name %}{% endfor %}", "for", id="for"),
            pytest.param("{% macro m() %}{% endmacro %}", "macro", id="macro"),
            pytest.param("{% call name() %}{% endcall %}", "call", id="call"),
            pytest.param("{% import 'x' as y %}", "import", id="import"),
            pytest.param("{% from 'x' import y %}", "from", id="from-import"),
            pytest.param("{% include 'x' %}", "include", id="include"),
            pytest.param("{% extends 'x' %}", "extends", id="extends"),
            pytest.param("{% block b %}{% endblock %}", "block", id="block"),
            pytest.param("{% set x = 1 %}", "set", id="set"),
            pytest.param("{% set x %}y{% endset %}", "set", id="set-block"),
            pytest.param("{% with x = 1 %}{% endwith %}", "with", id="with"),
            pytest.param("{% filter upper %}x{% endfilter %}", "filter", id="filter-block"),
            pytest.param("{% autoescape true %}x{% endautoescape %}", "autoescape", id="auto"),
        ],
    )
    def test_refused(self, statement: str, tag: str) -> None:
        body = "您好，\n请还款 " + statement
        with pytest.raises(ForbiddenConstruct) as caught:
            compile_template(body, SCHEMA)
        assert caught.value.construct == f"'{{% {tag} %}}'"
        assert (caught.value.line, caught.value.column) == (2, 8)

    def test_nothing_inside_a_forbidden_block_is_reported_twice(self) -> None:
        with pytest.raises(ForbiddenConstruct) as caught:
            compile_template("{% for x in y %}{{ x.y }}{% endfor %}", SCHEMA)
        assert caught.value.construct == "'{% for %}'"

    @pytest.mark.parametrize(
        ("body", "construct"),
        [
            pytest.param("{% if name in 'abc' %}{% endif %}", "comparison 'in'", id="in"),
            pytest.param("{% if days > 1.5 %}{% endif %}", "the constant 1.5", id="float"),
            pytest.param("{% if name == none %}{% endif %}", "the constant None", id="none"),
            pytest.param("{% if days + 1 %}{% endif %}", "operator '+'", id="arithmetic"),
        ],
    )
    def test_refused_in_if_tests(self, body: str, construct: str) -> None:
        with pytest.raises(ForbiddenConstruct) as caught:
            compile_template(body, SCHEMA)
        assert caught.value.construct == construct


class TestFilterMisuse:
    """Filters are checked against the declared type of what they filter."""

    @pytest.mark.parametrize(
        ("body", "message", "column"),
        [
            pytest.param("{{ name|money }}", "'money' cannot be applied to a str", 9, id="money"),
            pytest.param("{{ days|date }}", "'date' cannot be applied to a int", 9, id="date"),
            pytest.param("{{ due|mask }}", "'mask' cannot be applied to a date", 8, id="mask"),
            pytest.param("{{ amount|upper }}", "cannot be applied to a money", 11, id="upper"),
            pytest.param("{{ amount|money|money }}", "applied to a text", 17, id="chain"),
            pytest.param("{{ due|date('%Y-%m') }}", "one of: cn, iso, md", 8, id="strftime"),
            pytest.param("{{ due|date(product) }}", "one of: cn, iso, md", 8, id="dynamic"),
            pytest.param("{{ due|date('iso', 'md') }}", "one of: cn, iso, md", 8, id="two"),
            pytest.param("{{ card|mask(2) }}", "takes no argument", 9, id="mask-arg"),
        ],
    )
    def test_refused(self, body: str, message: str, column: int) -> None:
        with pytest.raises(FilterMisuse) as caught:
            compile_template(body, SCHEMA)
        assert message in caught.value.message
        assert (caught.value.line, caught.value.column) == (1, column)
        assert caught.value.code == "filter_misuse"

    def test_keyword_arguments_are_forbidden(self) -> None:
        with pytest.raises(ForbiddenConstruct, match="keyword or dynamic"):
            compile_template("{{ due|date(style='iso') }}", SCHEMA)


class TestSyntaxErrors:
    """Jinja's syntax errors become TemplateSyntaxProblem with line and column."""

    @pytest.mark.parametrize(
        ("body", "line", "column", "message"),
        [
            pytest.param("您好{{ name }", 1, 11, "unexpected '}'", id="half-closed"),
            pytest.param("{{ name", 1, 8, "unexpected end of template", id="unclosed"),
            pytest.param("a\nb {{ name $ }}", 2, 11, "unexpected char '$'", id="lexer"),
            pytest.param("a\r\nb\r\n {{ name }\r\n", 3, 10, "unexpected '}'", id="crlf"),
            pytest.param("x\n{{ name. }}", 2, 10, "expected name or number", id="after-dot"),
            pytest.param("{% endif %}", 1, 4, "unknown tag 'endif'", id="stray-endif"),
            pytest.param("{% do x %}", 1, 4, "unknown tag 'do'", id="extension-tag"),
            pytest.param("{{ 'a\\x' }}", 1, 4, "escape", id="bad-string-escape"),
        ],
    )
    def test_located(self, body: str, line: int, column: int, message: str) -> None:
        with pytest.raises(TemplateSyntaxProblem) as caught:
            compile_template(body, SCHEMA)
        assert message in caught.value.message
        assert (caught.value.line, caught.value.column) == (line, column)
        assert caught.value.code == "syntax_error"

    def test_unclosed_if_has_a_line(self) -> None:
        with pytest.raises(TemplateSyntaxProblem) as caught:
            compile_template("{% if days %}x", SCHEMA)
        assert caught.value.line == 1
        assert "endif" in caught.value.message

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param("{{ " + "(" * 3000 + "name" + ")" * 3000 + " }}", id="parentheses"),
            pytest.param("{% if " + "not " * 3000 + "days %}{% endif %}", id="nots"),
        ],
    )
    def test_deep_nesting_is_a_syntax_problem(self, body: str) -> None:
        with pytest.raises(TemplateSyntaxProblem, match="nested too deeply"):
            compile_template(body, SCHEMA)

    def test_problems_are_value_errors(self) -> None:
        assert issubclass(TemplateProblem, ValueError)


class TestLongestText:
    """The estimate text takes the widest sample values and the widest branch of each if."""

    def test_samples_at_max_length(self) -> None:
        compiled = compile_template("{{ name }}欠{{ amount|money }}，{{ due|date }}", SCHEMA)
        assert compiled.longest_text() == "某某某某某某某某某某欠¥10,000,000.00，2026年12月31日"

    def test_ignores_if_tests_and_picks_widest_branch(self) -> None:
        body = (
            "A{% if days > 99999 %}长长长{% elif days %}短{% else %}abcdef{% endif %}"
            "{% if product == '消费贷' %}{% if days %}xy{% else %}xyz{% endif %}{% endif %}"
        )
        assert compile_template(body, SCHEMA).longest_text() == "A长长长xyz"

    def test_prefers_ucs2_branch_over_longer_gsm_branch(self) -> None:
        body = "{% if days %}abcdefgh{% else %}中{% endif %}"
        assert compile_template(body, SCHEMA).longest_text() == "中"

    def test_preview_evaluates_tests(self) -> None:
        body = "{{ product }}{% if days > 99999 %}长{% else %}短{% endif %}"
        assert compile_template(body, SCHEMA).preview() == "信用卡短"

    def test_compiling_twice_is_stable(self) -> None:
        compiled = compile_template("{% if 1 > 2 %}a{% else %}bc{% endif %}", SCHEMA)
        assert compiled.longest_text() == compiled.longest_text() == "bc"
        assert compiled.render(VALUES) == "bc"


def test_money_renders_from_decimal_without_float_noise() -> None:
    """A Decimal amount renders exactly; a float never reaches the template."""
    assert render("{{ amount|money }}", amount=Decimal("0.10")) == "¥0.10"
