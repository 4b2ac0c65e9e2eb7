"""The replies page: what recipients answered, what it meant, and what the gateway did.

A reviewer filters by intent, day and phone. Only the signed-in creditor's
replies are read (``ReplyLog.of_creditor``); a reply that named no creditor
and acted for several shows here without its words (the store holds none for
that copy). Phones are shown masked, as on the held page.
"""

from __future__ import annotations

from datetime import date

from aiohttp import web

from smsgate.api.problems import Problem, ProblemCode
from smsgate.api.refusal_status import as_problem
from smsgate.api.reply_models import ACTIONS
from smsgate.service.phones import parse_e164
from smsgate.service.refusals import Refusal
from smsgate.store import InboundReply, ReplyIntent
from smsgate.web.auth import Page

#: Replies read per page view before filtering by intent and day.
PAGE_SIZE = 500


async def replies_page(page: Page) -> web.StreamResponse:
    """The creditor's replies, newest first, filtered by ``?intent=``, ``?date=``, ``?phone=``."""
    raw_phone, raw_intent, raw_date = page.field("phone"), page.field("intent"), page.field("date")
    try:
        phone = parse_e164(raw_phone, "phone") if raw_phone else None
        intent = _intent(raw_intent)
        day = _day(raw_date)
    except (Problem, Refusal) as refused:
        problem = as_problem(refused)
        return _render(page, [], problem=problem, raw=(raw_phone, raw_intent, raw_date))
    async with page.gateway.store.read() as tx:
        replies = await tx.replies.of_creditor(page.creditor_id, phone=phone, limit=PAGE_SIZE)
    shown = [
        reply for reply in replies
        if (intent is None or intent in reply.intents)
        and (day is None or reply.received_at.date() == day)
    ]  # fmt: skip
    return _render(page, shown, raw=(raw_phone, raw_intent, raw_date))


def _intent(raw: str) -> ReplyIntent | None:
    if not raw:
        return None
    try:
        return ReplyIntent(raw)
    except ValueError:
        raise Problem(400, ProblemCode.INVALID_REQUEST, f"unknown intent {raw!r}") from None


def _day(raw: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Problem(400, ProblemCode.INVALID_REQUEST, "date must be YYYY-MM-DD") from None


def _render(
    page: Page,
    replies: list[InboundReply],
    *,
    raw: tuple[str, str, str],
    problem: Problem | None = None,
) -> web.StreamResponse:
    rows = [
        (reply, [i for i in ReplyIntent if i in reply.intents],
         [ACTIONS[i] for i in ReplyIntent if i in reply.intents])
        for reply in replies
    ]  # fmt: skip
    return page.render(
        "replies.html",
        status=problem.status if problem is not None else 200,
        nav="replies",
        rows=rows,
        intents=list(ReplyIntent),
        phone=raw[0],
        intent=raw[1],
        day=raw[2],
        problem=problem,
    )
