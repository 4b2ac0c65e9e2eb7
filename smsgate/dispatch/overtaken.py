"""When another writer moved the message first: the dispatcher's move is refused, its record kept.

Between the transaction that marks a message ``sending`` and the one that
records the carrier's answer (or a lookup's), others may move the message: a
delivery report (``sending`` -> ``delivered``/``failed``; on PostgreSQL it
may commit between this transaction's read and its write), or, once this
dispatcher's lease ran out, another dispatcher that found the attempt
interrupted (``unknown`` for an operator) or looked it up itself. The store
then refuses this dispatcher's move (``IllegalMove``, see
``smsgate.store.sql.messages``), and:

- the attempt keeps the carrier's answer: it is the truth about the attempt,
  and was written first, in the same transaction;
- the message keeps the status the other writer gave it;
- the outbox item, if it is still this dispatcher's, is completed: a
  reported message is never sent again, and another dispatcher's decision
  stands (its item is not ours to complete).

In the first transaction (``preparation``) a refused move instead rolls the
whole transaction back (``Dispatcher``), and the lease hands the item on:
the next claim reads the status the other writer left (a reply's
``rejected`` or ``held``, a report) and settles it from there.
"""

from __future__ import annotations

from smsgate.core.lifecycle import IllegalMove
from smsgate.dispatch.outcomes import DispatchOutcome, Disposition, outcome_of
from smsgate.store import Message, UnitOfWork


async def overtaken(
    tx: UnitOfWork, message: Message, refused: IllegalMove, owner: str, **fields: object
) -> DispatchOutcome:
    """Settle the item after ``refused`` (see the module docstring); the outcome says so."""
    held = await tx.outbox.complete(message.id, owner)
    disposition = Disposition.MOVED_MEANWHILE if held else Disposition.LEASE_LOST
    return outcome_of(
        disposition, message, status=refused.current.value, refused=refused.wanted.value,
        **fields,
    )  # fmt: skip


def moved_meanwhile(message_id: str, refused: IllegalMove) -> DispatchOutcome:
    """The outcome of a first transaction rolled back because ``refused`` lost a race."""
    fields = {"status": refused.current.value, "refused": refused.wanted.value}
    return DispatchOutcome(Disposition.MOVED_MEANWHILE, message_id, fields)
