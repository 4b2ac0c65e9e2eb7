"""Verifying the audit chain from a checkpoint, in bounded chunks, off the event loop.

Walking the whole chain on every look (400,000 entries: 20 s, and four
reviewers' views stalled every creditor's API) does not scale, so a run
continues from the chain's *checkpoint*: the last entry already verified
good, its hash, when, and what the last run found (``AuditCheckpoint``, one
row per chain). A run reads :data:`CHUNK` entries at a time by ``seq``
(keyset), hashes each chunk on a worker thread and saves the checkpoint
after each chunk (an incremental run; a full run saves when it ends), so an
interrupted run keeps its progress and no request waits behind it. The entry
at the checkpoint is read again and must still carry the recorded hash.

What an incremental run cannot see is an edit *before* the checkpoint other
than of the checkpoint entry itself; ``smsgate audit verify --full`` walks
from the first entry, the same way, and is the operator's periodic check
(and what to run after restoring a backup). A fault, once found, stays
recorded: later incremental runs start again at the last good entry, find
it again, and never save an ``ok`` over it (the stores refuse that); only a
full run replaces it.

``smsgate serve`` runs :func:`run_audit_verification` in the background
every ``SMSGATE_AUDIT_VERIFY_SECONDS``; the UI's audit page shows the saved
result and never verifies itself. The checkpoint names a chain and an
entry's ``seq`` and hash, which is also what a Merkle tree's sequencer
(issue #17) would check a signed tree head against.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

import structlog

from smsgate.store import (
    GENESIS_HASH,
    AuditCheckpoint,
    AuditEntry,
    AuditQuery,
    ChainFault,
    ChainVerification,
    Store,
    StoreError,
    verify_chain,
)

log = structlog.get_logger(__name__)

CHUNK = 1000
"""Entries read and hashed per step; bounds the memory and the time of each step."""


async def verify_audit_chain(
    store: Store,
    clock: Callable[[], datetime],
    *,
    full: bool = False,
    chunk: int = CHUNK,
) -> AuditCheckpoint:
    """Verify the entries after the checkpoint (every entry if ``full``); the saved result.

    Raises the store's errors for an outage; the progress saved so far stays.
    """
    async with store.read() as tx:
        last = None if full else await tx.audit.checkpoint()
    seq, prev_hash = (0, GENESIS_HASH) if last is None else (last.seq, last.hash)
    checked = 0
    if last is not None and seq > 0:
        moved = await _checkpoint_moved(store, seq, prev_hash)
        if moved is not None:
            return await _save(store, clock, full, seq, prev_hash, 0, seq, moved)
    while True:
        async with store.read() as tx:
            entries = await tx.audit.entries(AuditQuery(after_seq=seq, limit=chunk))
        result = await asyncio.to_thread(_verify, entries, seq, prev_hash)
        good = entries[: result.checked]
        if good:
            seq, prev_hash = good[-1].seq, good[-1].hash
        checked += result.checked
        if not result.ok:
            return await _save(
                store, clock, full, seq, prev_hash, checked, result.bad_seq, result.fault
            )
        if len(entries) < chunk:
            return await _save(store, clock, full, seq, prev_hash, checked, None, None)
        if not full:  # keep the progress; a full run must not move the checkpoint back meanwhile
            await _save(store, clock, full, seq, prev_hash, checked, None, None)


def _verify(entries: list[AuditEntry], seq: int, prev_hash: str) -> ChainVerification:
    return verify_chain(entries, after_seq=seq, after_hash=prev_hash)


async def _checkpoint_moved(store: Store, seq: int, recorded_hash: str) -> ChainFault | None:
    """Why the checkpoint entry is no longer the one verified, or ``None`` if it still is."""
    async with store.read() as tx:
        entries = await tx.audit.entries(AuditQuery(after_seq=seq - 1, limit=1))
    if not entries or entries[0].seq != seq:
        return ChainFault.SEQ_GAP
    entry = entries[0]
    if not verify_chain([entry], after_seq=seq - 1, after_hash=entry.prev_hash).ok:
        return ChainFault.HASH_MISMATCH
    return None if entry.hash == recorded_hash else ChainFault.HASH_MISMATCH


async def _save(
    store: Store,
    clock: Callable[[], datetime],
    full: bool,
    seq: int,
    prev_hash: str,
    checked: int,
    bad_seq: int | None,
    fault: ChainFault | None,
) -> AuditCheckpoint:
    checkpoint = AuditCheckpoint(seq, prev_hash, clock(), checked, full, bad_seq, fault)
    async with store.transaction() as tx:
        await tx.audit.save_checkpoint(checkpoint)
        saved = await tx.audit.checkpoint()
    return checkpoint if saved is None else saved


async def run_audit_verification(
    store: Store,
    clock: Callable[[], datetime],
    *,
    stop_event: asyncio.Event,
    interval: float,
) -> None:
    """Verify the new entries every ``interval`` seconds until ``stop_event``; logs each run."""
    while not stop_event.is_set():
        try:
            result = await verify_audit_chain(store, clock)
        except StoreError as error:
            log.warning("audit_verify_failed", error=type(error).__name__)
        else:
            _observe(result)
        try:
            await asyncio.wait_for(stop_event.wait(), timeout=interval)
        except TimeoutError:
            continue


def _observe(result: AuditCheckpoint) -> None:
    if result.ok:
        log.info("audit_verified", through_seq=result.seq, checked=result.checked)
    else:
        fault = None if result.fault is None else result.fault.value
        log.error("audit_chain_broken", bad_seq=result.bad_seq, fault=fault, full=result.full)
