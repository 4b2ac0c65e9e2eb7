"""``UiSessionRepository``: one row per UI sign-in (see ``smsgate.store.ui_sessions``)."""

from __future__ import annotations

from datetime import datetime

from smsgate.store.sql.dialect import Dialect, Row, Session
from smsgate.store.ui_sessions import UiSessionRecord


class SqlUiSessions:
    """``UiSessionRepository`` on either database."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.dialect

    async def start(self, session: UiSessionRecord) -> None:
        await self._session.execute(
            "INSERT INTO ui_sessions (id, key_id, creditor_id, started_at, ended_at)"
            " VALUES (?, ?, ?, ?, NULL)",
            (
                session.id, session.key_id, session.creditor_id,
                self._dialect.instant(session.started_at),
            ),
        )  # fmt: skip

    async def get(self, session_id: str) -> UiSessionRecord | None:
        row = await self._session.row("SELECT * FROM ui_sessions WHERE id = ?", (session_id,))
        return None if row is None else _record(row, self._dialect)

    async def end(self, session_id: str, at: datetime) -> bool:
        sql = "UPDATE ui_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL"
        return await self._session.execute(sql, (self._dialect.instant(at), session_id)) == 1

    async def end_of_key(self, key_id: str, at: datetime) -> int:
        sql = "UPDATE ui_sessions SET ended_at = ? WHERE key_id = ? AND ended_at IS NULL"
        return await self._session.execute(sql, (self._dialect.instant(at), key_id))

    async def forget_started_before(self, at: datetime) -> int:
        sql = "DELETE FROM ui_sessions WHERE started_at < ?"
        return await self._session.execute(sql, (self._dialect.instant(at),))


def _record(row: Row, dialect: Dialect) -> UiSessionRecord:
    return UiSessionRecord(
        id=row["id"],
        key_id=row["key_id"],
        creditor_id=row["creditor_id"],
        started_at=dialect.read_instant(row["started_at"]),
        ended_at=dialect.read_optional_instant(row["ended_at"]),
    )
