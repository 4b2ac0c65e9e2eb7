"""The domain's uniqueness and reference rules surface as store errors, never driver ones.

Each refused write runs in a unit of its own and the test expects the error
from the whole block: on PostgreSQL a refused statement aborts the unit,
which then rolls back (``smsgate.store.postgres.session``), while SQLite undoes
the statement only; callers leave a unit by raising either way.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import asyncpg
import pytest

from smsgate.store import (
    AlreadyExists,
    Conflict,
    DuplicateName,
    DuplicateVersion,
    FourEyesViolation,
    IdempotencyKeyExists,
    IdempotencyRecord,
    NotFound,
    OptOut,
    OptOutExists,
    OptOutKind,
    OptOutSource,
    Review,
    ReviewDecision,
    Role,
    Store,
    UnknownReference,
    VersionStatus,
)

from .store_support import (
    DEBTOR_PHONE,
    T0,
    Tenant,
    api_key,
    creditor,
    message,
    template,
    version,
)

DRIVER_ERRORS = (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)


class TestUniqueness:
    """Each uniqueness rule raises its own ``Conflict`` and leaves the first row alone."""

    async def test_template_name_per_creditor(self, store: Store, tenant: Tenant) -> None:
        with pytest.raises(DuplicateName):
            async with store.transaction() as tx:
                await tx.templates.add(template("acme", name="overdue-reminder"))
        other = await Tenant("other").save(store)  # the same name at another creditor is fine
        assert other.template.name == tenant.template.name

    async def test_version_per_template(self, store: Store, tenant: Tenant) -> None:
        with pytest.raises(DuplicateVersion):
            async with store.transaction() as tx:
                await tx.templates.add_version(version(tenant.template.id, tenant.author.id))

    async def test_idempotency_key_per_creditor(self, store: Store, tenant: Tenant) -> None:
        record = IdempotencyRecord("acme", "k1", "h1", 202, {"id": "msg_1"}, T0)
        async with store.transaction() as tx:
            await tx.idempotency.put(record)
        with pytest.raises(IdempotencyKeyExists):
            async with store.transaction() as tx:
                await tx.idempotency.put(replace(record, request_hash="h2"))
        async with store.read() as tx:
            assert await tx.idempotency.get("acme", "k1") == record
        await Tenant("other").save(store)
        async with store.transaction() as tx:
            await tx.idempotency.put(replace(record, creditor_id="other"))

    async def test_active_opt_out(self, store: Store, tenant: Tenant) -> None:
        opt_out = OptOut("acme", DEBTOR_PHONE, OptOutKind.OPT_OUT, OptOutSource.API, T0)
        async with store.transaction() as tx:
            await tx.opt_outs.add(opt_out)
            await tx.opt_outs.add(replace(opt_out, kind=OptOutKind.DO_NOT_CONTACT))
        with pytest.raises(OptOutExists):
            async with store.transaction() as tx:
                await tx.opt_outs.add(replace(opt_out, source=OptOutSource.MO))

    async def test_same_creditor_twice(self, store: Store, tenant: Tenant) -> None:
        with pytest.raises(AlreadyExists) as raised:
            async with store.transaction() as tx:
                await tx.creditors.add(creditor("acme"))
        assert isinstance(raised.value, Conflict)
        assert isinstance(raised.value.__cause__, DRIVER_ERRORS)

    async def test_same_message_twice(self, store: Store, tenant: Tenant) -> None:
        sent = tenant.message()
        async with store.transaction() as tx:
            await tx.messages.add(sent)
        with pytest.raises(AlreadyExists):
            async with store.transaction() as tx:
                await tx.messages.add(sent)


class TestReferences:
    """Rows referring to missing rows are refused with ``UnknownReference``."""

    async def test_message_of_unknown_version(self, store: Store, tenant: Tenant) -> None:
        orphan = replace(tenant.message(), template_version=7)
        with pytest.raises(UnknownReference):
            async with store.transaction() as tx:
                await tx.messages.add(orphan)

    async def test_message_of_unknown_creditor(self, store: Store, tenant: Tenant) -> None:
        with pytest.raises(UnknownReference):
            async with store.transaction() as tx:
                await tx.messages.add(message("nobody", tenant.template.id))

    @pytest.mark.parametrize(
        "change",
        [
            pytest.param(lambda tx: tx.creditors.update(creditor("nobody")), id="creditor"),
            pytest.param(lambda tx: tx.templates.retire("tpl_none", T0), id="retire"),
            pytest.param(
                lambda tx: tx.templates.set_version_status("tpl_none", 1, VersionStatus.APPROVED),
                id="version-status",
            ),
            pytest.param(
                lambda tx: tx.messages.set_status("msg_none", "sent", T0), id="message-status"
            ),
        ],
    )
    async def test_changing_a_missing_row(self, store: Store, change: object) -> None:
        with pytest.raises(NotFound):
            async with store.transaction() as tx:
                await change(tx)  # type: ignore[operator]


class TestFourEyes:
    """The database itself refuses a review by the version's author."""

    async def test_author_cannot_review(self, store: Store, tenant: Tenant) -> None:
        review = Review(
            tenant.template.id, 1, tenant.author.id, ReviewDecision.APPROVE, "mine", T0, "w1"
        )
        with pytest.raises(FourEyesViolation):
            async with store.transaction() as tx:
                await tx.templates.add_review(review)
        async with store.transaction() as tx:
            await tx.templates.add_review(replace(review, reviewer_key_id=tenant.reviewer.id))
        async with store.read() as tx:
            detail = await tx.templates.detail("acme", tenant.template.id)
        assert detail is not None
        assert [r.reviewer_key_id for r in detail.reviews] == [tenant.reviewer.id]

    @pytest.mark.parametrize(
        "fields",
        [
            pytest.param({"person": "Li Wei"}, id="same-person"),
            pytest.param({"person": "Ｌｉ  WEI"}, id="same-person-spelled-otherwise"),
            pytest.param({"chain_id": "author"}, id="same-chain"),
        ],
    )
    async def test_authors_person_or_chain_cannot_review(
        self, store: Store, fields: dict[str, str]
    ) -> None:
        author = replace(api_key("acme", Role.AUTHOR), person="li wei")
        chain = {"chain_id": author.id} if "chain_id" in fields else {}
        reviewer = replace(api_key("acme", Role.REVIEWER), **(fields | chain))
        drafted = template()
        async with store.transaction() as tx:
            await tx.creditors.add(creditor())
            await tx.api_keys.add(author)
            await tx.api_keys.add(reviewer)
            await tx.templates.add(drafted)
            await tx.templates.add_version(version(drafted.id, author.id))
        review = Review(drafted.id, 1, reviewer.id, ReviewDecision.APPROVE, "mine", T0, "w1")
        with pytest.raises(FourEyesViolation):
            async with store.transaction() as tx:
                await tx.templates.add_review(review)
        async with store.read() as tx:
            stored = await tx.api_keys.get(reviewer.id)
        assert stored == reviewer
