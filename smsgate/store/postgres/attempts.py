"""PostgreSQL record of the dispatcher's hand-overs to carriers (``AttemptLog``).

Same rows and meaning as SQLite's (``smsgate.store.sqlite.attempts``): an
attempt is started before the carrier is called and finished after, so one
left unfinished by a crash shows a send whose outcome is unknown.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from smsgate.store.errors import NotFound
from smsgate.store.postgres.codec import instant
from smsgate.store.postgres.session import Session
from smsgate.store.records import AttemptOutcome, SendAttempt


class PostgresAttemptLog:
    """``AttemptLog`` on PostgreSQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def start(self, attempt: SendAttempt) -> None:
        await self._session.execute(
            "INSERT INTO message_attempts (message_id, attempt, carrier, client_reference,"
            " started_at, outcome, finished_at, carrier_message_id, error_code, detail)"
            " VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL, '', '')",
            attempt.message_id, attempt.attempt, attempt.carrier, attempt.client_reference,
            instant(attempt.started_at),
        )  # fmt: skip

    async def finish(
        self,
        message_id: str,
        attempt: int,
        outcome: AttemptOutcome,
        at: datetime,
        *,
        carrier_message_id: str | None = None,
        error_code: str = "",
        detail: str = "",
    ) -> None:
        changed = await self._session.execute(
            "UPDATE message_attempts SET outcome = $1, finished_at = $2,"
            " carrier_message_id = $3, error_code = $4, detail = $5"
            " WHERE message_id = $6 AND attempt = $7",
            outcome, instant(at), carrier_message_id, error_code, detail, message_id, attempt,
        )  # fmt: skip
        if not changed:
            raise NotFound(f"no attempt {attempt} of message {message_id!r}")

    async def of_message(self, message_id: str) -> list[SendAttempt]:
        sql = "SELECT * FROM message_attempts WHERE message_id = $1 ORDER BY attempt"
        return [_attempt(row) for row in await self._session.rows(sql, message_id)]

    async def by_carrier_message_id(
        self, carrier: str, carrier_message_id: str
    ) -> SendAttempt | None:
        sql = (
            "SELECT * FROM message_attempts WHERE carrier = $1 AND carrier_message_id = $2"
            " ORDER BY started_at DESC, attempt DESC LIMIT 1"
        )
        row = await self._session.row(sql, carrier, carrier_message_id)
        return None if row is None else _attempt(row)


def _attempt(row: asyncpg.Record) -> SendAttempt:
    outcome = row["outcome"]
    return SendAttempt(
        message_id=row["message_id"],
        attempt=row["attempt"],
        carrier=row["carrier"],
        client_reference=row["client_reference"],
        started_at=row["started_at"],
        outcome=None if outcome is None else AttemptOutcome(outcome),
        finished_at=row["finished_at"],
        carrier_message_id=row["carrier_message_id"],
        error_code=row["error_code"],
        detail=row["detail"],
    )
