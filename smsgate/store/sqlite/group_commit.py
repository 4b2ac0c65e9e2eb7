"""Group commit: consecutive write units of work share one transaction and one COMMIT.

Why. SQLite has one writer at a time, so write units of work queue for the
writer connection. When each unit ran its own ``BEGIN IMMEDIATE`` and COMMIT
on the writer's thread, the queue advanced by one fsync and two thread hops
per unit, each hop's completion waiting in the event loop's ready queue
behind other requests' work. Sharing the transaction pays that once per
group: at 16 connections groups average ~8 units, and POST /v1/messages
went from ~315 to ~480 accepted/s with ``FULL`` and from ~315 to ~500 with
``NORMAL`` (benchmarks/api_bench.py, medians of three interleaved runs on 2
cores; this includes running reads' BEGIN/ROLLBACK inline, see
``session``). The event loop is now busy ~92% of the time on the request
path itself (py-spy), so the store no longer sets the pace.

How. Writers take turns, first come first served. The first unit of a
group opens the transaction with ``BEGIN IMMEDIATE`` on the executor, where
it may wait for another process's lock as before. (Trying it inline first
with ``busy_timeout = 0`` saved nothing measurable once paid per group, so
it is not done.) Each unit runs inside its own ``SAVEPOINT``: if its block
raises, ``ROLLBACK TO`` undoes its writes and only its writes. When a
unit's block ends its savepoint is released and the turn passes to the next
writer *without* committing. When no writer waits, or the group reached
``GroupLimits`` (units or age; the bound also lets other processes at the
file take their turn), the COMMIT is sent to the executor, and only when it
has made the group durable does every unit of the group leave its ``async
with``: "a 202 means committed" holds. If the COMMIT fails, nothing of the
group is durable and every unit raises its ``StoreError``; units whose
blocks raised wait for the outcome as well, because what they saw may have
come from other units of the group. If SQLite ends the transaction early
(``INSERT OR ROLLBACK``, disk full), the group's units raise likewise, with
``StoreUnavailable`` when the disk or the file failed (the API answers 503).

A unit sees the writes of earlier units of its group, exactly as if they had
committed just before it: writers stay serialised, which is what keeps
check-then-insert rules (contact caps) exact.

Cancellation. A unit cancelled in its block rolls back to its savepoint and
passes the turn; one cancelled while it waits for the turn leaves the queue
(its place is skipped; if the turn reached it just then, it passes it on); one cancelled while it
waits for the COMMIT just stops waiting, the group is not disturbed, and its
writes may still become durable (as when a single COMMIT was cancelled). The
clean-up of a unit whose scan or BEGIN still runs on the thread waits for
that job (``SerialConnection.when_idle``) and keeps the turn until then, so
the connection is never used from two threads at once.

Caveat. A unit's return waits for the units queued behind it in its group,
so a block must not wait for another unit of work's return (nor open one:
that waits forever, as before).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from functools import partial
from typing import Any

from smsgate.store.errors import StoreError, StoreUnavailable
from smsgate.store.sqlite.session import SerialConnection, SqliteSession, rollback


@dataclass(frozen=True, slots=True)
class GroupLimits:
    """When a group commits even though more writers wait: after this many units or seconds."""

    max_units: int = 64
    max_age: float = 0.020

    def __post_init__(self) -> None:
        if self.max_units < 1 or self.max_age < 0:
            raise ValueError("a group needs max_units >= 1 and max_age >= 0")


class _Group:
    """The units sharing one transaction, and how its COMMIT ended."""

    def __init__(self, began: float) -> None:
        self.began = began
        self.units = 0
        self.error: StoreError | None = None
        self._ended = asyncio.Event()

    def end(self, error: StoreError | None) -> None:
        self.error = error
        self._ended.set()

    async def outcome(self) -> None:
        """Return once the group is durable; raise (a copy of) its error if it is not."""
        await self._ended.wait()
        if self.error is not None:
            raise type(self.error)(*self.error.args) from self.error


class GroupCommit:
    """Turns at one writer connection, consecutive units grouped into one transaction."""

    def __init__(self, line: SerialConnection, limits: GroupLimits) -> None:
        self._line = line
        self._limits = limits
        self._held = False
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._group: _Group | None = None
        self._closed = False
        #: COMMIT statements sent so far (one per group): for tests and metrics.
        self.commits = 0

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[SqliteSession]:
        """A write unit of work; returns once its group is durable, raises ``StoreError``s."""
        await self._take_turn()
        try:
            group = await self._join()
        except BaseException:
            self._line.when_idle(self._abandon_join)
            raise
        session = SqliteSession(self._line)
        try:
            yield session
        except BaseException as error:
            session.end()
            self._line.when_idle(partial(self._end_unit, group, session, keep=False))
            if isinstance(error, Exception):  # not for cancellation: stop at once
                await group.outcome()
            raise
        session.end()
        self._line.when_idle(partial(self._end_unit, group, session, keep=True))
        await group.outcome()

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[SerialConnection]:
        """The connection alone, outside any transaction: for migrations."""
        await self._take_turn()
        try:
            self._refuse_if_closed()
            if self._group is not None:
                self._close_group()
            await self._line.settled()
            yield self._line
        finally:
            self._pass_turn()

    async def close(self) -> None:
        """Commit the open group, wait for it, and refuse every unit from now on."""
        async with self.exclusive():
            self._closed = True

    async def _join(self) -> _Group:
        self._refuse_if_closed()
        if self._group is None:
            # After the previous group's COMMIT; waits if another process writes.
            await self._line.offload(_begin)
            self._group = _Group(asyncio.get_running_loop().time())
        self._line.run(_savepoint)
        return self._group

    def _abandon_join(self) -> None:
        if self._group is None:
            # A BEGIN we stopped waiting for may have succeeded since.
            with suppress(StoreError):
                self._line.run(rollback)
        self._pass_turn()

    def _end_unit(self, group: _Group, session: SqliteSession, *, keep: bool) -> None:
        """Release or undo the unit's savepoint, then pass the turn on."""
        try:
            if session.lost is not None:  # SQLite already rolled the group back
                raise session.lost
            self._line.run(_release if keep else _undo)
            if not self._line.connection.in_transaction:
                raise StoreError("the transaction ended early")
        except StoreError as error:
            self._break(group, error)
        else:
            if keep:
                group.units += 1
        self._pass_turn()

    def _break(self, group: _Group, error: StoreError) -> None:
        """Give up a group whose transaction SQLite already ended or cannot continue.

        Every unit of the group raises: ``StoreUnavailable`` when the database
        could not take the writes (disk full, I/O error), so callers answer
        503 and clients retry, else a plain ``StoreError``.
        """
        self._group = None
        with suppress(StoreError):
            self._line.run(rollback)
        kind = StoreUnavailable if isinstance(error, StoreUnavailable) else StoreError
        lost = kind("the transaction was lost before its commit; nothing of it was saved")
        lost.__cause__ = error
        group.end(lost)

    def _close_group(self) -> None:
        group, self._group = self._group, None
        assert group is not None
        self.commits += 1
        self._line.submit(_commit).add_done_callback(partial(_report, group))

    async def _take_turn(self) -> None:
        if not self._held:
            self._held = True
            return
        turn = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._pass_turn()  # the turn reached us just as we were cancelled
            # else our cancelled place in the queue is skipped when the turn passes
            raise

    def _pass_turn(self) -> None:
        """Hand the connection on; commit first if none waits or the group is full."""
        while self._waiting and self._waiting[0].cancelled():
            self._waiting.popleft()
        group = self._group
        if group is not None and (not self._waiting or self._is_full(group)):
            self._close_group()
        if self._waiting:
            self._waiting.popleft().set_result(None)
        else:
            self._held = False

    def _is_full(self, group: _Group) -> bool:
        age = asyncio.get_running_loop().time() - group.began
        return group.units >= self._limits.max_units or age >= self._limits.max_age

    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise StoreUnavailable("the store is closed")


def _report(group: _Group, job: asyncio.Future[Any]) -> None:
    if job.cancelled():
        group.end(StoreUnavailable("the commit was abandoned; nothing of it is known to be saved"))
        return
    error = job.exception()
    if error is None or isinstance(error, StoreError):
        group.end(error)
    else:
        failed = StoreError(f"the commit failed: {error!r}")
        failed.__cause__ = error
        group.end(failed)


def _begin(db: sqlite3.Connection) -> None:
    db.execute("BEGIN IMMEDIATE")


def _savepoint(db: sqlite3.Connection) -> None:
    db.execute("SAVEPOINT unit")


def _release(db: sqlite3.Connection) -> None:
    db.execute("RELEASE unit")


def _undo(db: sqlite3.Connection) -> None:
    db.execute("ROLLBACK TO unit")
    db.execute("RELEASE unit")


def _commit(db: sqlite3.Connection) -> None:
    try:
        db.execute("COMMIT")
    except sqlite3.Error:
        # A failed COMMIT can leave the transaction open; end it before raising.
        rollback(db)
        raise
