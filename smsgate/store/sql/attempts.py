"""The record of the dispatcher's hand-overs to carriers (``AttemptLog``).

The dispatcher starts an attempt in the transaction that marks the message
``sending`` and finishes it in the one that records the carrier's answer. An
attempt still unfinished when its message is claimed again was cut off by a
crash: its outcome is unknown, and the dispatcher must not resend blindly.
"""

from __future__ import annotations

from datetime import datetime

from smsgate.store.errors import NotFound
from smsgate.store.records import AttemptOutcome, SendAttempt
from smsgate.store.sql.dialect import Dialect, Row, Session


class SqlAttemptLog:
    """``AttemptLog`` on either database."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.dialect

    async def start(self, attempt: SendAttempt) -> None:
        await self._session.execute(
            "INSERT INTO message_attempts (message_id, attempt, carrier, client_reference,"
            " started_at, outcome, finished_at, carrier_message_id, error_code, detail)"
            " VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL, '', '')",
            (
                attempt.message_id, attempt.attempt, attempt.carrier, attempt.client_reference,
                self._dialect.instant(attempt.started_at),
            ),
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
            "UPDATE message_attempts SET outcome = ?, finished_at = ?, carrier_message_id = ?,"
            " error_code = ?, detail = ? WHERE message_id = ? AND attempt = ?",
            (
                outcome, self._dialect.instant(at), carrier_message_id, error_code, detail,
                message_id, attempt,
            ),
        )  # fmt: skip
        if not changed:
            raise NotFound(f"no attempt {attempt} of message {message_id!r}")

    async def of_message(self, message_id: str) -> list[SendAttempt]:
        sql = "SELECT * FROM message_attempts WHERE message_id = ? ORDER BY attempt"
        rows = await self._session.rows(sql, (message_id,))
        return [_attempt(row, self._dialect) for row in rows]

    async def by_carrier_message_id(
        self, carrier: str, carrier_message_id: str
    ) -> SendAttempt | None:
        sql = (
            "SELECT * FROM message_attempts WHERE carrier = ? AND carrier_message_id = ?"
            " ORDER BY started_at DESC, attempt DESC LIMIT 1"
        )
        row = await self._session.row(sql, (carrier, carrier_message_id))
        return None if row is None else _attempt(row, self._dialect)


def _attempt(row: Row, dialect: Dialect) -> SendAttempt:
    outcome = row["outcome"]
    return SendAttempt(
        message_id=row["message_id"],
        attempt=row["attempt"],
        carrier=row["carrier"],
        client_reference=row["client_reference"],
        started_at=dialect.read_instant(row["started_at"]),
        outcome=None if outcome is None else AttemptOutcome(outcome),
        finished_at=dialect.read_optional_instant(row["finished_at"]),
        carrier_message_id=row["carrier_message_id"],
        error_code=row["error_code"],
        detail=row["detail"],
    )
