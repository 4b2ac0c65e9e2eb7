"""PostgreSQL ``UiSessionRepository``: a row per UI sign-in (see ``smsgate.store.ui_sessions``)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from smsgate.store.postgres.codec import instant
from smsgate.store.postgres.session import Session
from smsgate.store.ui_sessions import UiSessionRecord


class PostgresUiSessions:
    """``UiSessionRepository`` on PostgreSQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def start(self, session: UiSessionRecord) -> None:
        await self._session.execute(
            "INSERT INTO ui_sessions (id, key_id, creditor_id, started_at, ended_at)"
            " VALUES ($1, $2, $3, $4, NULL)",
            session.id, session.key_id, session.creditor_id, instant(session.started_at),
        )  # fmt: skip

    async def get(self, session_id: str) -> UiSessionRecord | None:
        row = await self._session.row("SELECT * FROM ui_sessions WHERE id = $1", session_id)
        return None if row is None else _record(row)

    async def end(self, session_id: str, at: datetime) -> bool:
        sql = "UPDATE ui_sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL"
        return await self._session.execute(sql, instant(at), session_id) == 1

    async def end_of_key(self, key_id: str, at: datetime) -> int:
        sql = "UPDATE ui_sessions SET ended_at = $1 WHERE key_id = $2 AND ended_at IS NULL"
        return await self._session.execute(sql, instant(at), key_id)

    async def forget_started_before(self, at: datetime) -> int:
        sql = "DELETE FROM ui_sessions WHERE started_at < $1"
        return await self._session.execute(sql, instant(at))


def _record(row: asyncpg.Record) -> UiSessionRecord:
    return UiSessionRecord(
        id=row["id"],
        key_id=row["key_id"],
        creditor_id=row["creditor_id"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
    )
