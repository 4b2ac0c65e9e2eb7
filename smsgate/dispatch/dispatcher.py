"""The outbox worker: claim due messages under a lease, re-check, send, record.

One round (``run_once``) claims up to ``batch_size`` due items and handles
them ``concurrency`` at a time. Each item goes through two short write
transactions with the carrier call between them, never inside one, so the
database's single writer lock is not held across the network:

1. ``preparation.prepare_send``: re-check the policy, then either settle the
   item (rejected, rescheduled, skipped), or choose the carrier account
   (``lanes``: route, failover, circuit breakers), record the attempt and
   mark the message ``sending``;
2. wait for one of the account's slots and for its rate (segments per
   second), then call it, bounded by ``send_timeout``;
3. ``results.record_answer``: sent, retry later (on the next account of the
   route), failed, unknown, or looked up later (``reconcile``).

The carriers are a ``CarrierFleet``; a single adapter is taken as a fleet of
one, which is what the older tests and tools pass.

The account's slot and rate are waited for *after* the attempt is recorded,
because the account is only known once step 1 has chosen it. The wait is
short (at most ``concurrency`` items are in hand), but a crash during it
leaves an attempt that never reached the carrier looking interrupted, so it
goes to an operator (or a lookup, which then finds it was not received).

Several dispatchers (processes or tasks) may share one database: the
outbox's leases hand each item to one of them at a time, and an item whose
holder died becomes claimable again when its lease runs out.

Stopping. ``stop()`` only asks: sends already prepared (handed to the
carrier, or waiting for its slot or rate) are finished and recorded, and
claimed items not yet started are released at once (due as before) so
another dispatcher need not wait out the lease.

Time. ``clock`` and ``sleep`` are parameters, so tests run rounds at exact
instants (21:05 in Shanghai, a lease just expired) without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

import structlog

from smsgate.carriers import CarrierAdapter, CarrierError, OutcomeUnknown, QueriesStatus
from smsgate.carriers.fleet import CarrierFleet
from smsgate.core.lifecycle import IllegalMove
from smsgate.dispatch.backoff import Jitter, Retrying, RetryPolicy, full_jitter
from smsgate.dispatch.lanes import Answer, Lane, Lanes
from smsgate.dispatch.outcomes import WARNINGS, DispatchOutcome, DispatchReport, Disposition
from smsgate.dispatch.overtaken import moved_meanwhile
from smsgate.dispatch.preparation import Claim, Ready, prepare_send
from smsgate.dispatch.reconcile import Reconcile, record_lookup
from smsgate.dispatch.results import record_answer
from smsgate.dispatch.throttle import Sleep
from smsgate.store import OutboxItem, Store, StoreError, utc_now

Clock = Callable[[], datetime]
T = TypeVar("T")

_log = structlog.get_logger("smsgate.dispatch")


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    """How a dispatcher claims, paces and retries.

    ``send_timeout`` bounds one carrier call (and one status lookup); a call
    that outlives it counts as ``OutcomeUnknown`` (the request may have been
    written). It must be shorter than ``lease`` so a send never outlives the
    lease renewed for it. ``concurrency`` bounds the round's items in hand,
    over all carriers; each account's own limits come from the fleet.
    ``lookup_delay`` and ``lookups`` pace the status lookups of accounts that
    reconcile unknown outcomes.
    """

    lease: timedelta = timedelta(minutes=5)
    batch_size: int = 50
    concurrency: int = 4
    send_timeout: timedelta = timedelta(seconds=60)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    lookup_delay: timedelta = timedelta(seconds=30)
    lookups: int = 5

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.concurrency < 1 or self.lookups < 1:
            raise ValueError("batch_size, concurrency and lookups must be at least 1")
        if not timedelta(0) < self.send_timeout < self.lease:
            raise ValueError(f"send_timeout {self.send_timeout} must be shorter than the lease")


class Dispatcher:
    """Moves due outbox items to the fleet's carriers; see the module docstring.

    ``clock`` is the wall clock of records, leases and circuit breakers;
    ``ticks`` (monotonic seconds) and ``sleep`` pace the per-account rates.
    """

    def __init__(
        self,
        store: Store,
        carriers: CarrierFleet | CarrierAdapter,
        *,
        owner: str,
        settings: DispatchSettings | None = None,
        clock: Clock = utc_now,
        sleep: Sleep = asyncio.sleep,
        jitter: Jitter = full_jitter,
        ticks: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        fleet = carriers if isinstance(carriers, CarrierFleet) else CarrierFleet.of(carriers)
        self._settings = settings or DispatchSettings()
        self._clock = clock
        self._sleep = sleep
        self._lanes = Lanes(fleet, clock=clock, ticks=ticks, sleep=sleep)
        self._retrying = Retrying(
            self._settings.retry, jitter, self._settings.lookup_delay, self._settings.lookups
        )
        self._claim = Claim(owner, self._settings.lease, self._lanes, self._settings.retry.cap)
        self._stopping = asyncio.Event()

    @property
    def owner(self) -> str:
        """The lease owner id this dispatcher claims under."""
        return self._claim.owner

    def stop(self) -> None:
        """Ask the dispatcher to stop: finish in-flight sends, release unstarted claims."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        """Whether ``stop()`` was called."""
        return self._stopping.is_set()

    async def run_once(self) -> DispatchReport:
        """Claim one batch of due items and handle each; what became of them."""
        if self.stopping:
            return DispatchReport()
        async with self._store.transaction() as tx:
            items = await tx.outbox.claim_due(
                self._clock(), self.owner, self._settings.lease, self._settings.batch_size
            )
        slots = asyncio.Semaphore(self._settings.concurrency)
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(self._handle(item, slots)) for item in items]
        return DispatchReport(tuple(task.result() for task in tasks))

    async def run_forever(self, poll_interval: float = 1.0) -> None:
        """Run rounds until ``stop()``; a full batch is followed at once by the next round.

        Store errors are logged and the round retried after ``poll_interval``:
        a locked or briefly unreachable database must not end the worker.
        """
        while not self.stopping:
            try:
                report = await self.run_once()
            except StoreError as error:
                _log.warning("dispatch_round_failed", owner=self.owner, error=str(error))
                report = DispatchReport()
            if report.claimed < self._settings.batch_size:
                await self._pause(poll_interval)

    async def _pause(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if ``stop()`` is called meanwhile."""
        waits = {
            asyncio.ensure_future(self._sleep(seconds)),
            asyncio.ensure_future(self._stopping.wait()),
        }
        _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _handle(self, item: OutboxItem, slots: asyncio.Semaphore) -> DispatchOutcome:
        async with slots:
            if self.stopping:
                outcome = await self._give_back(item)
            else:
                outcome = await self._dispatch(item)
        self._log(outcome)
        return outcome

    async def _dispatch(self, item: OutboxItem) -> DispatchOutcome:
        # A failed item must not cancel its siblings' sends (the TaskGroup
        # would), so store errors end here; the lease hands the item on later.
        # So does a move the store refused in the first transaction, rolled
        # back whole: another writer moved the message meanwhile (``overtaken``).
        try:
            async with self._store.transaction() as tx:
                prepared = await prepare_send(tx, item, self._claim, self._clock())
            if isinstance(prepared, Reconcile):
                return await self._reconcile(prepared)
            if not isinstance(prepared, Ready):
                return prepared
            _log_choice(prepared)
            return await self._send(prepared)
        except StoreError as error:
            return DispatchOutcome(Disposition.ERROR, item.message_id, {"error": str(error)})
        except IllegalMove as refused:
            return moved_meanwhile(item.message_id, refused)

    async def _send(self, ready: Ready) -> DispatchOutcome:
        lane = self._lanes.get(ready.carrier)
        assert lane is not None  # the router chose it from the fleet
        async with lane.turn(ready.sms.segments) as paced:
            started = time.monotonic()
            answer = await self._hand_over(lane, ready)
            latency_ms = round((time.monotonic() - started) * 1000, 1)
        self._lanes.answered(lane, answer)
        async with self._store.transaction() as tx:
            outcome = await record_answer(
                tx, ready, answer, self.owner, self._retrying, self._clock()
            )
        timing = {
            "latency_ms": latency_ms,
            **({"paced_ms": round(paced * 1000, 1)} if paced else {}),
        }
        return DispatchOutcome(
            outcome.disposition, outcome.message_id, {**outcome.fields, **timing}
        )

    async def _hand_over(self, lane: Lane, ready: Ready) -> Answer:
        """The carrier's answer, with anything other than its error family made ``unknown``."""
        return await self._bounded(lane.adapter.send(ready.sms), ready.sms.text, ready.sms.phone)

    async def _reconcile(self, pending: Reconcile) -> DispatchOutcome:
        lane = self._lanes.get(pending.attempt.carrier)
        # The router said the account reconciles, which the fleet allows only for QueriesStatus.
        assert lane is not None
        assert isinstance(lane.adapter, QueriesStatus)
        attempt = pending.attempt
        async with lane.slot():
            answer = await self._bounded(
                lane.adapter.look_up(attempt.client_reference, pending.message.phone,
                                     attempt.started_at),
                pending.message.text, pending.message.phone,
            )  # fmt: skip
        async with self._store.transaction() as tx:
            return await record_lookup(
                tx, pending, answer, self.owner, self._retrying, self._clock()
            )

    async def _bounded(self, call: Awaitable[T], *sent: str) -> T | CarrierError:
        """``call``'s result within ``send_timeout``; any failure as the ``CarrierError`` family.

        This is where a carrier's words enter the dispatcher: an error comes
        out without any echo of ``sent`` (the text and phone we handed over),
        before it reaches a log line, an attempt row or the message history.
        """
        try:
            async with asyncio.timeout(self._settings.send_timeout.total_seconds()):
                return await call
        except CarrierError as error:
            return error.without_echoes(*sent)
        except TimeoutError:
            return OutcomeUnknown(f"no answer within {self._settings.send_timeout}")
        except Exception as error:  # an adapter bug may strike after the request was written
            failure = OutcomeUnknown(f"the adapter raised {type(error).__name__}: {error}")
            return failure.without_echoes(*sent)

    async def _give_back(self, item: OutboxItem) -> DispatchOutcome:
        try:
            async with self._store.transaction() as tx:
                await tx.outbox.release(item.message_id, self.owner, item.due_at)
        except StoreError as error:
            return DispatchOutcome(Disposition.ERROR, item.message_id, {"error": str(error)})
        return DispatchOutcome(Disposition.RELEASED, item.message_id, {"reason": "stopping"})

    def _log(self, outcome: DispatchOutcome) -> None:
        fields = {"message_id": outcome.message_id, "owner": self.owner, **outcome.fields}
        if outcome.disposition in WARNINGS:
            _log.warning(outcome.disposition.value, **fields)
        else:
            _log.info(outcome.disposition.value, **fields)


def _log_choice(ready: Ready) -> None:
    """The account chosen for an attempt (after the transaction recording it committed)."""
    fields = {"message_id": ready.sms.message_id, "attempt": ready.sms.attempt,
              "carrier": ready.carrier}  # fmt: skip
    if ready.failover_from is not None:
        _log.info("carrier_failover", failed_on=ready.failover_from, **fields)
    else:
        _log.info("carrier_chosen", **fields)
