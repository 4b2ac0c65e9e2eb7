"""The replies page: what people answered, what it meant and did; filters; one creditor only."""

from __future__ import annotations

from datetime import timedelta

from smsgate.store import InboundReply, OptOut, OptOutKind, OptOutSource, ReplyIntent

from .ui_client import UiClient
from .web_support import UiWorld

PHONE = "+8613500135123"
OTHER = "+8613700137000"


async def replied(world: UiWorld, creditor: str, text: str, intents: set[ReplyIntent],
                  *, phone: str = PHONE, days_ago: int = 0) -> str:  # fmt: skip
    at = world.clock() - timedelta(days=days_ago)
    reply_id = f"mo_{creditor}_{len(text)}_{days_ago}_{phone[-4:]}"
    reply = InboundReply(reply_id, "fake", phone, text, at, f"k-{reply_id}",
                         frozenset(intents), creditor_id=creditor)  # fmt: skip
    async with world.gateway.store.transaction() as tx:
        assert await tx.replies.add(reply)
    return reply_id


class TestRepliesPage:
    """A reviewer sees the own creditor's replies with meaning and action, and can filter."""

    async def test_lists_intent_and_action_never_another_creditor(
        self, world: UiWorld, client: UiClient
    ) -> None:
        await replied(world, "acme", "别再给我发了", {ReplyIntent.STOP})
        await replied(world, "globex", "环球的回复内容", {ReplyIntent.COMPLAINT})
        await client.sign_in(world.tokens["reviewer"])
        page = await client.get("/ui/replies")
        assert page.status == 200
        assert "别再给我发了" in page.text
        assert "opted out; queued messages rejected" in page.text or "已退订" in page.text
        assert "环球的回复内容" not in page.text
        assert "13500135123" not in page.text  # the phone is masked

    async def test_filters_by_intent_date_and_phone(self, world: UiWorld, client: UiClient) -> None:
        await replied(world, "acme", "退订", {ReplyIntent.STOP})
        await replied(world, "acme", "我要投诉你们", {ReplyIntent.COMPLAINT}, days_ago=2)
        await replied(world, "acme", "好的我明天还", set(), phone=OTHER)
        await client.sign_in(world.tokens["reviewer"])
        by_intent = (await client.get("/ui/replies?intent=complaint")).text
        assert "我要投诉你们" in by_intent
        assert "好的我明天还" not in by_intent
        day = (world.clock() - timedelta(days=2)).date().isoformat()
        by_day = (await client.get(f"/ui/replies?date={day}")).text
        assert "我要投诉你们" in by_day
        assert "好的我明天还" not in by_day
        by_phone = (await client.get(f"/ui/replies?phone={OTHER.replace('+', '%2B')}")).text
        assert "好的我明天还" in by_phone
        assert "我要投诉你们" not in by_phone

    async def test_a_withheld_copy_says_so(self, world: UiWorld, client: UiClient) -> None:
        await replied(world, "acme", "", {ReplyIntent.STOP})
        await client.sign_in(world.tokens["reviewer"])
        page = await client.get("/ui/replies")
        assert "words withheld" in page.text or "内容不予显示" in page.text

    async def test_a_bad_filter_is_a_400(self, world: UiWorld, client: UiClient) -> None:
        await client.sign_in(world.tokens["reviewer"])
        assert (await client.get("/ui/replies?intent=nope")).status == 400
        assert (await client.get("/ui/replies?date=yesterday")).status == 400


class TestHeldPageShowsWhy:
    """A message held because the phone complained shows the complaint and when it came."""

    async def test_complaint_on_the_held_card(self, world: UiWorld, client: UiClient) -> None:
        held_phone = "+8613800138000"  # where the seeded held messages go
        await replied(world, "acme", "再发我就去银保监会投诉", {ReplyIntent.COMPLAINT},
                      phone=held_phone)  # fmt: skip
        record = OptOut("acme", held_phone, OptOutKind.DO_NOT_CONTACT, OptOutSource.MO,
                        world.clock(), "complaint")  # fmt: skip
        async with world.gateway.store.transaction() as tx:
            await tx.opt_outs.add(record)
        await client.sign_in(world.tokens["reviewer"])
        page = await client.get("/ui/held")
        assert "再发我就去银保监会投诉" in page.text
        assert 'class="complaint"' in page.text
