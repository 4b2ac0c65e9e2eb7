"""The right edge of a tree: how the sequencer appends leaves in O(log n) without reading them.

A tree of ``size`` leaves is, left to right, the perfect subtrees of the
binary decomposition of ``size`` (``perfect_parts(0, size)``): the frontier
(also called a compact range). Appending a leaf adds a level-0 subtree and
merges equal neighbours, like adding one to a binary number; each merge
completes a perfect subtree, which the sequencer stores for later proofs.
The root is the frontier folded from the right. A verifier rebuilds the
frontier of its last verified size from stored nodes, checks it folds to the
verified root, and appends the new leaves it re-hashed itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from smsgate.core.audit_tree.hashing import Subtree, fold, node_hash, perfect_parts


class Frontier:
    """The perfect subtrees along a tree's right edge; grows by ``append``."""

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        self._hashes = list(hashes)
        if len(self._hashes) != size.bit_count():
            raise ValueError(f"a frontier of {size} leaves has {size.bit_count()} subtrees")
        self.size = size

    @classmethod
    def of(cls, size: int, nodes: Mapping[Subtree, bytes]) -> Frontier:
        """The frontier of ``size`` leaves from stored nodes; ``KeyError`` if one is missing."""
        return cls(size, (nodes[part] for part in cls.subtrees(size)))

    @staticmethod
    def subtrees(size: int) -> list[Subtree]:
        """Which stored nodes make up the frontier of ``size`` leaves."""
        return perfect_parts(0, size)

    def append(self, leaf: bytes) -> list[tuple[Subtree, bytes]]:
        """Add the leaf hash ``leaf``; the perfect subtrees it completes, the leaf's own first."""
        index, level, merged = self.size, 0, leaf
        completed = [(Subtree(0, index), leaf)]
        while index & 1:
            merged = node_hash(self._hashes.pop(), merged)
            index, level = index >> 1, level + 1
            completed.append((Subtree(level, index), merged))
        self._hashes.append(merged)
        self.size += 1
        return completed

    def root(self) -> bytes:
        """The Merkle Tree Hash of the leaves so far."""
        return fold(self._hashes)

    def hashes(self) -> list[bytes]:
        """The frontier's subtree hashes, left to right."""
        return list(self._hashes)
