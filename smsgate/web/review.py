"""Pages of template review: the queue of submitted versions, one version's sheet, the decision.

Decisions go through :class:`~smsgate.service.templates.TemplateDesk`, the
same use case as ``POST /v1/templates/{id}/approve``: four-eyes, the re-lint
with the live wordlist, the audit entry and the transaction all come from
there. A refusal (``four_eyes``, ``sensitive_term``, ``invalid_state``) is
shown on the sheet itself, above the buttons, with the reason the reviewer
typed kept in the field. The form posts the version number the reviewer
was looking at, so a decision is never applied to a version they did not see.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from smsgate.api.problems import Problem, ProblemCode, not_found
from smsgate.api.refusal_status import problem_of
from smsgate.service.four_eyes import overlap
from smsgate.service.refusals import Refusal
from smsgate.service.templates import TemplateDesk
from smsgate.store import (
    ApiKey,
    MessageStatus,
    TemplateDetail,
    TemplateVersion,
    UnitOfWork,
    VersionStatus,
)
from smsgate.web.auth import Page
from smsgate.web.context import UI_PREFIX, redirect
from smsgate.web.sheet import chosen_version, review_sheet


@dataclass(frozen=True, slots=True)
class Waiting:
    """A submitted version in the queue, and its template."""

    detail: TemplateDetail
    version: TemplateVersion


async def key_labels(tx: UnitOfWork, creditor_id: str) -> dict[str, str]:
    """Key id -> label (possibly empty) of the creditor's keys, to name authors and actors."""
    keys = await tx.api_keys.of_creditor(creditor_id)
    return {key.id: key.label for key in keys}


async def queue(page: Page) -> web.StreamResponse:
    """Submitted versions of the creditor's live templates, oldest first, with counts."""
    async with page.gateway.store.read() as tx:
        details = await tx.templates.of_creditor(page.creditor_id)
        statuses = await tx.messages.count_by_status(page.creditor_id)
        labels = await key_labels(tx, page.creditor_id)
    waiting = sorted(
        (
            Waiting(detail, version)
            for detail in details
            for version in detail.versions
            if version.status is VersionStatus.SUBMITTED
        ),
        key=lambda item: item.version.created_at,
    )
    return page.render(
        "queue.html",
        nav="queue",
        waiting=waiting,
        labels=labels,
        held=statuses.get(MessageStatus.HELD, 0),
        templates=len(details),
        now=page.gateway.clock(),
    )


async def template_page(page: Page) -> web.StreamResponse:
    """The review sheet of ``?version=`` (default: the newest submitted version)."""
    return await _sheet_page(page, _number(page.field("version")))


async def decide(page: Page) -> web.StreamResponse:
    """Approve or reject the posted version with the posted reason (required)."""
    decision = page.request.match_info["decision"]
    number, reason = _number(page.field("version")), page.field("reason")
    problem = _precondition(page, reason)
    if problem is None:
        desk = TemplateDesk.of(page.gateway)
        act = desk.approve if decision == "approve" else desk.reject
        try:
            await act(page.viewer.principal, page.request.match_info["template_id"], reason, number)
        except Refusal as refused:
            problem = problem_of(refused)
        else:
            notice = "approved" if decision == "approve" else "rejected"
            return redirect(f"{UI_PREFIX}/queue?notice={notice}")
    return await _sheet_page(page, number, problem=problem, reason=reason)


def _precondition(page: Page, reason: str) -> Problem | None:
    if not reason:
        return Problem(422, ProblemCode.INVALID_REQUEST, page.t("review.reason_required"))
    return None


async def _sheet_page(
    page: Page, number: int | None, *, problem: Problem | None = None, reason: str = ""
) -> web.StreamResponse:
    template_id = page.request.match_info["template_id"]
    async with page.gateway.store.read() as tx:
        detail = await tx.templates.detail(page.creditor_id, template_id)
        creditor = await tx.creditors.get(page.creditor_id)
        keys = {key.id: key for key in await tx.api_keys.of_creditor(page.creditor_id)}
    labels = {key_id: key.label for key_id, key in keys.items()}
    version = chosen_version(detail, number) if detail is not None else None
    if detail is None or creditor is None or version is None:
        return page.refused(not_found("template"))
    scanner = page.gateway.wordlists.current()
    sheet = review_sheet(detail, version, creditor, scanner, page.gateway.settings.max_segments)
    return page.render(
        "review.html",
        status=problem.status if problem is not None else 200,
        nav="queue",
        sheet=sheet,
        labels=labels,
        problem=problem,
        reason=reason,
        own_version=_barred(keys, version.author_key_id, page.viewer.principal.key_id),
    )


def _barred(keys: Mapping[str, ApiKey], author_id: str, viewer_id: str) -> bool:
    """Whether four-eyes bars the viewer from deciding on a version ``author_id`` wrote.

    Only the banner above the buttons: the desk decides, and refuses, itself.
    """
    author, viewer = keys.get(author_id), keys.get(viewer_id)
    if author is None or viewer is None:
        return author_id == viewer_id
    return overlap(author, viewer, keys) is not None


def _number(raw: str) -> int | None:
    # ASCII digits only ("²".isdigit() holds, int("²") raises), and few enough
    # for any database integer: anything else is no version.
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None
