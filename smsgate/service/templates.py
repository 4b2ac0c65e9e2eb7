"""The template lifecycle: draft -> submitted -> approved | rejected, and retire.

Only an approved version can ever be sent, so every rule that protects a
recipient from a bad text is enforced here, on the way to approval:

- A body that is not a template of our subset (syntax error, a construct the
  sandbox refuses such as ``{{ ''.__class__ }}``) or whose variables schema is
  malformed is refused outright (``template_invalid``, nothing stored):
  there is nothing a reviewer could look at. Every other lint issue (unknown
  variable, 【】 in the body, too many segments, a sensitive term) is stored
  on the draft, so the author sees all of them at once and fixes them in a
  new version; a draft with an error-severity issue cannot be submitted.
- Four-eyes: the key that authored a version cannot approve or reject it,
  nor can a key of the same person, of the same rotation chain, or on either
  key's minting line (``smsgate.service.four_eyes`` holds the rule). The
  database refuses a review by the same key, chain or person too; these
  checks give the clear 403. The audit entry of a decision names both people.
- Approval re-lints the body with the wordlist current at that moment, since
  terms may have been added since the draft was linted, and refuses a
  version with a ``block`` finding (``sensitive_term``). The review
  records that wordlist version.
- A new version of an approved template goes through review again while the
  old approved version keeps serving: the highest approved version serves.
  Older approved versions stay ``approved`` (history is not rewritten, and
  messages name the exact version they came from); approving a version older
  than the one serving is refused, as it would look like a decision but
  change nothing.

Each state change is one transaction that also appends its audit entry, so a
change is never recorded without its evidence, nor the other way round.
Audit entries carry the SHA-256 of the body so that the approved text is
pinned by the hash chain; logs carry ids only, never the body.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog

from smsgate.core.audience import Audience
from smsgate.core.scanner import Finding, Severity, TextScanner
from smsgate.core.templates import LintCode, LintReport, TemplateSource, lint
from smsgate.service.four_eyes import Overlap, four_eyes_refusal, reviewing_keys
from smsgate.service.principals import Principal
from smsgate.service.refusals import Refusal, RefusalCode, not_found
from smsgate.service.retirement import settle_retired
from smsgate.store import (
    TEMPLATE_PREFIX,
    ApiKey,
    AuditEvent,
    Creditor,
    FourEyesViolation,
    Review,
    ReviewDecision,
    Store,
    Template,
    TemplateDetail,
    TemplateVersion,
    UnitOfWork,
    VersionStatus,
    new_id,
)
from smsgate.store.audit import AuditAction

if TYPE_CHECKING:
    from smsgate.bootstrap import Gateway

log = structlog.get_logger(__name__)

#: Lint codes that mean the text is not a usable template at all: refused, not stored.
UNUSABLE = frozenset({LintCode.SYNTAX_ERROR, LintCode.FORBIDDEN_CONSTRUCT, LintCode.SCHEMA_INVALID})

#: What a review decision makes of the version, and how the audit trail names it.
_OUTCOMES = {
    ReviewDecision.APPROVE: (VersionStatus.APPROVED, AuditAction.TEMPLATE_APPROVED),
    ReviewDecision.REJECT: (VersionStatus.REJECTED, AuditAction.TEMPLATE_REJECTED),
}


@dataclass(frozen=True, slots=True)
class Drafted:
    """A stored draft, with the lint report it was stored with (for segments and encoding)."""

    template: Template
    version: TemplateVersion
    report: LintReport


@dataclass(frozen=True, slots=True)
class Transition:
    """A version's move to a new status, and the approved version serving afterwards."""

    template: Template
    version: int
    status: VersionStatus
    serving_version: int | None
    wordlist_version: str
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class Retired:
    """A retired template, and the ids of the pending messages its retirement rejected."""

    template: Template
    rejected: tuple[str, ...]


def serving_version(detail: TemplateDetail) -> int | None:
    """The version messages are sent from: the highest approved one, none once retired."""
    if detail.template.retired_at is not None:
        return None
    approved = [v.version for v in detail.versions if v.status is VersionStatus.APPROVED]
    return max(approved, default=None)


def body_digest(body: str) -> str:
    """The SHA-256 (hex) of a template body, as the audit trail records it."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class TemplateDesk:
    """The use cases of the template API: store, current scanner, clock and segment limit.

    Every method takes the calling :class:`Principal`, scopes every lookup to
    its creditor (another creditor's template is "not found"), and raises
    :class:`Refusal` with the refusal code the API contract names.
    """

    store: Store
    scanner: Callable[[], TextScanner]
    clock: Callable[[], datetime]
    max_segments: int

    @classmethod
    def of(cls, gateway: Gateway) -> TemplateDesk:
        """The desk working with ``gateway``'s store, current wordlist and clock."""
        return cls(
            gateway.store, gateway.wordlists.current, gateway.clock, gateway.settings.max_segments
        )

    async def create(self, actor: Principal, name: str, source: TemplateSource) -> Drafted:
        """Store ``source`` as a new template's version 1, or the named template's next version.

        Raises ``template_invalid`` (unusable text), ``invalid_state``
        (the name belongs to a retired template) or ``conflict`` (another audience).
        """
        scanner, now = self.scanner(), self.clock()
        async with self.store.transaction() as tx:
            report = self._lint(source, scanner, await _creditor(tx, actor))
            _refuse_unusable(report)
            template, number = await _template_named(tx, actor, name, source.audience, now)
            version = TemplateVersion(
                template.id, number, source.body, dict(source.variables), VersionStatus.DRAFT,
                actor.key_id, now, report.wordlist_version,
                [issue.to_dict() for issue in report.issues],
                [finding.to_dict() for finding in report.findings],
            )  # fmt: skip
            await tx.templates.add_version(version)
            facts = {"name": name, "audience": source.audience.value, "ok": report.ok}
            await _audit(tx, actor, AuditAction.TEMPLATE_CREATED, version, now, facts)
        _log("template_created", actor, version, lint_ok=report.ok)
        return Drafted(template, version, report)

    async def submit(self, actor: Principal, template_id: str) -> Transition:
        """Submit the newest version, a draft without lint errors, for review.

        Raises ``not_found``, ``invalid_state`` (retired, or the newest version is
        not a draft) or ``template_invalid`` (lint errors to fix first).
        """
        now = self.clock()
        async with self.store.transaction() as tx:
            detail = await _live_detail(tx, actor, template_id)
            draft = detail.versions[-1]
            if draft.status is not VersionStatus.DRAFT:
                raise _invalid_state(f"version {draft.version} is {draft.status}; create a draft")
            errors = [i for i in draft.lint if isinstance(i, Mapping) and i["severity"] == "error"]
            if errors:
                raise Refusal(
                    RefusalCode.TEMPLATE_INVALID,
                    f"version {draft.version} has lint errors; fix them in a new version",
                    lint=errors,
                )  # fmt: skip
            submitted = replace(draft, status=VersionStatus.SUBMITTED)
            await tx.templates.set_version_status(template_id, draft.version, submitted.status)
            await _audit(tx, actor, AuditAction.TEMPLATE_SUBMITTED, submitted, now, {})
        _log("template_submitted", actor, submitted)
        return Transition(
            detail.template, draft.version, submitted.status, serving_version(detail),
            draft.wordlist_version,
        )  # fmt: skip

    async def approve(
        self, actor: Principal, template_id: str, reason: str, version: int | None = None
    ) -> Transition:
        """Approve a submitted version (default: the newest submitted one).

        Raises ``not_found``, ``four_eyes``, ``invalid_state``, 422
        ``sensitive_term`` (a block term under the current wordlist) or 422
        ``template_invalid`` (a lint error under the current rules).
        """
        return await self._decide(actor, template_id, version, ReviewDecision.APPROVE, reason)

    async def reject(
        self, actor: Principal, template_id: str, reason: str, version: int | None = None
    ) -> Transition:
        """Reject a submitted version (default: the newest submitted one) with ``reason``.

        Raises ``not_found``, ``four_eyes`` or ``invalid_state``.
        """
        return await self._decide(actor, template_id, version, ReviewDecision.REJECT, reason)

    async def retire(self, actor: Principal, template_id: str, reason: str) -> Retired:
        """Retire the template: no version serves any more, and what it queued is rejected.

        Every message of the template not yet handed to a carrier (queued,
        scheduled or held) is rejected with ``template_retired`` in the same
        transaction (``settle_retired``). Raises ``not_found`` or ``invalid_state``.
        """
        now = self.clock()
        async with self.store.transaction() as tx:
            detail = await _live_detail(tx, actor, template_id)
            await tx.templates.retire(template_id, now)
            rejected = await settle_retired(tx, actor, template_id, reason, now)
            newest = detail.versions[-1]
            facts = {
                "reason": reason,
                "serving_version": serving_version(detail),
                "messages_rejected": len(rejected),
            }
            await _audit(tx, actor, AuditAction.TEMPLATE_RETIRED, newest, now, facts)
        _log("template_retired", actor, newest, serving_version=facts["serving_version"],
             messages_rejected=len(rejected))  # fmt: skip
        return Retired(replace(detail.template, retired_at=now), tuple(rejected))

    async def all(self, actor: Principal) -> list[TemplateDetail]:
        """The caller's creditor's templates by name, retired ones included."""
        async with self.store.read() as tx:
            return await tx.templates.of_creditor(actor.creditor_id, include_retired=True)

    async def detail(self, actor: Principal, template_id: str) -> TemplateDetail:
        """One of the caller's creditor's templates with versions and reviews; raises 404."""
        async with self.store.read() as tx:
            detail = await tx.templates.detail(actor.creditor_id, template_id)
        if detail is None:
            raise not_found("template")
        return detail

    async def _decide(
        self,
        actor: Principal,
        template_id: str,
        number: int | None,
        decision: ReviewDecision,
        reason: str,
    ) -> Transition:
        scanner, now = self.scanner(), self.clock()
        async with self.store.transaction() as tx:
            detail = await _live_detail(tx, actor, template_id)
            target = _reviewable(detail, number, actor, decision)
            author, reviewer = await reviewing_keys(
                tx, actor.creditor_id, target.author_key_id, actor.key_id, target.version
            )
            findings: tuple[Finding, ...] = ()
            if decision is ReviewDecision.APPROVE:
                source = TemplateSource(target.body, detail.template.audience, target.variables)
                report = self._lint(source, scanner, await _creditor(tx, actor))
                findings = _refuse_unapprovable(report, target.version)
            status, action = _OUTCOMES[decision]
            decided = replace(target, status=status)
            await _record_review(tx, decided, Review(
                target.template_id, target.version, actor.key_id, decision, reason, now,
                scanner.version,
            ))  # fmt: skip
            facts = {
                "reason": reason,
                "wordlist_version": scanner.version,
                **_people(author, reviewer),
            }
            await _audit(tx, actor, action, decided, now, facts)
        serving = serving_version(_with_version(detail, decided))
        _log(f"template_{decided.status}", actor, decided, serving_version=serving)
        return Transition(
            detail.template, decided.version, decided.status, serving, scanner.version, findings
        )

    def _lint(self, source: TemplateSource, scanner: TextScanner, creditor: Creditor) -> LintReport:
        return lint(
            source,
            scanner,
            creditor.profile_name,
            signature=creditor.signature,
            creditor_name=creditor.name,
            max_segments=self.max_segments,
        )


async def _creditor(tx: UnitOfWork, actor: Principal) -> Creditor:
    creditor = await tx.creditors.get(actor.creditor_id)
    if creditor is None:  # a key's creditor is a foreign key: only a broken database gets here
        raise LookupError(f"the key {actor.key_id} belongs to no stored creditor")
    return creditor


async def _template_named(
    tx: UnitOfWork, actor: Principal, name: str, audience: Audience, now: datetime
) -> tuple[Template, int]:
    """The template to add a version to, and that version's number; creates it if new."""
    template = await tx.templates.by_name(actor.creditor_id, name)
    if template is None:
        template = Template(new_id(TEMPLATE_PREFIX), actor.creditor_id, name, audience, now)
        await tx.templates.add(template)
        return template, 1
    if template.retired_at is not None:
        raise _invalid_state(f"template {name!r} is retired; choose another name")
    if template.audience != audience:
        raise Refusal(
            RefusalCode.CONFLICT,
            f"template {name!r} is for the {template.audience} audience; a template's"
            " audience cannot change, so create a template with another name",
        )  # fmt: skip
    versions = await tx.templates.versions(template.id)
    return template, versions[-1].version + 1


async def _live_detail(tx: UnitOfWork, actor: Principal, template_id: str) -> TemplateDetail:
    detail = await tx.templates.detail(actor.creditor_id, template_id)
    if detail is None:
        raise not_found("template")
    if detail.template.retired_at is not None:
        raise _invalid_state("the template is retired")
    return detail


def _reviewable(
    detail: TemplateDetail, number: int | None, actor: Principal, decision: ReviewDecision
) -> TemplateVersion:
    """The version a reviewer decides on: submitted, not their own, not behind the serving one."""
    submitted = [v for v in detail.versions if v.status is VersionStatus.SUBMITTED]
    if number is None:
        if not submitted:
            raise _invalid_state("no version is submitted for review")
        number = submitted[-1].version
    target = next((v for v in detail.versions if v.version == number), None)
    if target is None:
        raise not_found(f"version {number} of the template")
    if target.status is not VersionStatus.SUBMITTED:
        raise _invalid_state(f"version {number} is {target.status}, not submitted")
    if target.author_key_id == actor.key_id:
        raise _four_eyes(number)
    serving = serving_version(detail)
    if decision is ReviewDecision.APPROVE and serving is not None and serving > number:
        raise _invalid_state(f"version {serving} is approved already and newer than {number}")
    return target


def _refuse_unusable(report: LintReport) -> None:
    if any(issue.code in UNUSABLE for issue in report.issues):
        raise Refusal(
            RefusalCode.TEMPLATE_INVALID,
            "the body is not a valid template or the variables schema is malformed",
            lint=[issue.to_dict() for issue in report.issues],
        )  # fmt: skip


def _refuse_unapprovable(report: LintReport, number: int) -> tuple[Finding, ...]:
    """Refuse a version with block terms or lint errors under today's rules; its findings."""
    if any(finding.severity is Severity.BLOCK for finding in report.findings):
        raise Refusal(
            RefusalCode.SENSITIVE_TERM,
            f"version {number} contains a blocked term under wordlist {report.wordlist_version}",
            findings=[finding.to_dict() for finding in report.findings],
            wordlist_version=report.wordlist_version,
        )  # fmt: skip
    if not report.ok:
        raise Refusal(
            RefusalCode.TEMPLATE_INVALID,
            f"version {number} no longer passes lint; fix it in a new version",
            lint=[issue.to_dict() for issue in report.issues],
        )  # fmt: skip
    return report.findings


async def _record_review(tx: UnitOfWork, decided: TemplateVersion, review: Review) -> None:
    await tx.templates.set_version_status(decided.template_id, decided.version, decided.status)
    try:
        await tx.templates.add_review(review)
    except FourEyesViolation:  # the database's own guard; _reviewable checks first
        raise _four_eyes(decided.version) from None


async def _audit(
    tx: UnitOfWork,
    actor: Principal,
    action: AuditAction,
    version: TemplateVersion,
    at: datetime,
    facts: Mapping[str, Any],
) -> None:
    detail = {"version": version.version, "body_sha256": body_digest(version.body), **facts}
    event = AuditEvent(at, actor.creditor_id, actor.key_id, action, version.template_id, detail)
    await tx.audit.append(event)


def _people(author: ApiKey, reviewer: ApiKey) -> dict[str, Any]:
    """Who wrote and who decided, for the audit entry of a review (persons may be None)."""
    return {
        "author_key_id": author.id,
        "author_person": author.person,
        "reviewer_person": reviewer.person,
    }


def _with_version(detail: TemplateDetail, changed: TemplateVersion) -> TemplateDetail:
    versions = tuple(changed if v.version == changed.version else v for v in detail.versions)
    return replace(detail, versions=versions)


def _invalid_state(detail: str) -> Refusal:
    return Refusal(RefusalCode.INVALID_STATE, detail)


def _four_eyes(number: int) -> Refusal:
    return four_eyes_refusal(number, Overlap.SAME_CHAIN)


def _log(event: str, actor: Principal, version: TemplateVersion, **facts: Any) -> None:
    log.info(
        event,
        creditor=actor.creditor_id,
        template_id=version.template_id,
        version=version.version,
        actor=actor.key_id,
        **facts,
    )
