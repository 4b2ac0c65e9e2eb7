"""Rate limiting of failures per client (an address, or a key), shared by the API, the UI and sends.

A key is 256 random bits, so guessing one is hopeless; the throttle is there
so that trying is also loud and slow, and so that a client stuck with a
revoked key does not hammer the key lookup. Each address may fail
``limit`` times in any ``window`` seconds (a sliding window: the instants of
its last ``limit`` failures are kept). Past that, every request from the
address that needs a key is refused *before* its key is looked at, a valid
key included: otherwise an attacker holding one key could keep guessing
with the others. Refused requests do not count as failures, so the address
recovers ``window`` seconds after its failures stopped.

Only presented keys that fail count; a request without any key is refused
(401) without counting, since it guesses nothing and a misconfigured client
behind a shared NAT would otherwise lock out its neighbours.

Memory is bounded: at most ``max_clients`` addresses are tracked, each with
at most ``limit`` instants; the least recently failing address is forgotten
first. The state is per process: with several instances each counts its own
failures (a client can make ``limit`` failures per window per instance).

The same window counts each key's sends for unknown templates
(``smsgate.service.sending``); the client is then the key's id.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class AuthThrottle:
    """Counts failed authentications per client address and says who must wait, and how long."""

    def __init__(
        self,
        limit: int = 20,
        window_seconds: float = 60.0,
        *,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window_seconds <= 0 or max_clients < 1:
            raise ValueError("limit, window and max_clients must be positive")
        self.limit = limit
        self.window = window_seconds
        self._max_clients = max_clients
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, client: str) -> int | None:
        """Whole seconds ``client`` must wait before a key is looked at again; ``None`` if not
        limited."""
        failures = self._failures.get(client)
        if failures is None or len(failures) < self.limit:
            return None
        wait = failures[0] + self.window - self._clock()
        return math.ceil(wait) if wait > 0 else None

    def failed(self, client: str) -> bool:
        """Record a failed authentication of ``client``; ``True`` if that made it limited."""
        failures = self._failures.pop(client, None)
        if failures is None:
            failures = deque(maxlen=self.limit)
            while len(self._failures) >= self._max_clients:
                self._failures.popitem(last=False)
        failures.append(self._clock())
        self._failures[client] = failures  # now the most recent
        return self.retry_after(client) is not None

    def tracked(self) -> int:
        """How many addresses are tracked (for tests and metrics)."""
        return len(self._failures)
