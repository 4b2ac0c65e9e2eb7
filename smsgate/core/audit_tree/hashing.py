"""RFC 6962 §2.1 hashing: leaves, nodes, the Merkle Tree Hash, and perfect subtrees.

A leaf hashes as SHA-256(0x00 ‖ leaf bytes), an interior node as
SHA-256(0x01 ‖ left ‖ right): the prefixes keep a leaf from posing as a node
(second-preimage resistance). The Merkle Tree Hash (MTH) of n > 1 leaves
splits them at k, the largest power of two smaller than n, and hashes
MTH(first k) with MTH(the rest); of no leaves it is SHA-256 of nothing.

Every MTH is built from *perfect* subtrees: a range of 2^level leaves
starting at a multiple of 2^level, named ``Subtree(level, index)`` (its
leaves are ``[index·2^level, (index+1)·2^level)``). Those never change once
their last leaf is in, so they are what the store keeps; any range a proof
needs is a few of them folded from the right (``range_hash``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

HASH_SIZE = 32
#: The MTH of the empty tree (RFC 6962 §2.1: the hash of an empty string).
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF, _NODE = b"\x00", b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """The hash of the leaf whose bytes are ``data``."""
    return hashlib.sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of the interior node over ``left`` and ``right``."""
    return hashlib.sha256(_NODE + left + right).digest()


@dataclass(frozen=True, slots=True, order=True)
class Subtree:
    """The perfect subtree of ``2**level`` leaves starting at leaf ``index * 2**level``."""

    level: int
    index: int

    @property
    def start(self) -> int:
        """Its first leaf."""
        return self.index << self.level

    @property
    def end(self) -> int:
        """The leaf after its last."""
        return (self.index + 1) << self.level


def split_point(width: int) -> int:
    """The largest power of two smaller than ``width`` (which must be at least 2)."""
    return 1 << ((width - 1).bit_length() - 1)


def perfect_parts(start: int, end: int) -> list[Subtree]:
    """The perfect subtrees making up leaves ``[start, end)``, left to right, largest first.

    For a range the MTH recursion produces (``start`` a multiple of a power
    of two at least ``end - start``), folding their hashes from the right
    gives the range's MTH; ``[0, size)`` gives the tree's frontier.
    """
    parts: list[Subtree] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start:
            level = min(level, (start & -start).bit_length() - 1)
        parts.append(Subtree(level, start >> level))
        start += 1 << level
    return parts


def fold(hashes: Sequence[bytes]) -> bytes:
    """The MTH of perfect subtrees given left to right, largest first (``EMPTY_ROOT`` if none)."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def range_hash(start: int, end: int, nodes: Mapping[Subtree, bytes]) -> bytes:
    """The MTH of leaves ``[start, end)`` from stored subtrees; ``KeyError`` if one lacks."""
    return fold([nodes[part] for part in perfect_parts(start, end)])


def root_of(leaves: Sequence[bytes]) -> bytes:
    """The MTH of the given leaf hashes, straight from the RFC's recursive definition."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = split_point(len(leaves))
    return node_hash(root_of(leaves[:k]), root_of(leaves[k:]))
