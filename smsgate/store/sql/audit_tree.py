"""The audit tree's storage (``AuditTree``): positions, perfect subtree hashes, signed heads.

Only the sequencer writes here, one at a time: ``lead`` takes its leader
lock for the unit of work (PostgreSQL: ``pg_try_advisory_xact_lock``, so a
second instance gets ``False`` at once and skips the round, and a dead
leader's lock ends with its connection; SQLite: the single writer's
``BEGIN IMMEDIATE`` already serialises every writer, across processes too).
``pending`` reads the rows not yet in the tree in ``seq`` order through a
partial index; ``place`` gives them their positions and refuses (raising)
if any was placed meanwhile, so a broken lock could never fork the tree;
``add_nodes`` and ``add_head`` append the completed perfect subtrees
(``(level, idx)`` → hex hash, level 0 being the leaves as integrated) and the
signed head. Nothing here is updated or deleted later (triggers refuse it).

Multi-row statements go in chunks of fixed sizes (256, 64, 16, 4, 1 rows),
so PostgreSQL prepares a handful of statement shapes, not one per batch size.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from smsgate.core.audit_tree import Subtree, TreeHead
from smsgate.store.errors import Conflict
from smsgate.store.sql.dialect import Row, Session

LEADER_LOCK = ("audit", "sequencer")
_CHUNKS = (256, 64, 16, 4, 1)
_HEAD = "SELECT * FROM audit_tree_heads"


def chunks(count: int) -> list[tuple[int, int]]:
    """``[0, count)`` as ``(start, length)`` pieces of the fixed sizes, largest first."""
    pieces, start = [], 0
    for size in _CHUNKS:
        while count - start >= size:
            pieces.append((start, size))
            start += size
    return pieces


class SqlAuditTree:
    """``AuditTree`` on either database."""

    def __init__(self, session: Session) -> None:
        self._session = session

    async def lead(self) -> bool:
        return await self._session.try_lock(*LEADER_LOCK)

    async def latest_head(self) -> TreeHead | None:
        row = await self._session.row(f"{_HEAD} ORDER BY tree_size DESC LIMIT 1")
        return None if row is None else head_of_row(row)

    async def head(self, size: int) -> TreeHead | None:
        row = await self._session.row(f"{_HEAD} WHERE tree_size = ?", (size,))
        return None if row is None else head_of_row(row)

    async def heads(self, after_size: int, through_size: int, limit: int) -> list[TreeHead]:
        sql = f"{_HEAD} WHERE tree_size > ? AND tree_size <= ? ORDER BY tree_size LIMIT ?"
        rows = await self._session.rows(sql, (after_size, through_size, limit))
        return [head_of_row(row) for row in rows]

    async def pending(self, limit: int) -> list[tuple[int, bytes]]:
        sql = "SELECT seq, leaf_hash FROM audit_log WHERE leaf_index IS NULL ORDER BY seq LIMIT ?"
        rows = await self._session.rows(sql, (limit,))
        return [(row["seq"], bytes.fromhex(row["leaf_hash"])) for row in rows]

    async def place(self, seqs: Sequence[int], first_index: int) -> None:
        for start, size in chunks(len(seqs)):
            values = ", ".join(["(CAST(? AS BIGINT), CAST(? AS BIGINT))"] * size)
            params: list[object] = []
            for offset in range(start, start + size):
                params += [seqs[offset], first_index + offset]
            placed = await self._session.execute(
                "UPDATE audit_log SET leaf_index = v.column2"
                f" FROM (VALUES {values}) AS v"
                " WHERE audit_log.seq = v.column1 AND audit_log.leaf_index IS NULL",
                params,
            )
            if placed != size:
                raise Conflict("audit leaves were placed in the tree by another sequencer")

    async def nodes(self, subtrees: Collection[Subtree]) -> dict[Subtree, bytes]:
        wanted, found = sorted(subtrees), dict[Subtree, bytes]()
        for start, size in chunks(len(wanted)):
            condition = " OR ".join(["(level = ? AND idx = ?)"] * size)
            params = [n for node in wanted[start : start + size] for n in (node.level, node.index)]
            sql = f"SELECT level, idx, hash FROM audit_tree_nodes WHERE {condition}"
            for row in await self._session.rows(sql, params):
                found[Subtree(row["level"], row["idx"])] = bytes.fromhex(row["hash"])
        return found

    async def leaf_nodes(self, start: int, end: int) -> dict[int, bytes]:
        sql = "SELECT idx, hash FROM audit_tree_nodes WHERE level = 0 AND idx >= ? AND idx < ?"
        rows = await self._session.rows(sql, (start, end))
        return {row["idx"]: bytes.fromhex(row["hash"]) for row in rows}

    async def add_nodes(self, nodes: Sequence[tuple[Subtree, bytes]]) -> None:
        for start, size in chunks(len(nodes)):
            values = ", ".join(["(?, ?, ?)"] * size)
            params = [
                value
                for node, digest in nodes[start : start + size]
                for value in (node.level, node.index, digest.hex())
            ]
            sql = f"INSERT INTO audit_tree_nodes (level, idx, hash) VALUES {values}"
            await self._session.execute(sql, params)

    async def add_head(self, head: TreeHead) -> None:
        await self._session.execute(
            "INSERT INTO audit_tree_heads (tree_size, root_hash, timestamp_ms, key_id, signature)"
            " VALUES (?, ?, ?, ?, ?)",
            (head.size, head.root.hex(), head.timestamp_ms, head.key_id, head.signature.hex()),
        )


def head_of_row(row: Row) -> TreeHead:
    """The ``TreeHead`` an ``audit_tree_heads`` row holds."""
    return TreeHead(
        size=row["tree_size"],
        root=bytes.fromhex(row["root_hash"]),
        timestamp_ms=row["timestamp_ms"],
        key_id=row["key_id"],
        signature=bytes.fromhex(row["signature"]),
    )
