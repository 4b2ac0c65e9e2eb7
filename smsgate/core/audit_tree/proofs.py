"""Inclusion and consistency proofs (RFC 9162 §2.1.3 and §2.1.4), from stored perfect subtrees.

Generating a proof is two steps, so a store can fetch what it needs in one
read: ``inclusion_ranges``/``consistency_ranges`` name the leaf ranges whose
MTHs make up the proof (RFC 9162's PATH and SUBPROOF, in their order),
``subtrees_of`` names the stored nodes those need, and
``inclusion_proof``/``consistency_proof`` fold them into the proof's hashes.
Each range is one perfect subtree or, at the right edge of the tree, a few
folded together, so a proof reads O(log n) nodes.

Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 step by step, knowing
nothing of how proofs are made, so the two halves check each other. For
equal sizes a consistency proof is empty and the roots must be equal; the
empty tree is consistent with every tree (an empty proof).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence

from smsgate.core.audit_tree.hashing import (
    Subtree,
    node_hash,
    perfect_parts,
    range_hash,
    split_point,
)

Range = tuple[int, int]


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges of PATH(index, D[0:size]), bottom-up; ``ValueError`` unless 0 <= index < size."""
    if not 0 <= index < size:
        raise ValueError(f"no leaf {index} in a tree of {size}")
    start, end, siblings = 0, size, []
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            siblings.append((start + k, end))
            end = start + k
        else:
            siblings.append((start, start + k))
            start += k
    return siblings[::-1]


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The ranges of PROOF(old_size, D[0:new_size]) (RFC 9162 §2.1.4.1), in the RFC's order.

    Empty when the sizes are equal or ``old_size`` is 0; ``ValueError`` if
    ``old_size > new_size`` or a size is negative.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} to {new_size} leaves")
    if old_size in (0, new_size):
        return []
    start, m, n, whole, siblings = 0, old_size, new_size, True, []
    while m != n:
        k = split_point(n)
        if m <= k:
            siblings.append((start + k, start + n))
            n = k
        else:
            siblings.append((start, start + k))
            start, m, n, whole = start + k, m - k, n - k, False
    base = [] if whole else [(start, start + n)]
    return base + siblings[::-1]


def subtrees_of(ranges: Iterable[Range]) -> set[Subtree]:
    """The stored nodes the MTHs of ``ranges`` are folded from."""
    return {part for start, end in ranges for part in perfect_parts(start, end)}


def inclusion_proof(index: int, size: int, nodes: Mapping[Subtree, bytes]) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves, from stored nodes."""
    return [range_hash(start, end, nodes) for start, end in inclusion_ranges(index, size)]


def consistency_proof(old_size: int, new_size: int, nodes: Mapping[Subtree, bytes]) -> list[bytes]:
    """The proof that the tree of ``new_size`` leaves extends the one of ``old_size``."""
    return [range_hash(s, e, nodes) for s, e in consistency_ranges(old_size, new_size)]


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes | None:
    """The root ``proof`` leads to from ``leaf`` at ``index`` (RFC 9162 §2.1.3.2), or ``None``."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows leaf hash ``leaf`` at ``index`` of the tree ``(size, root)``."""
    found = root_from_inclusion(index, size, leaf, proof)
    return found is not None and hmac.compare_digest(found, root)


def verify_consistency(
    old_size: int, old_root: bytes, new_size: int, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree ``(new_size, new_root)`` extends ``(old_size, old_root)``.

    RFC 9162 §2.1.4.2, with its two edge cases made explicit: equal sizes need
    an empty proof and equal roots, and the empty tree needs an empty proof.
    """
    if not 0 <= old_size <= new_size:
        return False
    if old_size == 0 or old_size == new_size:
        return not proof and (old_size == 0 or hmac.compare_digest(old_root, new_root))
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root)
