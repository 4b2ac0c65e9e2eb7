"""Outbound status webhooks: each creditor's receiver URL and how far delivery to it has got.

Upstream systems hear of status changes of their messages (queued, sent,
delivered, failed, …) without polling ``GET /v1/messages/{id}``. The changes
are not copied anywhere: ``message_events`` already holds every one of them
with an increasing id, so a webhook is only a URL and a *cursor*, the id of
the last event its receiver acknowledged. Delivery reads the creditor's
events after the cursor in id order and moves the cursor only after the
receiver answered 2xx, which gives at-least-once, in-order delivery with no
change to any write path (receivers drop repeats by event id).

A webhook configured today starts at the newest event of that moment: it
hears what happens from now on, not years of history. Pointing it at another
URL keeps the cursor, so nothing is lost or replayed by the move.

Failures back off per creditor (``failures``, ``next_attempt_at``,
``last_error``), and a worker holds a creditor's webhook under a lease while
it posts, so two workers never post the same creditor's events out of order
and a failing receiver never holds up another creditor's.

Cursor ordering (read this before implementing the Protocol elsewhere). The
cursor is only safe if no event with an id at or below it can commit later.
SQLite has one writer, so ids commit in order and the SQLite implementation
may even move an idle creditor's cursor up to the newest event. On
PostgreSQL a sequence hands out ids at insert time and transactions commit
in any order: event 41 may commit after event 42 was read and acknowledged,
and a plain cursor would skip it for good. A PostgreSQL implementation must
either read only events older than a lag window (``at`` before now minus a
few seconds longer than the longest write transaction, or ids below the
oldest in-flight transaction's, ``pg_snapshot_xmin``) or keep a per-row
delivered flag instead of a cursor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from smsgate.store.records import MessageStatus


@dataclass(frozen=True, slots=True)
class Webhook:
    """A creditor's receiver and its delivery state.

    ``last_event_id`` is the cursor: events with a greater id are still to
    go. ``failures`` counts failed posts since the last success and
    ``next_attempt_at`` (``None``: now) is when the next may be made;
    ``last_error`` says what went wrong last (a status or transport error).
    """

    creditor_id: str
    url: str
    configured_at: datetime
    last_event_id: int = 0
    failures: int = 0
    next_attempt_at: datetime | None = None
    last_error: str = ""
    delivered_at: datetime | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """One status change of a message, as ``message_events`` recorded it and receivers get it.

    ``detail`` may carry a carrier's reason ("unknown subscriber"): it is the
    creditor's own business and goes to their receiver, but never to logs.
    """

    id: int
    message_id: str
    status: MessageStatus
    at: datetime
    detail: str = ""


class WebhookRepository(Protocol):
    """Webhooks by creditor, their cursors and the events after them; see the module docstring."""

    async def configure(self, creditor_id: str, url: str, at: datetime) -> Webhook:
        """Set the creditor's receiver URL and return the webhook.

        A new webhook starts at the newest event; a changed one keeps its
        cursor, forgets its failures and is due at once. Raises
        ``UnknownReference`` for an unknown creditor.
        """
        ...

    async def remove(self, creditor_id: str) -> bool:
        """Delete the creditor's webhook; ``False`` if it had none."""
        ...

    async def get(self, creditor_id: str) -> Webhook | None:
        """The creditor's webhook, if any."""
        ...

    async def all(self) -> list[Webhook]:
        """Every webhook, by creditor."""
        ...

    async def claim_due(
        self, now: datetime, owner: str, lease: timedelta, limit: int
    ) -> list[Webhook]:
        """Lease up to ``limit`` due webhooks that have events to deliver, until ``now + lease``.

        Due: ``next_attempt_at`` unset or reached by ``now``, and no live
        lease. Earliest due first, so a creditor in backoff cannot starve others.
        """
        ...

    async def events_after(self, creditor_id: str, after_id: int, limit: int) -> list[StatusEvent]:
        """The creditor's message events with ``id > after_id``, by id, at most ``limit``."""
        ...

    async def delivered(
        self, creditor_id: str, owner: str, last_event_id: int, at: datetime
    ) -> bool:
        """Move the cursor up to ``last_event_id`` and clear failures and the lease.

        ``False`` if ``owner``'s lease was lost (the webhook was removed, or
        another worker took it over after the lease ran out).
        """
        ...

    async def failed(
        self, creditor_id: str, owner: str, error: str, next_attempt_at: datetime
    ) -> bool:
        """Count a failure and keep the cursor; not due before ``next_attempt_at``.

        Releases the lease; ``False`` if ``owner``'s lease was lost.
        """
        ...

    async def release(self, creditor_id: str, owner: str) -> bool:
        """Give back ``owner``'s lease, changing nothing else; ``False`` if it was lost."""
        ...
