"""The audit log (``AuditLog``): leaves appended in the caller's unit, without a global lock.

``append`` computes the entry's leaf hash (``smsgate.store.audit``) and
inserts the row in one statement; the database gives it its ``seq``
(SQLite's rowid, PostgreSQL's identity column) and ``leaf_index`` stays NULL
until the sequencer integrates it (``smsgate.store.sql.audit_tree``). No
unit of work reads another's audit rows or waits for one: the decision and
its leaf commit together, and a unit that rolls back takes its leaf with
it (on PostgreSQL its ``seq`` is then a gap). Triggers refuse UPDATE and
DELETE of audit rows (and TRUNCATE on PostgreSQL), except the sequencer's
setting of a NULL ``leaf_index``.

The verification checkpoint (``TreeCheckpoint``, one row) records the last
verified tree head and what the last run found; an incremental run never
saves "ok" over a recorded fault, only a full run replaces it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from smsgate.store.audit import (
    AuditEntry,
    AuditEvent,
    TreeCheckpoint,
    TreeFault,
    as_stored,
    leaf_hash_of,
)
from smsgate.store.ports import AuditQuery
from smsgate.store.sql.dialect import Dialect, Row, Session

_INSERT = (
    "INSERT INTO audit_log (at, creditor_id, actor, action, subject, detail, leaf_version,"
    " leaf_hash) VALUES (?, ?, ?, ?, ?, ?, 1, ?) RETURNING seq"
)
#: Subjects per ``about`` read: well under SQLite's limit of bound parameters.
_SUBJECTS_PER_READ = 500
_SAVE_CHECKPOINT = (
    "INSERT INTO audit_tree_checkpoint (id, tree_size, root_hash, verified_at, checked, full_run,"
    " bad_leaf, fault, reason) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
    " tree_size = excluded.tree_size, root_hash = excluded.root_hash,"
    " verified_at = excluded.verified_at, checked = excluded.checked,"
    " full_run = excluded.full_run, bad_leaf = excluded.bad_leaf, fault = excluded.fault,"
    " reason = excluded.reason"
    " WHERE audit_tree_checkpoint.fault IS NULL OR excluded.full_run = TRUE"
)


class SqlAuditLog:
    """``AuditLog`` on either database."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._dialect = session.dialect

    async def append(self, event: AuditEvent) -> AuditEntry:
        stored = as_stored(event)
        digest = leaf_hash_of(stored)
        seq = await self._session.value(_INSERT, _params(stored, digest, self._dialect))
        return AuditEntry(
            int(seq), stored.at, stored.creditor_id, stored.actor, stored.action,
            stored.subject, stored.detail, digest,
        )  # fmt: skip

    async def entries(self, query: AuditQuery) -> list[AuditEntry]:
        where, params = _conditions(query, self._dialect)
        sql = f"SELECT * FROM audit_log WHERE {' AND '.join(where)} ORDER BY seq LIMIT ?"
        # A page of up to thousands of entries (exports): decoded off the loop.
        return await self._session.scan(sql, [*params, query.limit], self._entries)

    async def about(self, creditor_id: str, subjects: Collection[str]) -> list[AuditEntry]:
        wanted, found = sorted(set(subjects)), dict[int, AuditEntry]()
        for first in range(0, len(wanted), _SUBJECTS_PER_READ):
            part = wanted[first : first + _SUBJECTS_PER_READ]
            marks = ", ".join("?" for _ in part)
            sql = f"SELECT * FROM audit_log WHERE creditor_id = ? AND subject IN ({marks})"
            for entry in await self._session.scan(sql, [creditor_id, *part], self._entries):
                found[entry.seq] = entry
        return [found[seq] for seq in sorted(found)]

    async def leaves(self, start: int, end: int) -> list[AuditEntry]:
        sql = "SELECT * FROM audit_log WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index"
        return await self._session.scan(sql, (start, end), self._entries)

    async def checkpoint(self) -> TreeCheckpoint | None:
        row = await self._session.row("SELECT * FROM audit_tree_checkpoint WHERE id = 1")
        return None if row is None else _checkpoint(row, self._dialect)

    async def save_checkpoint(self, checkpoint: TreeCheckpoint) -> None:
        fault = None if checkpoint.fault is None else checkpoint.fault.value
        await self._session.execute(
            _SAVE_CHECKPOINT,
            (
                checkpoint.size, checkpoint.root, self._dialect.instant(checkpoint.verified_at),
                checkpoint.checked, checkpoint.full, checkpoint.bad_leaf, fault,
                checkpoint.reason,
            ),
        )  # fmt: skip

    def _entries(self, rows: Iterable[Row]) -> list[AuditEntry]:
        return [entry_of_row(row, self._dialect) for row in rows]


def _checkpoint(row: Row, dialect: Dialect) -> TreeCheckpoint:
    return TreeCheckpoint(
        size=row["tree_size"],
        root=row["root_hash"],
        verified_at=dialect.read_instant(row["verified_at"]),
        checked=row["checked"],
        full=bool(row["full_run"]),
        bad_leaf=row["bad_leaf"],
        fault=None if row["fault"] is None else TreeFault(row["fault"]),
        reason=row["reason"],
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


def _params(event: AuditEvent, digest: str, dialect: Dialect) -> tuple[object, ...]:
    return (
        dialect.instant(event.at), event.creditor_id, event.actor, event.action, event.subject,
        dialect.json(event.detail), digest,
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
        leaf_hash=row["leaf_hash"],
        leaf_version=row["leaf_version"],
        leaf_index=row["leaf_index"],
        prev_hash=row["prev_hash"],
        chain_hash=row["hash"],
    )
