"""Inbound replies: stored once, matched to the right creditor; stops and complaints act at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from smsgate.carriers import InboundSms
from smsgate.service.replies import take_reply
from smsgate.store import (
    AuditQuery,
    MessageStatus,
    OptOutKind,
    OptOutSource,
    ReplyIntent,
    Store,
)
from smsgate.wordlists import reply_classifier

from ..dispatch.dispatch_support import PHONE, Tenant, at, outbox_row, status_of
from ..store_fixtures import OpenStore
from .feedback_support import sent

NOW = at(30)
KEYWORDS = reply_classifier()


def reply(text: str, *, phone: str = PHONE, **fields: str) -> InboundSms:
    return InboundSms(phone, text, **fields)


class TestAttribution:
    """A reply belongs to the creditor whose message last went to the phone via that carrier."""

    async def test_an_ordinary_answer_is_stored_and_changes_nothing(
        self, store: Store, tenant: Tenant
    ) -> None:
        [message] = await sent(store, tenant)
        outcome = await take_reply(store, "fake", reply("好的，明天还"), KEYWORDS, NOW)
        assert outcome.new
        assert outcome.reply.creditor_id == "acme"
        assert outcome.reply.message_id == message.id
        assert outcome.reply.intents == frozenset()
        async with store.read() as tx:
            assert await tx.opt_outs.active("acme", PHONE) == []
            listed = await tx.replies.of_creditor("acme")
        assert [r.text for r in listed] == ["好的，明天还"]

    async def test_a_phone_nobody_texted_is_kept_unattributed(
        self, store: Store, tenant: Tenant
    ) -> None:
        await sent(store, tenant)
        outcome = await take_reply(store, "fake", reply("退订", phone="+8613900139000"),
                                   KEYWORDS, NOW)  # fmt: skip
        assert outcome.reply.creditor_id is None
        assert outcome.reply.intents == {ReplyIntent.STOP}
        async with store.read() as tx:
            assert [r.id for r in await tx.replies.unattributed()] == [outcome.reply.id]
            assert await tx.opt_outs.active("acme", "+8613900139000") == []

    async def test_a_reply_through_another_carrier_is_not_guessed_at(
        self, store: Store, tenant: Tenant
    ) -> None:
        await sent(store, tenant, carrier="aliyun-main")
        outcome = await take_reply(store, "kannel", reply("退订"), KEYWORDS, NOW)
        assert outcome.reply.creditor_id is None

    async def test_a_quoted_signature_must_match_the_message(
        self, store: Store, tenant: Tenant
    ) -> None:
        await sent(store, tenant)
        other = await take_reply(store, "fake", reply("退订", signature="别家银行"), KEYWORDS, NOW)
        ours = await take_reply(store, "fake", reply("TD", signature="安信消费金融"), KEYWORDS, NOW)
        assert other.reply.creditor_id is None
        assert ours.reply.creditor_id == "acme"

    async def test_the_newest_creditor_to_text_the_phone_gets_an_ordinary_reply(
        self, store: Store, tenant: Tenant
    ) -> None:
        other = await Tenant("zeta").save(store)
        await sent(store, tenant, created_at=at(0))
        [newest] = await sent(store, other, created_at=at(10))
        outcome = await take_reply(store, "fake", reply("好的"), KEYWORDS, NOW)
        assert (outcome.reply.creditor_id, outcome.reply.message_id) == ("zeta", newest.id)
        assert outcome.shared == ()

    async def test_a_stop_naming_nobody_acts_for_every_creditor_with_words_withheld(
        self, store: Store, tenant: Tenant
    ) -> None:
        other = await Tenant("zeta").save(store)
        [older] = await sent(store, tenant, created_at=at(0))
        [newest] = await sent(store, other, created_at=at(10))
        outcome = await take_reply(store, "fake", reply("TD"), KEYWORDS, NOW)
        assert (outcome.reply.creditor_id, outcome.reply.message_id) == ("zeta", newest.id)
        [copy] = outcome.shared
        assert (copy.creditor_id, copy.message_id, copy.text) == ("acme", older.id, "")
        async with store.read() as tx:
            for creditor in ("acme", "zeta"):
                kinds = [o.kind for o in await tx.opt_outs.active(creditor, PHONE)]
                assert kinds == [OptOutKind.OPT_OUT]
                [stored] = await tx.replies.of_creditor(creditor)
                assert (stored.text, stored.intents) == ("", {ReplyIntent.STOP})

    async def test_a_reply_older_than_the_window_is_not_attributed(
        self, store: Store, tenant: Tenant
    ) -> None:
        await sent(store, tenant)
        outcome = await take_reply(store, "fake", reply("TD"), KEYWORDS, NOW + timedelta(days=31))
        assert outcome.reply.creditor_id is None


class TestStop:
    """退订/TD adds an opt-out at once and stops everything still waiting for the phone."""

    async def test_stop_opts_out_and_rejects_what_is_queued(
        self, store: Store, tenant: Tenant, db_path: Path
    ) -> None:
        await sent(store, tenant)
        [queued] = await tenant.accept(store, due_at=at(60))
        outcome = await take_reply(store, "fake", reply("退 訂！"), KEYWORDS, NOW)
        assert outcome.rejected == (queued.id,)
        assert await status_of(store, queued.id) is MessageStatus.REJECTED
        assert outbox_row_gone(db_path, queued.id)
        async with store.read() as tx:
            [opt_out] = await tx.opt_outs.active("acme", PHONE)
            contacts = await tx.contacts.of_phone("acme", PHONE, at(0), at(120))
            audit = await tx.audit.entries(AuditQuery(creditor_id="acme"))
        assert (opt_out.kind, opt_out.source) == (OptOutKind.OPT_OUT, OptOutSource.MO)
        assert queued.id not in {contact.message_id for contact in contacts}
        actions = [(entry.action, entry.actor) for entry in audit]
        assert ("opt_out.added", "carrier:fake") in actions
        assert ("message.rejected", "carrier:fake") in actions

    async def test_a_resent_stop_acts_once(self, store: Store, tenant: Tenant) -> None:
        await sent(store, tenant)
        first = await take_reply(store, "fake", reply("TD", carrier_message_id="mo-1"),
                                 KEYWORDS, NOW)  # fmt: skip
        again = await take_reply(store, "fake", reply("TD", carrier_message_id="mo-1"),
                                 KEYWORDS, NOW)  # fmt: skip
        assert (first.new, again.new) == (True, False)
        async with store.read() as tx:
            audit = await tx.audit.entries(AuditQuery(action="opt_out.added"))
            assert len(await tx.replies.of_creditor("acme")) == 1
        assert len(audit) == 1

    async def test_a_message_a_dispatcher_took_meanwhile_is_left_to_it(
        self, store: Store, open_more: OpenStore, tenant: Tenant
    ) -> None:
        """The stop read it queued, but a dispatcher (another instance) marked it sending
        first: too late to stop, so the stop opts out and leaves it, its item and slot be."""
        await sent(store, tenant)
        [queued] = await tenant.accept(store, due_at=at(0))
        other = await open_more()
        moved, commit = asyncio.Event(), asyncio.Event()

        async def dispatching() -> None:
            async with other.transaction() as tx:
                await tx.messages.set_status(queued.id, MessageStatus.SENDING, NOW, "attempt 1")
                moved.set()
                await commit.wait()

        dispatcher = asyncio.create_task(dispatching())
        await moved.wait()
        stop = asyncio.create_task(take_reply(store, "fake", reply("退订"), KEYWORDS, NOW))
        await asyncio.sleep(0.2)  # it read ``queued`` and waits for the row (on PostgreSQL)
        commit.set()
        async with asyncio.timeout(10):
            await dispatcher
            outcome = await stop
        assert outcome.rejected == ()
        assert await status_of(store, queued.id) is MessageStatus.SENDING
        async with store.read() as tx:
            kinds = [o.kind for o in await tx.opt_outs.active("acme", PHONE)]
            contacts = await tx.contacts.of_phone("acme", PHONE, at(-1), at(120))
            assert await tx.outbox.depth() == 1
        assert kinds == [OptOutKind.OPT_OUT]
        assert queued.id in {contact.message_id for contact in contacts}

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("TD", id="td"),
            pytest.param("ｔｄ", id="full-width"),
            pytest.param("STOP", id="stop"),
            pytest.param("请不要再发了", id="please-stop"),
        ],
    )
    async def test_stop_words(self, store: Store, tenant: Tenant, text: str) -> None:
        await sent(store, tenant)
        outcome = await take_reply(store, "fake", reply(text), KEYWORDS, NOW)
        assert outcome.reply.intents == {ReplyIntent.STOP}


class TestComplaint:
    """A complaint flags the phone and puts a reviewer between it and any further message."""

    async def test_complaint_flags_and_holds_what_is_queued(
        self, store: Store, tenant: Tenant, db_path: Path
    ) -> None:
        await sent(store, tenant)
        [queued] = await tenant.accept(store, due_at=at(60))
        outcome = await take_reply(store, "fake", reply("你们这是骚扰，我要投诉到12378"),
                                   KEYWORDS, NOW)  # fmt: skip
        assert outcome.reply.intents == {ReplyIntent.COMPLAINT}
        assert outcome.held == (queued.id,)
        assert await status_of(store, queued.id) is MessageStatus.HELD
        assert outbox_row_gone(db_path, queued.id)
        async with store.read() as tx:
            kinds = [o.kind for o in await tx.opt_outs.active("acme", PHONE)]
            held = await tx.messages.held("acme")
        assert kinds == [OptOutKind.DO_NOT_CONTACT]
        assert [m.id for m in held] == [queued.id]

    async def test_complaint_and_stop_together_reject_rather_than_hold(
        self, store: Store, tenant: Tenant
    ) -> None:
        await sent(store, tenant)
        [queued] = await tenant.accept(store, due_at=at(60))
        outcome = await take_reply(store, "fake", reply("骚扰！退订"), KEYWORDS, NOW)
        assert outcome.rejected == (queued.id,)
        assert outcome.held == ()
        async with store.read() as tx:
            kinds = {o.kind for o in await tx.opt_outs.active("acme", PHONE)}
        assert kinds == {OptOutKind.OPT_OUT, OptOutKind.DO_NOT_CONTACT}


def outbox_row_gone(db_path: Path, message_id: str) -> bool:
    return outbox_row(db_path, message_id) is None
