"""Request and response bodies of the template lifecycle API, as msgspec Structs.

They are the contract an author's tooling and the compliance UI build on, and
the OpenAPI document takes its schemas from them, so they are declared here
rather than built as dicts in the handlers. Request models refuse unknown
fields (``RequestModel``). The ``to_*`` functions turn store records and the
service's results into these bodies; they decide nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from smsgate.api.bodies import RequestModel, Variables
from smsgate.core.audience import Audience
from smsgate.core.templates import MAX_RENDERED_CHARS
from smsgate.service.templates import Drafted, Transition, serving_version
from smsgate.store import Review, Template, TemplateDetail, TemplateVersion

TemplateName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=100,
        pattern=r"^\S(?:.*\S)?$",
        description="Unique per creditor; no leading or trailing whitespace.",
    ),
]
Reason = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=2000, pattern=r"\S", description="Kept in the audit trail."
    ),
]


class TemplateDraft(RequestModel):
    """``POST /v1/templates``: a new template, or the next version of the one with this name."""

    name: TemplateName
    audience: Audience
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_RENDERED_CHARS)]
    variables: Variables = msgspec.field(default_factory=dict)


class ReviewBody(RequestModel):
    """``POST …/approve`` and ``…/reject``: the reviewer's reason, and which version.

    Without ``version`` the decision is on the newest submitted version.
    """

    reason: Reason
    version: Annotated[int, msgspec.Meta(ge=1)] | None = None


class RetireBody(RequestModel):
    """``POST …/retire``: why the template stops serving."""

    reason: Reason


class LintIssueOut(msgspec.Struct, kw_only=True):
    """One lint issue; ``severity`` ``error`` blocks submitting, ``warning`` informs."""

    code: str
    severity: str
    message: str
    line: int | None = None
    column: int | None = None
    variable: str | None = None


class FindingOut(msgspec.Struct, kw_only=True):
    """A sensitive term in the template's literal text; spans index the body."""

    term: str
    category: str
    severity: str
    start: int
    end: int
    matched_text: str
    #: How the term was disguised (plain, spaced, traditional, confusable, leet,
    #: pinyin, homophone, initials); findings stored before #15 read as plain.
    evasion: str = "plain"


class DraftCreated(msgspec.Struct, kw_only=True):
    """201 of ``POST /v1/templates``: the stored draft and what lint found."""

    id: str
    name: str
    audience: Audience
    version: int
    status: str
    lint: list[LintIssueOut]
    findings: list[FindingOut]
    segments: int
    encoding: str
    wordlist_version: str


class VersionChanged(msgspec.Struct, kw_only=True):
    """200 of submit, approve and reject: the version's new status and what now serves."""

    id: str
    name: str
    version: int
    status: str
    serving_version: int | None
    wordlist_version: str
    findings: list[FindingOut] = msgspec.field(default_factory=list)


class TemplateRetired(msgspec.Struct, kw_only=True):
    """200 of retire: the template serves no more messages."""

    id: str
    name: str
    status: str
    retired_at: datetime
    #: How many queued, scheduled or held messages of the template were rejected.
    messages_rejected: int


class VersionOut(msgspec.Struct, kw_only=True):
    """One version as stored: text, schema, status, author and lint at creation."""

    version: int
    status: str
    body: str
    variables: dict[str, Any]
    author_key_id: str
    created_at: datetime
    wordlist_version: str
    lint: list[LintIssueOut]
    findings: list[FindingOut]


class ReviewOut(msgspec.Struct, kw_only=True):
    """One reviewer decision, with the wordlist version the body was re-scanned with."""

    version: int
    reviewer_key_id: str
    decision: str
    reason: str
    at: datetime
    wordlist_version: str


class TemplateSummary(msgspec.Struct, kw_only=True):
    """A list entry: the newest version's status and the approved version that serves."""

    id: str
    name: str
    audience: Audience
    created_at: datetime
    retired_at: datetime | None
    latest_version: int
    latest_status: str
    serving_version: int | None


class TemplateList(msgspec.Struct, kw_only=True):
    """200 of ``GET /v1/templates``: the caller's templates by name, retired ones included."""

    templates: list[TemplateSummary]


class TemplateView(TemplateSummary, kw_only=True):
    """200 of ``GET /v1/templates/{id}``: every version, oldest first, and the review history."""

    versions: list[VersionOut]
    reviews: list[ReviewOut]


def to_draft_created(drafted: Drafted) -> DraftCreated:
    """The 201 body of a stored draft."""
    template, version, report = drafted.template, drafted.version, drafted.report
    return DraftCreated(
        id=template.id,
        name=template.name,
        audience=template.audience,
        version=version.version,
        status=version.status.value,
        lint=_issues(version.lint),
        findings=_findings(version.findings),
        segments=report.measure.segments,
        encoding=report.measure.encoding.value,
        wordlist_version=version.wordlist_version,
    )


def to_version_changed(transition: Transition) -> VersionChanged:
    """The 200 body of a submit, approve or reject."""
    return VersionChanged(
        id=transition.template.id,
        name=transition.template.name,
        version=transition.version,
        status=transition.status.value,
        serving_version=transition.serving_version,
        wordlist_version=transition.wordlist_version,
        findings=_findings([finding.to_dict() for finding in transition.findings]),
    )


def to_retired(template: Template, messages_rejected: int) -> TemplateRetired:
    """The 200 body of a retire: the template, and how many pending messages it stopped."""
    assert template.retired_at is not None  # the service returns the retired record
    return TemplateRetired(
        id=template.id, name=template.name, status="retired", retired_at=template.retired_at,
        messages_rejected=messages_rejected,
    )  # fmt: skip


def to_summary(detail: TemplateDetail) -> TemplateSummary:
    """The list entry of a template."""
    template, newest = detail.template, detail.versions[-1]
    return TemplateSummary(
        id=template.id,
        name=template.name,
        audience=template.audience,
        created_at=template.created_at,
        retired_at=template.retired_at,
        latest_version=newest.version,
        latest_status=newest.status.value,
        serving_version=serving_version(detail),
    )


def to_view(detail: TemplateDetail) -> TemplateView:
    """The detail body of a template."""
    summary = msgspec.structs.asdict(to_summary(detail))
    return TemplateView(
        **summary,
        versions=[_version(version) for version in detail.versions],
        reviews=[_review(review) for review in detail.reviews],
    )


def _version(version: TemplateVersion) -> VersionOut:
    return VersionOut(
        version=version.version,
        status=version.status.value,
        body=version.body,
        variables=dict(version.variables),
        author_key_id=version.author_key_id,
        created_at=version.created_at,
        wordlist_version=version.wordlist_version,
        lint=_issues(version.lint),
        findings=_findings(version.findings),
    )


def _review(review: Review) -> ReviewOut:
    return ReviewOut(
        version=review.version,
        reviewer_key_id=review.reviewer_key_id,
        decision=review.decision.value,
        reason=review.reason,
        at=review.at,
        wordlist_version=review.wordlist_version,
    )


def _issues(stored: Any) -> list[LintIssueOut]:
    return msgspec.convert(list(stored), list[LintIssueOut])


def _findings(stored: Any) -> list[FindingOut]:
    return msgspec.convert(list(stored), list[FindingOut])
