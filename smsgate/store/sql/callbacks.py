"""The logs of what carriers told us back: delivery receipts and inbound replies.

``add`` inserts with ``ON CONFLICT (dedupe_key) DO NOTHING`` and reports
whether a row went in, so the caller acts on a callback once however many
times the carrier sends it, and two gateways racing on one duplicate cannot
both act: the unique key decides inside the database (on PostgreSQL the
second insert waits for the first's commit, then inserts nothing).
"""

from __future__ import annotations

from smsgate.store.callback_records import (
    DeliveryReceipt,
    InboundReply,
    ReceiptState,
    ReplyIntent,
)
from smsgate.store.sql.dialect import Dialect, Row, Session

_INSERT_RECEIPT = (
    "INSERT INTO delivery_receipts (id, carrier, state, received_at, dedupe_key,"
    " carrier_message_id, client_reference, message_id, attempt, creditor_id, error_code,"
    " description, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (dedupe_key) DO NOTHING"
)
_INSERT_REPLY = (
    "INSERT INTO inbound_replies (id, carrier, phone, text, received_at, dedupe_key, intents,"
    " creditor_id, message_id, carrier_message_id, signature, extension)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING"
)


class SqlReceiptLog:
    """``ReceiptLog`` on either database."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.dialect

    async def add(self, receipt: DeliveryReceipt) -> bool:
        r, d = receipt, self._dialect
        params = (
            r.id, r.carrier, r.state, d.instant(r.received_at), r.dedupe_key,
            r.carrier_message_id, r.client_reference, r.message_id, r.attempt, r.creditor_id,
            r.error_code, r.description, d.optional_instant(r.reported_at),
        )  # fmt: skip
        return await self._session.execute(_INSERT_RECEIPT, params) == 1

    async def of_message(self, message_id: str) -> list[DeliveryReceipt]:
        sql = "SELECT * FROM delivery_receipts WHERE message_id = ? ORDER BY received_at, id"
        rows = await self._session.rows(sql, (message_id,))
        return [_receipt(row, self._dialect) for row in rows]

    async def unmatched(self, limit: int = 100) -> list[DeliveryReceipt]:
        sql = (
            "SELECT * FROM delivery_receipts WHERE message_id IS NULL"
            " ORDER BY received_at DESC, id LIMIT ?"
        )
        return [_receipt(row, self._dialect) for row in await self._session.rows(sql, (limit,))]


def _receipt(row: Row, dialect: Dialect) -> DeliveryReceipt:
    return DeliveryReceipt(
        id=row["id"],
        carrier=row["carrier"],
        state=ReceiptState(row["state"]),
        received_at=dialect.read_instant(row["received_at"]),
        dedupe_key=row["dedupe_key"],
        carrier_message_id=row["carrier_message_id"],
        client_reference=row["client_reference"],
        message_id=row["message_id"],
        attempt=row["attempt"],
        creditor_id=row["creditor_id"],
        error_code=row["error_code"],
        description=row["description"],
        reported_at=dialect.read_optional_instant(row["reported_at"]),
    )


class SqlReplyLog:
    """``ReplyLog`` on either database."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.dialect

    async def add(self, reply: InboundReply) -> bool:
        r, d = reply, self._dialect
        params = (
            r.id, r.carrier, r.phone, r.text, d.instant(r.received_at), r.dedupe_key,
            d.string_set(r.intents), r.creditor_id, r.message_id, r.carrier_message_id,
            r.signature, r.extension,
        )  # fmt: skip
        return await self._session.execute(_INSERT_REPLY, params) == 1

    async def of_creditor(
        self, creditor_id: str, *, phone: str | None = None, limit: int = 100
    ) -> list[InboundReply]:
        sql = "SELECT * FROM inbound_replies WHERE creditor_id = ?"
        params: tuple[str | int, ...] = (creditor_id,)
        if phone is not None:
            sql, params = sql + " AND phone = ?", (*params, phone)
        sql += " ORDER BY received_at DESC, id LIMIT ?"
        rows = await self._session.rows(sql, (*params, limit))
        return [_reply(row, self._dialect) for row in rows]

    async def unattributed(self, limit: int = 100) -> list[InboundReply]:
        sql = (
            "SELECT * FROM inbound_replies WHERE creditor_id IS NULL"
            " ORDER BY received_at DESC, id LIMIT ?"
        )
        return [_reply(row, self._dialect) for row in await self._session.rows(sql, (limit,))]


def _reply(row: Row, dialect: Dialect) -> InboundReply:
    return InboundReply(
        id=row["id"],
        carrier=row["carrier"],
        phone=row["phone"],
        text=row["text"],
        received_at=dialect.read_instant(row["received_at"]),
        dedupe_key=row["dedupe_key"],
        intents=frozenset(ReplyIntent(i) for i in dialect.read_string_set(row["intents"])),
        creditor_id=row["creditor_id"],
        message_id=row["message_id"],
        carrier_message_id=row["carrier_message_id"],
        signature=row["signature"],
        extension=row["extension"],
    )
