"""The audit log (``AuditLog``): one hash chain, whichever writer appends.

``append`` reads the latest entry and inserts the next one in the caller's
write unit, so concurrent writers always extend one chain and never fork it
(the primary key on ``seq`` would refuse a fork anyway). On SQLite the
single writer's ``BEGIN IMMEDIATE`` serialises appenders, across processes
too. On PostgreSQL ``append`` first takes one advisory lock shared by every
appender (per database), held until the appending transaction ends; the
next appender's read, a new statement under READ COMMITTED once the lock is
granted, therefore sees the entry just committed. That lock is the one place
where write units of different creditors and debtors wait for each other,
and it is short: appending is among the last statements of a unit, so it
covers little more than the COMMIT's WAL flush. Triggers refuse UPDATE and
DELETE of audit rows (and TRUNCATE on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterable

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
from smsgate.store.sql.dialect import Dialect, Row, Session

CHAIN_LOCK = ("audit", "chain head")

_SAVE_CHECKPOINT = (
    "INSERT INTO audit_checkpoints (chain, seq, hash, verified_at, checked, full_run, bad_seq,"
    " fault) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (chain) DO UPDATE SET"
    " seq = excluded.seq, hash = excluded.hash, verified_at = excluded.verified_at,"
    " checked = excluded.checked, full_run = excluded.full_run, bad_seq = excluded.bad_seq,"
    " fault = excluded.fault WHERE audit_checkpoints.fault IS NULL OR excluded.full_run = TRUE"
)
_INSERT = (
    "INSERT INTO audit_log (seq, at, creditor_id, actor, action, subject, detail, prev_hash,"
    " hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class SqlAuditLog:
    """``AuditLog`` on either database."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.dialect

    async def append(self, event: AuditEvent) -> AuditEntry:
        await self._session.lock(*CHAIN_LOCK)
        last = await self._session.row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        seq, prev_hash = (0, GENESIS_HASH) if last is None else (last["seq"], last["hash"])
        entry = chain_entry(event, seq + 1, prev_hash)
        await self._session.execute(_INSERT, _params(entry, self._dialect))
        return entry

    async def entries(self, query: AuditQuery) -> list[AuditEntry]:
        where, params = _conditions(query, self._dialect)
        sql = f"SELECT * FROM audit_log WHERE {' AND '.join(where)} ORDER BY seq LIMIT ?"
        # A page of up to thousands of entries (verification, exports): decoded off the loop.
        return await self._session.scan(sql, [*params, query.limit], self._entries)

    async def verify(self) -> ChainVerification:
        def verify(rows: Iterable[Row]) -> ChainVerification:
            return verify_chain(entry_of_row(row, self._dialect) for row in rows)

        return await self._session.scan("SELECT * FROM audit_log ORDER BY seq", (), verify)

    async def checkpoint(self, chain: str = AUDIT_CHAIN) -> AuditCheckpoint | None:
        sql = "SELECT * FROM audit_checkpoints WHERE chain = ?"
        row = await self._session.row(sql, (chain,))
        return None if row is None else _checkpoint(row, self._dialect)

    async def save_checkpoint(self, checkpoint: AuditCheckpoint) -> None:
        fault = None if checkpoint.fault is None else checkpoint.fault.value
        await self._session.execute(
            _SAVE_CHECKPOINT,
            (
                checkpoint.chain, checkpoint.seq, checkpoint.hash,
                self._dialect.instant(checkpoint.verified_at), checkpoint.checked,
                checkpoint.full, checkpoint.bad_seq, fault,
            ),
        )  # fmt: skip

    def _entries(self, rows: Iterable[Row]) -> list[AuditEntry]:
        return [entry_of_row(row, self._dialect) for row in rows]


def _checkpoint(row: Row, dialect: Dialect) -> AuditCheckpoint:
    return AuditCheckpoint(
        seq=row["seq"],
        hash=row["hash"],
        verified_at=dialect.read_instant(row["verified_at"]),
        checked=row["checked"],
        full=bool(row["full_run"]),
        bad_seq=row["bad_seq"],
        fault=None if row["fault"] is None else ChainFault(row["fault"]),
        chain=row["chain"],
    )


def _conditions(query: AuditQuery, dialect: Dialect) -> tuple[list[str], list[object]]:
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
        params.append(dialect.instant(query.start))
    if query.end is not None:
        where.append("at < ?")
        params.append(dialect.instant(query.end))
    return where, params


def _params(entry: AuditEntry, dialect: Dialect) -> tuple[object, ...]:
    return (
        entry.seq, dialect.instant(entry.at), entry.creditor_id, entry.actor, entry.action,
        entry.subject, dialect.json(entry.detail), entry.prev_hash, entry.hash,
    )  # fmt: skip


def entry_of_row(row: Row, dialect: Dialect) -> AuditEntry:
    """The ``AuditEntry`` an ``audit_log`` row holds (the reporting queries read them too)."""
    return AuditEntry(
        seq=row["seq"],
        at=dialect.read_instant(row["at"]),
        creditor_id=row["creditor_id"],
        actor=row["actor"],
        action=row["action"],
        subject=row["subject"],
        detail=dialect.read_json(row["detail"]),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )
