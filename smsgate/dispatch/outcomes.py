"""What became of each claimed message, and the operator log event that says so.

Every claimed outbox item ends a dispatch round with exactly one
``DispatchOutcome``; the dispatcher logs it as one structlog event *after* the
transaction that made it true has committed, so the log never reports a
state the database does not hold. Events carry ids, attempt, carrier and
latency, never the message text, and the phone only masked (here, not only
by the log processor, so events captured in tests or sent elsewhere are safe too).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from smsgate.logs import mask_phone
from smsgate.store import Message


class Disposition(StrEnum):
    """Where a claimed message went in one round; the value is the log event's name."""

    SENT = "message_sent"
    RETRYING = "message_retry_scheduled"
    FAILED = "message_failed"
    UNKNOWN = "message_outcome_unknown"
    RECONCILING = "message_lookup_scheduled"
    REJECTED = "message_rejected"
    RESCHEDULED = "message_rescheduled"
    RELEASED = "message_released"
    SKIPPED = "message_skipped"
    LEASE_LOST = "message_lease_lost"
    #: Another writer (a report, a reply) moved the message first (``overtaken``).
    MOVED_MEANWHILE = "message_moved_meanwhile"
    ERROR = "message_dispatch_error"


#: Dispositions an operator should look at; logged at warning level.
WARNINGS = frozenset(
    {Disposition.FAILED, Disposition.UNKNOWN, Disposition.LEASE_LOST, Disposition.ERROR}
)


@dataclass(frozen=True, slots=True)
class DispatchOutcome:
    """One claimed message's fate in a round, with the fields of its log event."""

    disposition: Disposition
    message_id: str
    fields: Mapping[str, Any] = field(default_factory=dict)


def outcome_of(disposition: Disposition, message: Message, **fields: Any) -> DispatchOutcome:
    """A ``DispatchOutcome`` whose log fields identify ``message`` (creditor, masked phone)."""
    identity = {"creditor_id": message.creditor_id, "phone": mask_phone(message.phone)}
    return DispatchOutcome(disposition, message.id, {**identity, **fields})


@dataclass(frozen=True, slots=True)
class DispatchReport:
    """The outcomes of one ``Dispatcher.run_once``, in the order the items were claimed."""

    outcomes: tuple[DispatchOutcome, ...] = ()

    @property
    def claimed(self) -> int:
        """How many items the round claimed."""
        return len(self.outcomes)

    def count(self, disposition: Disposition) -> int:
        """How many claimed items ended with ``disposition``."""
        return sum(1 for outcome in self.outcomes if outcome.disposition == disposition)
