"""Pacing sends to a carrier account's contracted rate: a token bucket counting segments.

Carriers sell throughput in segments per second (a 3-part message costs 3)
and throttle, or bill, whoever exceeds it. The bucket holds up to
``capacity`` tokens (one second's worth by default) and refills at ``rate``
per second; a send takes one token per segment.

Takers *reserve*: ``take`` subtracts at once, possibly going below zero,
and then sleeps until the refill covers its share. Reserving keeps takers in
arrival order without a lock (nothing awaits between reading and writing the
level), and a message longer than the bucket is paced rather than stuck.
The clock and the sleep are parameters, so tests run it on a fake clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """Segments per second for one carrier account; see the module docstring."""

    def __init__(
        self,
        rate: float,
        *,
        capacity: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"a rate is positive, got {rate}")
        self.rate = rate
        self.capacity = capacity if capacity is not None else max(rate, 1.0)
        if self.capacity <= 0:
            raise ValueError(f"a capacity is positive, got {self.capacity}")
        self._clock = clock
        self._sleep = sleep
        self._level = self.capacity
        self._at = clock()

    def reserve(self, tokens: float) -> float:
        """Take ``tokens`` now; how many seconds the taker must wait before it may use them."""
        now = self._clock()
        self._level = min(self.capacity, self._level + (now - self._at) * self.rate)
        self._at = now
        self._level -= tokens
        return 0.0 if self._level >= 0 else -self._level / self.rate

    async def take(self, tokens: float) -> float:
        """Wait until ``tokens`` may be used; returns the seconds waited (0 if none)."""
        wait = self.reserve(tokens)
        if wait > 0:
            await self._sleep(wait)
        return wait
