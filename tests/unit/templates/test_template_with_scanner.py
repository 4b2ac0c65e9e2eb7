"""Templates and the real scanner together: literal text at lint time, values at send time."""

from __future__ import annotations

import pytest

from smsgate.core.audience import Audience
from smsgate.core.scanner.findings import Verdict
from smsgate.core.scanner.folding import CharacterFolding
from smsgate.core.scanner.scanner import Scanner
from smsgate.core.scanner.wordlist import parse_wordlist
from smsgate.core.templates import LintCode, TemplateSource, compile_template, lint, parse_schema

MANIFEST = """
version = "templates-test"

[[lists]]
file = "impersonation.txt"
category = "impersonation"
severity = "block"

[[lists]]
file = "third_party.txt"
category = "third_party_disclosure"
severity = "block"
audiences = ["third_party"]
"""
VARIABLES = {"name": {"type": "str", "max_length": 10}}


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    files = {"impersonation.txt": "公安\n", "third_party.txt": "逾期\n"}
    return Scanner(parse_wordlist(MANIFEST, files), CharacterFolding({}))


class TestLiteralTextWithRealScanner:
    """Evasive spellings in literal text are found with spans into the body."""

    @pytest.mark.parametrize(
        ("body", "span"),
        [
            pytest.param("{{ name }}请联系公 安", (13, 16), id="separator"),
            pytest.param("{{ name }}请联系公{# x #}安", (13, 22), id="comment"),
        ],
    )
    def test_found(self, scanner: Scanner, body: str, span: tuple[int, int]) -> None:
        report = lint(TemplateSource(body, Audience.DEBTOR, VARIABLES), scanner, "cn-shenzhen")
        (finding,) = report.findings
        assert (finding.start, finding.end) == span
        assert finding.matched_text == body[span[0] : span[1]]
        assert [issue.code for issue in report.issues] == [LintCode.SENSITIVE_TERM]
        assert report.wordlist_version == scanner.version

    def test_not_invented_across_a_variable(self, scanner: Scanner) -> None:
        source = TemplateSource("公 {{ name }} 安", Audience.DEBTOR, VARIABLES)
        assert lint(source, scanner, "cn-shenzhen").findings == ()

    @pytest.mark.parametrize(
        ("audience", "found"),
        [
            pytest.param(Audience.DEBTOR, False, id="debtor"),
            pytest.param(Audience.THIRD_PARTY, True, id="third-party"),
        ],
    )
    def test_audience_lists(self, scanner: Scanner, audience: Audience, found: bool) -> None:
        source = TemplateSource("{{ name }}您的账单已逾期", audience, VARIABLES)
        assert bool(lint(source, scanner, "cn-shenzhen").findings) is found


class TestValuesAreScannedAfterRendering:
    """A term inside a value is invisible to lint and caught by scanning the rendered text."""

    def test_value_with_a_term(self, scanner: Scanner) -> None:
        body = "{{ name }}您好，请回电。"
        source = TemplateSource(body, Audience.DEBTOR, VARIABLES)
        assert lint(source, scanner, "cn-shenzhen").findings == ()
        text = compile_template(body, parse_schema(VARIABLES)).render({"name": "公 安局"})
        result = scanner.scan(text, audience=Audience.DEBTOR)
        assert result.verdict is Verdict.BLOCK
        assert [(f.start, f.end, f.matched_text) for f in result.findings] == [(0, 3, "公 安")]
