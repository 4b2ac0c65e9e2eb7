"""SQLite ``WebhookRepository``: a cursor per creditor over ``message_events``.

Events are read with ``message_events``' primary key (``id > cursor``) and
each one's message by its primary key to keep the creditor's; no index is
added to the send path's tables. That walk also passes other creditors'
events, so a cursor that stays behind while others are busy would make
every round rescan the same rows. ``claim_due`` therefore first moves the
cursor of each webhook that has nothing to deliver up to the newest event.
This is safe on SQLite only: it runs in a write transaction, the one writer
there is, so no event at or below the newest can still commit (see
``smsgate.store.webhooks`` on PostgreSQL).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from smsgate.store.instants import format_instant, parse_instant, parse_optional
from smsgate.store.records import MessageStatus
from smsgate.store.sqlite.session import Session
from smsgate.store.webhooks import StatusEvent, Webhook

_CONFIGURE = (
    "INSERT INTO webhooks (creditor_id, url, configured_at, last_event_id, failures,"
    " next_attempt_at, last_error) VALUES"
    " (?, ?, ?, (SELECT coalesce(max(id), 0) FROM message_events), 0, NULL, '')"
    " ON CONFLICT (creditor_id) DO UPDATE SET url = excluded.url,"
    " configured_at = excluded.configured_at, failures = 0, next_attempt_at = NULL,"
    " last_error = '' RETURNING *"
)
_PENDING = (
    "SELECT 1 FROM message_events AS e JOIN messages AS m ON m.id = e.message_id"
    " WHERE e.id > webhooks.last_event_id AND e.id <= :head"
    " AND m.creditor_id = webhooks.creditor_id"
)
_SKIP_IDLE = (
    "UPDATE webhooks SET last_event_id = :head"
    f" WHERE last_event_id < :head AND NOT EXISTS ({_PENDING})"
)
_CLAIM = (
    "UPDATE webhooks SET lease_owner = :owner, lease_until = :until"
    " WHERE creditor_id IN (SELECT creditor_id FROM webhooks WHERE last_event_id < :head"
    " AND (next_attempt_at IS NULL OR next_attempt_at <= :now)"
    " AND (lease_until IS NULL OR lease_until <= :now)"
    " ORDER BY coalesce(next_attempt_at, ''), creditor_id LIMIT :limit)"
    " RETURNING *"
)
_EVENTS = (
    "SELECT e.id, e.message_id, e.status, e.at, e.detail"
    " FROM message_events AS e JOIN messages AS m ON m.id = e.message_id"
    " WHERE e.id > ? AND m.creditor_id = ? ORDER BY e.id LIMIT ?"
)
_DELIVERED = (
    "UPDATE webhooks SET last_event_id = max(last_event_id, ?), failures = 0,"
    " next_attempt_at = NULL, last_error = '', delivered_at = ?,"
    " lease_owner = NULL, lease_until = NULL WHERE creditor_id = ? AND lease_owner = ?"
)
_FAILED = (
    "UPDATE webhooks SET failures = failures + 1, next_attempt_at = ?, last_error = ?,"
    " lease_owner = NULL, lease_until = NULL WHERE creditor_id = ? AND lease_owner = ?"
)
_RELEASE = (
    "UPDATE webhooks SET lease_owner = NULL, lease_until = NULL"
    " WHERE creditor_id = ? AND lease_owner = ?"
)


class SqliteWebhooks:
    """``WebhookRepository`` on SQLite."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def configure(self, creditor_id: str, url: str, at: datetime) -> Webhook:
        row = await self._session.row(_CONFIGURE, (creditor_id, url, format_instant(at)))
        assert row is not None  # an upsert with RETURNING always returns its row
        return _webhook(row)

    async def remove(self, creditor_id: str) -> bool:
        sql = "DELETE FROM webhooks WHERE creditor_id = ?"
        return await self._session.execute(sql, (creditor_id,)) == 1

    async def get(self, creditor_id: str) -> Webhook | None:
        sql = "SELECT * FROM webhooks WHERE creditor_id = ?"
        row = await self._session.row(sql, (creditor_id,))
        return None if row is None else _webhook(row)

    async def all(self) -> list[Webhook]:
        rows = await self._session.rows("SELECT * FROM webhooks ORDER BY creditor_id")
        return [_webhook(row) for row in rows]

    async def claim_due(
        self, now: datetime, owner: str, lease: timedelta, limit: int
    ) -> list[Webhook]:
        at, until = format_instant(now), format_instant(now + lease)

        def claim(db: sqlite3.Connection) -> list[sqlite3.Row]:
            head = db.execute("SELECT coalesce(max(id), 0) FROM message_events").fetchone()[0]
            db.execute(_SKIP_IDLE, {"head": head})
            params = {"owner": owner, "until": until, "head": head, "now": at, "limit": limit}
            return db.execute(_CLAIM, params).fetchall()

        hooks = [_webhook(row) for row in await self._session.call(claim)]
        return sorted(hooks, key=lambda h: (h.next_attempt_at or now, h.creditor_id))

    async def events_after(self, creditor_id: str, after_id: int, limit: int) -> list[StatusEvent]:
        rows = await self._session.rows(_EVENTS, (after_id, creditor_id, limit))
        return [
            StatusEvent(row["id"], row["message_id"], MessageStatus(row["status"]),
                        parse_instant(row["at"]), row["detail"])
            for row in rows
        ]  # fmt: skip

    async def delivered(
        self, creditor_id: str, owner: str, last_event_id: int, at: datetime
    ) -> bool:
        params = (last_event_id, format_instant(at), creditor_id, owner)
        return await self._session.execute(_DELIVERED, params) == 1

    async def failed(
        self, creditor_id: str, owner: str, error: str, next_attempt_at: datetime
    ) -> bool:
        params = (format_instant(next_attempt_at), error, creditor_id, owner)
        return await self._session.execute(_FAILED, params) == 1

    async def release(self, creditor_id: str, owner: str) -> bool:
        return await self._session.execute(_RELEASE, (creditor_id, owner)) == 1


def _webhook(row: sqlite3.Row) -> Webhook:
    return Webhook(
        creditor_id=row["creditor_id"],
        url=row["url"],
        configured_at=parse_instant(row["configured_at"]),
        last_event_id=row["last_event_id"],
        failures=row["failures"],
        next_attempt_at=parse_optional(row["next_attempt_at"]),
        last_error=row["last_error"],
        delivered_at=parse_optional(row["delivered_at"]),
        lease_owner=row["lease_owner"],
        lease_until=parse_optional(row["lease_until"]),
    )
