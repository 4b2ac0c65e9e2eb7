"""PostgreSQL logs of what carriers told us back: delivery receipts and inbound replies.

``add`` inserts with ``ON CONFLICT (dedupe_key) DO NOTHING`` and reports
whether a row went in. Two instances receiving the same callback at once
both try; the unique index makes the second wait for the first's commit and
then insert nothing, so exactly one of them acts on it.
"""

from __future__ import annotations

import asyncpg

from smsgate.store.callback_records import (
    DeliveryReceipt,
    InboundReply,
    ReceiptState,
    ReplyIntent,
)
from smsgate.store.postgres.codec import instant, optional_instant, sorted_list
from smsgate.store.postgres.session import Session

_INSERT_RECEIPT = (
    "INSERT INTO delivery_receipts (id, carrier, state, received_at, dedupe_key,"
    " carrier_message_id, client_reference, message_id, attempt, creditor_id, error_code,"
    " description, reported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    " ON CONFLICT (dedupe_key) DO NOTHING"
)
_INSERT_REPLY = (
    "INSERT INTO inbound_replies (id, carrier, phone, text, received_at, dedupe_key, intents,"
    " creditor_id, message_id, carrier_message_id, signature, extension)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    " ON CONFLICT (dedupe_key) DO NOTHING"
)


class PostgresReceiptLog:
    """``ReceiptLog`` on PostgreSQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, receipt: DeliveryReceipt) -> bool:
        r = receipt
        params = (
            r.id, r.carrier, r.state, instant(r.received_at), r.dedupe_key,
            r.carrier_message_id, r.client_reference, r.message_id, r.attempt, r.creditor_id,
            r.error_code, r.description, optional_instant(r.reported_at),
        )  # fmt: skip
        return await self._session.execute(_INSERT_RECEIPT, *params) == 1

    async def of_message(self, message_id: str) -> list[DeliveryReceipt]:
        sql = "SELECT * FROM delivery_receipts WHERE message_id = $1 ORDER BY received_at, id"
        return [_receipt(row) for row in await self._session.rows(sql, message_id)]

    async def unmatched(self, limit: int = 100) -> list[DeliveryReceipt]:
        sql = (
            "SELECT * FROM delivery_receipts WHERE message_id IS NULL"
            " ORDER BY received_at DESC, id LIMIT $1"
        )
        return [_receipt(row) for row in await self._session.rows(sql, limit)]


def _receipt(row: asyncpg.Record) -> DeliveryReceipt:
    return DeliveryReceipt(
        id=row["id"],
        carrier=row["carrier"],
        state=ReceiptState(row["state"]),
        received_at=row["received_at"],
        dedupe_key=row["dedupe_key"],
        carrier_message_id=row["carrier_message_id"],
        client_reference=row["client_reference"],
        message_id=row["message_id"],
        attempt=row["attempt"],
        creditor_id=row["creditor_id"],
        error_code=row["error_code"],
        description=row["description"],
        reported_at=row["reported_at"],
    )


class PostgresReplyLog:
    """``ReplyLog`` on PostgreSQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, reply: InboundReply) -> bool:
        r = reply
        params = (
            r.id, r.carrier, r.phone, r.text, instant(r.received_at), r.dedupe_key,
            sorted_list(r.intents), r.creditor_id, r.message_id, r.carrier_message_id,
            r.signature, r.extension,
        )  # fmt: skip
        return await self._session.execute(_INSERT_REPLY, *params) == 1

    async def of_creditor(
        self, creditor_id: str, *, phone: str | None = None, limit: int = 100
    ) -> list[InboundReply]:
        sql = (
            "SELECT * FROM inbound_replies WHERE creditor_id = $1"
            " AND ($2::text IS NULL OR phone = $2) ORDER BY received_at DESC, id LIMIT $3"
        )
        return [_reply(row) for row in await self._session.rows(sql, creditor_id, phone, limit)]

    async def unattributed(self, limit: int = 100) -> list[InboundReply]:
        sql = (
            "SELECT * FROM inbound_replies WHERE creditor_id IS NULL"
            " ORDER BY received_at DESC, id LIMIT $1"
        )
        return [_reply(row) for row in await self._session.rows(sql, limit)]


def _reply(row: asyncpg.Record) -> InboundReply:
    return InboundReply(
        id=row["id"],
        carrier=row["carrier"],
        phone=row["phone"],
        text=row["text"],
        received_at=row["received_at"],
        dedupe_key=row["dedupe_key"],
        intents=frozenset(ReplyIntent(intent) for intent in row["intents"]),
        creditor_id=row["creditor_id"],
        message_id=row["message_id"],
        carrier_message_id=row["carrier_message_id"],
        signature=row["signature"],
        extension=row["extension"],
    )
