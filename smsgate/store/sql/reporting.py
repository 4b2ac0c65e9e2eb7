"""``ReportingQueries``: the compliance UI's aggregates, each one plain SQL statement.

The SQL is portable on purpose (``GROUP BY``, ``count(DISTINCT …)``,
``CASE``); only the JSON access is the dialect's: SQLite's
``json_extract(detail, '$.code')`` and ``json_each(findings)`` are
PostgreSQL's ``detail->>'code'`` and ``json_array_elements(findings)``.
Statements are built once per dialect (``ReportingStatements``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from smsgate.store.audit import AuditEntry
from smsgate.store.reporting import AuditFilter, CarrierDelivery, TermCount, Window
from smsgate.store.sql.audit import entry_of_row
from smsgate.store.sql.dialect import Dialect, Row, Session

_BY_STATUS = (
    "SELECT status, count(*) FROM messages"
    " WHERE creditor_id = ? AND created_at >= ? AND created_at < ? GROUP BY status"
)
_DELIVERY = (
    "SELECT a.carrier, count(DISTINCT a.message_id) AS sent,"
    " count(DISTINCT CASE WHEN m.status = 'delivered' THEN a.message_id END) AS delivered"
    " FROM message_attempts AS a JOIN messages AS m ON m.id = a.message_id"
    " WHERE m.creditor_id = ? AND a.outcome = 'sent' AND a.started_at >= ? AND a.started_at < ?"
    " GROUP BY a.carrier ORDER BY a.carrier"
)


@dataclass(frozen=True, slots=True)
class ReportingStatements:
    """The statements that read JSON, in one dialect's spelling."""

    refusals: str
    top_findings: str
    template_subject: str


@cache
def statements(dialect: Dialect) -> ReportingStatements:
    """The JSON-reading statements for ``dialect`` (built once per dialect)."""
    field = dialect.json_field
    finding = dialect.json_elements("m.findings", "f")
    return ReportingStatements(
        refusals=(
            f"SELECT {field('detail', 'code')} AS code, count(*) FROM audit_log"
            " WHERE creditor_id = ? AND action = 'message.refused' AND at >= ? AND at < ?"
            " GROUP BY code"
        ),
        top_findings=(
            f"SELECT {field(finding.element, 'term')} AS term,"
            f" {field(finding.element, 'category')} AS category,"
            f" {field(finding.element, 'severity')} AS severity, count(*) AS n"
            f" FROM messages AS m, {finding.table}"
            " WHERE m.creditor_id = ? AND m.created_at >= ? AND m.created_at < ?"
            " GROUP BY term, category, severity ORDER BY n DESC, term LIMIT ?"
        ),
        template_subject=f"(subject = ? OR {field('detail', 'template_id')} = ?)",
    )


class SqlReporting:
    """``ReportingQueries`` on either database, reading through the unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.dialect
        self._statements = statements(session.dialect)

    async def messages_by_status(self, window: Window) -> dict[str, int]:
        rows = await self._session.rows(_BY_STATUS, self._window(window))
        return {str(row[0]): int(row[1]) for row in rows}

    async def refusals_by_code(self, window: Window) -> dict[str, int]:
        rows = await self._session.rows(self._statements.refusals, self._window(window))
        return {str(row[0] or "unknown"): int(row[1]) for row in rows}

    async def top_findings(self, window: Window, limit: int) -> list[TermCount]:
        params = [*self._window(window), limit]
        rows = await self._session.rows(self._statements.top_findings, params)
        return [TermCount(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]

    async def delivery_by_carrier(self, window: Window) -> list[CarrierDelivery]:
        rows = await self._session.rows(_DELIVERY, self._window(window))
        return [CarrierDelivery(str(r[0]), int(r[1]), int(r[2])) for r in rows]

    async def audit_entries(
        self, query: AuditFilter, *, after_seq: int = 0, limit: int, newest_first: bool = False
    ) -> list[AuditEntry]:
        where, params = self._audit_conditions(query)
        if not newest_first:
            where.append("seq > ?")
            params.append(after_seq)
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT * FROM audit_log WHERE {' AND '.join(where)} ORDER BY seq {order} LIMIT ?"

        def read(rows: Iterable[Row]) -> list[AuditEntry]:
            return [entry_of_row(row, self._dialect) for row in rows]

        # A filter (a template's entries: JSON of every row) may scan the creditor's whole log.
        return await self._session.scan(sql, [*params, limit], read)

    async def audit_count(self, query: AuditFilter) -> int:
        where, params = self._audit_conditions(query)
        sql = f"SELECT count(*) FROM audit_log WHERE {' AND '.join(where)}"

        def count(rows: Iterable[Row]) -> int:
            return sum(int(row[0]) for row in rows)

        return await self._session.scan(sql, params, count)

    def _window(self, window: Window) -> list[object]:
        instant = self._dialect.instant
        return [window.creditor_id, instant(window.start), instant(window.end)]

    def _audit_conditions(self, query: AuditFilter) -> tuple[list[str], list[object]]:
        where: list[str] = ["creditor_id = ?"]
        params: list[object] = [query.creditor_id]
        for column, value in (("actor", query.actor), ("action", query.action)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if query.template_id is not None:
            where.append(self._statements.template_subject)
            params.extend([query.template_id, query.template_id])
        if query.start is not None:
            where.append("at >= ?")
            params.append(self._dialect.instant(query.start))
        if query.end is not None:
            where.append("at < ?")
            params.append(self._dialect.instant(query.end))
        if query.through_seq is not None:
            where.append("seq <= ?")
            params.append(query.through_seq)
        return where, params
