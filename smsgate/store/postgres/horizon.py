"""The webhook worker's settled head on PostgreSQL: the event id it may deliver up to.

Genuinely PostgreSQL's (SQLite has one writer, so its newest event id is
final). The cursor problem (``smsgate.store.webhooks``): event ids come from a
sequence when a row is inserted, and transactions commit in any order, so
event 41 may become visible after 42 was delivered; a plain cursor at 42
would skip 41 for good. So delivery here only ever reads up to a *settled
head*: an event id at or below which no event can still commit.

How the head is found (``settled_head``, in the worker's write unit, from
``claim_due``). Every event is inserted after its transaction already has an
xid (``messages`` inserts the message or updates its status first, in the
same statement). Read the sequence's last value ``V``, then take a snapshot:
every transaction that drew an id ``<= V`` had its xid before the snapshot,
so below the snapshot's ``xmax``. Once a later snapshot's ``xmin`` (the
oldest transaction still running) reaches that ``xmax``, all of them have
ended and ``V`` is settled. ``webhook_horizon`` remembers the pending (``V``,
``xmax``) pair between rounds; with no transaction running at all, ``V`` is
settled at once. ``events_after`` reads up to the stored head
(``SETTLED_EVENTS``), or everything its snapshot sees when no transaction
was running as it was taken (every id drawn before then is committed or
gone, every later one is larger). An event therefore waits at most one claim
round longer than on SQLite, and is never skipped. (Code that inserts into
``message_events`` as the first write of its transaction would break the
premise; ``messages`` never does.)
"""

from __future__ import annotations

from smsgate.store.sql.dialect import Session

_LAST_DRAWN = "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM message_events_id_seq"
_SNAPSHOT = (
    "SELECT pg_snapshot_xmin(s)::text::bigint AS xmin, pg_snapshot_xmax(s)::text::bigint AS xmax"
    " FROM pg_current_snapshot() AS s"
)
_ADVANCE = (
    "UPDATE webhook_horizon SET settled_event_id = greatest(settled_event_id, ?),"
    " pending_event_id = ?, pending_xmax = ? RETURNING settled_event_id"
)
#: ``events_after``'s condition on ``e.id``: settled, or nothing was running.
SETTLED_EVENTS = (
    " AND (e.id <= (SELECT settled_event_id FROM webhook_horizon)"
    " OR pg_snapshot_xmin(pg_current_snapshot()) = pg_snapshot_xmax(pg_current_snapshot()))"
)


async def settled_head(session: Session) -> int:
    """Advance and return the settled head; see the module docstring."""
    drawn = int(await session.value(_LAST_DRAWN))
    snapshot = await session.row(_SNAPSHOT)
    horizon = await session.row("SELECT * FROM webhook_horizon")
    assert snapshot is not None  # one row each, always
    assert horizon is not None
    settled, pending, pending_xmax = (
        horizon["settled_event_id"], horizon["pending_event_id"], horizon["pending_xmax"]
    )  # fmt: skip
    if snapshot["xmin"] == snapshot["xmax"]:  # nothing running: all drawn ids settled
        settled, pending, pending_xmax = drawn, drawn, snapshot["xmax"]
    elif snapshot["xmin"] >= pending_xmax:
        settled, pending, pending_xmax = pending, drawn, snapshot["xmax"]
    return int(await session.value(_ADVANCE, (settled, pending, pending_xmax)))
