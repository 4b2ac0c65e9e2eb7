"""``WebhookRepository``: a cursor per creditor over ``message_events``.

Events are read with ``message_events``' primary key (``id > cursor``) and
each one's message by its primary key to keep the creditor's; no index is
added to the send path's tables. That walk also passes other creditors'
events, so a cursor that stays behind while others are busy would make
every round rescan the same rows. ``claim_due`` therefore first moves the
cursor of each webhook that has nothing to deliver up to the *head*.

The head is the dialect's (``Dialect.event_head``), because the cursor is only
safe below an id no event can still commit at (``smsgate.store.webhooks``).
On SQLite, the one writer, it is simply the newest event: ``claim_due`` runs
in a write transaction, so no event at or below it can still commit. On
PostgreSQL it is the settled head of ``smsgate.store.postgres.horizon``, and
``events_after`` reads only up to it (``Dialect.settled_events``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from smsgate.store.records import MessageStatus
from smsgate.store.sql.dialect import Dialect, Row, Session
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
    " WHERE e.id > webhooks.last_event_id AND e.id <= ?1"
    " AND m.creditor_id = webhooks.creditor_id"
)
_SKIP_IDLE = (
    f"UPDATE webhooks SET last_event_id = ?1 WHERE last_event_id < ?1 AND NOT EXISTS ({_PENDING})"
)
_CLAIM = (
    "UPDATE webhooks SET lease_owner = ?1, lease_until = ?2"
    " WHERE creditor_id IN (SELECT creditor_id FROM webhooks WHERE last_event_id < ?3"
    " AND (next_attempt_at IS NULL OR next_attempt_at <= ?4)"
    " AND (lease_until IS NULL OR lease_until <= ?4)"
    " ORDER BY next_attempt_at NULLS FIRST, creditor_id LIMIT ?5{skip_locked})"
    " RETURNING *"
)
_EVENTS = (
    "SELECT e.id, e.message_id, e.status, e.at, e.detail"
    " FROM message_events AS e JOIN messages AS m ON m.id = e.message_id"
    " WHERE e.id > ? AND m.creditor_id = ?{settled} ORDER BY e.id LIMIT ?"
)
_DELIVERED = (
    "UPDATE webhooks SET last_event_id = {greatest}(last_event_id, ?), failures = 0,"
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


class SqlWebhooks:
    """``WebhookRepository`` on either database; see the module docstring for the head."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.dialect

    async def configure(self, creditor_id: str, url: str, at: datetime) -> Webhook:
        params = (creditor_id, url, self._dialect.instant(at))
        row = await self._session.row(_CONFIGURE, params)
        assert row is not None  # an upsert with RETURNING always returns its row
        return _webhook(row, self._dialect)

    async def remove(self, creditor_id: str) -> bool:
        sql = "DELETE FROM webhooks WHERE creditor_id = ?"
        return await self._session.execute(sql, (creditor_id,)) == 1

    async def get(self, creditor_id: str) -> Webhook | None:
        sql = "SELECT * FROM webhooks WHERE creditor_id = ?"
        row = await self._session.row(sql, (creditor_id,))
        return None if row is None else _webhook(row, self._dialect)

    async def all(self) -> list[Webhook]:
        rows = await self._session.rows("SELECT * FROM webhooks ORDER BY creditor_id")
        return [_webhook(row, self._dialect) for row in rows]

    async def claim_due(
        self, now: datetime, owner: str, lease: timedelta, limit: int
    ) -> list[Webhook]:
        d = self._dialect
        head = await d.event_head(self._session)
        await self._session.execute(_SKIP_IDLE, (head,))
        claim = _CLAIM.format(skip_locked=d.skip_locked)
        params = (owner, d.instant(now + lease), head, d.instant(now), limit)
        hooks = [_webhook(row, d) for row in await self._session.rows(claim, params)]
        return sorted(hooks, key=lambda h: (h.next_attempt_at or now, h.creditor_id))

    async def events_after(self, creditor_id: str, after_id: int, limit: int) -> list[StatusEvent]:
        sql = _EVENTS.format(settled=self._dialect.settled_events)
        rows = await self._session.rows(sql, (after_id, creditor_id, limit))
        read_instant = self._dialect.read_instant
        return [
            StatusEvent(row["id"], row["message_id"], MessageStatus(row["status"]),
                        read_instant(row["at"]), row["detail"])
            for row in rows
        ]  # fmt: skip

    async def delivered(
        self, creditor_id: str, owner: str, last_event_id: int, at: datetime
    ) -> bool:
        sql = _DELIVERED.format(greatest=self._dialect.greatest)
        params = (last_event_id, self._dialect.instant(at), creditor_id, owner)
        return await self._session.execute(sql, params) == 1

    async def failed(
        self, creditor_id: str, owner: str, error: str, next_attempt_at: datetime
    ) -> bool:
        params = (self._dialect.instant(next_attempt_at), error, creditor_id, owner)
        return await self._session.execute(_FAILED, params) == 1

    async def release(self, creditor_id: str, owner: str) -> bool:
        return await self._session.execute(_RELEASE, (creditor_id, owner)) == 1


def _webhook(row: Row, dialect: Dialect) -> Webhook:
    return Webhook(
        creditor_id=row["creditor_id"],
        url=row["url"],
        configured_at=dialect.read_instant(row["configured_at"]),
        last_event_id=row["last_event_id"],
        failures=row["failures"],
        next_attempt_at=dialect.read_optional_instant(row["next_attempt_at"]),
        last_error=row["last_error"],
        delivered_at=dialect.read_optional_instant(row["delivered_at"]),
        lease_owner=row["lease_owner"],
        lease_until=dialect.read_optional_instant(row["lease_until"]),
    )
