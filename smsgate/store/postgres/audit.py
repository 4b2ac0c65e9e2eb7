"""PostgreSQL audit log (``AuditLog``): one hash chain, whichever instance appends.

``append`` takes one advisory lock shared by every appender (per database),
reads the latest entry and inserts the next one; the lock is held until the
appending transaction commits or rolls back. The next appender's read, a new
statement under READ COMMITTED after the lock is granted, therefore sees the
entry just committed, so concurrent writers in any number of processes
extend one chain and never fork it (the primary key on ``seq`` would refuse
a fork anyway). This is the one place where write units of different
creditors and debtors wait for each other, and it is short: appending is
among the last statements of a unit, so the lock covers little more than the
COMMIT's WAL flush. Triggers refuse UPDATE, DELETE and TRUNCATE.
"""

from __future__ import annotations

import asyncpg

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
from smsgate.store.ports import AuditQuery
from smsgate.store.postgres.codec import dump_json, instant, load_json
from smsgate.store.postgres.session import Session

CHAIN_LOCK = ("audit", "chain head")
_SAVE_CHECKPOINT = (
    "INSERT INTO audit_checkpoints (chain, seq, hash, verified_at, checked, full_run, bad_seq,"
    " fault) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (chain) DO UPDATE SET"
    " seq = excluded.seq, hash = excluded.hash, verified_at = excluded.verified_at,"
    " checked = excluded.checked, full_run = excluded.full_run, bad_seq = excluded.bad_seq,"
    " fault = excluded.fault WHERE audit_checkpoints.fault IS NULL OR excluded.full_run"
)
_INSERT = (
    "INSERT INTO audit_log (seq, at, creditor_id, actor, action, subject, detail, prev_hash,"
    " hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
)


class PostgresAuditLog:
    """``AuditLog`` on PostgreSQL."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def append(self, event: AuditEvent) -> AuditEntry:
        await self._session.lock(*CHAIN_LOCK)
        last = await self._session.row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        seq, prev_hash = (0, GENESIS_HASH) if last is None else (last["seq"], last["hash"])
        entry = chain_entry(event, seq + 1, prev_hash)
        await self._session.execute(_INSERT, *_params(entry))
        return entry

    async def entries(self, query: AuditQuery) -> list[AuditEntry]:
        where, params = conditions(query)
        sql = (
            f"SELECT * FROM audit_log WHERE {' AND '.join(where)}"
            f" ORDER BY seq LIMIT ${len(params) + 1}"
        )
        return [entry_of_row(row) for row in await self._session.rows(sql, *params, query.limit)]

    async def verify(self) -> ChainVerification:
        rows = await self._session.rows("SELECT * FROM audit_log ORDER BY seq")
        return verify_chain(entry_of_row(row) for row in rows)

    async def checkpoint(self, chain: str = AUDIT_CHAIN) -> AuditCheckpoint | None:
        row = await self._session.row("SELECT * FROM audit_checkpoints WHERE chain = $1", chain)
        return None if row is None else _checkpoint(row)

    async def save_checkpoint(self, checkpoint: AuditCheckpoint) -> None:
        fault = None if checkpoint.fault is None else checkpoint.fault.value
        await self._session.execute(
            _SAVE_CHECKPOINT,
            checkpoint.chain, checkpoint.seq, checkpoint.hash, instant(checkpoint.verified_at),
            checkpoint.checked, checkpoint.full, checkpoint.bad_seq, fault,
        )  # fmt: skip


def _checkpoint(row: asyncpg.Record) -> AuditCheckpoint:
    return AuditCheckpoint(
        seq=row["seq"],
        hash=row["hash"],
        verified_at=row["verified_at"],
        checked=row["checked"],
        full=row["full_run"],
        bad_seq=row["bad_seq"],
        fault=None if row["fault"] is None else ChainFault(row["fault"]),
        chain=row["chain"],
    )


def conditions(query: AuditQuery) -> tuple[list[str], list[object]]:
    """The WHERE terms and parameters (``$1`` …) selecting ``query``'s entries."""
    where: list[str] = []
    params: list[object] = []

    def term(sql: str, value: object) -> None:
        params.append(value)
        where.append(sql.format(f"${len(params)}"))

    term("seq > {}", query.after_seq)
    for column, value in (
        ("creditor_id", query.creditor_id),
        ("actor", query.actor),
        ("action", query.action),
        ("subject", query.subject),
    ):
        if value is not None:
            term(f"{column} = {{}}", value)
    if query.start is not None:
        term("at >= {}", instant(query.start))
    if query.end is not None:
        term("at < {}", instant(query.end))
    return where, params


def _params(entry: AuditEntry) -> tuple[object, ...]:
    return (
        entry.seq, instant(entry.at), entry.creditor_id, entry.actor, entry.action,
        entry.subject, dump_json(entry.detail), entry.prev_hash, entry.hash,
    )  # fmt: skip


def entry_of_row(row: asyncpg.Record) -> AuditEntry:
    """The ``AuditEntry`` an ``audit_log`` row holds."""
    return AuditEntry(
        seq=row["seq"],
        at=row["at"],
        creditor_id=row["creditor_id"],
        actor=row["actor"],
        action=row["action"],
        subject=row["subject"],
        detail=load_json(row["detail"]),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )
