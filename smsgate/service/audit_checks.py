"""Verifying the audit tree against its signed heads, incrementally, in chunks, off the event loop.

A run starts from the *checkpoint*: the last signed tree head verified good
(its size and root, ``TreeCheckpoint``, one row), and checks the newest
signed head against it, without rereading what was verified before:

1. the newest head's signature, and that the checkpoint's head is still
   stored, signed and with the verified root (else ``bad_signature`` /
   ``inconsistent``);
2. the checkpoint's frontier, rebuilt from stored nodes, must fold to its
   root (else ``inconsistent``: the stored tree was rewritten);
3. every new leaf, in :data:`CHUNK`-sized reads by position, hashed on a
   worker thread: a row must hold each position (``leaf_missing``: a removed
   leaf), its fields must give its leaf hash (``leaf_altered``), and it must
   be the leaf the sequencer integrated there (``leaf_moved``: a reordered
   range); the re-hashed leaves extend the frontier, and at each signed head
   passed on the way the root must be the head's (``root_mismatch``: a tail
   rewritten consistently, which only the signature exposes) and its
   signature must verify;
4. the consistency proof from the checkpoint to the newest head, built from
   the stored nodes (what evidence packs will hand out), must verify
   (``inconsistent``).

An incremental run saves its progress at the last head passed after each
chunk; a full run (``smsgate audit verify --full``, from leaf 0) saves when it
ends. What an incremental run cannot see is a row changed *before* the
checkpoint whose stored leaf hash and nodes were left alone: the full run
is the operator's periodic check (and the one to run after a restore). A
fault, once found, stays recorded: later incremental runs start again at the
last good head, find it again, and never save an ``ok`` over it (the stores
refuse that); only a full run replaces it.

``smsgate serve`` runs :func:`run_audit_verification` every
``SMSGATE_AUDIT_VERIFY_SECONDS``; the UI's audit page shows the saved
result and never verifies itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog

from smsgate.core.audit_tree import (
    EMPTY_ROOT,
    Frontier,
    Subtree,
    TreeHead,
    consistency_proof,
    consistency_ranges,
    subtrees_of,
    verify_consistency,
)
from smsgate.store import Store, StoreError, TreeCheckpoint, TreeFault
from smsgate.store.audit import AuditEntry, leaf_hash_of

log = structlog.get_logger(__name__)

CHUNK = 1000
"""Leaves read and hashed per step; bounds the memory and the time of each step."""


class HeadVerifier(Protocol):
    """What checks tree head signatures (``smsgate.audit_keys.AuditVerifier``)."""

    def verifies(self, head: TreeHead) -> bool: ...


@dataclass(frozen=True, slots=True)
class Fault:
    """The first thing found wrong: what, where (a leaf position, if one is to blame), why."""

    fault: TreeFault
    bad_leaf: int | None
    reason: str


@dataclass(slots=True)
class Progress:
    """A run's state: the last good head, the frontier so far, the leaves checked."""

    good: tuple[int, bytes]
    frontier: Frontier
    checked: int = 0


async def verify_audit_tree(
    store: Store,
    verifier: HeadVerifier,
    clock: Callable[[], datetime],
    *,
    full: bool = False,
    chunk: int = CHUNK,
) -> TreeCheckpoint:
    """Verify the newest signed head from the checkpoint (leaf 0 if ``full``); the saved result.

    Raises the store's errors for an outage; the progress saved so far stays.
    """
    async with store.read() as tx:
        last = None if full else await tx.audit.checkpoint()
        latest = await tx.audit_tree.latest_head()
    start = (0, EMPTY_ROOT) if last is None else (last.size, bytes.fromhex(last.root))
    opened = await _open(store, verifier, start, latest)
    if isinstance(opened, Fault):
        return await _save(store, clock, full, Progress(start, Frontier()), opened)
    progress = opened
    target = latest.size if latest is not None else 0
    while progress.frontier.size < target:
        fault = await _walk_chunk(
            store, verifier, progress, min(progress.frontier.size + chunk, target)
        )
        if fault is not None:
            return await _save(store, clock, full, progress, fault)
        if not full:
            await _save(store, clock, full, progress, None)
    assert latest is None or progress.good == (latest.size, latest.root)
    return await _save(store, clock, full, progress, await _consistency(store, start, latest))


async def _open(
    store: Store, verifier: HeadVerifier, start: tuple[int, bytes], latest: TreeHead | None
) -> Progress | Fault:
    """Steps 1 and 2: the heads at both ends, and the checkpoint's frontier."""
    size, root = start
    if latest is None or latest.size < size:
        if size == 0:
            return Progress(start, Frontier())
        reason = f"no signed head is as large as the verified {size}"
        return Fault(TreeFault.INCONSISTENT, None, reason)
    if not verifier.verifies(latest):
        reason = f"the head of size {latest.size} is not signed by the key"
        return Fault(TreeFault.BAD_SIGNATURE, None, reason)
    async with store.read() as tx:
        verified = await tx.audit_tree.head(size) if size else None
        nodes = await tx.audit_tree.nodes(Frontier.subtrees(size))
    if size and (verified is None or verified.root != root or not verifier.verifies(verified)):
        reason = f"the verified head of size {size} is gone or changed"
        return Fault(TreeFault.INCONSISTENT, None, reason)
    return _checkpoint_frontier(start, nodes)


def _checkpoint_frontier(start: tuple[int, bytes], nodes: dict[Subtree, bytes]) -> Progress | Fault:
    size, root = start
    try:
        frontier = Frontier.of(size, nodes)
    except KeyError:
        frontier = None
    if frontier is None or frontier.root() != root:
        reason = f"the stored tree of {size} leaves was rewritten"
        return Fault(TreeFault.INCONSISTENT, None, reason)
    return Progress(start, frontier)


async def _walk_chunk(
    store: Store, verifier: HeadVerifier, progress: Progress, end: int
) -> Fault | None:
    """Step 3 for the leaves ``[frontier size, end)``, hashed on a worker thread."""
    begin = progress.frontier.size
    async with store.read() as tx:
        rows = await tx.audit.leaves(begin, end)
        integrated = await tx.audit_tree.leaf_nodes(begin, end)
        heads = await tx.audit_tree.heads(begin, end, end - begin)
    return await asyncio.to_thread(_check_leaves, verifier, progress, end, rows, integrated, heads)


def _check_leaves(
    verifier: HeadVerifier,
    progress: Progress,
    end: int,
    rows: list[AuditEntry],
    integrated: dict[int, bytes],
    heads: list[TreeHead],
) -> Fault | None:
    by_position = {row.leaf_index: row for row in rows}
    signed = {head.size: head for head in heads}
    frontier = progress.frontier
    for position in range(frontier.size, end):
        fault = _leaf_fault(position, by_position.get(position), integrated.get(position))
        if fault is not None:
            return fault
        frontier.append(bytes.fromhex(by_position[position].leaf_hash))
        progress.checked += 1
        head = signed.get(position + 1)
        if head is not None:
            fault = _head_fault(verifier, progress, head)
            if fault is not None:
                return fault
            progress.good = (head.size, head.root)
    return None


def _leaf_fault(position: int, row: AuditEntry | None, integrated: bytes | None) -> Fault | None:
    if row is None:
        return Fault(TreeFault.LEAF_MISSING, position, f"no entry holds leaf {position}")
    try:
        recomputed = leaf_hash_of(row.event, row.leaf_version)
    except ValueError:
        recomputed = ""
    if recomputed != row.leaf_hash:
        return Fault(TreeFault.LEAF_ALTERED, position, f"entry seq {row.seq} was altered")
    if integrated is None or integrated.hex() != row.leaf_hash:
        reason = f"entry seq {row.seq} is not the leaf integrated at {position}"
        return Fault(TreeFault.LEAF_MOVED, position, reason)
    return None


def _head_fault(verifier: HeadVerifier, progress: Progress, head: TreeHead) -> Fault | None:
    first = progress.good[0]
    if not verifier.verifies(head):
        return Fault(
            TreeFault.BAD_SIGNATURE, first, f"the head of size {head.size} is not signed by the key"
        )
    if progress.frontier.root() != head.root:
        reason = f"leaves {first}..{head.size - 1} do not give the root signed for size {head.size}"
        return Fault(TreeFault.ROOT_MISMATCH, first, reason)
    return None


async def _consistency(
    store: Store, start: tuple[int, bytes], latest: TreeHead | None
) -> Fault | None:
    """Step 4: the stored nodes prove the newest head extends the checkpoint's."""
    if latest is None:
        return None
    size, root = start
    ranges = consistency_ranges(size, latest.size)
    async with store.read() as tx:
        nodes = await tx.audit_tree.nodes(subtrees_of(ranges))
    try:
        proof = consistency_proof(size, latest.size, nodes)
    except KeyError:
        proof = []
    if verify_consistency(size, root, latest.size, latest.root, proof):
        return None
    reason = f"the stored tree gives no proof that size {latest.size} extends {size}"
    return Fault(TreeFault.INCONSISTENT, None, reason)


async def _save(
    store: Store,
    clock: Callable[[], datetime],
    full: bool,
    progress: Progress,
    fault: Fault | None,
) -> TreeCheckpoint:
    size, root = progress.good
    checkpoint = TreeCheckpoint(
        size, root.hex(), clock(), progress.checked, full,
        None if fault is None else fault.bad_leaf,
        None if fault is None else fault.fault,
        "" if fault is None else fault.reason,
    )  # fmt: skip
    async with store.transaction() as tx:
        await tx.audit.save_checkpoint(checkpoint)
        saved = await tx.audit.checkpoint()
    return checkpoint if saved is None else saved


async def run_audit_verification(
    store: Store,
    verifier: HeadVerifier,
    clock: Callable[[], datetime],
    *,
    stop_event: asyncio.Event,
    interval: float,
) -> None:
    """Verify the newest head every ``interval`` seconds until ``stop_event``; logs each run."""
    while not stop_event.is_set():
        try:
            result = await verify_audit_tree(store, verifier, clock)
        except StoreError as error:
            log.warning("audit_verify_failed", error=type(error).__name__)
        else:
            _observe(result)
        try:
            await asyncio.wait_for(stop_event.wait(), timeout=interval)
        except TimeoutError:
            continue


def _observe(result: TreeCheckpoint) -> None:
    if result.ok:
        log.info("audit_verified", tree_size=result.size, root=result.root, checked=result.checked)
    else:
        fault = None if result.fault is None else result.fault.value
        log.error(
            "audit_tree_broken", bad_leaf=result.bad_leaf, fault=fault, reason=result.reason,
            full=result.full,
        )  # fmt: skip
