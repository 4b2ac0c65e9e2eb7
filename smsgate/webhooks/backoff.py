"""When to post to a creditor's receiver again after it failed: capped exponential backoff.

After the *n*-th failure in a row the next post waits ``min(cap, base *
2**(n-1))``: 10 s, 20 s, 40 s … up to an hour by default. Webhooks retry
for ever (the events wait in ``message_events``, nothing is dropped), so the
cap bounds how stale a receiver may be after it recovers, not how long we
try. No jitter, unlike the dispatcher's carrier retries: each creditor has
one receiver and at most one post in flight, so there is no burst of
retries to spread, and exact waits are what an operator reads in
``next_attempt_at`` and the logs.

Pure: standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Backoff:
    """The wait after consecutive failures: ``base`` doubled per failure, at most ``cap``."""

    base: timedelta = timedelta(seconds=10)
    cap: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        if not timedelta(0) < self.base <= self.cap:
            raise ValueError(f"need 0 < base <= cap, got base={self.base}, cap={self.cap}")

    def delay(self, failures: int) -> timedelta:
        """The wait after ``failures`` consecutive failures (counted from 1)."""
        # In float seconds, with the exponent bounded: timedelta overflows long before.
        exponent = min(max(failures - 1, 0), 64)
        seconds = self.base.total_seconds() * 2.0**exponent
        return timedelta(seconds=min(seconds, self.cap.total_seconds()))

    def next_attempt(self, now: datetime, failures: int) -> datetime:
        """The instant after which a post may follow the ``failures``-th failure at ``now``."""
        return now + self.delay(failures)
