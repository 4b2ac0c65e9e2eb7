"""Running a unit of work again when the database aborted it for a concurrent one.

On PostgreSQL write units run side by side, and the database may break a
deadlock, or a serialization failure, by rolling one of them back whole
(``UnitAborted``). The locks are ordered so that the units we know of do not
deadlock (see ``smsgate.store.sql.messages``, lock order), but the rule is
only as good as every future path that follows it, and some units must not
be lost to such an abort: a carrier's callback with a stop (退订) may never
be sent again if it gets an error. Such a unit is written as a function of
its ``UnitOfWork`` and run through ``in_transaction``: aborted, it is run
again in a fresh transaction, which then sees what the other unit
committed. Nothing of the aborted run was kept, so running it again is
exact, as long as the function does nothing outside the unit (no calls to
carriers, no logs of what it did: those come after it returns).

Only ``UnitAborted`` is retried: a lock held past ``lock_timeout``
(``StoreBusy``), an unreachable database or a refusal would only fail again,
later. The number of runs is bounded; the last abort is raised as it came.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

from smsgate.store.errors import UnitAborted
from smsgate.store.ports import Store, UnitOfWork

T = TypeVar("T")

#: How often a unit is run at most: an abort twice in a row is already rare.
RUNS = 3

_log = structlog.get_logger("smsgate.store")


async def in_transaction(
    store: Store, unit: Callable[[UnitOfWork], Awaitable[T]], *, runs: int = RUNS, name: str
) -> T:
    """``unit``'s result in one write transaction of ``store``, run again if it was aborted.

    ``name`` says in the log which unit was run again. Raises the last
    ``UnitAborted`` after ``runs`` runs, and anything else ``unit`` raises at once.
    """
    for run in range(1, runs):
        try:
            async with store.transaction() as tx:
                return await unit(tx)
        except UnitAborted as aborted:
            _log.warning("unit_aborted_rerun", unit=name, run=run, error=str(aborted))
    async with store.transaction() as tx:
        return await unit(tx)
