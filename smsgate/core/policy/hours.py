"""When a recipient may be contacted: daily contact windows minus tag blackouts.

Both are written in the recipient's wall-clock time, as regulations and
creditors write them: "08:00–21:00", "students: not during class,
08:30–12:30 and 14:00–17:30". A window includes its start and excludes its
end, so 20:59:59 is inside 08:00–21:00 and 21:00 is not, and a blackout
ending 12:30 lets a message go at 12:30.

The subtraction happens on the clock face first and only then becomes real
instants (``local_time`` explains how DST is handled), so a blackout can only
ever grow, never shrink, across a daylight-saving change.

Where the recipient may be in several zones (``zones``), ``EveryZoneHours``
opens only where the hours of every zone are open at once: the real-time
intersection of each zone's ``ContactHours``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from smsgate.core.policy.errors import ProfileError
from smsgate.core.policy.local_time import (
    Span,
    days_between,
    earliest_instant,
    latest_instant,
    local_date,
    wall_time,
)

_WINDOW = re.compile(r"^\s*(\S+?)\s*[-–]\s*(\S+)\s*$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


def parse_time_of_day(text: str) -> time:
    """``"08:00"`` or ``"08:00:30"`` as a ``time``; raises ``ProfileError`` otherwise."""
    match = _TIME.match(text)
    if match is None:
        raise ProfileError(f"{text!r} is not a time of day (HH:MM from 00:00 to 23:59)")
    hour, minute, second = match.groups()
    return time(int(hour), int(minute), int(second or 0))


@dataclass(frozen=True, slots=True, order=True)
class LocalWindow:
    """A daily stretch of wall-clock time ``[start, end)`` within one calendar day."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ProfileError(f"window {self} must use wall-clock times without a time zone")
        if not self.start < self.end:
            raise ProfileError(
                f"window {self} must start before it ends on the same day "
                "(windows across midnight are not supported)"
            )

    @classmethod
    def parse(cls, text: str) -> LocalWindow:
        """``"08:00-21:00"`` (or with an en dash) as a window; raises ``ProfileError``."""
        match = _WINDOW.match(text)
        if match is None:
            raise ProfileError(f"{text!r} is not a window such as '08:00-21:00'")
        return cls(parse_time_of_day(match[1]), parse_time_of_day(match[2]))

    def __contains__(self, moment: time) -> bool:
        return self.start <= moment < self.end

    def __str__(self) -> str:
        return f"{_clock(self.start)}–{_clock(self.end)}"


@dataclass(frozen=True, slots=True)
class TagBlackout:
    """Windows in which recipients carrying ``tag`` must not be contacted."""

    tag: str
    windows: tuple[LocalWindow, ...]

    def __str__(self) -> str:
        return f"'{self.tag}' blackout {', '.join(map(str, self.windows))}"


@dataclass(frozen=True, slots=True)
class ContactHours:
    """The hours one recipient may be contacted, in that recipient's time zone."""

    windows: tuple[LocalWindow, ...]
    blackouts: tuple[TagBlackout, ...]
    zone: ZoneInfo

    def open_spans(self, day: date) -> tuple[Span, ...]:
        """The stretches of real time on local ``day`` in which contact is allowed."""
        cuts = [window for blackout in self.blackouts for window in blackout.windows]
        spans = (self._span(day, start, end) for start, end in _subtract(self.windows, cuts))
        return tuple(span for span in spans if span.start < span.end)

    def is_open(self, instant: datetime) -> bool:
        """Whether contact is allowed at ``instant``."""
        return any(instant in span for span in self.open_spans(local_date(instant, self.zone)))

    def why_closed(self, instant: datetime) -> str:
        """A reviewer-readable reason why ``instant`` is outside the allowed hours."""
        moment = wall_time(instant, self.zone)
        local = f"{_clock(moment)} {self.zone.key}"
        for blackout in self.blackouts:
            for window in blackout.windows:
                if moment in window:
                    return f"local time {local} is inside the '{blackout.tag}' blackout {window}"
        hours = ", ".join(map(str, self.windows))
        if not any(moment in window for window in self.windows):
            return f"local time {local} is outside the contact hours {hours}"
        return (
            f"local time {local} falls in an hour that repeats after a daylight-saving change "
            f"and is not wholly inside the contact hours {hours}"
        )

    def _span(self, day: date, start: time, end: time) -> Span:
        return Span(latest_instant(day, start, self.zone), earliest_instant(day, end, self.zone))


@dataclass(frozen=True, slots=True)
class EveryZoneHours:
    """Contact hours that must hold in every zone the recipient may be in.

    ``each`` holds the same windows and blackouts in each candidate zone; the
    first is the calendar zone, whose local dates ``open_spans`` is asked about
    (the contact cap counts those dates).
    """

    each: tuple[ContactHours, ...]

    def __post_init__(self) -> None:
        if not self.each:
            raise ValueError("EveryZoneHours needs at least one zone")

    @classmethod
    def of(
        cls,
        windows: tuple[LocalWindow, ...],
        blackouts: tuple[TagBlackout, ...],
        zones: tuple[ZoneInfo, ...],
    ) -> EveryZoneHours:
        """The hours ``windows`` minus ``blackouts``, judged in each of ``zones``."""
        return cls(tuple(ContactHours(windows, blackouts, zone) for zone in zones))

    @property
    def zone(self) -> ZoneInfo:
        """The calendar zone: the one whose dates and clock face reasons quote."""
        return self.each[0].zone

    def open_spans(self, day: date) -> tuple[Span, ...]:
        """The stretches of real time on calendar-zone ``day`` open in every zone."""
        spans = self.each[0].open_spans(day)
        for other in self.each[1:]:
            if not spans:
                break
            first = local_date(spans[0].start, other.zone)
            last = local_date(spans[-1].end, other.zone)
            theirs = [span for when in days_between(first, last) for span in other.open_spans(when)]
            spans = _intersect(spans, theirs)
        return spans

    def is_open(self, instant: datetime) -> bool:
        """Whether contact is allowed at ``instant`` in every zone."""
        return all(hours.is_open(instant) for hours in self.each)

    def why_closed(self, instant: datetime) -> str:
        """Why ``instant`` is outside the hours, naming the first zone that is closed."""
        closed = next(hours for hours in self.each if not hours.is_open(instant))
        reason = closed.why_closed(instant)
        if len(self.each) == 1:
            return reason
        return f"{reason} (the hours must hold in all {len(self.each)} zones the number may be in)"


def _intersect(ours: Sequence[Span], theirs: Sequence[Span]) -> tuple[Span, ...]:
    """The instants inside both sets of disjoint spans, as disjoint spans in order."""
    both = (Span(max(a.start, b.start), min(a.end, b.end)) for a in ours for b in theirs)
    return tuple(sorted((span for span in both if span.start < span.end), key=_start))


def _start(span: Span) -> datetime:
    return span.start


def _subtract(
    windows: Iterable[LocalWindow], cuts: Iterable[LocalWindow]
) -> list[tuple[time, time]]:
    """The parts of ``windows`` not covered by any of ``cuts``, in order.

    Touching windows (08:00–12:00, 12:00–21:00) are joined first: converted
    separately, a boundary in a repeated hour would close the gap between them.
    """
    pieces = _join_touching(sorted((window.start, window.end) for window in windows))
    for cut in cuts:
        pieces = [part for piece in pieces for part in _cut(piece, cut)]
    return sorted(pieces)


def _join_touching(pieces: list[tuple[time, time]]) -> list[tuple[time, time]]:
    joined: list[tuple[time, time]] = []
    for start, end in pieces:
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return joined


def _cut(piece: tuple[time, time], cut: LocalWindow) -> list[tuple[time, time]]:
    start, end = piece
    parts = [(start, min(end, cut.start)), (max(start, cut.end), end)]
    return [(a, b) for a, b in parts if a < b]


def _clock(moment: time) -> str:
    return moment.strftime("%H:%M:%S" if moment.second else "%H:%M")
