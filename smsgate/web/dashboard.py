"""The dashboard: today's messages by status, refusals by code, top findings, delivery rates.

"Today" is the current day of the display time zone (``SMSGATE_UI_TIMEZONE``).
All four figures come from :class:`~smsgate.store.reporting.ReportingQueries`
in one read snapshot, so they agree with each other. Refusals are counted
from the audit trail (``message.refused`` entries), because a refused
message is never stored as a message; for the same reason the top findings
are those of accepted and held messages.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from aiohttp import web

from smsgate.store import MessageStatus
from smsgate.store.reporting import Window
from smsgate.web.auth import Page
from smsgate.web.charts import bar_chart

TOP_FINDINGS = 10


def today(creditor_id: str, now: datetime, page: Page) -> Window:
    """The creditor's current day in the display time zone."""
    local = now.astimezone(page.ui.settings.display_zone)
    start = datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)
    return Window(creditor_id, start, start + timedelta(days=1))


async def dashboard(page: Page) -> web.StreamResponse:
    """The four charts of the creditor's day."""
    window = today(page.creditor_id, page.gateway.clock(), page)
    async with page.gateway.store.read() as tx:
        statuses = await tx.reporting.messages_by_status(window)
        refusals = await tx.reporting.refusals_by_code(window)
        findings = await tx.reporting.top_findings(window, TOP_FINDINGS)
        carriers = await tx.reporting.delivery_by_carrier(window)
    t = page.t
    status_items = [
        (t("status." + s.value), float(statuses.get(s.value, 0)), str(statuses.get(s.value, 0)))
        for s in MessageStatus
        if statuses.get(s.value, 0) or s is not MessageStatus.UNKNOWN
    ]
    refusal_items = sorted(refusals.items(), key=lambda item: (-item[1], item[0]))
    return page.render(
        "dashboard.html",
        nav="dashboard",
        day=window.start.date().isoformat(),
        messages_total=sum(statuses.values()),
        by_status=bar_chart(status_items if sum(statuses.values()) else []),
        refusals_total=sum(refusals.values()),
        by_code=bar_chart(
            [(t.refusal(code), float(n), str(n)) for code, n in refusal_items], tone="block"
        ),
        findings=findings,
        by_term=bar_chart(
            [(f.term, float(f.count), str(f.count)) for f in findings], tone="review"
        ),
        carriers=carriers,
        by_carrier=bar_chart(
            [(c.carrier, c.rate, f"{c.rate:.0%} ({c.delivered}/{c.sent})") for c in carriers],
            tone="ok",
            scale=1.0,
        ),
    )
