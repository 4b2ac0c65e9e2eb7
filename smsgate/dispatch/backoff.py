"""When to try a carrier again: capped exponential backoff with full jitter.

After a retryable failure of attempt *n* the message waits a random time in
``[0, min(cap, base * 2**(n-1))]`` ("full jitter", as in AWS's *Exponential
Backoff and Jitter*). Randomising the whole wait, rather than adding a little
noise to a fixed one, spreads the retries of a burst that failed together (a
carrier outage, a throttle) so they do not hit the carrier together again.
The random draw is a parameter so tests can make it exact.

An attempt whose outcome is unknown is not retried but *looked up* at the
carrier, when its account reconciles: after ``lookup_delay``, at most
``lookups`` times before an operator gets it (``Retrying`` holds both).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

#: Given the longest allowed wait in seconds, the wait to use (``0 <= wait <= bound``).
Jitter = Callable[[float], float]


def full_jitter(bound: float) -> float:
    """A uniformly random wait between 0 and ``bound`` seconds."""
    return random.uniform(0.0, bound)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a message is retried after retryable carrier errors.

    ``max_attempts`` counts hand-overs to the carrier, the first one included;
    the message fails once that many have failed retryably.
    """

    base: timedelta = timedelta(seconds=10)
    cap: timedelta = timedelta(minutes=15)
    max_attempts: int = 5

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if not timedelta(0) < self.base <= self.cap:
            raise ValueError(f"need 0 < base <= cap, got base={self.base}, cap={self.cap}")

    def exhausted(self, attempt: int) -> bool:
        """Whether no retry may follow a retryable failure of ``attempt``."""
        return attempt >= self.max_attempts

    def delay(self, attempt: int, jitter: Jitter = full_jitter) -> timedelta:
        """How long to wait after a retryable failure of ``attempt`` (counted from 1)."""
        # Doubling in float seconds: timedelta arithmetic overflows long before
        # a float does, and the cap is reached after a few dozen attempts anyway.
        exponent = min(max(attempt - 1, 0), 1000)
        bound = min(self.cap.total_seconds(), self.base.total_seconds() * 2.0**exponent)
        return timedelta(seconds=min(max(jitter(bound), 0.0), bound))


@dataclass(frozen=True, slots=True)
class Retrying:
    """How the dispatcher tries again: the retry policy, its randomness, and status lookups."""

    policy: RetryPolicy
    jitter: Jitter = full_jitter
    lookup_delay: timedelta = timedelta(seconds=30)
    lookups: int = 5
