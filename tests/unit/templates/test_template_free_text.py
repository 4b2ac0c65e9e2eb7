"""Free-text values carry no link, phone number or look-alike signature; templates carry wording.

Issue #13 items 6 and 7: ``{{ t }}`` linted clean, after which any text rode
in a value; a value or body could fake a second sender with 〖…〗, ［…］, ︻…︼.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from smsgate.core.audience import Audience
from smsgate.core.scanner.findings import ScanResult, Verdict
from smsgate.core.sms import bracket_at, fake_signature_at
from smsgate.core.templates import (
    LintCode,
    SchemaError,
    TemplateSource,
    VariableErrors,
    compile_template,
    lint,
    parse_schema,
)
from smsgate.core.templates.free_text import FreeTextAllowance, contact_problem

NONE: frozenset[FreeTextAllowance] = frozenset()


class CleanScanner:
    """A scanner that finds nothing: these tests are about the text's shape."""

    version = "clean-1"

    def scan(
        self, text: str, audience: Audience = Audience.DEBTOR, *, own_names: Iterable[str] = ()
    ) -> ScanResult:
        return ScanResult(Verdict.PASS, (), self.version)


def lint_codes(body: str, variables: dict[str, Any] | None = None) -> list[LintCode]:
    schema = {"name": {"type": "str", "max_length": 10}} if variables is None else variables
    report = lint(TemplateSource(body, Audience.DEBTOR, schema), CleanScanner(), "cn-shenzhen")
    return [issue.code for issue in report.issues]


def render(value: str, **declaration: Any) -> str:
    schema = parse_schema({"name": {"type": "str", "max_length": 40, **declaration}})
    return compile_template("{{ name }}您好，请尽快还款。", schema).render({"name": value})


class TestLinks:
    """A URL in any spelling a phone would still open is refused."""

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param("https://pay.example.com", id="scheme"),
            pytest.param("HTTP://X", id="scheme-upper-case"),
            pytest.param("https：／／x", id="full-width-scheme"),
            pytest.param("请访问www.evil.com", id="www-after-chinese"),
            pytest.param("ｗｗｗ．ｅｖｉｌ．ｃｏｍ", id="full-width"),
            pytest.param("evil . com", id="spaced-dot"),
            pytest.param("evil。com", id="ideographic-full-stop"),
            pytest.param("evil点com", id="dian-as-dot"),
            pytest.param("pay-now.cn", id="bare-domain"),
            pytest.param("bit.ly/abc", id="short-link"),
            pytest.param("xx.yy/zz", id="domain-with-path"),
            pytest.param("1.2.3.4", id="ipv4"),
        ],
    )
    def test_refused(self, value: str) -> None:
        problem = contact_problem(value, NONE)
        assert problem is not None
        assert "link" in problem
        with pytest.raises(VariableErrors, match="link"):
            render(value)

    def test_allowed_when_the_schema_says_so(self) -> None:
        assert render("pay.example.com", allow=["url"]).startswith("pay.example.com")


class TestPhoneNumbers:
    """Seven or more digits, separators and full-width digits included, are a phone number."""

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param("13800138000", id="mobile"),
            pytest.param("１３８００１３８０００", id="full-width"),
            pytest.param("138-0013-8000", id="dashes"),
            pytest.param("(0755) 1234 5678", id="landline"),
            pytest.param("回电4008·001·234", id="middle-dots"),
            pytest.param("请拨1380013", id="seven-digits"),
        ],
    )
    def test_refused(self, value: str) -> None:
        problem = contact_problem(value, NONE)
        assert problem is not None
        assert "phone number" in problem
        with pytest.raises(VariableErrors, match="phone number"):
            render(value)

    def test_allowed_when_the_schema_says_so(self) -> None:
        assert render("6222020200112345678", allow=["phone"]).startswith("6222")

    def test_a_phone_variable_is_where_a_number_belongs(self) -> None:
        schema = parse_schema({"hotline": {"type": "phone"}})
        compiled = compile_template("详询客服热线{{ hotline }}。", schema)
        assert compiled.render({"hotline": "4008001234"}) == "详询客服热线4008001234。"


class TestOrdinaryValues:
    """Names and short phrases pass."""

    @pytest.mark.parametrize(
        "value",
        [
            "张三",
            "王·小明",
            "J.R. Smith",
            "Mr.Li",
            "第3期",
            "123456",
            "9.5折",
            "《民法典》",
            "(注)",
        ],
    )
    def test_accepted(self, value: str) -> None:
        assert contact_problem(value, NONE) is None
        assert render(value).startswith(value)


class TestAllowSchema:
    """``allow`` is a list of known allowances, shown back in the schema."""

    def test_round_trip(self) -> None:
        schema = parse_schema({"ref": {"type": "str", "allow": ["url", "phone"]}})
        assert schema.to_dict()["ref"]["allow"] == ["phone", "url"]
        assert "allow" not in parse_schema({"ref": {"type": "str"}}).to_dict()["ref"]

    @pytest.mark.parametrize(
        "allow",
        [
            pytest.param(["email"], id="unknown"),
            pytest.param("url", id="not-a-list"),
            pytest.param(["url", "url"], id="repeated"),
            pytest.param([{"url": True}], id="not-a-string"),
        ],
    )
    def test_malformed(self, allow: Any) -> None:
        with pytest.raises(SchemaError, match="allow"):
            parse_schema({"ref": {"type": "str", "allow": allow}})

    def test_only_str_variables_allow(self) -> None:
        with pytest.raises(SchemaError, match="unknown key"):
            parse_schema({"n": {"type": "int", "allow": ["phone"]}})


class TestFixedWording:
    """A template must carry at least four letters of its own in every rendering."""

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param("{{ name }}", id="only-a-variable"),
            pytest.param("{{ name }}您好", id="two-letters"),
            pytest.param("{{ name }}：123！", id="digits-and-punctuation"),
            pytest.param(
                "{% if name %}您好，请尽快还款{% endif %}{{ name }}", id="only-in-a-branch"
            ),
        ],
    )
    def test_all_variable_template_is_an_error(self, body: str) -> None:
        assert LintCode.FIXED_WORDING_MISSING in lint_codes(body)

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param("{{ name }}您好，请还款", id="four-letters"),
            pytest.param("Hi {{ name }}, pay", id="latin-letters"),
        ],
    )
    def test_wording_of_its_own_passes(self, body: str) -> None:
        assert LintCode.FIXED_WORDING_MISSING not in lint_codes(body)


class TestLookAlikeSignatures:
    """No value and no body may open a bracket pair a phone would show as a signature."""

    @pytest.mark.parametrize(
        "value",
        [
            "〖中国工商银行〗",
            "【工商银行】",
            "[工商银行",
            "［工商银行］",
            "︻工商银行︼",
            "〔工商〕",
            "﹝工商﹞",
        ],
    )
    def test_a_value_carries_no_signature_bracket(self, value: str) -> None:
        assert bracket_at(value) == 0
        with pytest.raises(VariableErrors, match="signature"):
            render(value)

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param("〖中国工商银行〗{{ name }}您好，请尽快还款。", id="lenticular"),
            pytest.param("{{ name }}您好，请尽快还款。︻工商银行︼", id="vertical-form"),
            pytest.param("[中国工商银行]{{ name }}您好，请尽快还款。", id="square-at-start"),
            pytest.param("  ［中国工商银行］{{ name }}您好，请尽快还款。", id="full-width-start"),
            pytest.param("{{ name }}您好，请尽快还款。[工商银行]", id="square-at-end"),
            pytest.param("{% if name %}[工商银行]{% endif %}{{ name }}您好，请还款", id="after-if"),
            pytest.param("{{ name }}您好，请尽快还款〘工商〙。", id="tortoise-anywhere"),
        ],
    )
    def test_a_body_is_a_lint_error(self, body: str) -> None:
        assert LintCode.SIGNATURE_IN_BODY in lint_codes(body)

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param("{{ name }}您好，第[1/2]条：请尽快还款。", id="pair-inside"),
            pytest.param("{{ name }}您好，依据《民法典》请尽快还款。", id="title-marks"),
            pytest.param("「提醒」{{ name }}您好，请尽快还款。", id="corner-quotes"),
            pytest.param("(注){{ name }}您好，请尽快还款。", id="parentheses"),
        ],
    )
    def test_ordinary_brackets_pass(self, body: str) -> None:
        assert LintCode.SIGNATURE_IN_BODY not in lint_codes(body)

    @pytest.mark.parametrize(
        ("text", "offset"),
        [
            pytest.param("您好〖工商〗", 2, id="lenticular-anywhere"),
            pytest.param(" [工商]您好", 1, id="label-at-start"),
            pytest.param("您好[工商]", 5, id="label-at-end"),
            pytest.param("您好[1/2]请还款", None, id="label-inside"),
            pytest.param("[您好", None, id="unclosed"),
            pytest.param("", None, id="empty"),
        ],
    )
    def test_fake_signature_at(self, text: str, offset: int | None) -> None:
        assert fake_signature_at(text) == offset
