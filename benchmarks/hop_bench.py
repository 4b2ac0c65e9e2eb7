"""One sqlite3 statement run inline on the event loop vs through a worker thread.

The thread hop is what an async SQLite driver such as aiosqlite (SQLAlchemy's
``sqlite+aiosqlite``) pays on every statement; the store runs statements
inline instead (see ``smsgate.store.sql.dialect`` for why this decided the
store's query layer). Prints microseconds per primary-key SELECT, each way.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROWS = 10_000
STATEMENTS = 20_000
ROUNDS = 3
SELECT = "SELECT * FROM t WHERE id = ?"


def open_table(folder: Path) -> sqlite3.Connection:
    db = sqlite3.connect(folder / "hop.db", isolation_level=None, check_same_thread=False)
    db.execute("CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT)")
    db.executemany("INSERT INTO t VALUES (?, ?)", [(f"k{i}", "x" * 100) for i in range(ROWS)])
    return db


def select(db: sqlite3.Connection, i: int) -> object:
    return db.execute(SELECT, (f"k{i % ROWS}",)).fetchone()


async def per_statement_us(db: sqlite3.Connection, thread: ThreadPoolExecutor | None) -> float:
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    for i in range(STATEMENTS):
        if thread is None:
            select(db, i)
        else:
            await loop.run_in_executor(thread, select, db, i)
    return (time.perf_counter() - start) / STATEMENTS * 1e6


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(1) as thread:
        db = open_table(Path(folder))
        for round_ in range(ROUNDS):
            inline = await per_statement_us(db, None)
            hop = await per_statement_us(db, thread)
            print(f"round {round_}: inline {inline:5.1f} µs, via a thread {hop:5.1f} µs,"
                  f" {hop / inline:.1f}x")  # fmt: skip
        db.close()


if __name__ == "__main__":
    asyncio.run(main())
