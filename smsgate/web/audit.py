"""The audit trail page and its exports: filter by date, actor, action and template.

The page and both exports parse the same query string into the same
:class:`~smsgate.store.reporting.AuditFilter` and read the same query, so an
export holds exactly the rows the filter selects: every one of them, in
``seq`` order, not only the newest the page has room for. An export larger
than :data:`EXPORT_MAX` is refused with a request to narrow the filter,
never silently cut. Dates are days of the display time zone, both ends
included.

The page shows the audit tree's last verification (its checkpoint: the
verified tree size and root, when, and any fault), never verifies on a view: verification is
incremental and runs in the background (``smsgate.service.audit_checks``), so
reviewers looking at the page cannot stall the API. Exports stream: the rows
are read in pages of :data:`EXPORT_PAGE` by ``seq`` (keyset, each page its own
short read, bounded by the newest entry matching when the export began, so
the pages hold what one snapshot would), each page encoded and written before
the next is read, so memory stays bounded and the event loop is free between
pages whatever the size. On SQLite the filter queries run off the event loop.

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
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.payload import AsyncIterablePayload

from smsgate.api.problems import Problem, ProblemCode
from smsgate.store import AuditAction, AuditEntry, Store, UnitOfWork, format_instant
from smsgate.store.reporting import AuditFilter
from smsgate.web.auth import Page
from smsgate.web.context import SECURITY_HEADERS
from smsgate.web.review import key_labels

PAGE_ROWS = 500
EXPORT_MAX = 100_000
EXPORT_PAGE = 1000
COLUMNS = (
    "seq", "at", "creditor_id", "actor", "action", "subject", "detail", "leaf_index", "leaf_hash",
)  # fmt: skip
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


async def audit_page(page: Page) -> web.StreamResponse:
    """The newest matching entries (up to :data:`PAGE_ROWS`), the total, the last verification."""
    error: Problem | None = None
    try:
        query = audit_filter(page.creditor_id, page.request.query, page.ui.settings.display_zone)
    except Problem as problem:
        query, error = AuditFilter(page.creditor_id), problem
    async with page.gateway.store.read() as tx:
        rows = await tx.reporting.audit_entries(query, limit=PAGE_ROWS, newest_first=True)
        total = await tx.reporting.audit_count(query)
        chain = await tx.audit.checkpoint()
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


async def export(page: Page) -> web.StreamResponse:
    """Every matching entry, oldest first, as ``.csv`` or ``.json`` (an attachment), streamed."""
    query = audit_filter(page.creditor_id, page.request.query, page.ui.settings.display_zone)
    async with page.gateway.store.read() as tx:
        newest = await tx.reporting.audit_entries(query, limit=1, newest_first=True)
        query = replace(query, through_seq=newest[0].seq if newest else 0)
        count = await tx.reporting.audit_count(query)
    if count > EXPORT_MAX:
        raise Problem(413, ProblemCode.INVALID_REQUEST, page.t("audit.too_many", n=EXPORT_MAX))
    kind = page.request.match_info["format"]
    encoder: ExportEncoder = CsvExport() if kind == "csv" else JsonExport(query, count)
    stamp = format_instant(page.gateway.clock())[:10]
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": f'attachment; filename="audit-{page.creditor_id}-{stamp}.{kind}"',
    }
    body = AsyncIterablePayload(encoded(page.gateway.store, query, encoder))
    return web.Response(
        body=body, content_type=encoder.content_type, charset="utf-8", headers=headers
    )


async def entry_pages(
    store: Store, query: AuditFilter, size: int | None = None
) -> AsyncIterator[list[AuditEntry]]:
    """The entries ``query`` selects, oldest first, a page (one short read) at a time.

    ``size`` defaults to :data:`EXPORT_PAGE`.
    """
    size = size or EXPORT_PAGE
    after = 0
    while True:
        async with store.read() as tx:
            page = await tx.reporting.audit_entries(query, after_seq=after, limit=size)
        if page:
            yield page
        if len(page) < size:
            return
        after = page[-1].seq


async def encoded(store: Store, query: AuditFilter, encoder: ExportEncoder) -> AsyncIterator[bytes]:
    """The export's bytes: the encoder's head, one chunk per page of entries, its tail."""
    yield encoder.head().encode()
    async for entries in entry_pages(store, query):
        yield encoder.rows(entries).encode()
    yield encoder.tail().encode()


class ExportEncoder(Protocol):
    """Writes an export piece by piece: what comes first, each page of rows, what comes last."""

    content_type: str

    def head(self) -> str: ...
    def rows(self, entries: list[AuditEntry]) -> str: ...
    def tail(self) -> str: ...


def row_of(entry: AuditEntry) -> dict[str, Any]:
    """An entry as one export row (instants as its leaf hashes them, detail as JSON).

    ``leaf_index`` is the entry's position in the audit tree (empty until the
    sequencer integrated it, within about a second) and ``leaf_hash`` what the
    row's fields hash to: with an inclusion proof (issue #17 item 4) that is
    what ties an exported row to a signed tree head.
    """
    return {
        "seq": entry.seq,
        "at": format_instant(entry.at),
        "creditor_id": entry.creditor_id,
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "detail": entry.detail,
        "leaf_index": entry.leaf_index,
        "leaf_hash": entry.leaf_hash,
    }


class CsvExport:
    """The entries as CSV with a header row; ``detail`` as compact JSON."""

    content_type = "text/csv"

    def head(self) -> str:
        return self._lines([list(COLUMNS)])

    def rows(self, entries: list[AuditEntry]) -> str:
        lines = []
        for entry in entries:
            row = row_of(entry)
            row["detail"] = json.dumps(entry.detail, ensure_ascii=False, separators=(",", ":"))
            lines.append([_cell(row[column]) for column in COLUMNS])
        return self._lines(lines)

    def tail(self) -> str:
        return ""

    @staticmethod
    def _lines(rows: list[list[Any]]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(rows)
        return buffer.getvalue()


class JsonExport:
    """The entries as one JSON document naming the filter that selected them.

    Written piece by piece, it is the very text ``json.dumps(document, indent=1)``
    gives for the whole document.
    """

    content_type = "application/json"

    def __init__(self, query: AuditFilter, count: int) -> None:
        self._query, self._count, self._written = query, count, 0

    def head(self) -> str:
        query = self._query
        applied = {
            "start": format_instant(query.start) if query.start else None,
            "end": format_instant(query.end) if query.end else None,
            "actor": query.actor,
            "action": query.action,
            "template_id": query.template_id,
        }
        return (
            f'{{\n "creditor_id": {_nested(query.creditor_id, 1)},\n "filter": '
            f'{_nested(applied, 1)},\n "count": {self._count},\n "entries": ['
        )

    def rows(self, entries: list[AuditEntry]) -> str:
        parts = []
        for entry in entries:
            separator = "," if self._written else ""
            parts.append(f"{separator}\n  {_nested(row_of(entry), 2)}")
            self._written += 1
        return "".join(parts)

    def tail(self) -> str:
        return "\n ]\n}" if self._written else "]\n}"


def _nested(value: object, depth: int) -> str:
    """``value`` as ``json.dumps(..., indent=1)`` writes it ``depth`` levels down a document."""
    return json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n" + " " * depth)


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
