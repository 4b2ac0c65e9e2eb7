"""A message's lifecycle: its statuses, the moves allowed between them, and named groups.

Eight modules move messages (the send itself, held review, stop and complaint
replies, retirement, the dispatcher's preparation, results and reconciliation,
delivery reports); each used to know on its own which statuses it may leave and
which group a status belongs to, and the stores spelled the groups again in
SQL. This table is the one place: every group below is what the modules read,
and :func:`check_move` says whether a move is allowed (:class:`IllegalMove`).
The store enforces it: its status update changes a message only from a
status in :func:`sources_of` the new one, in the same statement, and raises
:class:`IllegalMove` otherwise (``smsgate.store.sql.messages``), and its SQL
spells the groups from here.

::

    created ──> queued ────────> sending ──> sent ──> delivered
            ├─> scheduled ─────────┘  │  │      └──> failed
            └─> held ──> queued/scheduled   ├──> queued (retry)
                 │                     │  ├──> failed / unknown / delivered
    queued, scheduled, held ──> rejected  └──> sending (looked up again)
    queued, scheduled ──> held (a complaint)
                                unknown ──> delivered / failed (a late report)

``sending`` may stay ``sending`` (a lookup is due, an interrupted attempt is
being reconciled) and ``scheduled`` may be scheduled again (a re-check moved
it); every other move changes the status. ``delivered``, ``failed`` and
``rejected`` are final.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class MessageStatus(StrEnum):
    """Where a message is; ``GET /v1/messages/{id}`` shows the history of these."""

    QUEUED = "queued"
    SCHEDULED = "scheduled"
    HELD = "held"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


_S = MessageStatus

#: The statuses a message is created in (accepted now, for later, or for a reviewer).
INITIAL = frozenset({_S.QUEUED, _S.SCHEDULED, _S.HELD})
#: Not yet handed to a carrier: a stop reply, a complaint or a retirement settles these.
PENDING = frozenset({_S.QUEUED, _S.SCHEDULED, _S.HELD})
#: What a dispatcher may take from the outbox and send.
SENDABLE = frozenset({_S.QUEUED, _S.SCHEDULED})
#: Handed to a carrier at least once: a reply (MO) is attributed to these.
HANDED_OVER = frozenset({_S.SENDING, _S.SENT, _S.DELIVERED, _S.FAILED, _S.UNKNOWN})
#: Out with a carrier, whose delivery report may still come.
AWAITING_REPORT = frozenset({_S.SENDING, _S.SENT, _S.UNKNOWN})
#: What a delivery report settles a message as.
REPORTED = frozenset({_S.DELIVERED, _S.FAILED})
#: Nothing moves a message out of these.
FINAL = frozenset({_S.DELIVERED, _S.FAILED, _S.REJECTED})

#: Every allowed move: status -> the statuses it may become.
MOVES: Mapping[MessageStatus, frozenset[MessageStatus]] = MappingProxyType(
    {
        # A complaint holds what still waits for the phone for a reviewer (``replies``).
        _S.QUEUED: frozenset({_S.SENDING, _S.SCHEDULED, _S.HELD, _S.REJECTED}),
        _S.SCHEDULED: frozenset({_S.SENDING, _S.SCHEDULED, _S.HELD, _S.REJECTED}),
        _S.HELD: frozenset({_S.QUEUED, _S.SCHEDULED, _S.REJECTED}),
        _S.SENDING: frozenset(
            {_S.SENDING, _S.SENT, _S.QUEUED, _S.FAILED, _S.UNKNOWN, _S.DELIVERED}
        ),
        _S.SENT: frozenset({_S.DELIVERED, _S.FAILED}),
        _S.UNKNOWN: frozenset({_S.DELIVERED, _S.FAILED}),
        _S.DELIVERED: frozenset(),
        _S.FAILED: frozenset(),
        _S.REJECTED: frozenset(),
    }
)


class IllegalMove(ValueError):
    """A move the lifecycle does not allow, never a user's mistake: a bug in the caller,
    or, raised by the store, a lost race (another writer moved the message first, and
    ``current`` is where it left it)."""

    def __init__(self, message_id: str, current: MessageStatus, wanted: MessageStatus) -> None:
        super().__init__(f"message {message_id}: no move from {current} to {wanted}")
        self.message_id = message_id
        self.current = current
        self.wanted = wanted


def check_move(message_id: str, current: MessageStatus, wanted: MessageStatus) -> None:
    """Raise :class:`IllegalMove` unless ``current`` may become ``wanted``."""
    if wanted not in MOVES[current]:
        raise IllegalMove(message_id, current, wanted)


def sources_of(wanted: MessageStatus) -> frozenset[MessageStatus]:
    """The statuses that may become ``wanted`` (what a store's guarded update accepts)."""
    return frozenset(status for status, targets in MOVES.items() if wanted in targets)
