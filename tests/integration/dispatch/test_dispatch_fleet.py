"""Dispatching over a fleet: routes, failover, circuit breakers and per-account rates."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from structlog.testing import capture_logs

from smsgate.carriers import FakeCarrier, OutboundSms, RetryableCarrierError
from smsgate.carriers.config import CarrierLimits
from smsgate.dispatch import Dispatcher, DispatchSettings, Disposition
from smsgate.store import AttemptOutcome, MessageStatus, Store

from .conftest import RETRY, MakeDispatcher, half
from .dispatch_support import T0, Clock, Tenant, status_of, waiting_in_outbox
from .fleet_support import breaker, fleet, sms_ids

FREE = CarrierLimits()


def throttled(sms: OutboundSms) -> str:
    raise RetryableCarrierError("throttled", code="ESME_RTHROTTLED")


async def attempts_of(store: Store, message_id: str) -> list[tuple[int, str, str, str | None]]:
    async with store.read() as tx:
        return [
            (a.attempt, a.carrier, a.client_reference, a.outcome)
            for a in await tx.attempts.of_message(message_id)
        ]


class TestRoutes:
    """Messages go to the first account of their creditor's route."""

    async def test_creditor_route_and_default(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher
    ) -> None:
        other = await Tenant("globex").save(store)
        [ours] = await tenant.accept(store)
        [theirs] = await other.accept(store)
        a, b = FakeCarrier(name="a"), FakeCarrier(name="b")
        report = await make_dispatcher(fleet((a, FREE), (b, FREE), acme=["b"])).run_once()
        assert report.count(Disposition.SENT) == 2
        assert (a.sent_ids(), b.sent_ids()) == ([theirs.id], [ours.id])
        assert (await attempts_of(store, ours.id))[0][1] == "b"


class TestFailover:
    """After a retryable failure the next attempt goes to the next account of the route."""

    async def test_retry_goes_to_the_next_account(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, clock: Clock
    ) -> None:
        [message] = await tenant.accept(store)
        a, b = FakeCarrier(throttled, name="a"), FakeCarrier(name="b")
        dispatcher = make_dispatcher(fleet((a, FREE), (b, FREE)))
        with capture_logs() as logs:
            assert (await dispatcher.run_once()).count(Disposition.RETRYING) == 1
            clock.advance(timedelta(seconds=5))  # the backoff of attempt 1 (half of 10 s)
            assert (await dispatcher.run_once()).count(Disposition.SENT) == 1
        assert await attempts_of(store, message.id) == [
            (1, "a", f"{message.id}-1", AttemptOutcome.RETRYABLE),
            (2, "b", f"{message.id}-2", AttemptOutcome.SENT),
        ]
        assert (sms_ids(a.calls), sms_ids(b.calls)) == ([f"{message.id}-1"], [f"{message.id}-2"])
        choices = [(e["event"], e["carrier"]) for e in logs if e["event"].startswith("carrier_")]
        assert choices == [("carrier_chosen", "a"), ("carrier_failover", "b")]

    async def test_retries_still_end_when_exhausted(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, clock: Clock
    ) -> None:
        [message] = await tenant.accept(store)
        a, b = FakeCarrier(throttled, name="a"), FakeCarrier(throttled, name="b")
        dispatcher = make_dispatcher(fleet((a, FREE), (b, FREE)))
        for _ in range(RETRY.max_attempts):
            await dispatcher.run_once()
            clock.advance(RETRY.cap)
        assert await status_of(store, message.id) == MessageStatus.FAILED
        carriers = [carrier for _, carrier, _, _ in await attempts_of(store, message.id)]
        assert carriers == ["a", "b", "a"]


class TestCircuits:
    """A failing account's circuit opens; its traffic goes elsewhere until a trial succeeds."""

    async def test_open_circuit_sends_traffic_elsewhere(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher
    ) -> None:
        await tenant.accept(store, 4)
        a, b = FakeCarrier(throttled, name="a"), FakeCarrier(name="b")
        dispatcher = make_dispatcher(fleet((a, breaker(2)), (b, FREE)), concurrency=1)
        with capture_logs() as logs:
            report = await dispatcher.run_once()
        assert [o.disposition for o in report.outcomes] == [
            Disposition.RETRYING, Disposition.RETRYING, Disposition.SENT, Disposition.SENT,
        ]  # fmt: skip
        assert (len(a.calls), len(b.calls)) == (2, 2)
        opened = [e for e in logs if e["event"] == "circuit_opened"]
        assert [(e["carrier"], e["failures"]) for e in opened] == [("a", 2)]

    async def test_every_circuit_open_releases_without_an_attempt(
        self,
        store: Store,
        tenant: Tenant,
        make_dispatcher: MakeDispatcher,
        clock: Clock,
        db_path: Path,
    ) -> None:
        await tenant.accept(store, 2)
        answers = iter([throttled, lambda sms: "c-1", lambda sms: "c-2"])
        a = FakeCarrier(lambda sms: next(answers)(sms), name="a")
        dispatcher = make_dispatcher(fleet((a, breaker(1, cooldown_seconds=30))), concurrency=1)
        report = await dispatcher.run_once()
        assert [o.disposition for o in report.outcomes] == [
            Disposition.RETRYING, Disposition.RELEASED,
        ]  # fmt: skip
        held_back = report.outcomes[1].message_id
        assert report.outcomes[1].fields["reason"] == "circuits_open"
        assert waiting_in_outbox(db_path, held_back).due_at == T0 + timedelta(seconds=30)
        assert await attempts_of(store, held_back) == []
        assert await status_of(store, held_back) == MessageStatus.QUEUED
        clock.advance(timedelta(seconds=30))
        with capture_logs() as logs:
            assert (await dispatcher.run_once()).count(Disposition.SENT) == 2
        circuit = [e["event"] for e in logs if e["event"].startswith("circuit_")]
        assert circuit == ["circuit_half_open", "circuit_closed"]
        assert [n for n, *_ in await attempts_of(store, held_back)] == [1]


class TestRate:
    """An account's ``tps`` paces its sends by segments, on the injected clock."""

    async def test_sends_beyond_the_rate_wait(
        self, store: Store, tenant: Tenant, clock: Clock
    ) -> None:
        await tenant.accept(store, 3, segments=2)
        naps: list[float] = []

        async def nap(seconds: float) -> None:
            naps.append(seconds)

        carrier = FakeCarrier(name="a")
        dispatcher = Dispatcher(
            store, fleet((carrier, CarrierLimits(tps=4))), owner="d1", clock=clock, jitter=half,
            settings=DispatchSettings(retry=RETRY, concurrency=1), sleep=nap, ticks=lambda: 0.0,
        )  # fmt: skip
        report = await dispatcher.run_once()
        assert report.count(Disposition.SENT) == 3
        # 4 tokens in the bucket, 2 segments a message, no time passing: the
        # third message waits for 2 tokens at 4 per second.
        assert naps == [0.5]
        assert [o.fields.get("paced_ms", 0) for o in report.outcomes] == [0, 0, 500.0]
