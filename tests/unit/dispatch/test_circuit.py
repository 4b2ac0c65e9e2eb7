"""The circuit breaker: closed, open after N failures, one trial after the cooldown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smsgate.dispatch import CircuitBreaker, CircuitState

T0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
COOLDOWN = timedelta(seconds=30)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def opened(clock: Clock, failures: int = 3) -> CircuitBreaker:
    breaker = CircuitBreaker(failures, COOLDOWN, clock)
    for _ in range(failures):
        breaker.failed()
    assert breaker.state is CircuitState.OPEN
    return breaker


class TestClosed:
    """A closed breaker admits every send and opens after N consecutive failures."""

    def test_opens_on_the_nth_consecutive_failure(self, clock: Clock) -> None:
        breaker = CircuitBreaker(3, COOLDOWN, clock)
        assert [breaker.failed(), breaker.failed()] == [None, None]
        assert breaker.admit() == (True, None)
        assert breaker.failed() is CircuitState.OPEN
        assert breaker.admit() == (False, None)

    def test_an_answer_resets_the_count(self, clock: Clock) -> None:
        breaker = CircuitBreaker(3, COOLDOWN, clock)
        breaker.failed()
        breaker.failed()
        assert breaker.succeeded() is None
        breaker.failed()
        breaker.failed()
        assert breaker.state is CircuitState.CLOSED
        assert breaker.reopens_at() is None

    @pytest.mark.parametrize(
        ("failures", "cooldown"),
        [pytest.param(0, COOLDOWN, id="no-failures"), pytest.param(1, timedelta(0), id="no-wait")],
    )
    def test_refuses_nonsense(self, clock: Clock, failures: int, cooldown: timedelta) -> None:
        with pytest.raises(ValueError, match="failures"):
            CircuitBreaker(failures, cooldown, clock)


class TestOpen:
    """An open breaker refuses sends until the cooldown has passed."""

    def test_refuses_during_the_cooldown(self, clock: Clock) -> None:
        breaker = opened(clock)
        clock.advance(29.9)
        assert breaker.admit() == (False, None)
        assert breaker.reopens_at() == T0 + COOLDOWN

    def test_late_failures_do_not_extend_the_cooldown(self, clock: Clock) -> None:
        breaker = opened(clock)
        clock.advance(20)
        assert breaker.failed() is None
        assert breaker.reopens_at() == T0 + COOLDOWN


class TestHalfOpen:
    """After the cooldown exactly one trial goes through, and its answer decides."""

    def test_one_trial_only(self, clock: Clock) -> None:
        breaker = opened(clock)
        clock.advance(30)
        assert breaker.admit() == (True, CircuitState.HALF_OPEN)
        assert breaker.admit() == (False, None)

    def test_trial_success_closes(self, clock: Clock) -> None:
        breaker = opened(clock)
        clock.advance(30)
        breaker.admit()
        assert breaker.succeeded() is CircuitState.CLOSED
        assert breaker.admit() == (True, None)

    def test_trial_failure_opens_again(self, clock: Clock) -> None:
        breaker = opened(clock)
        clock.advance(30)
        breaker.admit()
        clock.advance(5)
        assert breaker.failed() is CircuitState.OPEN
        assert breaker.reopens_at() == T0 + timedelta(seconds=65)

    def test_a_silent_trial_is_replaced_after_a_cooldown(self, clock: Clock) -> None:
        breaker = opened(clock)
        clock.advance(30)
        breaker.admit()
        clock.advance(30)
        assert breaker.admit() == (True, None)
        assert breaker.state is CircuitState.HALF_OPEN
