"""Choosing the carrier account of an attempt: route order, failover, circuits, limits."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from structlog.testing import capture_logs

from smsgate.carriers import (
    CarrierError,
    FakeCarrier,
    OutcomeUnknown,
    PermanentCarrierError,
    RetryableCarrierError,
    SendResult,
)
from smsgate.carriers.config import BreakerLimits, CarrierLimits
from smsgate.carriers.fleet import CarrierFleet, FleetMember
from smsgate.dispatch.lanes import AllCircuitsOpen, Chosen, Lanes, in_failover_order
from smsgate.store import AttemptOutcome, SendAttempt

T0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
TWO_STRIKES = CarrierLimits(breaker=BreakerLimits(failures=2, cooldown_seconds=30))


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def lanes_of(names: Sequence[str], clock: Clock, **routes: list[str]) -> Lanes:
    members = {name: FleetMember(FakeCarrier(name=name), TWO_STRIKES) for name in names}
    return Lanes(CarrierFleet(members, {"default": list(names), **routes}), clock=clock)


def failed_on(carrier: str, outcome: AttemptOutcome = AttemptOutcome.RETRYABLE) -> SendAttempt:
    return SendAttempt("msg_a", 1, carrier, "msg_a-1", T0, outcome)


def trip(lanes: Lanes, name: str) -> None:
    lane = lanes.get(name)
    assert lane is not None
    for _ in range(2):
        lanes.answered(lane, RetryableCarrierError("down"))


class TestFailoverOrder:
    """After a failure on one account, the route is walked from the next one, wrapping round."""

    @pytest.mark.parametrize(
        ("failed", "order"),
        [
            pytest.param(None, ["a", "b", "c"], id="first-attempt"),
            pytest.param("a", ["b", "c", "a"], id="after-first"),
            pytest.param("c", ["a", "b", "c"], id="after-last-wraps"),
            pytest.param("z", ["a", "b", "c"], id="not-on-route"),
        ],
    )
    def test_order(self, failed: str | None, order: list[str]) -> None:
        assert in_failover_order(["a", "b", "c"], failed) == order


class TestChoose:
    """The first admitted account of the creditor's route, failing over after retryable errors."""

    def test_first_of_the_route(self) -> None:
        lanes = lanes_of(["a", "b"], Clock(), acme=["b"])
        assert lanes.choose("globex", None) == Chosen("a")
        assert lanes.choose("acme", None) == Chosen("b")

    def test_failover_after_a_retryable_failure(self) -> None:
        lanes = lanes_of(["a", "b"], Clock())
        assert lanes.choose("acme", failed_on("a")) == Chosen("b", failover_from="a")

    def test_no_failover_after_another_outcome(self) -> None:
        lanes = lanes_of(["a", "b"], Clock())
        assert lanes.choose("acme", failed_on("a", AttemptOutcome.UNKNOWN)) == Chosen("a")

    def test_single_account_route_retries_there(self) -> None:
        lanes = lanes_of(["a"], Clock())
        assert lanes.choose("acme", failed_on("a")) == Chosen("a")

    def test_open_circuit_is_passed_over(self) -> None:
        lanes = lanes_of(["a", "b"], Clock())
        trip(lanes, "a")
        assert lanes.choose("acme", None) == Chosen("b")

    def test_every_circuit_open_waits_for_the_earliest_trial(self) -> None:
        clock = Clock()
        lanes = lanes_of(["a", "b"], clock)
        trip(lanes, "a")
        clock.now += timedelta(seconds=10)
        trip(lanes, "b")
        assert lanes.choose("acme", None) == AllCircuitsOpen(T0 + timedelta(seconds=30))

    def test_half_open_trial_goes_to_one_message(self) -> None:
        clock = Clock()
        lanes = lanes_of(["a"], clock)
        trip(lanes, "a")
        clock.now += timedelta(seconds=30)
        with capture_logs() as logs:
            assert lanes.choose("acme", None) == Chosen("a")
        assert isinstance(lanes.choose("acme", None), AllCircuitsOpen)
        assert [(e["event"], e["carrier"]) for e in logs] == [("circuit_half_open", "a")]


class TestAnswers:
    """Retryable and unknown failures count against the breaker; any answer resets it."""

    @pytest.mark.parametrize(
        ("answer", "opens"),
        [
            pytest.param(RetryableCarrierError("503"), True, id="retryable"),
            pytest.param(OutcomeUnknown("timeout"), True, id="unknown"),
            pytest.param(PermanentCarrierError("bad number"), False, id="permanent"),
            pytest.param(SendResult("a", T0, "c-1"), False, id="accepted"),
        ],
    )
    def test_what_counts(self, answer: CarrierError | SendResult, opens: bool) -> None:
        lanes = lanes_of(["a"], Clock())
        lane = lanes.get("a")
        assert lane is not None
        with capture_logs() as logs:
            for _ in range(2):
                lanes.answered(lane, answer)
        assert [e["event"] for e in logs] == (["circuit_opened"] if opens else [])

    def test_trial_success_logs_closed(self) -> None:
        clock = Clock()
        lanes = lanes_of(["a"], clock)
        trip(lanes, "a")
        clock.now += timedelta(seconds=30)
        lanes.choose("acme", None)
        lane = lanes.get("a")
        assert lane is not None
        with capture_logs() as logs:
            lanes.answered(lane, SendResult("a", clock.now, "c-2"))
        assert [(e["event"], e["carrier"]) for e in logs] == [("circuit_closed", "a")]
        assert lanes.choose("acme", None) == Chosen("a")


class TestConcurrency:
    """An account's ``concurrency`` bounds its sends in flight."""

    async def test_turns_beyond_the_limit_wait(self) -> None:
        member = FleetMember(FakeCarrier(name="a"), CarrierLimits(concurrency=2))
        lanes = Lanes(CarrierFleet({"a": member}, {"default": ["a"]}), clock=Clock())
        lane = lanes.get("a")
        assert lane is not None
        inside, peak, release = 0, 0, asyncio.Event()

        async def send() -> None:
            nonlocal inside, peak
            async with lane.turn(1):
                inside += 1
                peak = max(peak, inside)
                await release.wait()
                inside -= 1

        tasks = [asyncio.create_task(send()) for _ in range(5)]
        await asyncio.sleep(0.01)
        assert inside == 2
        release.set()
        await asyncio.gather(*tasks)
        assert peak == 2
