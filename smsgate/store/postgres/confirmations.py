"""PostgreSQL ``ConfirmationRepository``: stop-confirmation texts and the one per opt-out.

``add`` needs no lock of its own: the stop that claims a confirmation has
read the phone's opt-outs in the same unit, which takes the (creditor, phone)
advisory lock (see ``tenants``), and the primary key refuses a second claim.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from smsgate.store.postgres.codec import instant
from smsgate.store.postgres.session import Session
from smsgate.store.records import StopConfirmation, StopConfirmationText

_COLUMNS = "creditor_id, phone, opted_out_at, reply_id, message_id, at"


class PostgresConfirmations:
    """``ConfirmationRepository`` on PostgreSQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def text_of(self, creditor_id: str) -> StopConfirmationText | None:
        sql = (
            "SELECT creditor_id, template_id, template_version, set_at"
            " FROM stop_confirmation_texts WHERE creditor_id = $1"
        )
        row = await self._session.row(sql, creditor_id)
        if row is None:
            return None
        return StopConfirmationText(
            row["creditor_id"], row["template_id"], row["template_version"], row["set_at"]
        )

    async def set_text(self, text: StopConfirmationText) -> None:
        sql = (
            "INSERT INTO stop_confirmation_texts"
            " (creditor_id, template_id, template_version, set_at) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (creditor_id) DO UPDATE SET template_id = excluded.template_id,"
            " template_version = excluded.template_version, set_at = excluded.set_at"
        )
        await self._session.execute(
            sql, text.creditor_id, text.template_id, text.template_version, instant(text.set_at)
        )

    async def clear_text(self, creditor_id: str) -> bool:
        sql = "DELETE FROM stop_confirmation_texts WHERE creditor_id = $1"
        return await self._session.execute(sql, creditor_id) == 1

    async def add(self, confirmation: StopConfirmation) -> bool:
        sql = (
            f"INSERT INTO stop_confirmations ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT DO NOTHING"
        )
        return await self._session.execute(
            sql, confirmation.creditor_id, confirmation.phone,
            instant(confirmation.opted_out_at), confirmation.reply_id,
            confirmation.message_id, instant(confirmation.at),
        ) == 1  # fmt: skip

    async def of_message(self, message_id: str) -> StopConfirmation | None:
        sql = f"SELECT {_COLUMNS} FROM stop_confirmations WHERE message_id = $1"
        row = await self._session.row(sql, message_id)
        return None if row is None else _confirmation(row)

    async def of_replies(self, reply_ids: Sequence[str]) -> dict[str, StopConfirmation]:
        if not reply_ids:
            return {}
        sql = f"SELECT {_COLUMNS} FROM stop_confirmations WHERE reply_id = ANY($1::text[])"
        rows = await self._session.rows(sql, list(reply_ids))
        return {row["reply_id"]: _confirmation(row) for row in rows}


def _confirmation(row: asyncpg.Record) -> StopConfirmation:
    return StopConfirmation(
        creditor_id=row["creditor_id"],
        phone=row["phone"],
        opted_out_at=row["opted_out_at"],
        reply_id=row["reply_id"],
        message_id=row["message_id"],
        at=row["at"],
    )
