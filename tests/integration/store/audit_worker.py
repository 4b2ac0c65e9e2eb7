"""A separate process appending audit leaves or sequencing: ``python audit_worker.py URL MODE N``.

``append``: appends N entries, one unit of work each, and every fifth one
also runs a sequencer round, so several processes append and sequence at
once; prints the appended ``seq``s as one JSON line. ``crash``: runs one
sequencer round that stops after placing the pending leaves, prints
``placed`` and waits to be killed (a sequencer dying mid-step, with its
transaction and its leader lock open).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from smsgate.service.sequencer import integrate
from smsgate.store import AuditEvent, Store, open_store
from smsgate.store.sql.audit_tree import SqlAuditTree
from tests.integration.audit_support import SIGNER

T0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)


def clock() -> datetime:
    return T0


async def append(store: Store, count: int, name: str) -> list[int]:
    seqs = []
    for n in range(count):
        async with store.transaction() as tx:
            event = AuditEvent(T0, "acme", name, "a.b", f"{name}-{n}", {"n": n})
            seqs.append((await tx.audit.append(event)).seq)
        if n % 5 == 4:
            await integrate(store, SIGNER, clock, batch=7)
    return seqs


async def crash(store: Store) -> None:
    real = SqlAuditTree.place

    async def place_then_hang(self: SqlAuditTree, seqs: list[int], first_index: int) -> None:
        await real(self, seqs, first_index)
        print("placed", flush=True)
        await asyncio.sleep(3600)

    SqlAuditTree.place = place_then_hang  # type: ignore[method-assign]
    await integrate(store, SIGNER, clock)


async def main(url: str, mode: str, count: int) -> None:
    store = await open_store(url)
    try:
        if mode == "append":
            print(json.dumps(await append(store, count, f"pid{os.getpid()}")), flush=True)
        else:
            await crash(store)
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
