"""Local wall-clock times mapped to real instants, correctly across DST changes.

Contact rules speak in the recipient's wall-clock time ("08:00–21:00", "per
day"), but messages are sent at instants. Twice a year some zones make that
mapping awkward: on a spring-forward day a local time such as 02:30 never
happens, and on a fall-back day 01:30 happens twice. Python's aware-datetime
arithmetic compares wall times when two values share a ``tzinfo``, so every
instant in this package is kept in UTC and converted to local time only to
read a calendar date or a clock face.

Two mappings make every boundary explicit:

- ``earliest_instant``: the first instant at which the clock reaches a local
  time. Calendar days start there, and contact windows end there.
- ``latest_instant``: the last instant at which the clock reaches it, i.e. the
  second occurrence of a repeated time. Contact windows start there.

A local time skipped by a spring-forward jump is reached at the jump itself
by both. Together they make a contact window the longest stretch of real time
during which the recipient's clock reads inside the window, so a message is
never sent while the recipient's clock shows a forbidden time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smsgate.core.policy.errors import UnknownTimeZone


def zone_named(name: str) -> ZoneInfo:
    """The IANA time zone called ``name``; raises ``UnknownTimeZone`` otherwise.

    ZoneInfo also rejects malformed keys (absolute paths, ``..``) with
    ``ValueError`` and directory names such as ``America`` with ``OSError``;
    all of them mean the same thing to a caller.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownTimeZone(name) from None


def require_aware(value: datetime, what: str) -> None:
    """Raise ``ValueError`` unless ``value`` is timezone-aware: naive times are ambiguous."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {value!r}")


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open stretch of real time ``[start, end)``, both ends in UTC."""

    start: datetime
    end: datetime

    def __contains__(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    """The calendar date the clock of ``zone`` shows at ``instant``."""
    return instant.astimezone(zone).date()


def wall_time(instant: datetime, zone: ZoneInfo) -> time:
    """The time of day the clock of ``zone`` shows at ``instant``."""
    return instant.astimezone(zone).time()


def earliest_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the clock of ``zone`` reads ``at`` on ``day``."""
    return _reached(datetime.combine(day, at), zone)[0]


def latest_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The last instant (UTC) at which the clock of ``zone`` reads ``at`` on ``day``."""
    return _reached(datetime.combine(day, at), zone)[1]


def _reached(local: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Earliest and latest instants showing the naive wall time ``local``.

    ``fold=0`` and ``fold=1`` give the two readings of an ambiguous time (the
    earlier first); for a skipped time they straddle the jump, which is then
    located exactly, because neither reading is an instant that shows it.
    """
    first = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) != local:
        jump = _offset_change(min(first, second), max(first, second), zone)
        return jump, jump
    return min(first, second), max(first, second)


def _offset_change(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """The instant in ``(before, after]`` at which ``zone`` changes its UTC offset.

    Bisects on whole seconds: tz database transitions fall on whole seconds,
    and this runs only for the rare boundary that a jump skips.
    """
    target = after.astimezone(zone).utcoffset()
    low, high = int(before.timestamp()), int(after.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == target:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def days_between(first: date, last: date) -> list[date]:
    """Every calendar date from ``first`` to ``last``, both included."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
