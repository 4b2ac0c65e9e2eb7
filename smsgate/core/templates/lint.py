"""Static review of a template before a person approves it.

:func:`lint` tells an author everything that is wrong at once (each issue
with a stable code, a severity, and where it is), scans the literal text for
sensitive terms, and estimates what the message will cost. A template whose
report has no error may be submitted for review; warnings inform the
reviewer.

The literal text is scanned run by run (see ``parsing.py``): comments and
``if``/``endif`` tags are joined through, variables and ``elif``/``else`` end
a run. So no term is invented across a variable, findings of the literal text
have spans into the body itself, and whatever a value adds is caught by the
scan of the rendered text at send time. The cost estimate renders the widest
branch of every ``if`` with the widest sample values, signed with the
creditor's signature when given, because that is what a reviewer must
budget for.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from jinja2 import nodes

from smsgate.core.scanner.findings import Finding, Severity, TextScanner
from smsgate.core.sms import DEFAULT_MAX_SEGMENTS, SmsMeasure, fake_signature_at, measure, sign
from smsgate.core.templates.content_rules import ContentRule, rules_for
from smsgate.core.templates.errors import (
    RenderRefused,
    SchemaError,
    TemplateProblem,
    TemplateSyntaxProblem,
    UnknownVariable,
)
from smsgate.core.templates.parsing import line_and_column, literal_runs
from smsgate.core.templates.sandbox import (
    Analysis,
    SmsSandbox,
    TemplateSource,
    analyse,
    compile_template,
)
from smsgate.core.templates.schema import TemplateSchema

#: Letters of its own that every rendering of a template must carry.
MIN_FIXED_LETTERS = 4
#: Jinja tags and comments: they print nothing of their own.
_TAGS = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.DOTALL)


class LintCode(StrEnum):
    """Stable codes of lint issues, shown to authors and kept in review records."""

    SYNTAX_ERROR = "syntax_error"
    FORBIDDEN_CONSTRUCT = "forbidden_construct"
    FILTER_MISUSE = "filter_misuse"
    UNKNOWN_VARIABLE = "unknown_variable"
    UNUSED_VARIABLE = "unused_variable"
    SCHEMA_INVALID = "schema_invalid"
    RENDER_FAILED = "render_failed"
    TOO_MANY_SEGMENTS = "too_many_segments"
    SIGNATURE_IN_BODY = "signature_in_body"
    SENSITIVE_TERM = "sensitive_term"
    MISSING_OPT_OUT = "missing_opt_out"
    MISSING_DEBT_COLLECTOR_DISCLOSURE = "missing_debt_collector_disclosure"
    FIXED_WORDING_MISSING = "fixed_wording_missing"


class IssueSeverity(StrEnum):
    """An ``error`` prevents submitting the template; a ``warning`` informs the reviewer."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class LintIssue:
    """One thing wrong with a template; ``line``/``column`` are 1-based when known."""

    code: LintCode
    severity: IssueSeverity
    message: str
    line: int | None = None
    column: int | None = None
    variable: str | None = None

    def to_dict(self) -> dict[str, str | int | None]:
        """The issue as a JSON object of the template API's ``lint`` list."""
        return {
            "code": self.code.value,
            "severity": self.severity.value,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "variable": self.variable,
        }


@dataclass(frozen=True, slots=True)
class LintReport:
    """All issues, the findings of the literal text, and the estimated cost of a message."""

    issues: tuple[LintIssue, ...]
    findings: tuple[Finding, ...]
    measure: SmsMeasure
    wordlist_version: str

    @property
    def ok(self) -> bool:
        """True iff no issue is an error."""
        return not any(issue.severity is IssueSeverity.ERROR for issue in self.issues)


def lint(
    source: TemplateSource,
    scanner: TextScanner,
    profile: str,
    *,
    signature: str = "",
    creditor_name: str = "",
    max_segments: int = DEFAULT_MAX_SEGMENTS,
) -> LintReport:
    """Review ``source`` under policy ``profile``; never raises for a bad template.

    Issues come grouped by check, in this order: signature in body, schema,
    syntax, constructs and variables (in source order), unused variables,
    sensitive terms, content rules, fixed wording, render failures, segments. A syntax error
    ends the review early: nothing else can be known about an unparsable text,
    and ``measure`` is then that of the raw body. A term inside
    ``creditor_name`` or ``signature`` (the creditor naming itself) is no finding.

    Raises :class:`UnknownProfile` for a profile without content rules and
    :class:`InvalidSignature` for a malformed ``signature`` (configuration
    errors, not template errors).
    """
    rules = rules_for(profile)
    issues = list(_signature_in_body(source.body))
    schema = _schema(source, issues)
    try:
        analysis = analyse(
            SmsSandbox(), source.body, TemplateSchema(()) if schema is None else schema
        )
    except TemplateSyntaxProblem as problem:
        issues.append(_issue(problem))
        rough = measure(_signed(source.body, signature))
        return LintReport(tuple(issues), (), rough, scanner.version)
    issues.extend(_template_issues(analysis, schema))
    findings = _scan_literals(source, scanner, analysis, (creditor_name, signature))
    issues.extend(_finding_issues(source.body, findings))
    issues.extend(_content_issues(rules, analysis.ast))
    issues.extend(_fixed_wording_issues(analysis.ast))
    estimated = measure(_signed(_longest_text(source.body, schema, analysis, issues), signature))
    if estimated.segments > max_segments:
        issues.append(_too_many_segments(estimated, max_segments))
    return LintReport(tuple(issues), findings, estimated, scanner.version)


def _issue(problem: TemplateProblem) -> LintIssue:
    variable = problem.variable if isinstance(problem, UnknownVariable) else None
    return LintIssue(
        LintCode(problem.code),
        IssueSeverity.ERROR,
        problem.message,
        problem.line,
        problem.column,
        variable,
    )


def _signature_in_body(body: str) -> Iterable[LintIssue]:
    """A 【】-like bracket anywhere, or a ``[…]``/``〔…〕`` pair framing the text's start or end.

    The rule is ``sms.fake_signature_at``'s, applied to the body with its
    ``{% %}`` tags and ``{# #}`` comments blanked out (same length, so the
    offset stays the body's): they print nothing, so a pair right after an
    ``{% if %}`` still opens the message.
    """
    offset = fake_signature_at(_TAGS.sub(lambda tag: " " * len(tag.group()), body))
    if offset is not None:
        line, column = line_and_column(body, offset)
        message = (
            f"remove {body[offset]!r} from the body: 【】 and look-alike brackets (〖〗, a [ ]"
            " pair opening or ending the text …) read as a sender's signature, and the"
            " gateway adds the creditor's own"
        )
        yield LintIssue(LintCode.SIGNATURE_IN_BODY, IssueSeverity.ERROR, message, line, column)


def _schema(source: TemplateSource, issues: list[LintIssue]) -> TemplateSchema | None:
    try:
        return source.schema()
    except SchemaError as error:
        issues.append(
            LintIssue(
                LintCode.SCHEMA_INVALID, IssueSeverity.ERROR, str(error), variable=error.variable
            )
        )
        return None


def _template_issues(analysis: Analysis, schema: TemplateSchema | None) -> Iterable[LintIssue]:
    for problem in analysis.problems:
        # Without a valid schema every variable would look undeclared.
        if schema is not None or not isinstance(problem, UnknownVariable):
            yield _issue(problem)
    for name in () if schema is None else schema.names:
        if name not in analysis.used:
            message = f"variable {name!r} is declared but never used"
            yield LintIssue(LintCode.UNUSED_VARIABLE, IssueSeverity.WARNING, message, variable=name)


def _scan_literals(
    source: TemplateSource, scanner: TextScanner, analysis: Analysis, own_names: tuple[str, ...]
) -> tuple[Finding, ...]:
    """Findings in the template's literal text; the creditor's own name and signature
    (``own_names``) never count."""
    findings: list[Finding] = []
    own = tuple(name for name in own_names if name)
    for run in literal_runs(source.body, analysis.tokens):
        for finding in scanner.scan(run.text, audience=source.audience, own_names=own).findings:
            start, end = run.body_span(finding.start, finding.end)
            matched = source.body[start:end]
            findings.append(
                dataclasses.replace(finding, start=start, end=end, matched_text=matched)
            )
    return tuple(sorted(findings, key=lambda finding: (finding.start, finding.end)))


def _finding_issues(body: str, findings: Iterable[Finding]) -> Iterable[LintIssue]:
    for finding in findings:
        blocks = finding.severity is Severity.BLOCK
        line, column = line_and_column(body, finding.start)
        message = (
            f"{finding.matched_text!r} matches the {finding.category} term {finding.term!r}"
            + ("" if finding.evasion == "plain" else f" (written {finding.evasion.value})")
            + f" ({finding.severity.value}: "
            + ("messages would be refused)" if blocks else "messages would be held for review)")
        )
        severity = IssueSeverity.ERROR if blocks else IssueSeverity.WARNING
        yield LintIssue(LintCode.SENSITIVE_TERM, severity, message, line, column)


def _content_issues(rules: Iterable[ContentRule], ast: nodes.Template) -> Iterable[LintIssue]:
    text = unconditional_text(ast)
    for rule in rules:
        if not rule.satisfied_by(text):
            yield LintIssue(LintCode(rule.code), IssueSeverity.ERROR, rule.message)


def _fixed_wording_issues(ast: nodes.Template) -> Iterable[LintIssue]:
    """An error unless every rendering carries :data:`MIN_FIXED_LETTERS` letters of its own.

    A template that is only variables (``{{ t }}``, or ``{{ t }}您好``) approves
    nothing: whatever the sender puts in the value is the message, and
    carriers refuse such templates too. Letters (any script, so 您好 is two)
    are counted in the text every rendering contains, outside variables and
    ``if`` branches; digits, spaces and punctuation are not wording. Four is
    the shortest phrase that says anything (请您还款, "please pay").
    """
    letters = sum(1 for char in unconditional_text(ast) if unicodedata.category(char)[0] == "L")
    if letters < MIN_FIXED_LETTERS:
        message = (
            f"the template has {letters} letter(s) of fixed wording outside variables and"
            f" if-branches; it needs at least {MIN_FIXED_LETTERS}, or any text could ride in"
            " a value"
        )
        yield LintIssue(LintCode.FIXED_WORDING_MISSING, IssueSeverity.ERROR, message)


def unconditional_text(ast: nodes.Template) -> str:
    """The literal text every rendering contains; NUL marks a variable or an ``if`` between."""
    parts: list[str] = []
    for node in ast.body:
        children = node.nodes if isinstance(node, nodes.Output) else [node]
        parts.extend(c.data if isinstance(c, nodes.TemplateData) else "\0" for c in children)
    return "".join(parts)


def _longest_text(
    body: str, schema: TemplateSchema | None, analysis: Analysis, issues: list[LintIssue]
) -> str:
    """The widest rendering to measure, or the body itself if the template cannot render."""
    if schema is None or analysis.problems:
        return body
    try:
        compiled = compile_template(body, schema)
    except TemplateProblem as problem:  # Jinja's code generator objected after all
        issues.append(_issue(problem))
        return body
    failures: list[str] = []
    # The preview is a smoke test (it evaluates the if-tests with sample values);
    # the longest text, computed last, is what gets measured.
    for attempt in (compiled.preview, compiled.longest_text):
        try:
            longest = attempt()
        except RenderRefused as error:
            failures.append(str(error))
            longest = body
    issues.extend(
        LintIssue(LintCode.RENDER_FAILED, IssueSeverity.ERROR, failure)
        for failure in dict.fromkeys(failures)
    )
    return longest


def _signed(text: str, signature: str) -> str:
    return sign(text, signature) if signature else text


def _too_many_segments(estimated: SmsMeasure, max_segments: int) -> LintIssue:
    message = (
        f"with the longest values the message needs {estimated.segments} segments "
        f"({estimated.units} {estimated.encoding.value} units); at most {max_segments} allowed"
    )
    return LintIssue(LintCode.TOO_MANY_SEGMENTS, IssueSeverity.ERROR, message)
