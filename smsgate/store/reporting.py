"""Read-only questions the compliance UI asks that the repositories do not answer.

The repositories serve the send path: one row by id, one debtor's contacts.
A dashboard and an audit browser ask across rows instead (how many messages
in each status today, which refusal codes, which terms keep turning up, how
many sent messages each carrier delivered, audit entries of one template),
so those queries live here, in one small Protocol, rather than widening the
send path's ports. Every method takes the creditor and answers for that
creditor alone: the UI never holds a query that could read another tenant.

Instants bound a window as ``start <= at < end``. Counting is done by the
database (``GROUP BY``), so a busy day costs one aggregate query, not a scan
in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from smsgate.store.audit import AuditEntry


@dataclass(frozen=True, slots=True)
class Window:
    """A creditor's half-open time window ``[start, end)``."""

    creditor_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class TermCount:
    """How often one sensitive term was found in the window's messages."""

    term: str
    category: str
    severity: str
    count: int


@dataclass(frozen=True, slots=True)
class CarrierDelivery:
    """Messages a carrier accepted in the window, and how many of them it reported delivered."""

    carrier: str
    sent: int
    delivered: int

    @property
    def rate(self) -> float:
        """Delivered over sent, 0.0 when nothing was sent."""
        return self.delivered / self.sent if self.sent else 0.0


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which of a creditor's audit entries to list; every given field must match.

    ``template_id`` matches entries about the template itself (its subject)
    and entries about messages sent from it (``detail.template_id``).
    ``through_seq`` leaves out entries appended after that one: the log is
    append-only, so pages read one by one up to it (an export) hold exactly
    what one snapshot would, without one long transaction.
    """

    creditor_id: str
    start: datetime | None = None
    end: datetime | None = None
    actor: str | None = None
    action: str | None = None
    template_id: str | None = None
    through_seq: int | None = None


class ReportingQueries(Protocol):
    """Aggregates and filtered listings for the compliance UI, always of one creditor."""

    async def messages_by_status(self, window: Window) -> dict[str, int]:
        """Messages created in the window, counted by current status (absent: zero)."""
        ...

    async def refusals_by_code(self, window: Window) -> dict[str, int]:
        """``message.refused`` audit entries in the window, counted by refusal code."""
        ...

    async def top_findings(self, window: Window, limit: int) -> list[TermCount]:
        """The terms most often found in messages created in the window, most frequent first."""
        ...

    async def delivery_by_carrier(self, window: Window) -> list[CarrierDelivery]:
        """Per carrier: messages handed over successfully in the window, and delivered ones."""
        ...

    async def audit_entries(
        self, query: AuditFilter, *, after_seq: int = 0, limit: int, newest_first: bool = False
    ) -> list[AuditEntry]:
        """Matching entries in ``seq`` order (or reversed), at most ``limit``.

        ``after_seq`` pages forward through the oldest-first order; it is
        ignored when ``newest_first`` is set.
        """
        ...

    async def audit_count(self, query: AuditFilter) -> int:
        """How many entries match ``query``."""
        ...
