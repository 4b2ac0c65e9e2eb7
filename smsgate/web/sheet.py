"""The review sheet of one template version: what a reviewer must see before deciding.

Built fresh on every view with the *live* wordlist, because approval
re-lints with it (``TemplateDesk.approve``): the page shows the findings the
decision will be judged by, not the ones stored when the draft was written,
and says so when the two wordlist versions differ. Pure: the handler reads
the store, this module only computes.

- the body with every finding of its literal text marked in place (spans
  point into the body; evasive spellings are shown exactly as written);
- the lint issues;
- a preview rendered with sample values at their maximum length and signed
  with the creditor's signature, its own findings, its segments and
  encoding, beside the linter's worst-case estimate;
- the character diff against the previous approved version;
- the author, every version and every review.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from smsgate.core.scanner import TextScanner
from smsgate.core.sms import SmsMeasure, measure, sign
from smsgate.core.templates import LintReport, TemplateSource, lint
from smsgate.store import Creditor, TemplateDetail, TemplateVersion, VersionStatus
from smsgate.web.marks import Change, Piece, character_diff, findings_in_order, highlighted

Finding = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Preview:
    """The signed sample rendering, or why there is none."""

    text: str
    pieces: list[Piece]
    findings: list[Finding]
    measure: SmsMeasure | None
    error: str = ""


@dataclass(frozen=True, slots=True)
class ReviewSheet:
    """Everything the template review page shows about one version."""

    detail: TemplateDetail
    version: TemplateVersion
    report: LintReport
    pieces: list[Piece]
    findings: list[Finding]
    preview: Preview
    previous: TemplateVersion | None
    diff: list[Change]

    @property
    def decidable(self) -> bool:
        """Whether the version waits for a decision (submitted, template not retired)."""
        live = self.detail.template.retired_at is None
        return live and self.version.status is VersionStatus.SUBMITTED

    @property
    def stale_lint(self) -> bool:
        """Whether the draft was linted with another wordlist than the live one."""
        return self.version.wordlist_version != self.report.wordlist_version


def review_sheet(
    detail: TemplateDetail,
    version: TemplateVersion,
    creditor: Creditor,
    scanner: TextScanner,
    max_segments: int,
) -> ReviewSheet:
    """The sheet of ``version`` of ``detail`` under ``scanner``'s wordlist; never raises."""
    source = TemplateSource(version.body, detail.template.audience, version.variables)
    report = lint(
        source,
        scanner,
        creditor.profile_name,
        signature=creditor.signature,
        creditor_name=creditor.name,
        max_segments=max_segments,
    )
    findings = findings_in_order(finding.to_dict() for finding in report.findings)
    previous = previous_approved(detail.versions, version.version)
    return ReviewSheet(
        detail=detail,
        version=version,
        report=report,
        pieces=highlighted(version.body, findings),
        findings=findings,
        preview=sample_preview(source, creditor, scanner),
        previous=previous,
        diff=character_diff(previous.body, version.body) if previous is not None else [],
    )


def previous_approved(versions: Sequence[TemplateVersion], number: int) -> TemplateVersion | None:
    """The highest approved version before ``number``: what this one would replace."""
    earlier = [v for v in versions if v.version < number and v.status is VersionStatus.APPROVED]
    return max(earlier, key=lambda v: v.version, default=None)


def sample_preview(source: TemplateSource, creditor: Creditor, scanner: TextScanner) -> Preview:
    """The body rendered with every variable at its longest sample value, signed and scanned."""
    try:
        text = sign(source.compile().preview(), creditor.signature)
    except ValueError as error:  # every template, schema and render problem is one
        return Preview("", [], [], None, str(error))
    own = (creditor.name, creditor.signature)
    findings = findings_in_order(
        finding.to_dict() for finding in scanner.scan(text, source.audience, own_names=own).findings
    )
    return Preview(text, highlighted(text, findings), findings, measure(text))


def chosen_version(detail: TemplateDetail, number: int | None) -> TemplateVersion | None:
    """Version ``number``, or by default the newest submitted one, else the newest."""
    if number is not None:
        return next((v for v in detail.versions if v.version == number), None)
    submitted = [v for v in detail.versions if v.status is VersionStatus.SUBMITTED]
    return submitted[-1] if submitted else detail.versions[-1]
