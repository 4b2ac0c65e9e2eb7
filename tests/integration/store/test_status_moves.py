"""The store moves a message only along the lifecycle table, and of two racing moves one lands.

Every test runs on SQLite and on PostgreSQL (``database_url``), where
``set_status`` is one statement on either side: the guarded UPDATE, or on
PostgreSQL the ``WITH`` that also writes the event.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence

import pytest

from smsgate.core.lifecycle import INITIAL, MOVES, IllegalMove, MessageStatus
from smsgate.store import Message, StatusChange, Store

from ..store_fixtures import OpenStore
from .store_support import T0, Tenant, at

S = MessageStatus
#: Every move the table forbids, the status a message keeps if it is tried.
ILLEGAL = [(current, wanted) for current in S for wanted in S if wanted not in MOVES[current]]


def path_to(status: MessageStatus) -> list[MessageStatus]:
    """The shortest walk of legal moves from a created message to ``status`` (created first)."""
    walks = deque([start] for start in sorted(INITIAL))
    while walks:
        walk = walks.popleft()
        if walk[-1] is status:
            return walk
        walks.extend([*walk, step] for step in sorted(MOVES[walk[-1]]) if step not in walk)
    raise AssertionError(f"{status} cannot be reached")


async def created_in(store: Store, tenant: Tenant, status: MessageStatus) -> Message:
    """A new message moved the legal way into ``status`` (one minute a step from ``T0``)."""
    first, *steps = path_to(status)
    message = tenant.message(status=first)
    async with store.transaction() as tx:
        await tx.messages.add(message)
        for minute, step in enumerate(steps, start=1):
            await tx.messages.set_status(message.id, step, at(minute), f"to {step}")
    return message


async def status_and_history(store: Store, message_id: str) -> tuple[S, list[StatusChange]]:
    async with store.read() as tx:
        message = await tx.messages.get(message_id, creditor_id=None)
        history = await tx.messages.history(message_id)
    assert message is not None
    return message.status, history


class TestEveryMove:
    """Each move of the table lands with its event; each other move raises and changes nothing."""

    async def test_legal_moves_land(self, store: Store, tenant: Tenant) -> None:
        for current, targets in MOVES.items():
            for wanted in targets:
                message = await created_in(store, tenant, current)
                async with store.transaction() as tx:
                    await tx.messages.set_status(message.id, wanted, at(30), "moved")
                status, history = await status_and_history(store, message.id)
                assert status is wanted, (current, wanted)
                assert history[-1] == StatusChange(message.id, wanted, at(30), "moved")

    async def test_illegal_moves_raise_and_leave_the_row(
        self, store: Store, tenant: Tenant
    ) -> None:
        assert len(ILLEGAL) > 40  # the table forbids most moves
        for current, wanted in ILLEGAL:
            message = await created_in(store, tenant, current)
            before = await status_and_history(store, message.id)
            with pytest.raises(IllegalMove) as raised:
                async with store.transaction() as tx:
                    await tx.messages.set_status(message.id, wanted, at(30), "illegal")
            error = raised.value
            assert (error.message_id, error.current, error.wanted) == (message.id, current, wanted)
            assert await status_and_history(store, message.id) == before

    @pytest.mark.parametrize(
        ("current", "wanted"),
        [
            pytest.param(S.QUEUED, S.SENT, id="queued-to-sent"),
            pytest.param(S.QUEUED, S.DELIVERED, id="queued-to-delivered"),
            pytest.param(S.QUEUED, S.FAILED, id="queued-to-failed"),
            pytest.param(S.DELIVERED, S.QUEUED, id="delivered-to-queued"),
            pytest.param(S.REJECTED, S.SENDING, id="rejected-to-sending"),
            pytest.param(S.SENDING, S.HELD, id="sending-to-held"),
        ],
    )
    async def test_a_unit_goes_on_after_a_refused_move(
        self, store: Store, tenant: Tenant, current: S, wanted: S
    ) -> None:
        """A caller that catches the refusal may keep writing in the same unit (no abort)."""
        refused = await created_in(store, tenant, current)
        other = await created_in(store, tenant, S.SENDING)
        async with store.transaction() as tx:
            with pytest.raises(IllegalMove):
                await tx.messages.set_status(refused.id, wanted, at(30))
            await tx.messages.set_status(other.id, S.SENT, at(30), "carrier 1")
        assert (await status_and_history(store, refused.id))[0] is current
        assert (await status_and_history(store, other.id))[0] is S.SENT


class TestRacingMoves:
    """Two units moving one ``sending`` message at once: exactly one move of a conflicting pair."""

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            pytest.param(S.SENT, S.SENT, id="two-answers"),
            pytest.param(S.FAILED, S.FAILED, id="two-failures"),
            pytest.param(S.FAILED, S.SENT, id="report-then-answer"),
            pytest.param(S.DELIVERED, S.FAILED, id="two-reports"),
            pytest.param(S.FAILED, S.QUEUED, id="report-then-retry"),
            pytest.param(S.QUEUED, S.FAILED, id="retry-then-report"),
            pytest.param(S.UNKNOWN, S.SENT, id="operator-then-answer"),
        ],
    )
    async def test_exactly_one_lands(
        self, store: Store, open_more: OpenStore, tenant: Tenant, first: S, second: S
    ) -> None:
        message = await created_in(store, tenant, S.SENDING)
        results = await _race(store, await open_more(), message.id, first, second)
        assert results[0] is None
        assert isinstance(results[1], IllegalMove)
        assert (results[1].current, results[1].wanted) == (first, second)
        status, history = await status_and_history(store, message.id)
        assert status is first
        assert [change.detail for change in history[-2:]] == ["to sending", "first"]

    async def test_moves_that_may_follow_each_other_both_land(
        self, store: Store, open_more: OpenStore, tenant: Tenant
    ) -> None:
        """``sent`` then ``failed`` (a report after the answer) is two legal moves, not a race."""
        message = await created_in(store, tenant, S.SENDING)
        results = await _race(store, await open_more(), message.id, S.SENT, S.FAILED)
        assert results == [None, None]
        status, history = await status_and_history(store, message.id)
        assert status is S.FAILED
        assert [change.status for change in history[-3:]] == [S.SENDING, S.SENT, S.FAILED]


async def _race(
    one: Store, another: Store, message_id: str, first: S, second: S
) -> Sequence[BaseException | None]:
    """``first`` moved in a unit held open while a unit of ``another`` store moves ``second``.

    The second unit starts while the first still holds its write: on PostgreSQL
    its UPDATE waits for the row, on SQLite its BEGIN for the file's lock, and
    either then sees the first move committed.
    """
    moved, commit = asyncio.Event(), asyncio.Event()

    async def move_first() -> None:
        async with one.transaction() as tx:
            await tx.messages.set_status(message_id, first, T0.replace(hour=3), "first")
            moved.set()
            await commit.wait()

    async def move_second() -> None:
        await moved.wait()
        async with another.transaction() as tx:
            await tx.messages.set_status(message_id, second, T0.replace(hour=4), "second")

    tasks = [asyncio.create_task(move_first()), asyncio.create_task(move_second())]
    await moved.wait()
    await asyncio.sleep(0.2)  # the second unit is waiting for the first by now
    commit.set()
    async with asyncio.timeout(10):
        return await asyncio.gather(*tasks, return_exceptions=True)
