"""POST /v1/messages:batch under an Idempotency-Key: a retried batch sends every item once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from smsgate.service import sending
from smsgate.store import StoreUnavailable

from .api_support import GatewayUnderTest
from .message_support import message, seed_template

BATCH = "/v1/messages:batch"


def items(template_id: str, count: int) -> list[dict[str, Any]]:
    """``count`` valid items, each for its own debtor and phone (so no cap interferes)."""
    return [
        message(
            template_id,
            recipient={"phone": f"+86138001{index:05d}", "debtor_id": f"D-{index}"},
        )
        for index in range(count)
    ]


async def post_batch(
    gw: GatewayUnderTest, body: Any, key: str | None = "batch-1"
) -> tuple[int, bytes, dict[str, str]]:
    """Status, raw body bytes and headers of a batch request."""
    token = await gw.key("acme", "sender")
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    async with gw.session.post(gw.base_url + BATCH, json=body, headers=headers) as response:
        return response.status, await response.read(), dict(response.headers)


async def sent(gw: GatewayUnderTest) -> int:
    """Messages written to the outbox so far."""
    async with gw.gateway.store.read() as tx:
        return await tx.outbox.depth()


class TestBatchReplay:
    """The same key and body replay the first response byte for byte and send nothing again."""

    async def test_retry_replays_and_sends_each_item_once(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        body = {"messages": [*items(template_id, 3), {"template_id": "tpl_missing"}]}
        status, first, headers = await post_batch(gw, body)
        assert status == 200
        assert "Idempotent-Replayed" not in headers
        assert await sent(gw) == 3
        for _ in range(2):
            status, again, headers = await post_batch(gw, body)
            assert (status, again) == (200, first)
            assert headers["Idempotent-Replayed"] == "true"
        assert await sent(gw) == 3

    async def test_without_a_key_every_batch_is_new(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        body = {"messages": items(template_id, 2)}
        await post_batch(gw, body, key=None)
        await post_batch(gw, body, key=None)
        assert await sent(gw) == 4

    async def test_concurrent_retries_send_once(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        body = {"messages": items(template_id, 5)}
        answers = await asyncio.gather(*(post_batch(gw, body) for _ in range(6)))
        assert {status for status, _, _ in answers} == {200}
        assert len({raw for _, raw, _ in answers}) == 1
        assert await sent(gw) == 5

    async def test_crash_mid_batch_then_retry(
        self, gw: GatewayUnderTest, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        template_id = await seed_template(gw)
        body = {"messages": items(template_id, 4)}
        real = sending.send_message
        calls = 0

        async def fail_third(*args: Any) -> sending.SendAnswer:
            nonlocal calls
            calls += 1
            if calls == 3:
                raise StoreUnavailable("the database went away")
            return await real(*args)

        monkeypatch.setattr(sending, "send_message", fail_third)
        status, _, _ = await post_batch(gw, body)
        assert status == 503
        assert await sent(gw) == 2
        status, raw, _ = await post_batch(gw, body)
        assert status == 200
        assert await sent(gw) == 4
        assert (await post_batch(gw, body))[1] == raw


class TestBatchConflict:
    """The batch key with another body, or on the single endpoint, is a 409 and sends nothing."""

    async def test_other_body_is_a_conflict(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        await post_batch(gw, {"messages": items(template_id, 2)})
        status, raw, _ = await post_batch(gw, {"messages": items(template_id, 3)})
        assert status == 409
        assert b'"code":"idempotency_conflict"' in raw
        assert await sent(gw) == 2

    async def test_other_body_after_a_crash_is_a_conflict(
        self, gw: GatewayUnderTest, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        template_id = await seed_template(gw)

        async def down(*args: Any) -> sending.SendAnswer:
            raise StoreUnavailable("the database went away")

        with monkeypatch.context() as patched:
            patched.setattr(sending, "send_message", down)
            assert (await post_batch(gw, {"messages": items(template_id, 2)}))[0] == 503
        status, _, _ = await post_batch(gw, {"messages": items(template_id, 3)})
        assert status == 409
        assert await sent(gw) == 0

    async def test_batch_key_on_the_single_endpoint(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        await post_batch(gw, {"messages": items(template_id, 1)})
        token = await gw.key("acme", "sender")
        status, body, _ = await gw.call(
            "POST",
            "/v1/messages",
            token=token,
            json=message(template_id),
            headers={"Idempotency-Key": "batch-1"},
        )
        assert (status, body["code"]) == (409, "idempotency_conflict")
        assert await sent(gw) == 1


class TestItemKeys:
    """An item's own key identifies it across batches and single sends; the others are derived."""

    async def test_own_key_wins_across_batches(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        keyed = {**items(template_id, 1)[0], "idempotency_key": "item-7"}
        _, first, _ = await post_batch(gw, {"messages": [keyed]}, key="batch-a")
        _, second, headers = await post_batch(gw, {"messages": [keyed]}, key="batch-b")
        assert "Idempotent-Replayed" not in headers  # a new batch, but its item replays
        assert second == first
        assert await sent(gw) == 1

    async def test_derived_keys_do_not_meet_client_keys(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        token = await gw.key("acme", "sender")
        status, _, _ = await gw.call(
            "POST",
            "/v1/messages",
            token=token,
            json=items(template_id, 2)[1],
            headers={"Idempotency-Key": "batch-1#0"},
        )
        assert status == 202
        await post_batch(gw, {"messages": items(template_id, 1)})
        assert await sent(gw) == 2
