"""The do-not-contact page: search the creditor's list by phone, add an entry, lift one.

Everything goes through :mod:`smsgate.service.opt_outs` (idempotent add,
audited with the reason; lifting needs a reason and is audited too) and
phones through :func:`~smsgate.service.phones.parse_e164`, so the UI stores
the same canonical spelling the send path matches against.

Roles. Lifting an opt-out re-enables contact, so it needs ``admin`` exactly
as ``DELETE /v1/opt-outs/{phone}`` does. Adding one only ever protects a
person, so a reviewer may add too (a debtor's complaint often reaches
compliance first); the API's list keepers are senders and admins because
no reviewer calls that API, not because a reviewer should not protect a
phone. Entries added here are recorded with source ``ui``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from smsgate.api.problems import Problem, ProblemCode
from smsgate.api.refusal_status import as_problem, problem_of
from smsgate.service import opt_outs
from smsgate.service.phones import parse_e164
from smsgate.service.refusals import Refusal
from smsgate.store import OptOut, OptOutKind, OptOutSource, Role
from smsgate.web.auth import Page
from smsgate.web.context import UI_PREFIX, redirect


async def opt_outs_page(page: Page) -> web.StreamResponse:
    """Active opt-outs, newest first; only ``?phone=``'s when given."""
    raw = page.field("phone")
    try:
        phone = parse_e164(raw, "phone") if raw else None
    except Refusal as refusal:
        return await _render(page, None, problem=problem_of(refusal), searched=raw)
    return await _render(page, phone, searched=raw)


async def add(page: Page) -> web.StreamResponse:
    """Add an opt-out of the posted phone and kind; an active one of that kind is kept as is."""
    raw, reason = page.field("phone"), page.field("reason")
    try:
        phone, kind = parse_e164(raw, "phone"), _kind(page.field("kind"))
    except (Problem, Refusal) as refused:
        problem = as_problem(refused)
        return await _render(page, None, problem=problem, add_phone=raw, add_reason=reason)
    record = OptOut(page.creditor_id, phone, kind, OptOutSource.UI, page.gateway.clock(), reason)
    added = await opt_outs.add_opt_out(page.gateway.store, record, page.viewer.principal.key_id)
    notice = "opt_out_added" if added.created else "opt_out_exists"
    return redirect(f"{UI_PREFIX}/opt-outs?{urlencode({'phone': phone, 'notice': notice})}")


async def remove(page: Page) -> web.StreamResponse:
    """Lift the active opt-out of the posted phone and kind, with the posted reason (admin)."""
    raw, reason = page.field("phone"), page.field("reason")
    if not reason:
        problem = Problem(422, ProblemCode.INVALID_REQUEST, page.t("review.reason_required"))
        return await _render(page, None, problem=problem)
    try:
        phone, kind = parse_e164(raw, "phone"), _kind(page.field("kind"))
        await opt_outs.remove_opt_out(
            page.gateway.store, page.creditor_id, phone, kind,
            reason=reason, actor=page.viewer.principal.key_id, at=page.gateway.clock(),
        )  # fmt: skip
    except (Problem, Refusal) as refused:
        return await _render(page, None, problem=as_problem(refused))
    return redirect(
        f"{UI_PREFIX}/opt-outs?{urlencode({'phone': phone, 'notice': 'opt_out_removed'})}"
    )


def _kind(raw: str) -> OptOutKind:
    try:
        return OptOutKind(raw or OptOutKind.OPT_OUT.value)
    except ValueError:
        raise Problem(400, ProblemCode.INVALID_REQUEST, f"unknown kind {raw!r}") from None


async def _render(
    page: Page,
    phone: str | None,
    *,
    problem: Problem | None = None,
    searched: str = "",
    add_phone: str = "",
    add_reason: str = "",
) -> web.StreamResponse:
    bad_search = bool(searched) and phone is None
    store, creditor_id = page.gateway.store, page.creditor_id
    entries = [] if bad_search else await opt_outs.active_opt_outs(store, creditor_id, phone)
    return page.render(
        "opt_outs.html",
        status=problem.status if problem is not None else 200,
        nav="opt_outs",
        entries=entries,
        phone=phone,
        searched=searched,
        problem=problem,
        kinds=list(OptOutKind),
        add_phone=add_phone or phone or "",
        add_reason=add_reason,
        may_remove=page.viewer.may(Role.ADMIN),
    )
