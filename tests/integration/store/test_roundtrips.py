"""Every record comes back from SQLite exactly as it was stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from smsgate.store import (
    IdempotencyRecord,
    JsonObject,
    MessageStatus,
    OptOut,
    OptOutKind,
    OptOutSource,
    Review,
    ReviewDecision,
    Role,
    StatusChange,
    Store,
    VersionStatus,
)

from .store_support import DEBTOR_PHONE, T0, Tenant, at, contact, template, version


class TestCreditorsAndKeys:
    """Creditors and API keys round-trip; keys are found by secret hash and revoked once."""

    async def test_creditor(self, store: Store, tenant: Tenant) -> None:
        async with store.read() as tx:
            assert await tx.creditors.get("acme") == tenant.creditor
            assert await tx.creditors.all() == [tenant.creditor]
            assert await tx.creditors.get("other") is None

    async def test_update_creditor(self, store: Store, tenant: Tenant) -> None:
        changed = replace(tenant.creditor, signature="安信", profile_overrides={"x": [1, 2]})
        async with store.transaction() as tx:
            await tx.creditors.update(changed)
        async with store.read() as tx:
            assert await tx.creditors.get("acme") == changed

    async def test_api_key(self, store: Store, tenant: Tenant) -> None:
        async with store.read() as tx:
            assert await tx.api_keys.get(tenant.author.id) == tenant.author
            found = await tx.api_keys.by_secret_hash(tenant.reviewer.secret_hash)
            assert found == tenant.reviewer
            assert found.roles == {Role.REVIEWER, Role.SENDER}
            keys = await tx.api_keys.of_creditor("acme")
            assert {key.id for key in keys} == {tenant.author.id, tenant.reviewer.id}

    async def test_revoke_once(self, store: Store, tenant: Tenant) -> None:
        async with store.transaction() as tx:
            assert await tx.api_keys.revoke(tenant.author.id, at(5))
            assert not await tx.api_keys.revoke(tenant.author.id, at(6))
            assert not await tx.api_keys.revoke("key_unknown", at(6))
        async with store.read() as tx:
            revoked = await tx.api_keys.get(tenant.author.id)
        assert revoked is not None
        assert revoked.revoked_at == at(5)
        assert not revoked.may(Role.AUTHOR)


class TestTemplates:
    """Templates come back with versions and reviews, scoped to their creditor."""

    async def test_template_and_version(self, store: Store, tenant: Tenant) -> None:
        async with store.read() as tx:
            assert await tx.templates.get("acme", tenant.template.id) == tenant.template
            assert await tx.templates.by_name("acme", "overdue-reminder") == tenant.template
            stored = await tx.templates.get_version(tenant.template.id, 1)
        assert stored == tenant.version
        assert stored.lint == ({"code": "no_opt_out", "severity": "warning"},)

    async def test_other_creditor_sees_nothing(self, store: Store, tenant: Tenant) -> None:
        await Tenant("other").save(store)
        async with store.read() as tx:
            assert await tx.templates.get("other", tenant.template.id) is None
            assert await tx.templates.detail("other", tenant.template.id) is None
            assert await tx.templates.latest_approved("other", tenant.template.id) is None

    async def test_new_version_waits_for_review(self, store: Store, tenant: Tenant) -> None:
        draft = version(tenant.template.id, tenant.author.id, number=2)
        async with store.transaction() as tx:
            await tx.templates.add_version(draft)
            latest = await tx.templates.latest_approved("acme", tenant.template.id)
            assert latest == tenant.version
            await tx.templates.set_version_status(tenant.template.id, 2, VersionStatus.APPROVED)
            latest = await tx.templates.latest_approved("acme", tenant.template.id)
        assert latest == replace(draft, status=VersionStatus.APPROVED)

    async def test_retired_template_serves_nothing(self, store: Store, tenant: Tenant) -> None:
        async with store.transaction() as tx:
            await tx.templates.retire(tenant.template.id, at(9))
            assert await tx.templates.latest_approved("acme", tenant.template.id) is None
            assert await tx.templates.of_creditor("acme") == []
            [detail] = await tx.templates.of_creditor("acme", include_retired=True)
        assert detail.template.retired_at == at(9)

    async def test_detail_with_reviews(self, store: Store, tenant: Tenant) -> None:
        second = template("acme", name="call-back")
        review = Review(
            tenant.template.id, 1, tenant.reviewer.id, ReviewDecision.APPROVE, "ok", at(3), "w1"
        )
        async with store.transaction() as tx:
            await tx.templates.add(second)
            await tx.templates.add_review(review)
        async with store.read() as tx:
            details = await tx.templates.of_creditor("acme")
            detail = await tx.templates.detail("acme", tenant.template.id)
        assert [d.template.name for d in details] == ["call-back", "overdue-reminder"]
        assert details[0].versions == ()
        assert detail is not None
        assert detail.versions == (tenant.version,)
        assert detail.reviews == (review,)


class TestMessages:
    """Messages keep their exact text and version; every status change is history."""

    async def test_message(self, store: Store, tenant: Tenant) -> None:
        sent = replace(tenant.message(), send_at=at(30), findings=[{"term": "x", "start": 0}])
        async with store.transaction() as tx:
            await tx.messages.add(sent)
        async with store.read() as tx:
            assert await tx.messages.get(sent.id, creditor_id="acme") == sent
            assert await tx.messages.get(sent.id, creditor_id=None) == sent
            assert await tx.messages.get(sent.id, creditor_id="other") is None

    async def test_status_history(self, store: Store, tenant: Tenant) -> None:
        held = tenant.message(status=MessageStatus.HELD)
        async with store.transaction() as tx:
            await tx.messages.add(held)
            await tx.messages.set_status(held.id, MessageStatus.QUEUED, at(1), "released")
            await tx.messages.set_status(held.id, MessageStatus.SENDING, at(1.5), "attempt 1")
            await tx.messages.set_status(held.id, MessageStatus.SENT, at(2))
        async with store.read() as tx:
            history = await tx.messages.history(held.id)
            current = await tx.messages.get(held.id, creditor_id="acme")
        assert history == [
            StatusChange(held.id, MessageStatus.HELD, T0),
            StatusChange(held.id, MessageStatus.QUEUED, at(1), "released"),
            StatusChange(held.id, MessageStatus.SENDING, at(1.5), "attempt 1"),
            StatusChange(held.id, MessageStatus.SENT, at(2)),
        ]
        assert current is not None
        assert current.status is MessageStatus.SENT

    async def test_held_and_counts(self, store: Store, tenant: Tenant) -> None:
        other = await Tenant("other").save(store)
        held = [tenant.message(status=MessageStatus.HELD, created_at=at(m)) for m in (2, 1)]
        async with store.transaction() as tx:
            for item in [*held, tenant.message(), other.message(status=MessageStatus.HELD)]:
                await tx.messages.add(item)
        async with store.read() as tx:
            assert await tx.messages.held("acme") == held[::-1]
            counts = await tx.messages.count_by_status("acme")
            everywhere = await tx.messages.count_by_status()
        assert counts[MessageStatus.HELD] == 2
        assert counts[MessageStatus.QUEUED] == 1
        assert counts[MessageStatus.SENT] == 0
        assert everywhere[MessageStatus.HELD] == 3


class TestContactLedger:
    """The ledger answers by debtor or by phone within [start, end)."""

    async def test_windows(self, store: Store, tenant: Tenant) -> None:
        entries = [
            contact(when=at(0)),
            contact(when=at(10), phone="+8613900139000"),
            contact(when=at(20), debtor_id="D-2"),
            contact(when=at(30)),
        ]
        async with store.transaction() as tx:
            for entry in entries:
                await tx.contacts.record(entry)
            by_debtor = await tx.contacts.of_debtor("acme", "D-1001", at(0), at(30))
            by_phone = await tx.contacts.of_phone("acme", DEBTOR_PHONE, at(0), at(31))
            elsewhere = await tx.contacts.of_debtor("other", "D-1001", at(0), at(31))
        assert by_debtor == entries[:2]
        assert by_phone == [entries[0], entries[2], entries[3]]
        assert elsewhere == []

    async def test_withdraw_a_message(self, store: Store, tenant: Tenant) -> None:
        held = tenant.message(status=MessageStatus.HELD)
        async with store.transaction() as tx:
            await tx.messages.add(held)
            await tx.contacts.record(contact(message_id=held.id))
            await tx.contacts.record(contact(when=at(1)))
            assert await tx.contacts.withdraw(held.id) == 1
            left = await tx.contacts.of_debtor("acme", "D-1001", at(-1), at(60))
        assert left == [contact(when=at(1))]


class TestOptOuts:
    """Only active opt-outs count; removed ones stay as history and can be added again."""

    async def test_add_remove_add(self, store: Store, tenant: Tenant) -> None:
        opt_out = OptOut("acme", DEBTOR_PHONE, OptOutKind.OPT_OUT, OptOutSource.MO, T0, "退订")
        async with store.transaction() as tx:
            await tx.opt_outs.add(opt_out)
            assert await tx.opt_outs.active("acme", DEBTOR_PHONE) == [opt_out]
            assert await tx.opt_outs.active("other", DEBTOR_PHONE) == []
            assert await tx.opt_outs.of_creditor("acme") == [opt_out]
            assert await tx.opt_outs.remove("acme", DEBTOR_PHONE, OptOutKind.OPT_OUT, at(5))
            assert not await tx.opt_outs.remove("acme", DEBTOR_PHONE, OptOutKind.OPT_OUT, at(6))
            assert await tx.opt_outs.active("acme", DEBTOR_PHONE) == []
            await tx.opt_outs.add(replace(opt_out, at=at(7)))
            assert await tx.opt_outs.active("acme", DEBTOR_PHONE) == [replace(opt_out, at=at(7))]


class TestIdempotency:
    """A stored first response comes back for the same creditor and key only."""

    async def test_put_get_forget(self, store: Store, tenant: Tenant) -> None:
        body: JsonObject = {"id": "msg_x", "status": "queued", "segments": 1}
        first = IdempotencyRecord("acme", "7f3c", "sha256:abc", 202, body, T0)
        async with store.transaction() as tx:
            await tx.idempotency.put(first)
            await tx.idempotency.put(replace(first, key="newer", at=at(60)))
            assert await tx.idempotency.get("acme", "7f3c") == first
            assert await tx.idempotency.get("other", "7f3c") is None
            assert await tx.idempotency.forget_before(at(1)) == 1
            assert await tx.idempotency.get("acme", "7f3c") is None


class TestInstants:
    """Instants come back in UTC to the microsecond; naive ones are refused."""

    async def test_offset_converted(self, store: Store, tenant: Tenant) -> None:
        shanghai = timezone(timedelta(hours=8))
        local = datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=shanghai)
        async with store.transaction() as tx:
            await tx.contacts.record(contact(when=local))
            [entry] = await tx.contacts.of_debtor("acme", "D-1001", T0, at(1))
        assert entry.at == local
        assert entry.at.tzinfo is UTC

    async def test_naive_refused(self, store: Store, tenant: Tenant) -> None:
        async with store.transaction() as tx:
            with pytest.raises(ValueError, match="naive"):
                await tx.contacts.record(contact(when=datetime(2024, 5, 1, 10)))
