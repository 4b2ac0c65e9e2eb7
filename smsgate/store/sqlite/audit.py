"""SQLite audit log (``AuditLog``): appends chained in the writer's transaction.

``append`` reads the latest entry and inserts the next one in a single call on
the writer connection, inside the caller's ``BEGIN IMMEDIATE`` transaction, so
concurrent writers (other tasks, other processes) always extend one chain and
never fork it. Triggers refuse UPDATE and DELETE of audit rows.
"""

from __future__ import annotations

import sqlite3

from smsgate.store.audit import (
    AUDIT_CHAIN,
    GENESIS_HASH,
    AuditCheckpoint,
    AuditEntry,
    AuditEvent,
    ChainFault,
    ChainVerification,
    chain_entry,
    verify_chain,
)
from smsgate.store.instants import format_instant, parse_instant
from smsgate.store.ports import AuditQuery
from smsgate.store.sqlite.codec import dump_json, load_json
from smsgate.store.sqlite.session import Session

_SAVE_CHECKPOINT = (
    "INSERT INTO audit_checkpoints (chain, seq, hash, verified_at, checked, full_run, bad_seq,"
    " fault) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (chain) DO UPDATE SET"
    " seq = excluded.seq, hash = excluded.hash, verified_at = excluded.verified_at,"
    " checked = excluded.checked, full_run = excluded.full_run, bad_seq = excluded.bad_seq,"
    " fault = excluded.fault WHERE audit_checkpoints.fault IS NULL OR excluded.full_run = 1"
)
_INSERT = (
    "INSERT INTO audit_log (seq, at, creditor_id, actor, action, subject, detail, prev_hash,"
    " hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class SqliteAuditLog:
    """``AuditLog`` on SQLite."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def append(self, event: AuditEvent) -> AuditEntry:
        def append(db: sqlite3.Connection) -> AuditEntry:
            last = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            seq, prev_hash = last.fetchone() or (0, GENESIS_HASH)
            entry = chain_entry(event, seq + 1, prev_hash)
            db.execute(_INSERT, _params(entry))
            return entry

        return await self._session.call(append)

    async def entries(self, query: AuditQuery) -> list[AuditEntry]:
        where, params = _conditions(query)
        sql = f"SELECT * FROM audit_log WHERE {' AND '.join(where)} ORDER BY seq LIMIT ?"

        def read(db: sqlite3.Connection) -> list[AuditEntry]:
            return [_entry(row) for row in db.execute(sql, [*params, query.limit])]

        # A page of up to thousands of entries (verification, exports): decoded off the loop.
        return await self._session.call_offloaded(read)

    async def verify(self) -> ChainVerification:
        def verify(db: sqlite3.Connection) -> ChainVerification:
            rows = db.execute("SELECT * FROM audit_log ORDER BY seq")
            return verify_chain(_entry(row) for row in rows)

        return await self._session.call_offloaded(verify)

    async def checkpoint(self, chain: str = AUDIT_CHAIN) -> AuditCheckpoint | None:
        sql = "SELECT * FROM audit_checkpoints WHERE chain = ?"
        row = await self._session.row(sql, (chain,))
        return None if row is None else _checkpoint(row)

    async def save_checkpoint(self, checkpoint: AuditCheckpoint) -> None:
        fault = None if checkpoint.fault is None else checkpoint.fault.value
        await self._session.execute(
            _SAVE_CHECKPOINT,
            (
                checkpoint.chain, checkpoint.seq, checkpoint.hash,
                format_instant(checkpoint.verified_at), checkpoint.checked,
                int(checkpoint.full), checkpoint.bad_seq, fault,
            ),
        )  # fmt: skip


def _checkpoint(row: sqlite3.Row) -> AuditCheckpoint:
    return AuditCheckpoint(
        seq=row["seq"],
        hash=row["hash"],
        verified_at=parse_instant(row["verified_at"]),
        checked=row["checked"],
        full=bool(row["full_run"]),
        bad_seq=row["bad_seq"],
        fault=None if row["fault"] is None else ChainFault(row["fault"]),
        chain=row["chain"],
    )


def _conditions(query: AuditQuery) -> tuple[list[str], list[object]]:
    where: list[str] = ["seq > ?"]
    params: list[object] = [query.after_seq]
    for column, value in (
        ("creditor_id", query.creditor_id),
        ("actor", query.actor),
        ("action", query.action),
        ("subject", query.subject),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if query.start is not None:
        where.append("at >= ?")
        params.append(format_instant(query.start))
    if query.end is not None:
        where.append("at < ?")
        params.append(format_instant(query.end))
    return where, params


def _params(entry: AuditEntry) -> tuple[object, ...]:
    return (
        entry.seq, format_instant(entry.at), entry.creditor_id, entry.actor, entry.action,
        entry.subject, dump_json(entry.detail), entry.prev_hash, entry.hash,
    )  # fmt: skip


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        seq=row["seq"],
        at=parse_instant(row["at"]),
        creditor_id=row["creditor_id"],
        actor=row["actor"],
        action=row["action"],
        subject=row["subject"],
        detail=load_json(row["detail"]),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )
