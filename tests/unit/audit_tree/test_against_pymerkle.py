"""Roots, audit paths and consistency agree with pymerkle, an independent RFC 9162 tree.

pymerkle (a test dependency only) builds its tree its own way: node objects
in memory, roots from cached subroots, its own proof layout (the leaf hash
first, then the RFC's audit path; consistency proofs with a bit mask of
their own). So where both agree, on every size 1..70 and on large random
ones, they cannot share a misunderstanding of the RFC.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from smsgate.core.audit_tree import (
    Frontier,
    Subtree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)

SMALL = 70
LARGE = 5000


class Trees:
    """The same leaves in pymerkle's tree and in ours (our stored nodes and frontier sizes)."""

    def __init__(self, size: int) -> None:
        rng = random.Random(size)
        self.data = [rng.randbytes(rng.randrange(0, 40)) for _ in range(size)]
        self.theirs = InmemoryTree(algorithm="sha256")
        frontier, self.nodes = Frontier(), dict[Subtree, bytes]()
        self.roots = [frontier.root()]
        for item in self.data:
            self.theirs.append_entry(item)
            self.nodes.update(frontier.append(leaf_hash(item)))
            self.roots.append(frontier.root())

    def leaf(self, index: int) -> bytes:
        return leaf_hash(self.data[index])


@pytest.fixture(scope="module")
def small() -> Trees:
    return Trees(SMALL)


@pytest.fixture(scope="module")
def large() -> Trees:
    return Trees(LARGE)


class TestRoots:
    """Every prefix of the log has the same root in both trees."""

    def test_every_small_size(self, small: Trees) -> None:
        for size in range(SMALL + 1):
            assert small.roots[size] == small.theirs.get_root(size), size

    def test_large_sizes(self, large: Trees) -> None:
        for size in [*random.Random(1).sample(range(LARGE), 40), LARGE, 4096, 4097]:
            assert large.roots[size] == large.theirs.get_root(size), size


class TestInclusion:
    """Our audit path is pymerkle's path without its leading leaf hash, for every leaf."""

    def test_every_leaf_of_every_small_size(self, small: Trees) -> None:
        for size in range(1, SMALL + 1):
            for index in range(size):
                ours = inclusion_proof(index, size, small.nodes)
                theirs = small.theirs.prove_inclusion(index + 1, size)
                assert theirs.path == [small.leaf(index), *ours], (index, size)
                assert verify_inclusion(index, size, small.leaf(index), ours, small.roots[size])

    def test_large_sizes(self, large: Trees) -> None:
        rng = random.Random(2)
        for _ in range(200):
            size = rng.randrange(1, LARGE + 1)
            index = rng.randrange(size)
            ours = inclusion_proof(index, size, large.nodes)
            assert large.theirs.prove_inclusion(index + 1, size).path[1:] == ours
            theirs_root = large.theirs.get_root(size)
            assert verify_inclusion(index, size, large.leaf(index), ours, theirs_root)


class TestConsistency:
    """Our proofs verify against pymerkle's roots, and pymerkle's proofs against ours."""

    def test_every_small_pair(self, small: Trees) -> None:
        for new in range(1, SMALL + 1):
            for old in range(1, new + 1):
                ours = consistency_proof(old, new, small.nodes)
                old_root, new_root = small.theirs.get_root(old), small.theirs.get_root(new)
                assert verify_consistency(old, old_root, new, new_root, ours), (old, new)
                theirs = small.theirs.prove_consistency(old, new)
                theirs.verify(small.roots[old], small.roots[new])  # raises if not

    @settings(max_examples=150, deadline=None)
    @given(st.data())
    def test_random_large_pairs(self, large: Trees, data: st.DataObject) -> None:
        new = data.draw(st.integers(2, LARGE))
        old = data.draw(st.integers(1, new - 1))
        ours = consistency_proof(old, new, large.nodes)
        old_root, new_root = large.theirs.get_root(old), large.theirs.get_root(new)
        assert verify_consistency(old, old_root, new, new_root, ours)
        other = data.draw(st.integers(1, new - 1).filter(lambda size: size != old))
        assert not verify_consistency(other, large.theirs.get_root(other), new, new_root, ours)
        assert not verify_consistency(old, old_root, new, large.theirs.get_root(new - 1), ours)
