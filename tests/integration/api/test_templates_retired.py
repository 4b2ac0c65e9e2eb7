"""Retiring a template stops what it queued; release and the dispatcher refuse a retired text.

Through the real API and the real dispatcher on the gateway's own store (both
backends): a scheduled or held message of a retired template never reaches a
carrier, a release re-scans the stored text with the live wordlist, and a
released message carries the instant it may now go.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from smsgate.carriers import FakeCarrier
from smsgate.dispatch import Dispatcher, Disposition
from smsgate.store import AuditQuery
from smsgate.wordlists import shipped_wordlists

from .api_support import GatewayUnderTest, start_gateway
from .message_support import DEBTOR, message, seed_template, utc

# 律师 (lawyer) is a review term: the message is held for a reviewer.
REVIEW_VARIABLES = {"name": "律师", "amount": "1234.50", "days": 5}
RETIRE = {"reason": "文案有误，停止使用"}
RELEASE = {"reason": "checked: a real lawyer's letter was sent"}


async def send(gw: GatewayUnderTest, template_id: str, **changes: Any) -> dict[str, Any]:
    token = await gw.key("acme", "sender")
    status, body, _ = await gw.call(
        "POST", "/v1/messages", token=token, json=message(template_id, **changes)
    )
    assert status == 202, body
    return dict(body)


async def retire(gw: GatewayUnderTest, template_id: str) -> dict[str, Any]:
    token = await gw.key("acme", "reviewer")
    status, body, _ = await gw.call(
        "POST", f"/v1/templates/{template_id}/retire", token=token, json=RETIRE
    )
    assert status == 200, body
    return dict(body)


async def retire_behind_the_desk(gw: GatewayUnderTest, template_id: str) -> None:
    """Retire in the store alone, as a retirement racing an acceptance would leave it."""
    async with gw.gateway.store.transaction() as tx:
        await tx.templates.retire(template_id, gw.clock())


async def release(gw: GatewayUnderTest, message_id: str) -> tuple[int, Any]:
    token = await gw.key("acme", "reviewer")
    status, body, _ = await gw.call(
        "POST", f"/v1/held/{message_id}/release", token=token, json=RELEASE
    )
    return status, body


async def detail(gw: GatewayUnderTest, message_id: str) -> dict[str, Any]:
    token = await gw.key("acme", "sender")
    status, body, _ = await gw.call("GET", f"/v1/messages/{message_id}", token=token)
    assert status == 200
    return dict(body)


async def booked_contacts(gw: GatewayUnderTest) -> int:
    start = gw.clock() - timedelta(days=2)
    async with gw.gateway.store.read() as tx:
        records = await tx.contacts.of_debtor("acme", DEBTOR, start, start + timedelta(days=4))
    return len(records)


async def dispatch_all(gw: GatewayUnderTest) -> tuple[FakeCarrier, Any]:
    """Run the real dispatcher once on the gateway's store at the gateway's clock."""
    carrier = FakeCarrier(lambda sms: f"c-{sms.message_id}")
    dispatcher = Dispatcher(gw.gateway.store, carrier, owner="d1", clock=gw.clock)
    return carrier, await dispatcher.run_once()


class TestRetireStopsPending:
    """Retiring rejects the template's queued, scheduled and held messages (template_retired)."""

    async def test_scheduled_message_never_reaches_the_carrier(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        later = (gw.clock() + timedelta(hours=3)).isoformat()
        scheduled = await send(gw, template_id, send_at=later)
        assert scheduled["status"] == "scheduled"
        assert await booked_contacts(gw) == 1

        retired = await retire(gw, template_id)
        assert retired["messages_rejected"] == 1
        gw.clock.advance(hours=4)
        carrier, _ = await dispatch_all(gw)

        assert carrier.calls == []
        settled = await detail(gw, scheduled["id"])
        assert settled["status"] == "rejected"
        assert settled["history"][-1]["detail"].startswith("template_retired")
        assert await booked_contacts(gw) == 0  # the slot is given back
        async with gw.gateway.store.read() as tx:
            assert await tx.outbox.depth() == 0
            [entry] = await tx.audit.entries(
                AuditQuery(subject=scheduled["id"], action="message.rejected")
            )
        assert entry.detail["reason"] == "template_retired"

    async def test_queued_and_held_messages_are_rejected(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        queued = await send(gw, template_id)
        held = await send(gw, template_id, variables=REVIEW_VARIABLES)
        assert (queued["status"], held["status"]) == ("queued", "held")
        other = await send(gw, await seed_template(gw))

        assert (await retire(gw, template_id))["messages_rejected"] == 2

        assert (await detail(gw, queued["id"]))["status"] == "rejected"
        assert (await detail(gw, held["id"]))["status"] == "rejected"
        assert (await detail(gw, other["id"]))["status"] == "queued"  # another template's
        status, body = await release(gw, held["id"])
        assert (status, body["code"]) == (409, "invalid_state")
        carrier, _ = await dispatch_all(gw)
        assert [sms.message_id for sms in carrier.calls] == [other["id"]]

    async def test_a_newer_approved_version_does_not_stop_the_older_ones(
        self, gw: GatewayUnderTest
    ) -> None:
        template_id = await seed_template(gw)
        queued = await send(gw, template_id)
        async with gw.gateway.store.transaction() as tx:
            [first] = await tx.templates.versions(template_id)
            await tx.templates.add_version(replace(first, version=2, body=first.body + "谢谢。"))
        carrier, _ = await dispatch_all(gw)
        assert [(sms.message_id, sms.template_version) for sms in carrier.calls] == [
            (queued["id"], 1)
        ]


class TestDispatcherRecheck:
    """The dispatcher's last re-check refuses a version that no longer serves."""

    async def test_a_message_that_raced_the_retirement_is_rejected(
        self, gw: GatewayUnderTest
    ) -> None:
        template_id = await seed_template(gw)
        queued = await send(gw, template_id)
        await retire_behind_the_desk(gw, template_id)

        carrier, report = await dispatch_all(gw)

        assert carrier.calls == []
        assert report.count(Disposition.REJECTED) == 1
        settled = await detail(gw, queued["id"])
        assert settled["status"] == "rejected"
        assert settled["history"][-1]["detail"].startswith("template_retired")
        assert await booked_contacts(gw) == 0
        async with gw.gateway.store.read() as tx:
            assert await tx.outbox.depth() == 0


class TestReleaseRechecks:
    """Release refuses a retired template's text and a text the live wordlist now blocks."""

    async def test_release_of_a_retired_templates_message_is_refused(
        self, gw: GatewayUnderTest
    ) -> None:
        template_id = await seed_template(gw)
        held = await send(gw, template_id, variables=REVIEW_VARIABLES)
        await retire_behind_the_desk(gw, template_id)

        status, body = await release(gw, held["id"])

        assert (status, body["code"]) == (422, "template_retired")
        assert (await detail(gw, held["id"]))["status"] == "held"
        async with gw.gateway.store.read() as tx:
            assert await tx.outbox.depth() == 0
            [entry] = await tx.audit.entries(
                AuditQuery(subject=held["id"], action="message.refused")
            )
        assert entry.detail["code"] == "template_retired"

    async def test_release_gets_the_current_send_at(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        asked = gw.clock() + timedelta(minutes=30)
        held = await send(gw, template_id, variables=REVIEW_VARIABLES, send_at=asked.isoformat())
        gw.clock.advance(hours=2)  # the requested instant has passed while it was held

        status, body = await release(gw, held["id"])

        assert (status, body["status"]) == (200, "queued")
        assert utc(body["send_at"]) == gw.clock()
        assert utc((await detail(gw, held["id"]))["send_at"]) == gw.clock()

    async def test_release_keeps_a_requested_send_at_still_ahead(
        self, gw: GatewayUnderTest
    ) -> None:
        template_id = await seed_template(gw)
        asked = gw.clock() + timedelta(hours=3)
        held = await send(gw, template_id, variables=REVIEW_VARIABLES, send_at=asked.isoformat())

        status, body = await release(gw, held["id"])

        assert (status, body["status"], utc(body["send_at"])) == (200, "scheduled", asked)
        assert utc((await detail(gw, held["id"]))["send_at"]) == asked


@pytest.fixture
async def gw_words(tmp_path: Path) -> AsyncIterator[tuple[GatewayUnderTest, Path]]:
    """A gateway scanning with a copy of the shipped wordlists that the test may edit."""
    words = tmp_path / "wordlists"
    shutil.copytree(shipped_wordlists(), words)
    async for running in start_gateway(tmp_path, wordlists_dir=words):
        yield running, words


class TestReleaseRescans:
    """The stored text is scanned again with the live wordlist when it is released."""

    async def test_a_term_blocked_since_the_hold_refuses_the_release(
        self, gw_words: tuple[GatewayUnderTest, Path]
    ) -> None:
        gw, words = gw_words
        template_id = await seed_template(gw)
        held = await send(gw, template_id, variables=REVIEW_VARIABLES)
        with (words / "zh" / "impersonation.txt").open("a", encoding="utf-8") as terms:
            terms.write("尽快还款\n")
        assert gw.gateway.wordlists.reload_if_changed()

        status, body = await release(gw, held["id"])

        assert (status, body["code"]) == (422, "sensitive_term")
        assert "尽快还款" in {finding["matched_text"] for finding in body["findings"]}
        assert body["wordlist_version"] == gw.gateway.wordlists.current().version
        assert (await detail(gw, held["id"]))["status"] == "held"
        async with gw.gateway.store.read() as tx:
            assert await tx.outbox.depth() == 0
