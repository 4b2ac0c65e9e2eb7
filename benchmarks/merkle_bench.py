"""The audit tree's hashing: our core (``smsgate.core.audit_tree``) against pymerkle 7.

Why this exists: issue #17 asked to choose between a well-kept Merkle library
and a small own RFC 6962 hasher by measured speed and fit. Both build the same
tree (the unit tests cross-check roots and proofs); this times, on 100k
leaves, appending them and taking the root, and 1,000 inclusion and 1,000
consistency proofs at full size. Ours reads proofs from a map of perfect
subtrees, as the store does from its node table; pymerkle computes them from
its in-memory leaves with its subroot cache. Prints one line per step and
``merkle ratio: X`` (pymerkle's total time over ours; above 1: ours is faster).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from pymerkle import InmemoryTree

from smsgate.core.audit_tree import Frontier, Subtree, consistency_proof, inclusion_proof, leaf_hash

LEAVES = 100_000
PROOFS = 1_000


def timed(label: str, work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    elapsed = time.perf_counter() - start
    print(f"{label}: {elapsed * 1000:.0f} ms")
    return elapsed


def main() -> None:
    rng = random.Random(17)
    data = [rng.randbytes(200) for _ in range(LEAVES)]
    pairs = [(rng.randrange(LEAVES), rng.randrange(1, LEAVES)) for _ in range(PROOFS)]
    frontier, nodes = Frontier(), dict[Subtree, bytes]()
    tree = InmemoryTree(algorithm="sha256")

    def ours_append() -> None:
        for item in data:
            nodes.update(frontier.append(leaf_hash(item)))
        frontier.root()

    def theirs_append() -> None:
        for item in data:
            tree.append_entry(item)
        tree.get_root()

    ours = timed("ours: append 100k leaves + root", ours_append)
    theirs = timed("pymerkle: append 100k leaves + root", theirs_append)
    ours += timed("ours: 1000 inclusion proofs",
                  lambda: [inclusion_proof(i, LEAVES, nodes) for i, _ in pairs])  # fmt: skip
    theirs += timed("pymerkle: 1000 inclusion proofs",
                    lambda: [tree.prove_inclusion(i + 1) for i, _ in pairs])  # fmt: skip
    ours += timed("ours: 1000 consistency proofs",
                  lambda: [consistency_proof(m, LEAVES, nodes) for _, m in pairs])  # fmt: skip
    theirs += timed("pymerkle: 1000 consistency proofs",
                    lambda: [tree.prove_consistency(m) for _, m in pairs])  # fmt: skip
    print(f"merkle ratio: {theirs / ours:.2f}")


if __name__ == "__main__":
    main()
