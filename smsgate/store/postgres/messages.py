"""PostgreSQL repositories of the send path: messages, the outbox and the contact ledger.

Contact caps. The send path reads a debtor's (or a third party's phone's)
contacts, lets the policy decide, then books one. Instances run such write
units side by side, so the ledger serialises them itself with advisory
locks, per creditor and recipient rather than globally:

* ``of_debtor`` locks (creditor, debtor) and ``of_phone`` locks (creditor,
  phone) before reading, in write units; the lock is held to COMMIT.
  ``of_debtor_or_phone``, what a debtor send reads (the debtor's cap and the
  phone's cap on debtor contacts), locks both, phone first.
* ``move`` (the dispatcher moving a booking to another slot) locks its
  booking's phone and debtor as ``record`` does.
* ``record`` locks the contact's phone, then, for a debtor contact, its
  debtor, before inserting: whatever a reader of either key counted cannot
  change under it. (A third party's cap counts every contact to the phone;
  a debtor's counts debtor contacts, so a third-party contact needs no
  debtor lock.)

Under READ COMMITTED each statement sees what was committed before it
started, and a lock is released only after its holder's COMMIT is visible,
so the read after the lock sees every earlier booking of that debtor. Units
for other debtors never wait. Locks are taken phone before debtor (a send
reads the phone's opt-outs first, see ``tenants``); a unit that locks a
debtor and then a phone it had not locked (``of_debtor`` then ``record``
without an opt-out check, as only tests do) can deadlock with a recorded
call; PostgreSQL breaks the cycle within ``deadlock_timeout`` and the loser
gets ``StoreBusy``, never a wrong count.

Outbox. ``claim_due`` picks due, unleased rows with ``FOR UPDATE SKIP
LOCKED`` and leases them in the same statement: concurrent dispatchers skip
each other's rows instead of waiting or double-claiming, and a row leased
and committed by another dispatcher meanwhile fails the re-checked lease
condition. Dispatchers find new work by polling (``smsgate dispatch
--poll``, 1 s by default, immediately again after a full batch): an
accepted message waits at most one poll interval, and no connection is
pinned to a LISTEN; NOTIFY could wake them sooner if that ever matters.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from smsgate.core.audience import Audience
from smsgate.core.policy.contacts import Channel
from smsgate.core.scanner.findings import Verdict
from smsgate.core.sms import Encoding
from smsgate.store.errors import NotFound
from smsgate.store.postgres.codec import (
    dump_json,
    instant,
    load_json,
    optional_instant,
    sorted_list,
)
from smsgate.store.postgres.session import Session
from smsgate.store.postgres.tenants import PHONE_LOCK
from smsgate.store.records import ContactRecord, Message, MessageStatus, OutboxItem, StatusChange

DEBTOR_LOCK = "debtor"

# One round trip for the message and the first step of its history.
_INSERT_MESSAGE = (
    "WITH added AS (INSERT INTO messages (id, creditor_id, template_id, template_version, phone,"
    " debtor_id, role, timezone, tags, text, segments, encoding, status, send_at, created_at,"
    " wordlist_version, verdict, findings) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
    " $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id, status, created_at)"
    " INSERT INTO message_events (message_id, status, at, detail)"
    " SELECT id, status, created_at, '' FROM added"
)
_SET_STATUS = (
    "WITH changed AS (UPDATE messages SET status = $2 WHERE id = $1 RETURNING id)"
    " INSERT INTO message_events (message_id, status, at, detail)"
    " SELECT id, $2, $3, $4 FROM changed"
)
_SENT_STATUSES = ["sending", "sent", "delivered", "failed", "unknown"]
_PENDING_STATUSES = ["queued", "scheduled", "held"]


class PostgresMessages:
    """``MessageRepository`` on PostgreSQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, message: Message) -> None:
        await self._session.execute(_INSERT_MESSAGE, *_message_params(message))

    async def get(self, message_id: str, *, creditor_id: str | None) -> Message | None:
        if creditor_id is None:
            row = await self._session.row("SELECT * FROM messages WHERE id = $1", message_id)
        else:
            sql = "SELECT * FROM messages WHERE id = $1 AND creditor_id = $2"
            row = await self._session.row(sql, message_id, creditor_id)
        return None if row is None else _message(row)

    async def set_status(
        self, message_id: str, status: MessageStatus, at: datetime, detail: str = ""
    ) -> None:
        if not await self._session.execute(_SET_STATUS, message_id, status, instant(at), detail):
            raise NotFound(f"no message {message_id!r}")

    async def history(self, message_id: str) -> list[StatusChange]:
        sql = "SELECT * FROM message_events WHERE message_id = $1 ORDER BY id"
        return [
            StatusChange(row["message_id"], MessageStatus(row["status"]), row["at"], row["detail"])
            for row in await self._session.rows(sql, message_id)
        ]

    async def held(self, creditor_id: str, *, limit: int = 100) -> list[Message]:
        sql = (
            "SELECT * FROM messages WHERE creditor_id = $1 AND status = 'held'"
            " ORDER BY created_at, id LIMIT $2"
        )
        return [_message(row) for row in await self._session.rows(sql, creditor_id, limit)]

    async def count_by_status(self, creditor_id: str | None = None) -> dict[MessageStatus, int]:
        sql = "SELECT status, count(*) AS n FROM messages"
        params: tuple[str, ...] = ()
        if creditor_id is not None:
            sql, params = sql + " WHERE creditor_id = $1", (creditor_id,)
        counts = dict.fromkeys(MessageStatus, 0)
        for row in await self._session.rows(sql + " GROUP BY status", *params):
            counts[MessageStatus(row["status"])] = row["n"]
        return counts

    async def recent_to_phone(self, phone: str, since: datetime, limit: int = 20) -> list[Message]:
        sql = (
            "SELECT * FROM messages WHERE phone = $1 AND created_at >= $2"
            " AND status = ANY($3::text[]) ORDER BY created_at DESC, id DESC LIMIT $4"
        )
        rows = await self._session.rows(sql, phone, instant(since), _SENT_STATUSES, limit)
        return [_message(row) for row in rows]

    async def pending_to_phone(self, creditor_id: str, phone: str) -> list[Message]:
        sql = (
            "SELECT * FROM messages WHERE phone = $1 AND creditor_id = $2"
            " AND status = ANY($3::text[]) ORDER BY created_at, id"
        )
        rows = await self._session.rows(sql, phone, creditor_id, _PENDING_STATUSES)
        return [_message(row) for row in rows]

    async def pending_of_template(self, creditor_id: str, template_id: str) -> list[Message]:
        # The (creditor_id, status, created_at) index narrows to the creditor's pending ones.
        sql = (
            "SELECT * FROM messages WHERE creditor_id = $1 AND template_id = $2"
            " AND status = ANY($3::text[]) ORDER BY created_at, id"
        )
        rows = await self._session.rows(sql, creditor_id, template_id, _PENDING_STATUSES)
        return [_message(row) for row in rows]

    async def set_send_at(self, message_id: str, send_at: datetime) -> None:
        sql = "UPDATE messages SET send_at = $2 WHERE id = $1"
        if not await self._session.execute(sql, message_id, instant(send_at)):
            raise NotFound(f"no message {message_id!r}")


def _message_params(m: Message) -> tuple[object, ...]:
    return (
        m.id, m.creditor_id, m.template_id, m.template_version, m.phone, m.debtor_id, m.role,
        m.timezone, sorted_list(m.tags), m.text, m.segments, m.encoding, m.status,
        optional_instant(m.send_at), instant(m.created_at), m.wordlist_version, m.verdict,
        dump_json(m.findings),
    )  # fmt: skip


def _message(row: asyncpg.Record) -> Message:
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
        created_at=row["created_at"],
        wordlist_version=row["wordlist_version"],
        verdict=Verdict(row["verdict"]),
        timezone=row["timezone"],
        tags=frozenset(row["tags"]),
        send_at=row["send_at"],
        findings=load_json(row["findings"]),
    )


class PostgresOutbox:
    """``OutboxRepository`` on PostgreSQL; see the module docstring for claims."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def add(self, item: OutboxItem) -> None:
        await self._session.execute(
            "INSERT INTO outbox (message_id, due_at, attempts, lease_owner, lease_until)"
            " VALUES ($1, $2, $3, $4, $5)",
            item.message_id, instant(item.due_at), item.attempts, item.lease_owner,
            optional_instant(item.lease_until),
        )  # fmt: skip

    async def claim_due(
        self, now: datetime, owner: str, lease: timedelta, limit: int
    ) -> list[OutboxItem]:
        rows = await self._session.rows(
            "UPDATE outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1"
            " WHERE message_id IN (SELECT message_id FROM outbox WHERE due_at <= $3"
            " AND (lease_until IS NULL OR lease_until <= $3) ORDER BY due_at, message_id"
            " LIMIT $4 FOR UPDATE SKIP LOCKED)"
            " AND (lease_until IS NULL OR lease_until <= $3) RETURNING *",
            owner, instant(now + lease), instant(now), limit,
        )  # fmt: skip
        return sorted((_outbox_item(row) for row in rows), key=lambda i: (i.due_at, i.message_id))

    async def renew(self, message_id: str, owner: str, now: datetime, lease: timedelta) -> bool:
        sql = (
            "UPDATE outbox SET lease_until = $1"
            " WHERE message_id = $2 AND lease_owner = $3 AND lease_until > $4"
        )
        params = (instant(now + lease), message_id, owner, instant(now))
        return await self._session.execute(sql, *params) == 1

    async def release(self, message_id: str, owner: str, due_at: datetime) -> bool:
        sql = (
            "UPDATE outbox SET due_at = $1, lease_owner = NULL, lease_until = NULL"
            " WHERE message_id = $2 AND lease_owner = $3"
        )
        return await self._session.execute(sql, instant(due_at), message_id, owner) == 1

    async def complete(self, message_id: str, owner: str) -> bool:
        sql = "DELETE FROM outbox WHERE message_id = $1 AND lease_owner = $2"
        return await self._session.execute(sql, message_id, owner) == 1

    async def depth(self) -> int:
        return int(await self._session.value("SELECT count(*) FROM outbox"))

    async def discard(self, message_id: str) -> bool:
        sql = "DELETE FROM outbox WHERE message_id = $1"
        return await self._session.execute(sql, message_id) == 1


def _outbox_item(row: asyncpg.Record) -> OutboxItem:
    return OutboxItem(
        message_id=row["message_id"],
        due_at=row["due_at"],
        attempts=row["attempts"],
        lease_owner=row["lease_owner"],
        lease_until=row["lease_until"],
    )


class PostgresContactLedger:
    """``ContactLedger`` on PostgreSQL; see the module docstring for the locks."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def record(self, contact: ContactRecord) -> None:
        await self._session.lock(PHONE_LOCK, contact.creditor_id, contact.phone)
        if contact.role == Audience.DEBTOR:
            await self._session.lock(DEBTOR_LOCK, contact.creditor_id, contact.debtor_id)
        await self._session.execute(
            "INSERT INTO contacts (creditor_id, debtor_id, phone, role, channel, at, message_id)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)",
            contact.creditor_id, contact.debtor_id, contact.phone, contact.role,
            contact.channel, instant(contact.at), contact.message_id,
        )  # fmt: skip

    async def of_debtor(
        self, creditor_id: str, debtor_id: str, start: datetime, end: datetime
    ) -> list[ContactRecord]:
        await self._session.lock(DEBTOR_LOCK, creditor_id, debtor_id)
        return await self._between("debtor_id", creditor_id, debtor_id, start, end)

    async def of_phone(
        self, creditor_id: str, phone: str, start: datetime, end: datetime
    ) -> list[ContactRecord]:
        await self._session.lock(PHONE_LOCK, creditor_id, phone)
        return await self._between("phone", creditor_id, phone, start, end)

    async def of_debtor_or_phone(
        self, creditor_id: str, debtor_id: str, phone: str, start: datetime, end: datetime
    ) -> list[ContactRecord]:
        await self._session.lock(PHONE_LOCK, creditor_id, phone)
        await self._session.lock(DEBTOR_LOCK, creditor_id, debtor_id)
        sql = (
            "SELECT * FROM contacts WHERE creditor_id = $1 AND (debtor_id = $2 OR phone = $3)"
            " AND at >= $4 AND at < $5 ORDER BY at, id"
        )
        rows = await self._session.rows(
            sql, creditor_id, debtor_id, phone, instant(start), instant(end)
        )
        return [_contact(row) for row in rows]

    async def of_message(self, message_id: str) -> ContactRecord | None:
        sql = "SELECT * FROM contacts WHERE message_id = $1 ORDER BY id LIMIT 1"
        row = await self._session.row(sql, message_id)
        return None if row is None else _contact(row)

    async def move(self, message_id: str, at: datetime) -> int:
        # Whatever a reader of the phone or the debtor counted must not change under it.
        booking = await self.of_message(message_id)
        if booking is None:
            return 0
        await self._session.lock(PHONE_LOCK, booking.creditor_id, booking.phone)
        if booking.role == Audience.DEBTOR:
            await self._session.lock(DEBTOR_LOCK, booking.creditor_id, booking.debtor_id)
        sql = "UPDATE contacts SET at = $2 WHERE message_id = $1"
        return await self._session.execute(sql, message_id, instant(at))

    async def withdraw(self, message_id: str) -> int:
        sql = "DELETE FROM contacts WHERE message_id = $1"
        return await self._session.execute(sql, message_id)

    async def _between(
        self, column: str, creditor_id: str, value: str, start: datetime, end: datetime
    ) -> list[ContactRecord]:
        # ``column`` is one of two literals above, never caller input.
        sql = (
            f"SELECT * FROM contacts WHERE creditor_id = $1 AND {column} = $2"
            " AND at >= $3 AND at < $4 ORDER BY at, id"
        )
        rows = await self._session.rows(sql, creditor_id, value, instant(start), instant(end))
        return [_contact(row) for row in rows]


def _contact(row: asyncpg.Record) -> ContactRecord:
    return ContactRecord(
        creditor_id=row["creditor_id"],
        debtor_id=row["debtor_id"],
        phone=row["phone"],
        role=Audience(row["role"]),
        channel=Channel(row["channel"]),
        at=row["at"],
        message_id=row["message_id"],
    )
