"""SQLite ``ConfirmationRepository``: stop-confirmation texts and one confirmation per opt-out."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from smsgate.store.instants import format_instant, parse_instant
from smsgate.store.records import StopConfirmation, StopConfirmationText
from smsgate.store.sqlite.session import Session

_COLUMNS = "creditor_id, phone, opted_out_at, reply_id, message_id, at"


class SqliteConfirmations:
    """``ConfirmationRepository`` on SQLite."""

    def __init__(self, session: Session) -> None:
        self._session = session

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
            parse_instant(row["set_at"]),
        )  # fmt: skip

    async def set_text(self, text: StopConfirmationText) -> None:
        sql = (
            "INSERT INTO stop_confirmation_texts"
            " (creditor_id, template_id, template_version, set_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (creditor_id) DO UPDATE SET template_id = excluded.template_id,"
            " template_version = excluded.template_version, set_at = excluded.set_at"
        )
        params = (text.creditor_id, text.template_id, text.template_version,
                  format_instant(text.set_at))  # fmt: skip
        await self._session.execute(sql, params)

    async def clear_text(self, creditor_id: str) -> bool:
        sql = "DELETE FROM stop_confirmation_texts WHERE creditor_id = ?"
        return await self._session.execute(sql, (creditor_id,)) == 1

    async def add(self, confirmation: StopConfirmation) -> bool:
        sql = (
            f"INSERT INTO stop_confirmations ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING"
        )
        params = (
            confirmation.creditor_id, confirmation.phone,
            format_instant(confirmation.opted_out_at), confirmation.reply_id,
            confirmation.message_id, format_instant(confirmation.at),
        )  # fmt: skip
        return await self._session.execute(sql, params) == 1

    async def of_message(self, message_id: str) -> StopConfirmation | None:
        sql = f"SELECT {_COLUMNS} FROM stop_confirmations WHERE message_id = ?"
        row = await self._session.row(sql, (message_id,))
        return None if row is None else _confirmation(row)

    async def of_replies(self, reply_ids: Sequence[str]) -> dict[str, StopConfirmation]:
        if not reply_ids:
            return {}
        marks = ", ".join("?" for _ in reply_ids)
        sql = f"SELECT {_COLUMNS} FROM stop_confirmations WHERE reply_id IN ({marks})"
        rows = await self._session.rows(sql, tuple(reply_ids))
        return {row["reply_id"]: _confirmation(row) for row in rows}


def _confirmation(row: sqlite3.Row) -> StopConfirmation:
    return StopConfirmation(
        creditor_id=row["creditor_id"],
        phone=row["phone"],
        opted_out_at=parse_instant(row["opted_out_at"]),
        reply_id=row["reply_id"],
        message_id=row["message_id"],
        at=parse_instant(row["at"]),
    )
