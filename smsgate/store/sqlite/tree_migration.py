"""SQLite's schema step 11: the audit log becomes the leaves of a Merkle tree.

SQL first (``TREE_SQL``): the old ``audit_log`` is renamed aside and a new one
created, because SQLite cannot drop a NOT NULL: new rows have no chain, so
``prev_hash``/``hash`` become nullable, kept for the old rows. New columns:
``leaf_version`` and ``leaf_hash`` (what the row's fields must hash to) and
``leaf_index`` (its tree position, NULL until the sequencer integrates it;
a partial index finds those). ``seq`` stays ``INTEGER PRIMARY KEY``: the
rowid, assigned by SQLite at insert. The triggers refuse every UPDATE except
setting a NULL ``leaf_index`` with nothing else changed, and every DELETE;
``audit_tree_nodes`` (perfect subtree hashes by level and index) and
``audit_tree_heads`` (signed tree heads by size) are append-only too. The
chain checkpoint gives way to the tree's (``audit_tree_checkpoint``, one row).

Then Python (``convert_chain``, in the same transaction): the old rows are
read in ``seq`` order, the chain verified and each row copied with its leaf
hash (``smsgate.store.sql.chain_conversion``), and the old table dropped.
"""

from __future__ import annotations

import json
import sqlite3

from smsgate.store.audit import LEAF_VERSION, AuditEntry, leaf_hash_of
from smsgate.store.instants import format_instant, parse_instant
from smsgate.store.sql.chain_conversion import ChainConversion
from smsgate.store.sql.codec import dump_json
from smsgate.store.sql.schema import MigrationOptions
from smsgate.store.sql.violations import APPEND_ONLY_MESSAGE

_SAME_ROW = " AND ".join(
    f"NEW.{column} IS OLD.{column}"
    for column in ("seq", "at", "creditor_id", "actor", "action", "subject", "detail",
                   "leaf_version", "leaf_hash", "prev_hash", "hash")
)  # fmt: skip

TREE_SQL = f"""
DROP TRIGGER audit_log_no_update;
DROP TRIGGER audit_log_no_delete;
DROP INDEX audit_log_by_creditor_time;
DROP INDEX audit_log_by_subject;
ALTER TABLE audit_log RENAME TO audit_log_chain;

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY CHECK (seq >= 1),
    at TEXT NOT NULL,
    creditor_id TEXT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    leaf_version INTEGER NOT NULL CHECK (leaf_version >= 1),
    leaf_hash TEXT NOT NULL,
    leaf_index INTEGER UNIQUE CHECK (leaf_index >= 0),
    prev_hash TEXT,
    hash TEXT UNIQUE
) STRICT;
CREATE INDEX audit_log_by_creditor_time ON audit_log (creditor_id, at);
CREATE INDEX audit_log_by_subject ON audit_log (subject);
CREATE INDEX audit_log_unintegrated ON audit_log (seq) WHERE leaf_index IS NULL;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (OLD.leaf_index IS NULL AND NEW.leaf_index IS NOT NULL AND {_SAME_ROW})
BEGIN
    SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}');
END;

CREATE TABLE audit_tree_nodes (
    level INTEGER NOT NULL CHECK (level >= 0),
    idx INTEGER NOT NULL CHECK (idx >= 0),
    hash TEXT NOT NULL,
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER audit_tree_nodes_no_update BEFORE UPDATE ON audit_tree_nodes
BEGIN
    SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}');
END;
CREATE TRIGGER audit_tree_nodes_no_delete BEFORE DELETE ON audit_tree_nodes
BEGIN
    SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}');
END;

CREATE TABLE audit_tree_heads (
    tree_size INTEGER PRIMARY KEY CHECK (tree_size >= 1),
    root_hash TEXT NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    key_id TEXT NOT NULL,
    signature TEXT NOT NULL
) STRICT;
CREATE TRIGGER audit_tree_heads_no_update BEFORE UPDATE ON audit_tree_heads
BEGIN
    SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}');
END;
CREATE TRIGGER audit_tree_heads_no_delete BEFORE DELETE ON audit_tree_heads
BEGIN
    SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}');
END;

DROP TABLE audit_checkpoints;
CREATE TABLE audit_tree_checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    tree_size INTEGER NOT NULL CHECK (tree_size >= 0),
    root_hash TEXT NOT NULL,
    verified_at TEXT NOT NULL,
    checked INTEGER NOT NULL CHECK (checked >= 0),
    full_run INTEGER NOT NULL CHECK (full_run IN (0, 1)),
    bad_leaf INTEGER,
    fault TEXT,
    reason TEXT NOT NULL
) STRICT;
"""

_COPY = (
    "INSERT INTO audit_log (seq, at, creditor_id, actor, action, subject, detail, leaf_version,"
    " leaf_hash, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_APPEND = (
    "INSERT INTO audit_log (at, creditor_id, actor, action, subject, detail, leaf_version,"
    " leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def convert_chain(db: sqlite3.Connection, options: MigrationOptions) -> None:
    """Copy the old chain's rows into the new table as leaves, then drop the old table.

    Raises ``BrokenAuditChain`` (the caller rolls the whole migration back).
    """
    conversion = ChainConversion(options)
    old = db.execute("SELECT * FROM audit_log_chain ORDER BY seq")
    while rows := old.fetchmany(1000):
        copies = []
        for row in rows:
            entry = _entry(row)
            copies.append((row[0], *row[1:7], LEAF_VERSION, conversion.leaf_hash(entry),
                           row[7], row[8]))  # fmt: skip
        db.executemany(_COPY, copies)
    db.execute("DROP TABLE audit_log_chain")
    accepted = conversion.acceptance()
    if accepted is not None:
        db.execute(_APPEND, (
            format_instant(accepted.at), None, accepted.actor, accepted.action,
            accepted.subject, dump_json(accepted.detail), LEAF_VERSION, leaf_hash_of(accepted),
        ))  # fmt: skip


def _entry(row: sqlite3.Row | tuple[object, ...]) -> AuditEntry:
    seq, at, creditor_id, actor, action, subject, detail, prev_hash, chain_hash = tuple(row)
    return AuditEntry(
        seq=int(str(seq)), at=parse_instant(str(at)),
        creditor_id=None if creditor_id is None else str(creditor_id),
        actor=str(actor), action=str(action), subject=str(subject),
        detail=json.loads(str(detail)), leaf_hash="", prev_hash=str(prev_hash),
        chain_hash=str(chain_hash),
    )  # fmt: skip
