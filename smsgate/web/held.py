"""The held-messages page: texts held by a ``review`` finding, released or rejected with a reason.

Each decision goes through :mod:`smsgate.service.held`, as ``POST
/v1/held/{id}/release`` does: release re-checks the contact policy at that
moment and may be refused (the message then stays held, and the page says
why). Bulk actions run the same call once per selected message, each in its
own transaction, so one refusal never undoes the others; the page then
lists what happened to each. Recipients are shown masked: a reviewer judges
the wording, not the number.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from smsgate.api.problems import Problem, ProblemCode
from smsgate.api.refusal_status import problem_of
from smsgate.service import held
from smsgate.service.refusals import Refusal
from smsgate.store import InboundReply, Message
from smsgate.web.auth import Page
from smsgate.web.context import UI_PREFIX, redirect
from smsgate.web.marks import Piece, findings_in_order, highlighted

#: How many held messages one page shows (oldest first); more wait for the next visit.
PAGE_SIZE = 200


@dataclass(frozen=True, slots=True)
class HeldCard:
    """A held message as the page shows it."""

    message: Message
    pieces: list[Piece]
    findings: list[dict[str, object]]
    complaint: InboundReply | None = None


@dataclass(frozen=True, slots=True)
class DecisionResult:
    """What one decision of a bulk action did: ``problem`` is None on success."""

    message_id: str
    problem: Problem | None


async def held_page(page: Page) -> web.StreamResponse:
    """The creditor's held messages, oldest first."""
    return await _render(page)


async def decide(page: Page) -> web.StreamResponse:
    """Release or reject every selected message with the one reason given."""
    action, reason = page.field("action"), page.field("reason")
    ids = [str(value) for value in page.form.getall("message_id", [])]
    problem = _precondition(page, action, reason, ids)
    if problem is not None:
        return await _render(page, problem=problem, reason=reason)
    outcomes = [await _decide_one(page, action, message_id, reason) for message_id in ids]
    if all(outcome.problem is None for outcome in outcomes):
        notice = "released" if action == "release" else "held_rejected"
        return redirect(f"{UI_PREFIX}/held?notice={notice}&count={len(outcomes)}")
    status = 200 if any(o.problem is None for o in outcomes) else _first_status(outcomes)
    return await _render(page, outcomes=outcomes, status=status, reason=reason)


async def _decide_one(page: Page, action: str, message_id: str, reason: str) -> DecisionResult:
    act = held.release if action == "release" else held.reject
    try:
        await act(page.gateway, page.viewer.principal, message_id, reason)
    except Refusal as refusal:
        return DecisionResult(message_id, problem_of(refusal))
    return DecisionResult(message_id, None)


def _precondition(page: Page, action: str, reason: str, ids: list[str]) -> Problem | None:
    if action not in {"release", "reject"} or not ids:
        return Problem(422, ProblemCode.INVALID_REQUEST, page.t("held.choose"))
    if not reason:
        return Problem(422, ProblemCode.INVALID_REQUEST, page.t("review.reason_required"))
    return None


def _first_status(outcomes: list[DecisionResult]) -> int:
    return next(o.problem.status for o in outcomes if o.problem is not None)


async def _render(
    page: Page,
    *,
    problem: Problem | None = None,
    outcomes: list[DecisionResult] | None = None,
    status: int | None = None,
    reason: str = "",
) -> web.StreamResponse:
    messages = await held.held_messages(page.gateway, page.creditor_id, PAGE_SIZE)
    async with page.gateway.store.read() as tx:
        templates = await tx.templates.of_creditor(page.creditor_id, include_retired=True)
    complaints = await held.complaints(
        page.gateway, page.creditor_id, (message.phone for message in messages)
    )
    cards = [_card(message, complaints.get(message.phone)) for message in messages]
    return page.render(
        "held.html",
        status=status or (problem.status if problem is not None else 200),
        nav="held",
        cards=cards,
        names={detail.template.id: detail.template.name for detail in templates},
        problem=problem,
        outcomes=outcomes or [],
        reason=reason,
        count=page.request.query.get("count", ""),
        full=len(messages) >= PAGE_SIZE,
    )


def _card(message: Message, complaint: InboundReply | None) -> HeldCard:
    findings = findings_in_order(f for f in message.findings if isinstance(f, dict))
    pieces = highlighted(message.text, findings)
    return HeldCard(message, pieces, [dict(f) for f in findings], complaint)
