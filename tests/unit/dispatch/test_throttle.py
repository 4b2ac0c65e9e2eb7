"""The token bucket: segments per second, waits reserved in arrival order, on a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from smsgate.dispatch import TokenBucket


class FakeTime:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.naps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.naps.append(seconds)
        self.now += seconds


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


def bucket(time: FakeTime, rate: float, capacity: float | None = None) -> TokenBucket:
    return TokenBucket(rate, capacity=capacity, clock=time, sleep=time.sleep)


class TestPace:
    """A full bucket lets a second's worth through, then paces at the rate."""

    async def test_burst_then_rate(self, time: FakeTime) -> None:
        tps = bucket(time, rate=10)
        waits = [await tps.take(1) for _ in range(13)]
        assert waits[:10] == [0.0] * 10
        assert waits[10:] == pytest.approx([0.1, 0.1, 0.1])
        assert time.now == pytest.approx(100.3)

    async def test_segments_cost_tokens(self, time: FakeTime) -> None:
        tps = bucket(time, rate=10)
        assert await tps.take(6) == 0.0
        assert await tps.take(6) == pytest.approx(0.2)

    async def test_refills_while_idle_up_to_capacity(self, time: FakeTime) -> None:
        tps = bucket(time, rate=10)
        await tps.take(10)
        time.now += 60  # an hour of idling would not buy more than the capacity
        assert [await tps.take(5), await tps.take(5), await tps.take(5)] == pytest.approx(
            [0.0, 0.0, 0.5]
        )

    async def test_a_message_longer_than_the_bucket_is_paced_not_stuck(
        self, time: FakeTime
    ) -> None:
        tps = bucket(time, rate=2)
        assert await tps.take(6) == pytest.approx(2.0)


class TestReservations:
    """Concurrent takers wait in the order they asked, each its own share."""

    async def test_concurrent_takers_are_spread(self, time: FakeTime) -> None:
        tps = bucket(time, rate=5, capacity=1)
        waits = [tps.reserve(1) for _ in range(4)]
        assert waits == pytest.approx([0.0, 0.2, 0.4, 0.6])

    async def test_take_sleeps_only_when_needed(self, time: FakeTime) -> None:
        naps: list[float] = []

        async def nap(seconds: float) -> None:  # all four ask at the same instant
            naps.append(seconds)

        tps = TokenBucket(4, capacity=2, clock=time, sleep=nap)
        await asyncio.gather(*(tps.take(1) for _ in range(4)))
        assert naps == pytest.approx([0.25, 0.5])

    @pytest.mark.parametrize(
        ("rate", "capacity"),
        [pytest.param(0, None, id="no-rate"), pytest.param(5, 0, id="no-capacity")],
    )
    def test_refuses_nonsense(self, time: FakeTime, rate: float, capacity: float | None) -> None:
        with pytest.raises(ValueError, match="positive"):
            bucket(time, rate, capacity)
