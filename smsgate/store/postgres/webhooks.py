"""PostgreSQL ``WebhookRepository``: a cursor per creditor over *settled* ``message_events``.

The cursor problem (``smsgate.store.webhooks``): event ids come from a
sequence when a row is inserted, and transactions commit in any order, so
event 41 may become visible after 42 was delivered; a plain cursor at 42
would skip 41 for good. So delivery here only ever reads up to a *settled
head*: an event id at or below which no event can still commit.

How the head is found (``claim_due``, in the worker's write unit). Every
event is inserted after its transaction already has an xid (``messages``
inserts the message or updates its status first, in the same statement).
Read the sequence's last value ``V``, then take a snapshot: every
transaction that drew an id ``<= V`` had its xid before the snapshot, so
below the snapshot's ``xmax``. Once a later snapshot's ``xmin`` (the oldest
transaction still running) reaches that ``xmax``, all of them have ended and
``V`` is settled. ``webhook_horizon`` remembers the pending (``V``,
``xmax``) pair between rounds; with no transaction running at all, ``V`` is
settled at once. ``events_after`` reads up to the stored head, or everything
its snapshot sees when no transaction was running as it was taken (every id
drawn before then is committed or gone, every later one is larger). An
event therefore waits at most one claim round longer than on SQLite, and is
never skipped. (Code that inserts into ``message_events`` as the first write
of its transaction would break the premise; ``messages`` never does.)
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from smsgate.store.postgres.codec import instant
from smsgate.store.postgres.session import Session
from smsgate.store.records import MessageStatus
from smsgate.store.webhooks import StatusEvent, Webhook

_CONFIGURE = (
    "INSERT INTO webhooks (creditor_id, url, configured_at, last_event_id, failures,"
    " next_attempt_at, last_error) VALUES"
    " ($1, $2, $3, (SELECT coalesce(max(id), 0) FROM message_events), 0, NULL, '')"
    " ON CONFLICT (creditor_id) DO UPDATE SET url = excluded.url,"
    " configured_at = excluded.configured_at, failures = 0, next_attempt_at = NULL,"
    " last_error = '' RETURNING *"
)
_LAST_DRAWN = "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM message_events_id_seq"
_SNAPSHOT = (
    "SELECT pg_snapshot_xmin(s)::text::bigint AS xmin, pg_snapshot_xmax(s)::text::bigint AS xmax"
    " FROM pg_current_snapshot() AS s"
)
_PENDING = (
    "SELECT 1 FROM message_events AS e JOIN messages AS m ON m.id = e.message_id"
    " WHERE e.id > webhooks.last_event_id AND e.id <= $1"
    " AND m.creditor_id = webhooks.creditor_id"
)
_SKIP_IDLE = (
    f"UPDATE webhooks SET last_event_id = $1 WHERE last_event_id < $1 AND NOT EXISTS ({_PENDING})"
)
_CLAIM = (
    "UPDATE webhooks SET lease_owner = $1, lease_until = $2"
    " WHERE creditor_id IN (SELECT creditor_id FROM webhooks WHERE last_event_id < $3"
    " AND (next_attempt_at IS NULL OR next_attempt_at <= $4)"
    " AND (lease_until IS NULL OR lease_until <= $4)"
    " ORDER BY next_attempt_at NULLS FIRST, creditor_id LIMIT $5 FOR UPDATE SKIP LOCKED)"
    " RETURNING *"
)
_EVENTS = (
    "SELECT e.id, e.message_id, e.status, e.at, e.detail"
    " FROM message_events AS e JOIN messages AS m ON m.id = e.message_id"
    " WHERE e.id > $1 AND m.creditor_id = $2"
    " AND (e.id <= (SELECT settled_event_id FROM webhook_horizon)"
    " OR pg_snapshot_xmin(pg_current_snapshot()) = pg_snapshot_xmax(pg_current_snapshot()))"
    " ORDER BY e.id LIMIT $3"
)
_DELIVERED = (
    "UPDATE webhooks SET last_event_id = greatest(last_event_id, $1), failures = 0,"
    " next_attempt_at = NULL, last_error = '', delivered_at = $2,"
    " lease_owner = NULL, lease_until = NULL WHERE creditor_id = $3 AND lease_owner = $4"
)
_FAILED = (
    "UPDATE webhooks SET failures = failures + 1, next_attempt_at = $1, last_error = $2,"
    " lease_owner = NULL, lease_until = NULL WHERE creditor_id = $3 AND lease_owner = $4"
)
_RELEASE = (
    "UPDATE webhooks SET lease_owner = NULL, lease_until = NULL"
    " WHERE creditor_id = $1 AND lease_owner = $2"
)


class PostgresWebhooks:
    """``WebhookRepository`` on PostgreSQL; see the module docstring for the settled head."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def configure(self, creditor_id: str, url: str, at: datetime) -> Webhook:
        row = await self._session.row(_CONFIGURE, creditor_id, url, instant(at))
        assert row is not None  # an upsert with RETURNING always returns its row
        return _webhook(row)

    async def remove(self, creditor_id: str) -> bool:
        sql = "DELETE FROM webhooks WHERE creditor_id = $1"
        return await self._session.execute(sql, creditor_id) == 1

    async def get(self, creditor_id: str) -> Webhook | None:
        row = await self._session.row("SELECT * FROM webhooks WHERE creditor_id = $1", creditor_id)
        return None if row is None else _webhook(row)

    async def all(self) -> list[Webhook]:
        rows = await self._session.rows("SELECT * FROM webhooks ORDER BY creditor_id")
        return [_webhook(row) for row in rows]

    async def claim_due(
        self, now: datetime, owner: str, lease: timedelta, limit: int
    ) -> list[Webhook]:
        head = await self._settled_head()
        await self._session.execute(_SKIP_IDLE, head)
        params = (owner, instant(now + lease), head, instant(now), limit)
        hooks = [_webhook(row) for row in await self._session.rows(_CLAIM, *params)]
        return sorted(hooks, key=lambda h: (h.next_attempt_at or now, h.creditor_id))

    async def events_after(self, creditor_id: str, after_id: int, limit: int) -> list[StatusEvent]:
        rows = await self._session.rows(_EVENTS, after_id, creditor_id, limit)
        return [
            StatusEvent(row["id"], row["message_id"], MessageStatus(row["status"]), row["at"],
                        row["detail"])
            for row in rows
        ]  # fmt: skip

    async def delivered(
        self, creditor_id: str, owner: str, last_event_id: int, at: datetime
    ) -> bool:
        params = (last_event_id, instant(at), creditor_id, owner)
        return await self._session.execute(_DELIVERED, *params) == 1

    async def failed(
        self, creditor_id: str, owner: str, error: str, next_attempt_at: datetime
    ) -> bool:
        params = (instant(next_attempt_at), error, creditor_id, owner)
        return await self._session.execute(_FAILED, *params) == 1

    async def release(self, creditor_id: str, owner: str) -> bool:
        return await self._session.execute(_RELEASE, creditor_id, owner) == 1

    async def _settled_head(self) -> int:
        """Advance and return the settled head; see the module docstring."""
        drawn = int(await self._session.value(_LAST_DRAWN))
        snapshot = await self._session.row(_SNAPSHOT)
        horizon = await self._session.row("SELECT * FROM webhook_horizon")
        assert snapshot is not None  # one row each, always
        assert horizon is not None
        settled, pending, pending_xmax = (
            horizon["settled_event_id"], horizon["pending_event_id"], horizon["pending_xmax"]
        )  # fmt: skip
        if snapshot["xmin"] == snapshot["xmax"]:  # nothing running: all drawn ids settled
            settled, pending, pending_xmax = drawn, drawn, snapshot["xmax"]
        elif snapshot["xmin"] >= pending_xmax:
            settled, pending, pending_xmax = pending, drawn, snapshot["xmax"]
        row = await self._session.row(
            "UPDATE webhook_horizon SET settled_event_id = greatest(settled_event_id, $1),"
            " pending_event_id = $2, pending_xmax = $3 RETURNING settled_event_id",
            settled, pending, pending_xmax,
        )  # fmt: skip
        assert row is not None
        return int(row["settled_event_id"])


def _webhook(row: asyncpg.Record) -> Webhook:
    return Webhook(
        creditor_id=row["creditor_id"],
        url=row["url"],
        configured_at=row["configured_at"],
        last_event_id=row["last_event_id"],
        failures=row["failures"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        delivered_at=row["delivered_at"],
        lease_owner=row["lease_owner"],
        lease_until=row["lease_until"],
    )
