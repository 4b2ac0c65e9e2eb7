"""``ConfirmationRepository``: stop-confirmation texts and one confirmation per opt-out.

``add`` needs no lock of its own on PostgreSQL: the stop that claims a
confirmation has read the phone's opt-outs in the same unit, which takes the
(creditor, phone) lock (see ``tenants``), and the primary key refuses a
second claim.
"""

from __future__ import annotations

from collections.abc import Sequence

from smsgate.store.records import StopConfirmation, StopConfirmationText
from smsgate.store.sql.dialect import Dialect, Row, Session

_COLUMNS = "creditor_id, phone, opted_out_at, reply_id, message_id, at"


class SqlConfirmations:
    """``ConfirmationRepository`` on either database."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.dialect

    async def text_of(self, creditor_id: str) -> StopConfirmationText | None:
        sql = (
            "SELECT creditor_id, template_id, template_version, set_at"
            " FROM stop_confirmation_texts WHERE creditor_id = ?"
        )
        row = await self._session.row(sql, (creditor_id,))
        if row is None:
            return None
        return StopConfirmationText(
            row["creditor_id"], row["template_id"], row["template_version"],
            self._dialect.read_instant(row["set_at"]),
        )  # fmt: skip

    async def set_text(self, text: StopConfirmationText) -> None:
        sql = (
            "INSERT INTO stop_confirmation_texts"
            " (creditor_id, template_id, template_version, set_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (creditor_id) DO UPDATE SET template_id = excluded.template_id,"
            " template_version = excluded.template_version, set_at = excluded.set_at"
        )
        params = (text.creditor_id, text.template_id, text.template_version,
                  self._dialect.instant(text.set_at))  # fmt: skip
        await self._session.execute(sql, params)

    async def clear_text(self, creditor_id: str) -> bool:
        sql = "DELETE FROM stop_confirmation_texts WHERE creditor_id = ?"
        return await self._session.execute(sql, (creditor_id,)) == 1

    async def add(self, confirmation: StopConfirmation) -> bool:
        sql = (
            f"INSERT INTO stop_confirmations ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING"
        )
        instant = self._dialect.instant
        params = (
            confirmation.creditor_id, confirmation.phone, instant(confirmation.opted_out_at),
            confirmation.reply_id, confirmation.message_id, instant(confirmation.at),
        )  # fmt: skip
        return await self._session.execute(sql, params) == 1

    async def of_message(self, message_id: str) -> StopConfirmation | None:
        sql = f"SELECT {_COLUMNS} FROM stop_confirmations WHERE message_id = ?"
        row = await self._session.row(sql, (message_id,))
        return None if row is None else _confirmation(row, self._dialect)

    async def of_replies(self, reply_ids: Sequence[str]) -> dict[str, StopConfirmation]:
        if not reply_ids:
            return {}
        among, params = self._dialect.any_of("reply_id", reply_ids)
        sql = f"SELECT {_COLUMNS} FROM stop_confirmations WHERE {among}"
        rows = await self._session.rows(sql, params)
        return {row["reply_id"]: _confirmation(row, self._dialect) for row in rows}


def _confirmation(row: Row, dialect: Dialect) -> StopConfirmation:
    return StopConfirmation(
        creditor_id=row["creditor_id"],
        phone=row["phone"],
        opted_out_at=dialect.read_instant(row["opted_out_at"]),
        reply_id=row["reply_id"],
        message_id=row["message_id"],
        at=dialect.read_instant(row["at"]),
    )
