"""SQLite repositories of the send path: messages, the outbox and the contact ledger.

These three are written together in the transaction that accepts a message,
and the ledger is read in that same transaction to check the caps; the
indexes follow those reads (by creditor and debtor or phone, then time).

Outbox leases: ``claim_due`` runs inside a write transaction, which SQLite
serialises across connections and processes, so two dispatchers can never
claim the same item; an item whose lease has run out is due again.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from smsgate.core.audience import Audience
from smsgate.core.policy.contacts import Channel
from smsgate.core.scanner.findings import Verdict
from smsgate.core.sms import Encoding
from smsgate.store.errors import NotFound
from smsgate.store.instants import format_instant, format_optional, parse_instant, parse_optional
from smsgate.store.records import ContactRecord, Message, MessageStatus, OutboxItem, StatusChange
from smsgate.store.sqlite.codec import dump_json, dump_set, load_json, load_set
from smsgate.store.sqlite.session import Session

_INSERT_MESSAGE = (
    "INSERT INTO messages (id, creditor_id, template_id, template_version, phone, debtor_id,"
    " role, timezone, tags, text, segments, encoding, status, send_at, created_at,"
    " wordlist_version, verdict, findings)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_EVENT = "INSERT INTO message_events (message_id, status, at, detail) VALUES (?, ?, ?, ?)"


class SqliteMessages:
    """``MessageRepository`` on SQLite."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, message: Message) -> None:
        event = (message.id, message.status, format_instant(message.created_at), "")

        def insert(db: sqlite3.Connection) -> None:
            db.execute(_INSERT_MESSAGE, _message_params(message))
            db.execute(_INSERT_EVENT, event)

        await self._session.call(insert)

    async def get(self, message_id: str, *, creditor_id: str | None) -> Message | None:
        if creditor_id is None:
            row = await self._session.row("SELECT * FROM messages WHERE id = ?", (message_id,))
        else:
            sql = "SELECT * FROM messages WHERE id = ? AND creditor_id = ?"
            row = await self._session.row(sql, (message_id, creditor_id))
        return None if row is None else _message(row)

    async def set_status(
        self, message_id: str, status: MessageStatus, at: datetime, detail: str = ""
    ) -> None:
        def change(db: sqlite3.Connection) -> int:
            sql = "UPDATE messages SET status = ? WHERE id = ?"
            if db.execute(sql, (status, message_id)).rowcount == 0:
                return 0
            return db.execute(
                _INSERT_EVENT, (message_id, status, format_instant(at), detail)
            ).rowcount

        if not await self._session.call(change):
            raise NotFound(f"no message {message_id!r}")

    async def history(self, message_id: str) -> list[StatusChange]:
        sql = "SELECT * FROM message_events WHERE message_id = ? ORDER BY id"
        return [
            StatusChange(row["message_id"], MessageStatus(row["status"]),
                         parse_instant(row["at"]), row["detail"])
            for row in await self._session.rows(sql, (message_id,))
        ]  # fmt: skip

    async def held(self, creditor_id: str, *, limit: int = 100) -> list[Message]:
        sql = (
            "SELECT * FROM messages WHERE creditor_id = ? AND status = 'held'"
            " ORDER BY created_at, id LIMIT ?"
        )
        return [_message(row) for row in await self._session.rows(sql, (creditor_id, limit))]

    async def count_by_status(self, creditor_id: str | None = None) -> dict[MessageStatus, int]:
        sql = "SELECT status, count(*) FROM messages"
        params: tuple[str, ...] = ()
        if creditor_id is not None:
            sql, params = sql + " WHERE creditor_id = ?", (creditor_id,)
        counts = dict.fromkeys(MessageStatus, 0)
        for status, count in await self._session.rows(sql + " GROUP BY status", params):
            counts[MessageStatus(status)] = count
        return counts

    async def recent_to_phone(self, phone: str, since: datetime, limit: int = 20) -> list[Message]:
        sql = (
            "SELECT * FROM messages WHERE phone = ? AND created_at >= ?"
            " AND status IN ('sending', 'sent', 'delivered', 'failed', 'unknown')"
            " ORDER BY created_at DESC, id DESC LIMIT ?"
        )
        rows = await self._session.rows(sql, (phone, format_instant(since), limit))
        return [_message(row) for row in rows]

    async def pending_to_phone(self, creditor_id: str, phone: str) -> list[Message]:
        sql = (
            "SELECT * FROM messages WHERE phone = ? AND creditor_id = ?"
            " AND status IN ('queued', 'scheduled', 'held') ORDER BY created_at, id"
        )
        return [_message(row) for row in await self._session.rows(sql, (phone, creditor_id))]

    async def pending_of_template(self, creditor_id: str, template_id: str) -> list[Message]:
        # The (creditor_id, status, created_at) index narrows to the creditor's pending ones.
        sql = (
            "SELECT * FROM messages WHERE creditor_id = ? AND template_id = ?"
            " AND status IN ('queued', 'scheduled', 'held') ORDER BY created_at, id"
        )
        return [_message(row) for row in await self._session.rows(sql, (creditor_id, template_id))]

    async def set_send_at(self, message_id: str, send_at: datetime) -> None:
        sql = "UPDATE messages SET send_at = ? WHERE id = ?"
        if not await self._session.execute(sql, (format_instant(send_at), message_id)):
            raise NotFound(f"no message {message_id!r}")


def _message_params(m: Message) -> tuple[object, ...]:
    return (
        m.id, m.creditor_id, m.template_id, m.template_version, m.phone, m.debtor_id, m.role,
        m.timezone, dump_set(m.tags), m.text, m.segments, m.encoding, m.status,
        format_optional(m.send_at), format_instant(m.created_at), m.wordlist_version, m.verdict,
        dump_json(m.findings),
    )  # fmt: skip


def _message(row: sqlite3.Row) -> Message:
    return Message(
        id=row["id"],
        creditor_id=row["creditor_id"],
        template_id=row["template_id"],
        template_version=row["template_version"],
        phone=row["phone"],
        debtor_id=row["debtor_id"],
        role=Audience(row["role"]),
        text=row["text"],
        segments=row["segments"],
        encoding=Encoding(row["encoding"]),
        status=MessageStatus(row["status"]),
        created_at=parse_instant(row["created_at"]),
        wordlist_version=row["wordlist_version"],
        verdict=Verdict(row["verdict"]),
        timezone=row["timezone"],
        tags=load_set(row["tags"]),
        send_at=parse_optional(row["send_at"]),
        findings=load_json(row["findings"]),
    )


class SqliteOutbox:
    """``OutboxRepository`` on SQLite."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, item: OutboxItem) -> None:
        await self._session.execute(
            "INSERT INTO outbox (message_id, due_at, attempts, lease_owner, lease_until)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                item.message_id, format_instant(item.due_at), item.attempts, item.lease_owner,
                format_optional(item.lease_until),
            ),
        )  # fmt: skip

    async def claim_due(
        self, now: datetime, owner: str, lease: timedelta, limit: int
    ) -> list[OutboxItem]:
        at, until = format_instant(now), format_instant(now + lease)
        rows = await self._session.rows(
            "UPDATE outbox SET lease_owner = ?, lease_until = ?, attempts = attempts + 1"
            " WHERE message_id IN (SELECT message_id FROM outbox WHERE due_at <= ?"
            " AND (lease_until IS NULL OR lease_until <= ?) ORDER BY due_at LIMIT ?)"
            " RETURNING *",
            (owner, until, at, at, limit),
        )
        return sorted((_outbox_item(row) for row in rows), key=lambda i: (i.due_at, i.message_id))

    async def renew(self, message_id: str, owner: str, now: datetime, lease: timedelta) -> bool:
        sql = (
            "UPDATE outbox SET lease_until = ?"
            " WHERE message_id = ? AND lease_owner = ? AND lease_until > ?"
        )
        params = (format_instant(now + lease), message_id, owner, format_instant(now))
        return await self._session.execute(sql, params) == 1

    async def release(self, message_id: str, owner: str, due_at: datetime) -> bool:
        sql = (
            "UPDATE outbox SET due_at = ?, lease_owner = NULL, lease_until = NULL"
            " WHERE message_id = ? AND lease_owner = ?"
        )
        return await self._session.execute(sql, (format_instant(due_at), message_id, owner)) == 1

    async def complete(self, message_id: str, owner: str) -> bool:
        sql = "DELETE FROM outbox WHERE message_id = ? AND lease_owner = ?"
        return await self._session.execute(sql, (message_id, owner)) == 1

    async def depth(self) -> int:
        row = await self._session.row("SELECT count(*) FROM outbox")
        return 0 if row is None else int(row[0])

    async def discard(self, message_id: str) -> bool:
        sql = "DELETE FROM outbox WHERE message_id = ?"
        return await self._session.execute(sql, (message_id,)) == 1


def _outbox_item(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        message_id=row["message_id"],
        due_at=parse_instant(row["due_at"]),
        attempts=row["attempts"],
        lease_owner=row["lease_owner"],
        lease_until=parse_optional(row["lease_until"]),
    )


class SqliteContactLedger:
    """``ContactLedger`` on SQLite."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def record(self, contact: ContactRecord) -> None:
        await self._session.execute(
            "INSERT INTO contacts (creditor_id, debtor_id, phone, role, channel, at, message_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                contact.creditor_id, contact.debtor_id, contact.phone, contact.role,
                contact.channel, format_instant(contact.at), contact.message_id,
            ),
        )  # fmt: skip

    async def of_debtor(
        self, creditor_id: str, debtor_id: str, start: datetime, end: datetime
    ) -> list[ContactRecord]:
        return await self._between("debtor_id", creditor_id, debtor_id, start, end)

    async def of_phone(
        self, creditor_id: str, phone: str, start: datetime, end: datetime
    ) -> list[ContactRecord]:
        return await self._between("phone", creditor_id, phone, start, end)

    async def of_debtor_or_phone(
        self, creditor_id: str, debtor_id: str, phone: str, start: datetime, end: datetime
    ) -> list[ContactRecord]:
        sql = (
            "SELECT * FROM contacts WHERE creditor_id = ? AND (debtor_id = ? OR phone = ?)"
            " AND at >= ? AND at < ? ORDER BY at, id"
        )
        params = (creditor_id, debtor_id, phone, format_instant(start), format_instant(end))
        return [_contact(row) for row in await self._session.rows(sql, params)]

    async def of_message(self, message_id: str) -> ContactRecord | None:
        sql = "SELECT * FROM contacts WHERE message_id = ? ORDER BY id LIMIT 1"
        row = await self._session.row(sql, (message_id,))
        return None if row is None else _contact(row)

    async def move(self, message_id: str, at: datetime) -> int:
        sql = "UPDATE contacts SET at = ? WHERE message_id = ?"
        return await self._session.execute(sql, (format_instant(at), message_id))

    async def withdraw(self, message_id: str) -> int:
        sql = "DELETE FROM contacts WHERE message_id = ?"
        return await self._session.execute(sql, (message_id,))

    async def _between(
        self, column: str, creditor_id: str, value: str, start: datetime, end: datetime
    ) -> list[ContactRecord]:
        # ``column`` is one of two literals above, never caller input.
        sql = (
            f"SELECT * FROM contacts WHERE creditor_id = ? AND {column} = ?"
            " AND at >= ? AND at < ? ORDER BY at, id"
        )
        params = (creditor_id, value, format_instant(start), format_instant(end))
        return [_contact(row) for row in await self._session.rows(sql, params)]


def _contact(row: sqlite3.Row) -> ContactRecord:
    return ContactRecord(
        creditor_id=row["creditor_id"],
        debtor_id=row["debtor_id"],
        phone=row["phone"],
        role=Audience(row["role"]),
        channel=Channel(row["channel"]),
        at=parse_instant(row["at"]),
        message_id=row["message_id"],
    )
