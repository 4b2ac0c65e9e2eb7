"""POST /v1/messages and held release judge quiet hours in the number's zones, not the label's.

The time zone a sender supplies is checked against the zones the number may
be in (422 ``timezone_mismatch``); a clock setting that names no place is a
malformed value (400 ``invalid_request``, like an unknown name); and where the
number may be in several zones, the contact window must hold in every one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from smsgate.store import AuditQuery

from .api_support import GatewayUnderTest
from .message_support import PHONE, message, seed_template
from .shared_gateway import on_the_module_gateway

SEND = "/v1/messages"
# 05:50 in Beijing (21:50 UTC the day before) is 10:50 in Auckland (NZDT).
BEIJING_0550 = datetime(2026, 11, 23, 21, 50, tzinfo=UTC)
BEIJING_0800 = "2026-11-24T00:00:00Z"
#: A US personal number (area code 500): no area, so it may be anywhere from Honolulu to Maine.
US_ANYWHERE = "+15002345678"
# 12:30 UTC on 15 June: 08:30 in New York, 05:30 in Los Angeles, 02:30 in Honolulu.
NEW_YORK_0830 = datetime(2026, 6, 15, 12, 30, tzinfo=UTC)
HONOLULU_0800 = "2026-06-15T18:00:00Z"  # the first instant open in every US zone


async def send(gw: GatewayUnderTest, body: Any) -> tuple[int, Any]:
    token = await gw.key(gw.acme, "sender")
    status, answer, _ = await gw.call("POST", SEND, token=token, json=body)
    return status, answer


async def outbox_depth(gw: GatewayUnderTest) -> int:
    async with gw.gateway.store.read() as tx:
        return await tx.outbox.depth()


class TestTimezoneMismatch:
    """A zone the number cannot be in is refused: the label is wrong, not the hours."""

    async def test_chinese_mobile_labelled_auckland_is_422(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        gw.clock.now = BEIJING_0550
        recipient = {"phone": PHONE, "timezone": "Pacific/Auckland"}
        status, body = await send(gw, message(template_id, recipient=recipient))
        assert (status, body["code"]) == (422, "timezone_mismatch")
        assert "Asia/Shanghai" in body["detail"]
        assert await outbox_depth(gw) == 0
        async with gw.gateway.store.read() as tx:
            [event] = await tx.audit.entries(AuditQuery(action="message.refused"))
        assert event.detail["code"] == "timezone_mismatch"

    async def test_without_the_label_it_waits_for_beijing_morning(
        self, gw: GatewayUnderTest
    ) -> None:
        template_id = await seed_template(gw)
        gw.clock.now = BEIJING_0550
        status, body = await send(gw, message(template_id))
        assert (status, body["status"], body["send_at"]) == (202, "scheduled", BEIJING_0800)

    async def test_the_numbers_own_zone_is_accepted(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        gw.clock.now = BEIJING_0550
        recipient = {"phone": PHONE, "timezone": "Asia/Shanghai"}
        status, body = await send(gw, message(template_id, recipient=recipient))
        assert (status, body["status"], body["send_at"]) == (202, "scheduled", BEIJING_0800)

    async def test_in_a_batch_the_item_is_422(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        recipient = {"phone": PHONE, "timezone": "Europe/London"}
        token = await gw.key(gw.acme, "sender")
        batch = {"messages": [message(template_id, recipient=recipient)]}
        status, body, _ = await gw.call("POST", SEND + ":batch", token=token, json=batch)
        assert status == 200
        [result] = body["results"]
        assert (result["status"], result["body"]["code"]) == (422, "timezone_mismatch")


class TestGeographicNamesOnly:
    """A name of a clock setting is a malformed value: 400, naming the field."""

    @pytest.mark.parametrize(
        "name",
        [
            "localtime",
            "Factory",
            "posixrules",
            "right/Asia/Shanghai",
            "posix/Asia/Shanghai",
            "UTC",
            "Etc/GMT-8",
            "PRC",
        ],
    )
    @on_the_module_gateway
    async def test_refused(self, gw: GatewayUnderTest, name: str) -> None:
        template_id = await seed_template(gw)
        recipient = {"phone": PHONE, "timezone": name}
        status, body = await send(gw, message(template_id, recipient=recipient))
        assert (status, body["code"], body["field"]) == (
            400,
            "invalid_request",
            "recipient.timezone",
        )
        assert "geographic" in body["detail"]


class TestEveryCandidateZone:
    """08:30 in New York is 05:30 in Los Angeles: a number that may be in either waits."""

    @pytest.mark.parametrize("timezone", [None, "America/New_York"], ids=["no-zone", "new-york"])
    @on_the_module_gateway
    async def test_deferred_until_open_everywhere(
        self, gw: GatewayUnderTest, timezone: str | None
    ) -> None:
        template_id = await seed_template(gw)
        gw.clock.now = NEW_YORK_0830
        recipient = {"phone": US_ANYWHERE, "timezone": timezone}
        status, body = await send(gw, message(template_id, recipient=recipient))
        assert (status, body["status"], body["send_at"]) == (202, "scheduled", HONOLULU_0800)
        assert "all 11 zones" in body["detail"]

    async def test_rejected_with_retry_at(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        gw.clock.now = NEW_YORK_0830
        recipient = {"phone": US_ANYWHERE, "timezone": "America/New_York"}
        body = message(template_id, recipient=recipient, on_quiet_hours="reject")
        status, answer = await send(gw, body)
        assert (status, answer["code"], answer["retry_at"]) == (422, "quiet_hours", HONOLULU_0800)

    async def test_a_new_york_number_goes_at_once(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        gw.clock.now = NEW_YORK_0830
        recipient = {"phone": "+12125550100", "timezone": "America/New_York"}
        status, body = await send(gw, message(template_id, recipient=recipient))
        assert (status, body["status"]) == (202, "queued")


class TestHeldRelease:
    """Release decides again in every zone of the number, like a first send."""

    async def test_release_at_new_york_morning_defers_to_honolulu_morning(
        self, gw: GatewayUnderTest
    ) -> None:
        template_id = await seed_template(gw)
        gw.clock.now = datetime(2026, 6, 14, 20, 0, tzinfo=UTC)  # 10:00 in Honolulu
        token = await gw.key(gw.acme, "sender")
        recipient = {"phone": US_ANYWHERE, "timezone": "America/New_York"}
        # 律师 (lawyer) is a review term: the message is held for a reviewer.
        variables = {"name": "律师", "amount": "1234.50", "days": 5}
        body = message(template_id, recipient=recipient, variables=variables)
        status, held, _ = await gw.call("POST", SEND, token=token, json=body)
        assert (status, held["status"]) == (202, "held")
        gw.clock.now = NEW_YORK_0830
        reviewer = await gw.key(gw.acme, "reviewer")
        status, released, _ = await gw.call(
            "POST", f"/v1/held/{held['id']}/release", token=reviewer, json={"reason": "checked"}
        )
        assert (status, released["status"]) == (200, "scheduled")
        assert released["send_at"] == HONOLULU_0800
