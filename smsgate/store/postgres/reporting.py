"""PostgreSQL ``ReportingQueries``: the compliance UI's aggregates, one statement each.

A line-by-line port of SQLite's (``smsgate.store.sqlite.reporting``); only the
JSON access differs: ``detail->>'code'`` for ``json_extract(detail,
'$.code')`` and ``json_array_elements(findings)`` for ``json_each``.
"""

from __future__ import annotations

from smsgate.store.audit import AuditEntry
from smsgate.store.postgres.audit import entry_of_row
from smsgate.store.postgres.codec import instant
from smsgate.store.postgres.session import Session
from smsgate.store.reporting import AuditFilter, CarrierDelivery, TermCount, Window

_BY_STATUS = (
    "SELECT status, count(*) FROM messages"
    " WHERE creditor_id = $1 AND created_at >= $2 AND created_at < $3 GROUP BY status"
)
_REFUSALS = (
    "SELECT detail->>'code' AS code, count(*) FROM audit_log"
    " WHERE creditor_id = $1 AND action = 'message.refused' AND at >= $2 AND at < $3"
    " GROUP BY code"
)
_TOP_FINDINGS = (
    "SELECT f->>'term' AS term, f->>'category' AS category, f->>'severity' AS severity,"
    " count(*) AS n FROM messages AS m, json_array_elements(m.findings) AS f"
    " WHERE m.creditor_id = $1 AND m.created_at >= $2 AND m.created_at < $3"
    " GROUP BY term, category, severity ORDER BY n DESC, term LIMIT $4"
)
_DELIVERY = (
    "SELECT a.carrier, count(DISTINCT a.message_id) AS sent,"
    " count(DISTINCT CASE WHEN m.status = 'delivered' THEN a.message_id END) AS delivered"
    " FROM message_attempts AS a JOIN messages AS m ON m.id = a.message_id"
    " WHERE m.creditor_id = $1 AND a.outcome = 'sent' AND a.started_at >= $2"
    " AND a.started_at < $3 GROUP BY a.carrier ORDER BY a.carrier"
)


class PostgresReporting:
    """``ReportingQueries`` on PostgreSQL, reading through the unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def messages_by_status(self, window: Window) -> dict[str, int]:
        rows = await self._session.rows(_BY_STATUS, *_window(window))
        return {str(row[0]): int(row[1]) for row in rows}

    async def refusals_by_code(self, window: Window) -> dict[str, int]:
        rows = await self._session.rows(_REFUSALS, *_window(window))
        return {str(row[0] or "unknown"): int(row[1]) for row in rows}

    async def top_findings(self, window: Window, limit: int) -> list[TermCount]:
        rows = await self._session.rows(_TOP_FINDINGS, *_window(window), limit)
        return [TermCount(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]

    async def delivery_by_carrier(self, window: Window) -> list[CarrierDelivery]:
        rows = await self._session.rows(_DELIVERY, *_window(window))
        return [CarrierDelivery(str(r[0]), int(r[1]), int(r[2])) for r in rows]

    async def audit_entries(
        self, query: AuditFilter, *, after_seq: int = 0, limit: int, newest_first: bool = False
    ) -> list[AuditEntry]:
        where, params = _audit_conditions(query)
        if not newest_first:
            params.append(after_seq)
            where.append(f"seq > ${len(params)}")
        order = "DESC" if newest_first else "ASC"
        sql = (
            f"SELECT * FROM audit_log WHERE {' AND '.join(where)}"
            f" ORDER BY seq {order} LIMIT ${len(params) + 1}"
        )
        return [entry_of_row(row) for row in await self._session.rows(sql, *params, limit)]

    async def audit_count(self, query: AuditFilter) -> int:
        where, params = _audit_conditions(query)
        sql = f"SELECT count(*) FROM audit_log WHERE {' AND '.join(where)}"
        return int(await self._session.value(sql, *params))


def _window(window: Window) -> tuple[object, ...]:
    return window.creditor_id, instant(window.start), instant(window.end)


def _audit_conditions(query: AuditFilter) -> tuple[list[str], list[object]]:
    where: list[str] = ["creditor_id = $1"]
    params: list[object] = [query.creditor_id]
    for column, value in (("actor", query.actor), ("action", query.action)):
        if value is not None:
            params.append(value)
            where.append(f"{column} = ${len(params)}")
    if query.template_id is not None:
        params.append(query.template_id)
        mark = f"${len(params)}"
        where.append(f"(subject = {mark} OR detail->>'template_id' = {mark})")
    if query.start is not None:
        params.append(instant(query.start))
        where.append(f"at >= ${len(params)}")
    if query.end is not None:
        params.append(instant(query.end))
        where.append(f"at < ${len(params)}")
    if query.through_seq is not None:
        params.append(query.through_seq)
        where.append(f"seq <= ${len(params)}")
    return where, params
