"""Unit tests for the template linter, with a hand-written fake scanner."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from smsgate.core.audience import Audience
from smsgate.core.scanner.findings import Finding, ScanResult, Severity, Verdict
from smsgate.core.sms import Encoding, InvalidSignature, SmsMeasure, measure
from smsgate.core.templates import (
    CONTENT_RULES,
    IssueSeverity,
    LintCode,
    LintIssue,
    LintReport,
    TemplateSource,
    UnknownProfile,
    lint,
    rules_for,
)

ERROR, WARNING = IssueSeverity.ERROR, IssueSeverity.WARNING
DESIGN_BODY = "{{ name }}您好，您的账单{{ amount }}元已逾期{{ days }}天，请尽快还款。"
DESIGN_VARIABLES: dict[str, Any] = {
    "name": {"type": "str", "max_length": 10},
    "amount": {"type": "money"},
    "days": {"type": "int", "max": 3650},
}
#: Fixed wording of its own, so that a test about another issue is not also all-variable.
WORDING = "请尽快还款。"
US_BODY = (
    "This is a debt collector. {{ name }}, your balance is {{ amount|money }}. "
    "Reply STOP to opt out."
)


@dataclass
class FakeScanner:
    """Finds fixed substrings; records what it was asked to scan and for whom."""

    terms: dict[str, Severity] = field(
        default_factory=lambda: {"公安": Severity.BLOCK, "立案": Severity.REVIEW}
    )
    version: str = "fake-7"
    texts: list[str] = field(default_factory=list)
    audiences: list[Audience] = field(default_factory=list)

    def scan(
        self, text: str, audience: Audience = Audience.DEBTOR, *, own_names: Iterable[str] = ()
    ) -> ScanResult:
        self.texts.append(text)
        self.audiences.append(audience)
        findings = [
            Finding(term, "test_category", severity, start, start + len(term), term)
            for term, severity in self.terms.items()
            for start in _occurrences(text, term)
        ]
        findings.sort(key=lambda finding: finding.start)
        return ScanResult(Verdict.of(findings), tuple(findings), self.version)


def _occurrences(text: str, term: str) -> list[int]:
    starts, start = [], text.find(term)
    while start != -1:
        starts.append(start)
        start = text.find(term, start + 1)
    return starts


def run_lint(
    body: str,
    variables: dict[str, Any] | None = None,
    profile: str = "cn-shenzhen",
    scanner: FakeScanner | None = None,
    **options: Any,
) -> LintReport:
    source = TemplateSource(
        body, Audience.DEBTOR, DESIGN_VARIABLES if variables is None else variables
    )
    return lint(source, scanner or FakeScanner(), profile, **options)


def summary(report: LintReport) -> list[tuple[str, str, int | None, int | None, str | None]]:
    return [(i.code, i.severity, i.line, i.column, i.variable) for i in report.issues]


class TestCleanTemplate:
    """A good template has no issues and an estimate for its longest values."""

    def test_design_example(self) -> None:
        report = run_lint(DESIGN_BODY)
        assert report.issues == ()
        assert report.ok
        assert report.findings == ()
        # 10 × 某 + 7 + "10000000.00" + 4 + "3650" + 8 = 44 UCS-2 units.
        assert report.measure == SmsMeasure(Encoding.UCS2, 44, 1)
        assert report.wordlist_version == "fake-7"

    def test_signature_is_counted(self) -> None:
        report = run_lint(DESIGN_BODY, signature="安信消费金融")
        assert report.measure == SmsMeasure(Encoding.UCS2, 52, 1)

    def test_invalid_signature_is_a_configuration_error(self) -> None:
        with pytest.raises(InvalidSignature):
            run_lint(DESIGN_BODY, signature="安")


class TestIssues:
    """Each problem yields an issue with a stable code, severity and place."""

    @pytest.mark.parametrize(
        ("body", "variables", "expected"),
        [
            pytest.param(
                "您好{{ name }",
                None,
                [(LintCode.SYNTAX_ERROR, ERROR, 1, 11, None)],
                id="syntax-error",
            ),
            pytest.param(
                "{{ name.__class__ }}{{ amount }}{{ days }}" + WORDING,
                None,
                [(LintCode.FORBIDDEN_CONSTRUCT, ERROR, 1, 9, None)],
                id="forbidden-construct",
            ),
            pytest.param(
                "{{ name|money }}{{ amount }}{{ days }}" + WORDING,
                None,
                [(LintCode.FILTER_MISUSE, ERROR, 1, 9, None)],
                id="filter-misuse",
            ),
            pytest.param(
                "{{ name }}{{ amount }}{{ days }}\n您好{{ nmae }}" + WORDING,
                None,
                [(LintCode.UNKNOWN_VARIABLE, ERROR, 2, 6, "nmae")],
                id="unknown-variable",
            ),
            pytest.param(
                "{{ name }}您好" + WORDING,
                None,
                [
                    (LintCode.UNUSED_VARIABLE, WARNING, None, None, "amount"),
                    (LintCode.UNUSED_VARIABLE, WARNING, None, None, "days"),
                ],
                id="unused-variables",
            ),
            pytest.param(
                "【安信】{{ name }}{{ amount }}{{ days }}" + WORDING,
                None,
                [(LintCode.SIGNATURE_IN_BODY, ERROR, 1, 1, None)],
                id="signature-in-body",
            ),
            pytest.param(
                "{{ name }}您好" + WORDING,
                {"name": {"type": "string"}},
                [(LintCode.SCHEMA_INVALID, ERROR, None, None, "name")],
                id="schema-invalid-without-unknown-noise",
            ),
            pytest.param(
                "{% if name > 3 %}x{% endif %}" + WORDING,
                {"name": {"type": "str"}},
                [(LintCode.RENDER_FAILED, ERROR, None, None, None)],
                id="render-failed",
            ),
            pytest.param(
                "{{ text }}" + WORDING,
                {"text": {"type": "str", "max_length": 500}},
                [(LintCode.TOO_MANY_SEGMENTS, ERROR, None, None, None)],
                id="too-many-segments",
            ),
        ],
    )
    def test_single_problem(
        self, body: str, variables: dict[str, Any] | None, expected: list[tuple[Any, ...]]
    ) -> None:
        report = run_lint(body, variables)
        assert summary(report) == expected
        assert report.ok is all(severity is WARNING for _, severity, *_ in expected)

    def test_lists_every_problem_at_once(self) -> None:
        body = (
            "【x】{{ name.x }}\n{% for a in b %}{% endfor %}{{ nope|upper }}{{ days|money }}"
            + WORDING
        )
        assert summary(run_lint(body)) == [
            (LintCode.SIGNATURE_IN_BODY, ERROR, 1, 1, None),
            (LintCode.FORBIDDEN_CONSTRUCT, ERROR, 1, 12, None),
            (LintCode.FORBIDDEN_CONSTRUCT, ERROR, 2, 4, None),
            (LintCode.UNKNOWN_VARIABLE, ERROR, 2, 32, "nope"),
            (LintCode.FILTER_MISUSE, ERROR, 2, 53, None),
            (LintCode.UNUSED_VARIABLE, WARNING, None, None, "amount"),
        ]

    def test_unknown_variable_is_reported_even_after_a_forbidden_use(self) -> None:
        body = "{{ name }}{{ amount }}{{ days }}{{ nope.x }}{{ nope }}" + WORDING
        assert summary(run_lint(body)) == [
            (LintCode.FORBIDDEN_CONSTRUCT, ERROR, 1, 41, None),
            (LintCode.UNKNOWN_VARIABLE, ERROR, 1, 48, "nope"),
        ]

    def test_order_with_syntax_error(self) -> None:
        report = run_lint("【x】{{ name", {"name": {"type": "string"}})
        assert [issue.code for issue in report.issues] == [
            LintCode.SIGNATURE_IN_BODY,
            LintCode.SCHEMA_INVALID,
            LintCode.SYNTAX_ERROR,
        ]

    def test_syntax_error_stops_the_analysis(self) -> None:
        scanner = FakeScanner()
        report = run_lint("公安{{ name", scanner=scanner, signature="安信")
        assert summary(report) == [(LintCode.SYNTAX_ERROR, ERROR, 1, 10, None)]
        assert report.findings == ()
        assert scanner.texts == []
        assert report.measure == measure("【安信】公安{{ name")

    def test_too_many_segments_message_and_measure(self) -> None:
        report = run_lint("{{ text }}" + WORDING, {"text": {"type": "str", "max_length": 500}})
        assert report.measure == SmsMeasure(Encoding.UCS2, 506, 8)
        assert report.issues[0].message == (
            "with the longest values the message needs 8 segments (506 ucs2 units); "
            "at most 6 allowed"
        )

    @pytest.mark.parametrize(
        ("max_segments", "signature", "codes"),
        [
            pytest.param(1, "", [], id="fits-one"),
            pytest.param(1, "安信消费金融", [LintCode.TOO_MANY_SEGMENTS], id="signature-tips"),
            pytest.param(2, "安信消费金融", [], id="fits-two"),
        ],
    )
    def test_segment_limit_counts_signature(
        self, max_segments: int, signature: str, codes: list[LintCode]
    ) -> None:
        variables = {"name": {"type": "str", "max_length": 61}}  # 61 + 6: 67 of 70 units
        report = run_lint(
            "{{ name }}您好，请还款", variables, max_segments=max_segments, signature=signature
        )
        assert [issue.code for issue in report.issues] == codes

    def test_estimate_uses_widest_branch(self) -> None:
        body = "{{ name }}{% if days > 100000 %}{{ '' if 0 else '' }}{% endif %}"
        assert LintCode.FORBIDDEN_CONSTRUCT in [i.code for i in run_lint(body).issues]
        body = "{{ name }}{% if days > 100000 %}" + "长" * 70 + "{% endif %}{{ amount }}"
        assert run_lint(body).measure.segments == 2

    def test_issue_to_dict(self) -> None:
        issue = LintIssue(LintCode.UNKNOWN_VARIABLE, ERROR, "m", 2, 6, "nmae")
        assert issue.to_dict() == {
            "code": "unknown_variable",
            "severity": "error",
            "message": "m",
            "line": 2,
            "column": 6,
            "variable": "nmae",
        }


class TestSensitiveTerms:
    """Literal text is scanned run by run; findings have spans into the body."""

    def test_block_term_is_an_error_review_term_a_warning(self) -> None:
        body = "{{ name }}{{ amount }}{{ days }}请联系公安局，\n已立案"
        report = run_lint(body)
        assert [(f.term, f.start, f.end, f.matched_text) for f in report.findings] == [
            ("公安", 35, 37, "公安"),
            ("立案", 41, 43, "立案"),
        ]
        assert summary(report) == [
            (LintCode.SENSITIVE_TERM, ERROR, 1, 36, None),
            (LintCode.SENSITIVE_TERM, WARNING, 2, 2, None),
        ]
        assert report.issues[0].message == (
            "'公安' matches the test_category term '公安' (block: messages would be refused)"
        )
        assert not report.ok

    def test_review_term_alone_keeps_report_ok(self) -> None:
        report = run_lint("{{ name }}{{ amount }}{{ days }}已立案" + WORDING)
        assert [i.severity for i in report.issues] == [WARNING]
        assert report.ok

    @pytest.mark.parametrize(
        ("body", "runs"),
        [
            pytest.param("公{{ name }}安", ["公", "安"], id="variable-splits"),
            pytest.param("{% if days %}公{% else %}安{% endif %}", ["公", "安"], id="else-splits"),
            pytest.param("{% if days %}公{% elif name %}安{% endif %}", ["公", "安"], id="elif"),
        ],
    )
    def test_terms_are_not_invented(self, body: str, runs: list[str]) -> None:
        scanner = FakeScanner()
        report = run_lint(body, scanner=scanner)
        assert report.findings == ()
        assert scanner.texts == runs

    @pytest.mark.parametrize(
        ("body", "start", "end"),
        [
            pytest.param("您好公{# 注释 #}安", 2, 12, id="across-comment"),
            pytest.param("公{% if days %}安{% endif %}", 0, 15, id="across-if"),
            pytest.param("{% if days %}公{% endif %}安", 13, 26, id="across-endif"),
            pytest.param("公 {%- if days %}安{% endif %}", 0, 17, id="across-whitespace-control"),
            pytest.param("{% raw %}{{公安}}{% endraw %}", 11, 13, id="inside-raw"),
        ],
    )
    def test_terms_across_silent_tags_are_found_with_body_spans(
        self, body: str, start: int, end: int
    ) -> None:
        (finding,) = run_lint(body).findings
        assert (finding.start, finding.end) == (start, end)
        assert finding.matched_text == body[start:end]
        assert finding.term == "公安"

    def test_scans_with_the_template_audience(self) -> None:
        scanner = FakeScanner()
        source = TemplateSource(
            "请回电{{ hotline }}", Audience.THIRD_PARTY, {"hotline": {"type": "phone"}}
        )
        lint(source, scanner, "cn-shenzhen")
        assert scanner.audiences == [Audience.THIRD_PARTY]

    def test_findings_are_sorted_and_version_recorded(self) -> None:
        scanner = FakeScanner(version="wl-2026.11")
        report = run_lint("立案{{ name }}公安{{ amount }}{{ days }}", scanner=scanner)
        assert [f.term for f in report.findings] == ["立案", "公安"]
        assert report.wordlist_version == "wl-2026.11"


class TestContentRules:
    """Profiles may require phrases in the unconditional literal text."""

    def test_us_profile_requires_opt_out_and_disclosure(self) -> None:
        report = run_lint(
            "{{ name }}, pay {{ amount|money }} in {{ days }} days.", profile="us-reg-f"
        )
        assert [(i.code, i.severity) for i in report.issues] == [
            (LintCode.MISSING_OPT_OUT, ERROR),
            (LintCode.MISSING_DEBT_COLLECTOR_DISCLOSURE, ERROR),
        ]

    def test_us_profile_accepts_a_compliant_text(self) -> None:
        report = run_lint(
            US_BODY, {"name": {"type": "str"}, "amount": {"type": "money"}}, "us-reg-f"
        )
        assert report.issues == ()

    @pytest.mark.parametrize(
        ("phrase", "satisfied"),
        [
            pytest.param("Reply STOP to opt out", True, id="reply-stop"),
            pytest.param("reply stop", True, id="lower-case"),
            pytest.param('Text "STOP" to end these messages', True, id="text-quoted"),
            pytest.param("Reply UNSUBSCRIBE to opt out", True, id="unsubscribe"),
            pytest.param("Send  QUIT", True, id="send-quit"),
            pytest.param("Please stop calling", False, id="no-instruction"),
            pytest.param("Reply to stop", False, id="no-keyword"),
            pytest.param("Reply STOPPED", False, id="not-a-keyword"),
        ],
    )
    def test_opt_out_phrases(self, phrase: str, satisfied: bool) -> None:
        (opt_out, _) = rules_for("us-reg-f")
        assert opt_out.satisfied_by(phrase) is satisfied

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param(
                "This is a debt collector.{% if name %} Reply STOP to opt out.{% endif %}",
                id="inside-if",
            ),
            pytest.param("This is a debt collector. Reply {{ name }} STOP", id="split-by-variable"),
            pytest.param("This is a debt collector. {{ name }}", id="from-a-variable"),
        ],
    )
    def test_conditional_or_variable_text_does_not_count(self, body: str) -> None:
        report = run_lint(body, {"name": {"type": "str"}}, "us-reg-f")
        assert [i.code for i in report.issues] == [LintCode.MISSING_OPT_OUT]

    def test_comment_inside_phrase_still_counts(self) -> None:
        body = "This is a debt collector. Reply {# keyword #}STOP to opt out."
        assert run_lint(body, {}, "us-reg-f").issues == ()

    def test_chinese_profile_prescribes_nothing(self) -> None:
        assert rules_for("cn-shenzhen") == ()
        assert set(CONTENT_RULES) == {"cn-shenzhen", "us-reg-f"}

    def test_unknown_profile_is_refused(self) -> None:
        with pytest.raises(UnknownProfile, match="cn-shenzen"):
            run_lint(DESIGN_BODY, profile="cn-shenzen")
