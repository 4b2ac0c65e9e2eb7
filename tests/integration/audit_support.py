"""The tests' audit key, and "sequence every pending leaf, then verify the whole tree".

Tests that check what a use case audited, and that the audit still holds,
run the sequencer themselves (no background task runs in a test gateway)
and a full verification. ``AUDIT_SIGNING_KEY`` is a key made for the tests
only; its name marks it a secret for the log-hygiene check, which fails the
run should it ever appear in a log line.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime

import asyncpg

from smsgate.audit_keys import SIGNING_KEY_VARIABLE, AuditSigner
from smsgate.service.audit_checks import CHUNK, verify_audit_tree
from smsgate.service.sequencer import integrate
from smsgate.store import Store, TreeCheckpoint, utc_now
from smsgate.store.postgres.dialect import numbered

AUDIT_SIGNING_KEY = "MrWZO9ag7EK/W+qk0gbjxrPX9AZIa1Z84yN6kDnWLVs="
SIGNER = AuditSigner.from_private_key(AUDIT_SIGNING_KEY)
#: The audit tables whose append-only triggers ``tamper`` puts out of the way.
TABLES = ("audit_log", "audit_tree_nodes", "audit_tree_heads")
#: One statement for ``tamper``: SQL in SQLite's spelling and its parameters.
Statement = tuple[str, Sequence[object]]
#: What a ``smsgate serve`` subprocess of the tests needs in its environment.
AUDIT_ENVIRONMENT = {SIGNING_KEY_VARIABLE: AUDIT_SIGNING_KEY}


async def sequence_all(store: Store, clock: Callable[[], datetime] = utc_now) -> int:
    """Integrate every pending leaf (as the background sequencer would); the tree's size."""
    size = 0
    while (done := await integrate(store, SIGNER, clock)) is not None:
        size = done.head.size
    return size


async def sequenced_and_verified(
    store: Store,
    clock: Callable[[], datetime] = utc_now,
    *,
    full: bool = True,
    chunk: int = CHUNK,
) -> TreeCheckpoint:
    """``sequence_all``, then verify the tree (from leaf 0 unless ``full`` is false)."""
    await sequence_all(store, clock)
    return await verify_audit_tree(store, SIGNER.verifier, clock, full=full, chunk=chunk)


async def tamper(database_url: str, *statements: Statement) -> None:
    """Run ``statements`` (SQLite's ``?`` spelling) with the append-only triggers out of the way."""
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            names = db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            for (name,) in names.fetchall():
                db.execute(f"DROP TRIGGER {name}")
            for sql, params in statements:
                db.execute(sql, params)
        db.close()
        return
    base, schema = database_url.split("?search_path=")
    connection = await asyncpg.connect(base, server_settings={"search_path": schema})
    try:
        for table in TABLES:
            await connection.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for sql, params in statements:
            await connection.execute(numbered(sql), *params)
    finally:
        await connection.close()
