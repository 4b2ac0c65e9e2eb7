"""UI sessions in both stores: ended once, ended with their key, forgotten after their age."""

from __future__ import annotations

import pytest

from smsgate.store import Store, UiSessionRecord, UnknownReference

from .store_support import Tenant, at


def session(tenant: Tenant, session_id: str, minutes: float = 0) -> UiSessionRecord:
    return UiSessionRecord(session_id, tenant.reviewer.id, tenant.creditor.id, at(minutes))


class TestUiSessions:
    """A session is open until ended; ending is idempotent and per key ends only that key's."""

    async def test_start_get_end(self, store: Store, tenant: Tenant) -> None:
        async with store.transaction() as tx:
            await tx.ui_sessions.start(session(tenant, "s1"))
        async with store.read() as tx:
            assert await tx.ui_sessions.get("s1") == session(tenant, "s1")
            assert await tx.ui_sessions.get("s2") is None
        async with store.transaction() as tx:
            assert await tx.ui_sessions.end("s1", at(5))
            assert not await tx.ui_sessions.end("s1", at(6))  # the first end stands
            assert not await tx.ui_sessions.end("nope", at(6))
        async with store.read() as tx:
            ended = await tx.ui_sessions.get("s1")
        assert ended is not None
        assert not ended.open
        assert ended.ended_at == at(5)

    async def test_end_of_key_ends_only_that_keys_open_sessions(
        self, store: Store, tenant: Tenant
    ) -> None:
        other = UiSessionRecord("s3", tenant.author.id, tenant.creditor.id, at(0))
        async with store.transaction() as tx:
            for record in (session(tenant, "s1"), session(tenant, "s2"), other):
                await tx.ui_sessions.start(record)
            await tx.ui_sessions.end("s2", at(1))
            assert await tx.ui_sessions.end_of_key(tenant.reviewer.id, at(2)) == 1
        async with store.read() as tx:
            ends = [(await tx.ui_sessions.get(s)).ended_at for s in ("s1", "s2", "s3")]  # type: ignore[union-attr]
        assert ends == [at(2), at(1), None]

    async def test_forget_started_before(self, store: Store, tenant: Tenant) -> None:
        async with store.transaction() as tx:
            await tx.ui_sessions.start(session(tenant, "old", 0))
            await tx.ui_sessions.start(session(tenant, "new", 10))
            assert await tx.ui_sessions.forget_started_before(at(10)) == 1
        async with store.read() as tx:
            assert await tx.ui_sessions.get("old") is None
            assert await tx.ui_sessions.get("new") is not None

    async def test_unknown_key_is_refused(self, store: Store, tenant: Tenant) -> None:
        with pytest.raises(UnknownReference):
            async with store.transaction() as tx:
                await tx.ui_sessions.start(UiSessionRecord("s1", "key_nope", "acme", at(0)))
