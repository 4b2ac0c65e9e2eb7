"""A reply whose unit the database aborted for a concurrent one is taken again, once.

PostgreSQL breaks a deadlock (``40P01``) or a serialization failure
(``40001``) by rolling one transaction back; the store raises
``UnitAborted``. ``AbortedStore`` makes the database's decision for the
test: its first units run every statement for real and are then aborted at
their last write (the audit entry), so everything they did is rolled back,
as PostgreSQL would. ``take_reply`` must run its unit again and act exactly
once; after ``retries.RUNS`` aborts in a row it gives up with the abort.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, cast

import asyncpg
import pytest

from smsgate.carriers import InboundSms
from smsgate.service.replies import take_reply
from smsgate.store import MessageStatus, OptOutKind, Store, UnitAborted, UnitOfWork, retries
from smsgate.store.postgres.translate import translate
from smsgate.wordlists import reply_classifier

from ..dispatch.dispatch_support import PHONE, T0, Tenant, status_of
from ..wrapped_store import WrappedStore
from .feedback_support import sent

KEYWORDS = reply_classifier()


class AbortedStore(WrappedStore):
    """``store`` whose first ``aborts`` write units are aborted at their first audit entry."""

    def __init__(self, store: Store, aborts: int) -> None:
        super().__init__(store)
        self.aborts = aborts
        self.units = 0

    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        return self._unit()

    @asynccontextmanager
    async def _unit(self) -> AsyncIterator[UnitOfWork]:
        self.units += 1
        aborted = self.units <= self.aborts
        async with self._store.transaction() as tx:
            yield cast(UnitOfWork, _AbortedUnit(tx) if aborted else tx)


class _AbortedUnit:
    def __init__(self, tx: UnitOfWork) -> None:
        self._tx = tx

    def __getattr__(self, name: str) -> Any:
        return _AbortingAudit(self._tx.audit) if name == "audit" else getattr(self._tx, name)


class _AbortingAudit:
    def __init__(self, audit: Any) -> None:
        self._audit = audit

    async def append(self, event: Any) -> Any:
        await self._audit.append(event)
        raise UnitAborted("a deadlock between transactions was broken by aborting this one")


async def take_stop(store: Store) -> tuple[str, ...]:
    outcome = await take_reply(store, "fake", InboundSms(PHONE, "退订"), KEYWORDS, T0)
    assert outcome.new
    return outcome.rejected


async def active_kinds(store: Store, tenant: Tenant) -> list[OptOutKind]:
    async with store.read() as tx:
        return [o.kind for o in await tx.opt_outs.active(tenant.creditor.id, PHONE)]


class TestAbortedReplies:
    """A stop aborted by the database is stopped by the next run, exactly once."""

    async def test_an_aborted_stop_is_taken_again(self, store: Store, tenant: Tenant) -> None:
        await sent(store, tenant)
        (queued,) = await tenant.accept(store)
        aborting = AbortedStore(store, aborts=retries.RUNS - 1)
        assert await take_stop(aborting) == (queued.id,)
        assert aborting.units == retries.RUNS
        assert await active_kinds(store, tenant) == [OptOutKind.OPT_OUT]
        assert await status_of(store, queued.id) is MessageStatus.REJECTED
        async with store.read() as tx:
            replies = await tx.replies.of_creditor(tenant.creditor.id, phone=PHONE)
        assert len(replies) == 1

    async def test_aborted_every_run_it_gives_up(self, store: Store, tenant: Tenant) -> None:
        await sent(store, tenant)
        (queued,) = await tenant.accept(store)
        aborting = AbortedStore(store, aborts=retries.RUNS)
        with pytest.raises(UnitAborted):
            await take_stop(aborting)
        assert aborting.units == retries.RUNS
        assert await active_kinds(store, tenant) == []
        assert await status_of(store, queued.id) is MessageStatus.QUEUED


class TestAbortTranslation:
    """PostgreSQL's deadlock and serialization failures are the abort that may be run again."""

    @pytest.mark.parametrize(
        "error",
        [
            pytest.param(asyncpg.DeadlockDetectedError("deadlock detected"), id="40P01"),
            pytest.param(asyncpg.SerializationError("could not serialize"), id="40001"),
        ],
    )
    def test_aborts_are_unit_aborted(self, error: asyncpg.PostgresError) -> None:
        assert isinstance(translate(error), UnitAborted)

    def test_a_lock_timeout_is_not(self) -> None:
        translated = translate(asyncpg.LockNotAvailableError("lock timeout"))
        assert not isinstance(translated, UnitAborted)
