"""The sequencer: one instance at a time integrates new audit leaves into the tree and signs it.

Writers only append leaves (``AuditLog.append``, in their own unit of work,
with no lock). Every ``SMSGATE_AUDIT_INTEGRATE_MS`` each ``serve`` instance
(and each ``dispatch`` process holding the key) calls :func:`integrate`,
which in one write unit takes the sequencer's leader lock (``AuditTree.lead``:
PostgreSQL's ``pg_try_advisory_xact_lock``; when another instance holds it,
this one simply skips the round), reads up to ``batch`` pending leaves in
``seq`` order, rebuilds the tree's frontier from O(log n) stored nodes and
checks it against the last signed root (it never signs over a tampered
tree), appends the leaves (``smsgate.core.audit_tree.Frontier``), and stores
their positions, the perfect subtrees they complete and a new signed head.
All of it commits or none: a sequencer killed half-way leaves nothing, its
lock dies with its transaction, and the next round (on any instance) picks
the same leaves up. A leaf whose writer rolled back never existed, so it is
never integrated; one whose writer commits late (PostgreSQL commits out of
``seq`` order) is integrated in a later round, after leaves with higher
``seq``: positions follow integration, not ``seq``.

While a round fills its batch (a backlog, such as the entries migrated from
the old chain), the next round starts at once; otherwise the loop waits
its interval, so under load a leaf waits about one interval (≤ 1 s).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog

from smsgate.core.audit_tree import EMPTY_ROOT, Frontier, Subtree, TreeHead, timestamp_ms
from smsgate.store import Store, StoreError

log = structlog.get_logger(__name__)

BATCH = 1000
"""Leaves integrated per round at most; bounds one round's transaction."""


class HeadSigner(Protocol):
    """What signs tree heads (``smsgate.audit_keys.AuditSigner``)."""

    def sign(self, size: int, root: bytes, timestamp_ms: int) -> TreeHead: ...


class TreeCorrupt(Exception):
    """The stored tree does not give the last signed root: the sequencer will not sign on."""


@dataclass(frozen=True, slots=True)
class Integration:
    """What one round did: the head it signed and how many leaves it added."""

    head: TreeHead
    leaves: int


async def integrate(
    store: Store, signer: HeadSigner, clock: Callable[[], datetime], *, batch: int = BATCH
) -> Integration | None:
    """Integrate up to ``batch`` pending leaves and sign the new head; ``None`` if this
    instance is not the sequencer right now or nothing is pending.

    Raises ``TreeCorrupt`` if the stored frontier does not give the last signed
    root, and the store's errors.
    """
    async with store.transaction() as tx:
        tree = tx.audit_tree
        if not await tree.lead():
            return None
        pending = await tree.pending(batch)
        if not pending:
            return None
        latest = await tree.latest_head()
        frontier = _frontier(latest, await tree.nodes(Frontier.subtrees(_size(latest))))
        first = frontier.size
        completed = [node for _, leaf in pending for node in frontier.append(leaf)]
        await tree.place([seq for seq, _ in pending], first)
        await tree.add_nodes(completed)
        head = signer.sign(frontier.size, frontier.root(), timestamp_ms(clock()))
        await tree.add_head(head)
    return Integration(head, len(pending))


def _size(head: TreeHead | None) -> int:
    return 0 if head is None else head.size


def _frontier(latest: TreeHead | None, nodes: dict[Subtree, bytes]) -> Frontier:
    size, root = (0, EMPTY_ROOT) if latest is None else (latest.size, latest.root)
    try:
        frontier = Frontier.of(size, nodes)
    except KeyError:
        raise TreeCorrupt(f"stored nodes of the tree of {size} leaves are missing") from None
    if frontier.root() != root:
        raise TreeCorrupt(f"stored nodes do not give the signed root of the tree of {size}")
    return frontier


async def run_sequencer(
    store: Store,
    signer: HeadSigner,
    clock: Callable[[], datetime],
    *,
    stop_event: asyncio.Event,
    interval: float,
    batch: int = BATCH,
) -> None:
    """Integrate every ``interval`` seconds (at once while batches fill) until ``stop_event``."""
    while not stop_event.is_set():
        try:
            done = await integrate(store, signer, clock, batch=batch)
        except (StoreError, TreeCorrupt) as error:
            log.error("audit_integrate_failed", error=type(error).__name__, reason=str(error))
            done = None
        if done is not None:
            head = done.head
            log.info("audit_tree_head", size=head.size, root=head.root.hex(), leaves=done.leaves)
            if done.leaves >= batch:
                continue
        try:
            await asyncio.wait_for(stop_event.wait(), timeout=interval)
        except TimeoutError:
            continue
