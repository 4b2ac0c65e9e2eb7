"""A circuit breaker per carrier account: stop sending to a carrier that keeps failing.

When a carrier is down, every message sent to it waits out a timeout and
then a backoff; sending elsewhere (the next account of the route) at once is
better. So each account has a breaker::

    closed ──N consecutive retryable/unknown failures──▶ open
      ▲                                                    │ cooldown passes
      └────────── the trial succeeds ◀──── half-open ◀─────┘
                  (a failed trial opens it again)

While open the dispatcher chooses other accounts; half-open lets exactly one
trial send through, and only its answer decides. A permanent refusal is an
answer, so it counts as the carrier being up. A trial that never reports
back (its dispatcher lost the item) is given up after another cooldown, so
the breaker cannot stay half-open for ever.

Pure: the clock is a parameter, and a change of state is returned to the
caller (who logs it) rather than acted on here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum


class CircuitState(StrEnum):
    """Whether a carrier gets sends: all (closed), none (open), or one trial (half-open)."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """One carrier's breaker; see the module docstring."""

    def __init__(self, failures: int, cooldown: timedelta, clock: Callable[[], datetime]) -> None:
        if failures < 1 or cooldown <= timedelta(0):
            raise ValueError(
                f"need failures >= 1 and a positive cooldown, got {failures}, {cooldown}"
            )
        self._threshold = failures
        self._cooldown = cooldown
        self._clock = clock
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._since = clock()  # when the current state (or the current trial) began

    @property
    def state(self) -> CircuitState:
        """The state as last changed (an open breaker past its cooldown still says open)."""
        return self._state

    @property
    def consecutive_failures(self) -> int:
        """Failures since the last success."""
        return self._failures

    def reopens_at(self) -> datetime | None:
        """When a trial may next go through, or ``None`` if sends may go now."""
        if self._state is CircuitState.CLOSED:
            return None
        at = self._since + self._cooldown
        return None if self._clock() >= at else at

    def admit(self) -> tuple[bool, CircuitState | None]:
        """Whether a send may go to this carrier now, and the new state if that changed it.

        In half-open the first caller gets the trial; others are refused until
        it reports, or until it has been silent for a whole cooldown.
        """
        if self._state is CircuitState.CLOSED:
            return True, None
        if self.reopens_at() is not None:
            return False, None
        changed = CircuitState.HALF_OPEN if self._state is CircuitState.OPEN else None
        self._enter(CircuitState.HALF_OPEN)
        return True, changed

    def succeeded(self) -> CircuitState | None:
        """Record an answer from the carrier (accepted or refused for good)."""
        self._failures = 0
        if self._state is CircuitState.HALF_OPEN:
            self._enter(CircuitState.CLOSED)
            return CircuitState.CLOSED
        return None

    def failed(self) -> CircuitState | None:
        """Record a retryable failure or an unknown outcome; the new state if it opened."""
        self._failures += 1
        if self._state is CircuitState.HALF_OPEN or (
            self._state is CircuitState.CLOSED and self._failures >= self._threshold
        ):
            self._enter(CircuitState.OPEN)
            return CircuitState.OPEN
        return None  # already open: a late answer from before does not extend the cooldown

    def _enter(self, state: CircuitState) -> None:
        self._state = state
        self._since = self._clock()
