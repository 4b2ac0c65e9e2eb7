"""Status webhooks end to end: real store, real worker, a real receiver checking signatures."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from structlog.testing import capture_logs

from smsgate.service import administration
from smsgate.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureInvalid, verify
from smsgate.store import MessageStatus, Store, parse_instant
from smsgate.webhooks import WebhookSecretMissing, WebhookWorker, run_webhooks

from ..dispatch.dispatch_support import Clock, Tenant
from .receiver import Receiver
from .webhook_support import (
    BACKOFF,
    LOOPBACK,
    MASTER,
    SETTINGS,
    progress,
    received,
    recorded_events,
    running,
    secret_of,
    wait_for_failures,
    webhook_of,
)

SENT = (MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.DELIVERED)
REASON = "空号 unknown subscriber (carrier code 1)"


async def configure(store: Store, clock: Clock, receiver: Receiver, tenant: Tenant) -> None:
    creditor_id = tenant.creditor.id
    await administration.configure_webhook(
        store, creditor_id, receiver.url(creditor_id), at=clock(), targets=LOOPBACK
    )


class TestInOrderDelivery:
    """Every status change of the creditor's messages reaches its receiver once, in id order."""

    async def test_events_arrive_once_in_order_in_bounded_batches(
        self, store: Store, clock: Clock, receiver: Receiver, acme: Tenant, db_path: Path
    ) -> None:
        endpoint = receiver.add("acme", secret_of("acme"))
        await configure(store, clock, receiver, acme)
        for message in await acme.accept(store, 3):
            await progress(store, clock, message, *SENT)
        expected = recorded_events(db_path, "acme")
        assert len(expected) == 12  # queued + 3 changes, for 3 messages

        async with running(store, clock, replace(SETTINGS, batch_size=5)):
            events = await endpoint.wait_for_events(12)
            await asyncio.sleep(0.2)  # a few more polls: nothing is sent again

        assert received(endpoint.events()) == expected
        assert [len(post.events()) for post in endpoint.accepted] == [5, 5, 2]
        assert endpoint.forged == 0
        assert all(parse_instant(str(event["at"])) for event in events)
        webhook = await webhook_of(store, "acme")
        assert (webhook.last_event_id, webhook.failures) == (expected[-1][0], 0)

    async def test_changes_made_before_configuration_are_not_sent(
        self, store: Store, clock: Clock, receiver: Receiver, acme: Tenant, db_path: Path
    ) -> None:
        endpoint = receiver.add("acme", secret_of("acme"))
        [early] = await acme.accept(store)
        await configure(store, clock, receiver, acme)
        await progress(store, clock, early, MessageStatus.SENDING)

        async with running(store, clock):
            await endpoint.wait_for_events(1)
            await asyncio.sleep(0.2)

        assert received(endpoint.events()) == [recorded_events(db_path, "acme")[-1]]

    async def test_detail_reaches_the_receiver_but_not_the_logs(
        self, store: Store, clock: Clock, receiver: Receiver, acme: Tenant
    ) -> None:
        endpoint = receiver.add("acme", secret_of("acme"))
        await configure(store, clock, receiver, acme)
        [message] = await acme.accept(store)
        await progress(store, clock, message, MessageStatus.SENDING)
        await progress(store, clock, message, MessageStatus.FAILED, detail=REASON)

        with capture_logs() as logs:
            async with running(store, clock):
                events = await endpoint.wait_for_events(3)

        assert events[-1]["detail"] == REASON
        [delivered] = [log for log in logs if log["event"] == "webhook_delivered"]
        assert delivered["creditor"] == "acme"
        assert (delivered["count"], delivered["last_id"]) == (3, events[-1]["id"])
        assert not any("空号" in repr(log) for log in logs)


class TestRetries:
    """A receiver that fails gets the same events again after a growing wait, nothing skipped."""

    async def test_500_backs_off_then_resends_from_the_same_event(
        self, store: Store, clock: Clock, receiver: Receiver, acme: Tenant, db_path: Path
    ) -> None:
        endpoint = receiver.add("acme", secret_of("acme"), [500, 500])
        await configure(store, clock, receiver, acme)
        [message] = await acme.accept(store)

        with capture_logs() as logs:
            async with running(store, clock):
                first = (await endpoint.wait_for_posts(1))[0].events()
                await wait_for_failures(store, 1)
                failed = await webhook_of(store, "acme")
                assert failed.next_attempt_at == clock() + BACKOFF.delay(1)
                assert failed.last_error == "HTTP 500"
                await progress(store, clock, message, *SENT)  # meanwhile, more changes
                await asyncio.sleep(0.3)
                assert len(endpoint.posts) == 1  # nothing before the backoff is over

                clock.now = failed.next_attempt_at
                second = (await endpoint.wait_for_posts(2))[1].events()
                await wait_for_failures(store, 2)
                again = await webhook_of(store, "acme")
                assert again.next_attempt_at == clock() + BACKOFF.delay(2)

                clock.now = again.next_attempt_at
                events = await endpoint.wait_for_events(4)

        assert first[0]["id"] == second[0]["id"] == events[0]["id"]
        assert received(events) == recorded_events(db_path, "acme")
        assert (await webhook_of(store, "acme")).failures == 0
        failures = [log for log in logs if log["event"] == "webhook_failed"]
        assert [(log["status"], log["failures"]) for log in failures] == [(500, 1), (500, 2)]
        assert failures[0]["next_attempt_at"] == failed.next_attempt_at.isoformat()

    async def test_unreachable_receiver_is_retried_later(
        self, store: Store, clock: Clock, acme: Tenant
    ) -> None:
        url = f"http://127.0.0.1:{closed_port()}/hooks/acme"
        configured = await administration.configure_webhook(
            store, "acme", url, at=clock(), targets=LOOPBACK
        )
        await acme.accept(store)

        async with httpx.AsyncClient() as client:
            worker = WebhookWorker(
                store, secret=MASTER, client=client, owner="w1", settings=SETTINGS, clock=clock,
                targets=LOOPBACK,
            )  # fmt: skip
            [delivery] = await worker.run_once()
            assert await worker.run_once() == []  # backing off

        assert (delivery.answer.status, delivery.answer.error) == (None, "ConnectError")
        webhook = await webhook_of(store, "acme")
        assert (webhook.failures, webhook.next_attempt_at) == (1, delivery.next_attempt_at)
        assert webhook.last_error.startswith("ConnectError")
        assert webhook.next_attempt_at == clock() + BACKOFF.delay(1)
        assert webhook.last_event_id == configured.last_event_id


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class TestIsolation:
    """Creditors are delivered apart: their own events only, and never held up by each other."""

    @pytest.mark.parametrize(
        "trouble",
        [pytest.param("hang", id="receiver-hangs"), pytest.param("500", id="receiver-fails")],
    )
    async def test_a_failing_receiver_does_not_delay_another(
        self, store: Store, clock: Clock, receiver: Receiver, acme: Tenant, bravo: Tenant,
        trouble: str,
    ) -> None:  # fmt: skip
        stuck = receiver.add("acme", secret_of("acme"), [500] * 10, hang=trouble == "hang")
        healthy = receiver.add("bravo", secret_of("bravo"))
        for tenant in (acme, bravo):
            await configure(store, clock, receiver, tenant)
            await tenant.accept(store, 2)

        # A post may take 10 s here; bravo must not wait for acme's.
        async with running(store, clock, replace(SETTINGS, timeout=timedelta(seconds=10))):
            await stuck.wait_for_posts(1)
            await healthy.wait_for_events(2, within=5)
            for message in await bravo.accept(store, 2):
                await progress(store, clock, message, MessageStatus.SENDING)
            await healthy.wait_for_events(6, within=5)
            assert stuck.accepted == []
            if stuck.hold is not None:
                stuck.hold.set()

        assert len(stuck.posts) == 1

    async def test_each_receiver_sees_only_its_creditors_events_signed_with_its_secret(
        self, store: Store, clock: Clock, receiver: Receiver, acme: Tenant, bravo: Tenant,
        db_path: Path,
    ) -> None:  # fmt: skip
        endpoints = {name: receiver.add(name, secret_of(name)) for name in ("acme", "bravo")}
        for tenant in (acme, bravo):
            await configure(store, clock, receiver, tenant)
        for _ in range(2):  # interleaved, so their event ids alternate
            for tenant in (acme, bravo):
                [message] = await tenant.accept(store)
                await progress(store, clock, message, MessageStatus.SENDING)

        async with running(store, clock):
            for endpoint in endpoints.values():
                await endpoint.wait_for_events(4)
            await asyncio.sleep(0.2)

        for name, endpoint in endpoints.items():
            assert received(endpoint.events()) == recorded_events(db_path, name)
            assert endpoint.forged == 0
        assert secret_of("acme") != secret_of("bravo")
        post = endpoints["acme"].posts[0]
        with pytest.raises(SignatureInvalid):
            verify(
                secret_of("bravo").encode(), post.headers[TIMESTAMP_HEADER],
                post.headers[SIGNATURE_HEADER], post.body, int(clock().timestamp()),
            )  # fmt: skip


class TestMissingSecret:
    """Without SMSGATE_WEBHOOK_SECRET the worker refuses loudly if there is anything to sign."""

    async def test_configured_webhooks_without_a_secret_are_refused(
        self, store: Store, clock: Clock, receiver: Receiver, acme: Tenant
    ) -> None:
        await configure(store, clock, receiver, acme)

        with capture_logs() as logs, pytest.raises(WebhookSecretMissing) as refused:
            await run_webhooks(store, stop_event=asyncio.Event(), secret=None)

        assert "SMSGATE_WEBHOOK_SECRET" in str(refused.value)
        [log] = [log for log in logs if log["event"] == "webhooks_refused"]
        assert (log["log_level"], log["creditors"]) == ("error", ["acme"])

    async def test_no_webhooks_and_no_secret_is_nothing_to_do(
        self, store: Store, acme: Tenant
    ) -> None:
        with capture_logs() as logs:
            await asyncio.wait_for(
                run_webhooks(store, stop_event=asyncio.Event(), secret=None), timeout=5
            )
        assert [log["event"] for log in logs] == ["webhooks_disabled"]
