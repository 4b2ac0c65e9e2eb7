"""The repositories of the send path's messages and their outbox.

A message, its first status change and its outbox item are written in the
transaction that accepts it (with the contact booking, see ``contacts``).

Outbox leases. ``claim_due`` picks due, unleased rows and leases them in one
statement. On SQLite it runs inside a write transaction, which SQLite
serialises across connections and processes, so two dispatchers can never
claim the same item. On PostgreSQL the pick adds ``FOR UPDATE SKIP LOCKED``:
concurrent dispatchers skip each other's rows instead of waiting or
double-claiming, and a row leased and committed by another dispatcher
meanwhile fails the re-checked lease condition. Ties on ``due_at`` go by
message id. Dispatchers find new work by polling (``smsgate dispatch
--poll``, 1 s by default, immediately again after a full batch): an
accepted message waits at most one poll interval, and no connection is
pinned to a LISTEN; NOTIFY could wake them sooner if that ever matters.

Status moves. ``set_status`` moves a message only along the lifecycle
(``smsgate.core.lifecycle``): its UPDATE carries ``AND status IN (...)``,
the sources of the new status, so the check and the write are one statement
and no caller can skip it. If no row changed, the message's status is read
and ``IllegalMove`` raised with it (``NotFound`` without a message). On
SQLite writers are serialised, so the guard sees what the caller's unit
read. On PostgreSQL (READ COMMITTED) an UPDATE of a row that another
transaction changed waits for that commit and re-checks its condition on the
committed row, so of two moves that cannot follow each other (two
dispatchers' ``sent``, a report's ``failed`` and a retry's ``queued``)
exactly one lands, and the loser raises; in the ``WITH`` that also writes
the event, nothing is inserted for it. The guard is the table's, not a
compare-and-set of the status the caller read: ``sending`` → ``sent``
followed by ``sent`` → ``failed`` (a report after the answer) are both
legal. What losing such a race means is the caller's to decide (each says).

Lock order (PostgreSQL). A claim locks outbox rows only, in a transaction
of its own. The units that then change a pending message's rows take them
in two orders: the dispatcher starting an attempt renews its lease (the
outbox row, and before it perhaps the booking it moves) and then marks the
message ``sending``; every other unit moves the message first. The first
kind reads the phone's opt-outs before any row, under the (creditor, phone)
lock (``tenants``), and a withdrawal (a reply, a retirement) takes that
lock first too (``booking.withdraw``), so the two never interleave: the
later waits for the earlier's commit and sees its move. The other units
meet on the message row, the first lock of each.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from smsgate.core.audience import Audience
from smsgate.core.lifecycle import HANDED_OVER, PENDING, IllegalMove, sources_of
from smsgate.core.scanner.findings import Verdict
from smsgate.core.sms import Encoding
from smsgate.store.errors import NotFound
from smsgate.store.records import Message, MessageStatus, OutboxItem, StatusChange
from smsgate.store.sql.dialect import Dialect, Row, Session


def _sql_list(statuses: frozenset[MessageStatus]) -> str:
    """A group of :mod:`smsgate.core.lifecycle` as an SQL list (enum literals, never input)."""
    return "(" + ", ".join(f"'{status.value}'" for status in sorted(statuses)) + ")"


#: The status groups the queries below select by, spelled from the lifecycle's names.
SENT_STATUSES = _sql_list(HANDED_OVER)
PENDING_STATUSES = _sql_list(PENDING)

_MESSAGE_COLUMNS = (
    "id, creditor_id, template_id, template_version, phone, debtor_id, role, timezone, tags,"
    " text, segments, encoding, status, send_at, created_at, wordlist_version, verdict, findings"
)
_INSERT_MESSAGE = (
    f"INSERT INTO messages ({_MESSAGE_COLUMNS})"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_EVENT = "INSERT INTO message_events (message_id, status, at, detail) VALUES (?, ?, ?, ?)"
# Where a WITH may write (PostgreSQL), one round trip for the message and its first event.
_INSERT_MESSAGE_WITH_EVENT = (
    f"WITH added AS ({_INSERT_MESSAGE} RETURNING id, status, created_at)"
    " INSERT INTO message_events (message_id, status, at, detail)"
    " SELECT id, status, created_at, '' FROM added"
)


def _guarded_update(status: MessageStatus) -> str:
    """The update that moves a message to ``status`` only from one of its sources."""
    sources = sources_of(status)
    allowed = f" AND status IN {_sql_list(sources)}" if sources else " AND FALSE"
    return f"UPDATE messages SET status = ?2 WHERE id = ?1{allowed}"


#: Per new status: the guarded update alone, and (where a WITH may write) with its event.
_SET_STATUS = {status: _guarded_update(status) for status in MessageStatus}
_SET_STATUS_WITH_EVENT = {
    status: f"WITH changed AS ({update} RETURNING id)"
    " INSERT INTO message_events (message_id, status, at, detail)"
    " SELECT id, ?2, ?3, ?4 FROM changed"
    for status, update in _SET_STATUS.items()
}


class SqlMessages:
    """``MessageRepository`` on either database."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.dialect

    async def add(self, message: Message) -> None:
        params = _message_params(message, self._dialect)
        if self._dialect.writes_in_with:
            await self._session.execute(_INSERT_MESSAGE_WITH_EVENT, params)
            return
        event = (message.id, message.status, self._dialect.instant(message.created_at), "")
        await self._session.execute(_INSERT_MESSAGE, params)
        await self._session.execute(_INSERT_EVENT, event)

    async def get(self, message_id: str, *, creditor_id: str | None) -> Message | None:
        if creditor_id is None:
            row = await self._session.row("SELECT * FROM messages WHERE id = ?", (message_id,))
        else:
            sql = "SELECT * FROM messages WHERE id = ? AND creditor_id = ?"
            row = await self._session.row(sql, (message_id, creditor_id))
        return None if row is None else _message(row, self._dialect)

    async def set_status(
        self, message_id: str, status: MessageStatus, at: datetime, detail: str = ""
    ) -> None:
        status = MessageStatus(status)
        event = (message_id, status, self._dialect.instant(at), detail)
        if self._dialect.writes_in_with:
            changed = await self._session.execute(_SET_STATUS_WITH_EVENT[status], event)
        elif changed := await self._session.execute(_SET_STATUS[status], event[:2]):
            changed = await self._session.execute(_INSERT_EVENT, event)
        if not changed:
            await self._refuse_move(message_id, status)

    async def _refuse_move(self, message_id: str, wanted: MessageStatus) -> None:
        """Why the guarded update changed nothing: no such message, or not from its status."""
        current = await self._session.value(
            "SELECT status FROM messages WHERE id = ?", (message_id,)
        )
        if current is None:
            raise NotFound(f"no message {message_id!r}")
        raise IllegalMove(message_id, MessageStatus(current), wanted)

    async def history(self, message_id: str) -> list[StatusChange]:
        sql = "SELECT * FROM message_events WHERE message_id = ? ORDER BY id"
        read_instant = self._dialect.read_instant
        return [
            StatusChange(row["message_id"], MessageStatus(row["status"]),
                         read_instant(row["at"]), row["detail"])
            for row in await self._session.rows(sql, (message_id,))
        ]  # fmt: skip

    async def held(self, creditor_id: str, *, limit: int = 100) -> list[Message]:
        sql = (
            "SELECT * FROM messages WHERE creditor_id = ? AND status = 'held'"
            " ORDER BY created_at, id LIMIT ?"
        )
        return await self._messages(sql, (creditor_id, limit))

    async def count_by_status(self, creditor_id: str | None = None) -> dict[MessageStatus, int]:
        sql = "SELECT status, count(*) AS n FROM messages"
        params: tuple[str, ...] = ()
        if creditor_id is not None:
            sql, params = sql + " WHERE creditor_id = ?", (creditor_id,)
        counts = dict.fromkeys(MessageStatus, 0)
        for row in await self._session.rows(sql + " GROUP BY status", params):
            counts[MessageStatus(row["status"])] = row["n"]
        return counts

    async def recent_to_phone(self, phone: str, since: datetime, limit: int = 20) -> list[Message]:
        sql = (
            "SELECT * FROM messages WHERE phone = ? AND created_at >= ?"
            f" AND status IN {SENT_STATUSES} ORDER BY created_at DESC, id DESC LIMIT ?"
        )
        return await self._messages(sql, (phone, self._dialect.instant(since), limit))

    async def of_recipient(
        self,
        creditor_id: str,
        *,
        debtor_id: str | None = None,
        phone: str | None = None,
        limit: int = 10_000,
    ) -> list[Message]:
        column, value = ("debtor_id", debtor_id) if phone is None else ("phone", phone)
        sql = (
            f"SELECT * FROM messages WHERE creditor_id = ? AND {column} = ?"
            " ORDER BY created_at, id LIMIT ?"
        )
        return await self._messages(sql, (creditor_id, value, limit))

    async def pending_to_phone(self, creditor_id: str, phone: str) -> list[Message]:
        sql = (
            "SELECT * FROM messages WHERE phone = ? AND creditor_id = ?"
            f" AND status IN {PENDING_STATUSES} ORDER BY created_at, id"
        )
        return await self._messages(sql, (phone, creditor_id))

    async def pending_of_template(self, creditor_id: str, template_id: str) -> list[Message]:
        # The (creditor_id, status, created_at) index narrows to the creditor's pending ones.
        sql = (
            "SELECT * FROM messages WHERE creditor_id = ? AND template_id = ?"
            f" AND status IN {PENDING_STATUSES} ORDER BY created_at, id"
        )
        return await self._messages(sql, (creditor_id, template_id))

    async def set_send_at(self, message_id: str, send_at: datetime) -> None:
        sql = "UPDATE messages SET send_at = ? WHERE id = ?"
        if not await self._session.execute(sql, (self._dialect.instant(send_at), message_id)):
            raise NotFound(f"no message {message_id!r}")

    async def _messages(self, sql: str, params: tuple[object, ...]) -> list[Message]:
        return [_message(row, self._dialect) for row in await self._session.rows(sql, params)]


def _message_params(m: Message, d: Dialect) -> tuple[object, ...]:
    return (
        m.id, m.creditor_id, m.template_id, m.template_version, m.phone, m.debtor_id, m.role,
        m.timezone, d.string_set(m.tags), m.text, m.segments, m.encoding, m.status,
        d.optional_instant(m.send_at), d.instant(m.created_at), m.wordlist_version, m.verdict,
        d.json(m.findings),
    )  # fmt: skip


def _message(row: Row, dialect: Dialect) -> Message:
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
        created_at=dialect.read_instant(row["created_at"]),
        wordlist_version=row["wordlist_version"],
        verdict=Verdict(row["verdict"]),
        timezone=row["timezone"],
        tags=dialect.read_string_set(row["tags"]),
        send_at=dialect.read_optional_instant(row["send_at"]),
        findings=dialect.read_json(row["findings"]),
    )


class SqlOutbox:
    """``OutboxRepository`` on either database; see the module docstring for claims."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.dialect

    async def add(self, item: OutboxItem) -> None:
        await self._session.execute(
            "INSERT INTO outbox (message_id, due_at, attempts, lease_owner, lease_until)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                item.message_id, self._dialect.instant(item.due_at), item.attempts,
                item.lease_owner, self._dialect.optional_instant(item.lease_until),
            ),
        )  # fmt: skip

    async def claim_due(
        self, now: datetime, owner: str, lease: timedelta, limit: int
    ) -> list[OutboxItem]:
        instant = self._dialect.instant
        rows = await self._session.rows(
            "UPDATE outbox SET lease_owner = ?1, lease_until = ?2, attempts = attempts + 1"
            " WHERE message_id IN (SELECT message_id FROM outbox WHERE due_at <= ?3"
            " AND (lease_until IS NULL OR lease_until <= ?3) ORDER BY due_at, message_id"
            f" LIMIT ?4{self._dialect.skip_locked})"
            " AND (lease_until IS NULL OR lease_until <= ?3) RETURNING *",
            (owner, instant(now + lease), instant(now), limit),
        )  # fmt: skip
        items = (_outbox_item(row, self._dialect) for row in rows)
        return sorted(items, key=lambda i: (i.due_at, i.message_id))

    async def renew(self, message_id: str, owner: str, now: datetime, lease: timedelta) -> bool:
        sql = (
            "UPDATE outbox SET lease_until = ?"
            " WHERE message_id = ? AND lease_owner = ? AND lease_until > ?"
        )
        instant = self._dialect.instant
        params = (instant(now + lease), message_id, owner, instant(now))
        return await self._session.execute(sql, params) == 1

    async def release(self, message_id: str, owner: str, due_at: datetime) -> bool:
        sql = (
            "UPDATE outbox SET due_at = ?, lease_owner = NULL, lease_until = NULL"
            " WHERE message_id = ? AND lease_owner = ?"
        )
        params = (self._dialect.instant(due_at), message_id, owner)
        return await self._session.execute(sql, params) == 1

    async def complete(self, message_id: str, owner: str) -> bool:
        sql = "DELETE FROM outbox WHERE message_id = ? AND lease_owner = ?"
        return await self._session.execute(sql, (message_id, owner)) == 1

    async def depth(self) -> int:
        return int(await self._session.value("SELECT count(*) FROM outbox"))

    async def discard(self, message_id: str) -> bool:
        sql = "DELETE FROM outbox WHERE message_id = ?"
        return await self._session.execute(sql, (message_id,)) == 1


def _outbox_item(row: Row, dialect: Dialect) -> OutboxItem:
    return OutboxItem(
        message_id=row["message_id"],
        due_at=dialect.read_instant(row["due_at"]),
        attempts=row["attempts"],
        lease_owner=row["lease_owner"],
        lease_until=dialect.read_optional_instant(row["lease_until"]),
    )
