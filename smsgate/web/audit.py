"""The audit trail page and its exports: filter by date, actor, action and template.

The page and both exports parse the same query string into the same
:class:`~smsgate.store.reporting.AuditFilter` and read the same query, so an
export holds exactly the rows the filter selects: every one of them, in
``seq`` order, not only the newest the page has room for. An export larger
than :data:`EXPORT_MAX` is refused with a request to narrow the filter,
never silently cut. Dates are days of the display time zone, both ends
included. The page also says whether the whole hash chain verifies.

CSV cells that a spreadsheet would run as a formula (starting with ``=``,
``@``, a tab or a carriage return, or ``+``/``-`` followed by something
other than a number) are prefixed with ``'`` (OWASP's advice); a phone such
as ``+8613800138000`` is left as it is. The JSON export is never escaped.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from smsgate.api.problems import Problem, ProblemCode
from smsgate.store import AuditAction, AuditEntry, UnitOfWork, format_instant
from smsgate.store.reporting import AuditFilter
from smsgate.web.auth import Page, guarded
from smsgate.web.context import SECURITY_HEADERS
from smsgate.web.review import key_labels

PAGE_ROWS = 500
EXPORT_MAX = 100_000
_BATCH = 1000
COLUMNS = ("seq", "at", "creditor_id", "actor", "action", "subject", "detail", "prev_hash", "hash")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def audit_filter(creditor_id: str, query: Mapping[str, str], zone: ZoneInfo) -> AuditFilter:
    """The filter of a query string (``from``, ``to``, ``actor``, ``action``, ``template``).

    Raises a 400 ``invalid_request`` :class:`Problem` for a date that is not YYYY-MM-DD.
    """
    first, last = _day(query, "from"), _day(query, "to")
    return AuditFilter(
        creditor_id=creditor_id,
        start=_midnight(first, zone) if first else None,
        end=_midnight(last + timedelta(days=1), zone) if last else None,
        actor=query.get("actor") or None,
        action=query.get("action") or None,
        template_id=query.get("template") or None,
    )


@guarded
async def audit_page(page: Page) -> web.StreamResponse:
    """The newest matching entries (up to :data:`PAGE_ROWS`), the total, the chain's state."""
    error: Problem | None = None
    try:
        query = audit_filter(page.creditor_id, page.request.query, page.ui.settings.display_zone)
    except Problem as problem:
        query, error = AuditFilter(page.creditor_id), problem
    async with page.gateway.store.read() as tx:
        rows = await tx.reporting.audit_entries(query, limit=PAGE_ROWS, newest_first=True)
        total = await tx.reporting.audit_count(query)
        chain = await tx.audit.verify()
        choices = await _choices(tx, page.creditor_id)
    return page.render(
        "audit.html",
        status=error.status if error is not None else 200,
        nav="audit",
        rows=rows,
        total=total,
        chain=chain,
        problem=error,
        chosen=page.request.query,
        export_query=page.request.query_string,
        **choices,
    )


@guarded
async def export(page: Page) -> web.StreamResponse:
    """Every matching entry, oldest first, as ``.csv`` or ``.json`` (an attachment)."""
    query = audit_filter(page.creditor_id, page.request.query, page.ui.settings.display_zone)
    async with page.gateway.store.read() as tx:
        if await tx.reporting.audit_count(query) > EXPORT_MAX:
            raise Problem(413, ProblemCode.INVALID_REQUEST, page.t("audit.too_many", n=EXPORT_MAX))
        entries = await all_entries(tx, query)
    kind = page.request.match_info["format"]
    body, content_type = (
        (as_csv(entries), "text/csv")
        if kind == "csv"
        else (as_json(query, entries), "application/json")
    )
    stamp = format_instant(page.gateway.clock())[:10]
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f'attachment; filename="audit-{page.creditor_id}-{stamp}.{kind}"',
    }
    return web.Response(text=body, content_type=content_type, charset="utf-8", headers=headers)


async def all_entries(tx: UnitOfWork, query: AuditFilter) -> list[AuditEntry]:
    """Every entry ``query`` selects, oldest first, read in batches in one snapshot."""
    entries: list[AuditEntry] = []
    while True:
        after = entries[-1].seq if entries else 0
        batch = await tx.reporting.audit_entries(query, after_seq=after, limit=_BATCH)
        entries.extend(batch)
        if len(batch) < _BATCH:
            return entries


def row_of(entry: AuditEntry) -> dict[str, Any]:
    """An entry as one export row (instants as the chain hashes them, detail as JSON)."""
    return {
        "seq": entry.seq,
        "at": format_instant(entry.at),
        "creditor_id": entry.creditor_id,
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "detail": entry.detail,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def as_csv(entries: list[AuditEntry]) -> str:
    """The entries as CSV with a header row; ``detail`` as compact JSON."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for entry in entries:
        row = row_of(entry)
        row["detail"] = json.dumps(entry.detail, ensure_ascii=False, separators=(",", ":"))
        writer.writerow([_cell(row[column]) for column in COLUMNS])
    return buffer.getvalue()


def as_json(query: AuditFilter, entries: list[AuditEntry]) -> str:
    """The entries as a JSON document naming the filter that selected them."""
    applied = {
        "start": format_instant(query.start) if query.start else None,
        "end": format_instant(query.end) if query.end else None,
        "actor": query.actor,
        "action": query.action,
        "template_id": query.template_id,
    }
    document = {"creditor_id": query.creditor_id, "filter": applied, "count": len(entries),
                "entries": [row_of(entry) for entry in entries]}  # fmt: skip
    return json.dumps(document, ensure_ascii=False, indent=1)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    risky = text[:1] in {"=", "@", "\t", "\r"} or (
        text[:1] in {"+", "-"} and not _NUMBER.fullmatch(text)
    )
    return "'" + text if risky else text


async def _choices(tx: UnitOfWork, creditor_id: str) -> dict[str, Any]:
    labels = await key_labels(tx, creditor_id)
    templates = await tx.templates.of_creditor(creditor_id, include_retired=True)
    return {
        "actors": sorted(labels.items(), key=lambda item: item[1]),
        "actions": [action.value for action in AuditAction],
        "templates": [(d.template.id, d.template.name) for d in templates],
        "labels": labels,
    }


def _day(query: Mapping[str, str], name: str) -> date | None:
    raw = query.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Problem(
            400, ProblemCode.INVALID_REQUEST, f"{name} must be a date like 2026-11-23", field=name
        ) from None


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)
