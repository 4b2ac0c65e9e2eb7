"""Each carrier account as the dispatcher drives it, and which account a message goes to.

A *lane* is one account of the fleet with what the dispatcher keeps about
it while running: its circuit breaker, its segments-per-second bucket and
its in-flight slots. ``Lanes.choose`` picks the account for one attempt:

* the creditor's route (or the default one) is walked in order;
* after a retryable failure the walk starts *after* the account that
  failed, wrapping round, so a retry fails over instead of hitting the same
  trouble again;
* an account whose circuit is open is passed over; if every one is, the
  message waits until the earliest of them lets a trial through.

Every change a choice or an answer makes (failover, circuit opened,
half-open, closed) is logged here as one event.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from smsgate.carriers import CarrierAdapter, CarrierError, PermanentCarrierError, SendResult
from smsgate.carriers.fleet import CarrierFleet, FleetMember
from smsgate.dispatch.circuit import CircuitBreaker, CircuitState
from smsgate.dispatch.throttle import Sleep, TokenBucket
from smsgate.store import AttemptOutcome, SendAttempt

_log = structlog.get_logger("smsgate.dispatch")

#: What a carrier said to one hand-over: its result, or the error it raised.
Answer = SendResult | CarrierError


@dataclass(frozen=True, slots=True)
class Chosen:
    """The account an attempt goes to; ``failover_from`` is the one the last attempt failed on."""

    carrier: str
    failover_from: str | None = None


@dataclass(frozen=True, slots=True)
class AllCircuitsOpen:
    """Every account of the route is resting; try again at ``until``."""

    until: datetime


class Lane:
    """One carrier account with its breaker, pace and slots."""

    def __init__(
        self, name: str, member: FleetMember, clock: Callable[[], datetime],
        ticks: Callable[[], float], sleep: Sleep,
    ) -> None:  # fmt: skip
        limits = member.limits
        self.name = name
        self.adapter: CarrierAdapter = member.adapter
        self.reconciles = member.reconciles
        self.breaker = CircuitBreaker(
            limits.breaker.failures, timedelta(seconds=limits.breaker.cooldown_seconds), clock
        )
        self._bucket = (
            TokenBucket(limits.tps, clock=ticks, sleep=sleep) if limits.tps is not None else None
        )
        self._slots = asyncio.Semaphore(limits.concurrency) if limits.concurrency else None

    @asynccontextmanager
    async def turn(self, segments: int) -> AsyncIterator[float]:
        """Hold one of the account's send slots and pay its rate for ``segments``.

        Yields the seconds spent waiting for the rate (0 when there was room).
        """
        async with self.slot():
            yield await self._bucket.take(segments) if self._bucket is not None else 0.0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the account's slots (for a status query, which costs no segments)."""
        async with AsyncExitStack() as stack:
            if self._slots is not None:
                await stack.enter_async_context(self._slots)
            yield


class Lanes:
    """The lanes of a fleet; chooses an account per attempt and feeds answers to breakers."""

    def __init__(
        self,
        fleet: CarrierFleet,
        *,
        clock: Callable[[], datetime],
        ticks: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._fleet = fleet
        self._clock = clock
        self._lanes: dict[str, Lane] = {}
        for name in fleet.names():
            member = fleet.member(name)
            assert member is not None  # names() lists members only
            self._lanes[name] = Lane(name, member, clock, ticks, sleep)

    def get(self, name: str) -> Lane | None:
        """The lane of the account called ``name`` (an old attempt's may be gone)."""
        return self._lanes.get(name)

    def reconciles(self, carrier: str) -> bool:
        """Whether unknown outcomes of ``carrier`` are looked up there."""
        lane = self._lanes.get(carrier)
        return lane is not None and lane.reconciles

    def choose(self, creditor_id: str, previous: SendAttempt | None) -> Chosen | AllCircuitsOpen:
        """The account for the next attempt of a creditor's message; see the module docstring."""
        failed_on = (
            previous.carrier
            if previous is not None and previous.outcome is AttemptOutcome.RETRYABLE
            else None
        )
        route = self._fleet.route(creditor_id)
        for name in in_failover_order(route, failed_on):
            if self._admit(self._lanes[name]):
                return Chosen(name, failed_on if failed_on != name else None)
        return AllCircuitsOpen(self._earliest_trial(route))

    def answered(self, lane: Lane, answer: Answer) -> None:
        """Feed a send's answer to the lane's breaker: retryable or unknown failures count.

        Any answer, a permanent refusal included, shows the carrier is up.
        """
        carrier_up = isinstance(answer, SendResult | PermanentCarrierError)
        before = lane.breaker.consecutive_failures
        changed = lane.breaker.succeeded() if carrier_up else lane.breaker.failed()
        if changed is CircuitState.OPEN:
            _log.warning(
                "circuit_opened", carrier=lane.name, failures=before + 1,
                reopens_at=_iso(lane.breaker.reopens_at()),
            )  # fmt: skip
        elif changed is CircuitState.CLOSED:
            _log.info("circuit_closed", carrier=lane.name)

    def _admit(self, lane: Lane) -> bool:
        admitted, changed = lane.breaker.admit()
        if changed is CircuitState.HALF_OPEN:
            _log.info("circuit_half_open", carrier=lane.name)
        return admitted

    def _earliest_trial(self, route: Sequence[str]) -> datetime:
        now = self._clock()
        times = [self._lanes[name].breaker.reopens_at() for name in route]
        return min((at for at in times if at is not None), default=now)


def in_failover_order(route: Sequence[str], failed_on: str | None) -> list[str]:
    """``route`` in the order to try: after a failure on one account, starting with the next."""
    if failed_on is None or failed_on not in route:
        return list(route)
    start = route.index(failed_on) + 1
    return [*route[start:], *route[:start]]


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()
