"""SQLite ``ReportingQueries``: the compliance UI's aggregates, each one plain SQL statement.

The SQL is kept portable on purpose (``GROUP BY``, ``count(DISTINCT …)``,
``CASE``) so the PostgreSQL store can port it line by line; only the JSON
access differs: SQLite's ``json_extract(detail, '$.code')`` and
``json_each(findings)`` are PostgreSQL's ``detail->>'code'`` and
``jsonb_array_elements(findings)``.
"""

from __future__ import annotations

import sqlite3

from smsgate.store.audit import AuditEntry
from smsgate.store.instants import format_instant
from smsgate.store.reporting import AuditFilter, CarrierDelivery, TermCount, Window
from smsgate.store.sqlite.audit import _entry as entry_of_row  # one row mapping for both
from smsgate.store.sqlite.session import Session

_BY_STATUS = (
    "SELECT status, count(*) FROM messages"
    " WHERE creditor_id = ? AND created_at >= ? AND created_at < ? GROUP BY status"
)
_REFUSALS = (
    "SELECT json_extract(detail, '$.code') AS code, count(*) FROM audit_log"
    " WHERE creditor_id = ? AND action = 'message.refused' AND at >= ? AND at < ?"
    " GROUP BY code"
)
_TOP_FINDINGS = (
    "SELECT json_extract(f.value, '$.term') AS term, json_extract(f.value, '$.category') AS"
    " category, json_extract(f.value, '$.severity') AS severity, count(*) AS n"
    " FROM messages AS m, json_each(m.findings) AS f"
    " WHERE m.creditor_id = ? AND m.created_at >= ? AND m.created_at < ?"
    " GROUP BY term, category, severity ORDER BY n DESC, term LIMIT ?"
)
_DELIVERY = (
    "SELECT a.carrier, count(DISTINCT a.message_id) AS sent,"
    " count(DISTINCT CASE WHEN m.status = 'delivered' THEN a.message_id END) AS delivered"
    " FROM message_attempts AS a JOIN messages AS m ON m.id = a.message_id"
    " WHERE m.creditor_id = ? AND a.outcome = 'sent' AND a.started_at >= ? AND a.started_at < ?"
    " GROUP BY a.carrier ORDER BY a.carrier"
)


class SqliteReporting:
    """``ReportingQueries`` on SQLite, reading through the unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def messages_by_status(self, window: Window) -> dict[str, int]:
        rows = await self._session.rows(_BY_STATUS, _window(window))
        return {str(row[0]): int(row[1]) for row in rows}

    async def refusals_by_code(self, window: Window) -> dict[str, int]:
        rows = await self._session.rows(_REFUSALS, _window(window))
        return {str(row[0] or "unknown"): int(row[1]) for row in rows}

    async def top_findings(self, window: Window, limit: int) -> list[TermCount]:
        rows = await self._session.rows(_TOP_FINDINGS, [*_window(window), limit])
        return [TermCount(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]

    async def delivery_by_carrier(self, window: Window) -> list[CarrierDelivery]:
        rows = await self._session.rows(_DELIVERY, _window(window))
        return [CarrierDelivery(str(r[0]), int(r[1]), int(r[2])) for r in rows]

    async def audit_entries(
        self, query: AuditFilter, *, after_seq: int = 0, limit: int, newest_first: bool = False
    ) -> list[AuditEntry]:
        where, params = _audit_conditions(query)
        if not newest_first:
            where.append("seq > ?")
            params.append(after_seq)
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT * FROM audit_log WHERE {' AND '.join(where)} ORDER BY seq {order} LIMIT ?"

        def read(db: sqlite3.Connection) -> list[AuditEntry]:
            return [entry_of_row(row) for row in db.execute(sql, [*params, limit])]

        # A filter (a template's entries: JSON of every row) may scan the creditor's whole log.
        return await self._session.call_offloaded(read)

    async def audit_count(self, query: AuditFilter) -> int:
        where, params = _audit_conditions(query)
        sql = f"SELECT count(*) FROM audit_log WHERE {' AND '.join(where)}"

        def count(db: sqlite3.Connection) -> int:
            row = db.execute(sql, params).fetchone()
            return int(row[0]) if row is not None else 0

        return await self._session.call_offloaded(count)


def _window(window: Window) -> list[object]:
    return [window.creditor_id, format_instant(window.start), format_instant(window.end)]


def _audit_conditions(query: AuditFilter) -> tuple[list[str], list[object]]:
    where: list[str] = ["creditor_id = ?"]
    params: list[object] = [query.creditor_id]
    for column, value in (("actor", query.actor), ("action", query.action)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if query.template_id is not None:
        where.append("(subject = ? OR json_extract(detail, '$.template_id') = ?)")
        params.extend([query.template_id, query.template_id])
    if query.start is not None:
        where.append("at >= ?")
        params.append(format_instant(query.start))
    if query.end is not None:
        where.append("at < ?")
        params.append(format_instant(query.end))
    if query.through_seq is not None:
        where.append("seq <= ?")
        params.append(query.through_seq)
    return where, params
