"""The tree agrees byte for byte with RFC 6962's published reference vectors.

The eight leaves, the roots of every size 1..8 and the proofs are the
reference data of RFC 6962's implementations (certificate-transparency's
``merkle_tree_test``, kept in transparency-dev/merkle ``proof/verify_test.go``);
leaf positions there count from 1, here from 0.
"""

from __future__ import annotations

import pytest

from smsgate.core.audit_tree import (
    EMPTY_ROOT,
    Frontier,
    Subtree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f")
]  # fmt: skip
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
INCLUSION = [  # (leaf index from 0, tree size, audit path)
    (0, 1, []),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
OTHER_ROOT = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def stored_nodes() -> dict[Subtree, bytes]:
    frontier, nodes = Frontier(), {}
    for leaf in LEAVES:
        nodes.update(frontier.append(leaf_hash(leaf)))
    return nodes


class TestRoots:
    """The MTH of the first n reference leaves is the reference root, built either way."""

    @pytest.mark.parametrize("size", range(1, 9))
    def test_root(self, size: int) -> None:
        hashes = [leaf_hash(leaf) for leaf in LEAVES[:size]]
        frontier = Frontier()
        for leaf in hashes:
            frontier.append(leaf)
        assert root_of(hashes) == ROOTS[size - 1]
        assert frontier.root() == ROOTS[size - 1]

    def test_empty_tree(self) -> None:
        assert Frontier().root() == EMPTY_ROOT == root_of([])
        assert EMPTY_ROOT.hex().startswith("e3b0c442")


class TestInclusion:
    """The audit paths are the reference ones; the verifier takes them and nothing near them."""

    @pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
    def test_reference_path(self, index: int, size: int, path: list[str]) -> None:
        proof = inclusion_proof(index, size, stored_nodes())
        assert [p.hex() for p in proof] == path
        assert verify_inclusion(index, size, leaf_hash(LEAVES[index]), proof, ROOTS[size - 1])

    @pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
    def test_corrupted_probes_fail(self, index: int, size: int, path: list[str]) -> None:
        proof, root, leaf = (
            [bytes.fromhex(p) for p in path],
            ROOTS[size - 1],
            leaf_hash(LEAVES[index]),
        )
        probes = [
            (index - 1, size, leaf, proof, root), (index + 1, size, leaf, proof, root),
            (index ^ 2, size, leaf, proof, root), (index, size * 2, leaf, proof, root),
            (index, size // 2, leaf, proof, root), (index, size, b"WrongLeaf", proof, root),
            (index, size, leaf, proof, EMPTY_ROOT), (index, size, leaf, proof, OTHER_ROOT),
            (index, size, leaf, [*proof, b""], root), (index, size, leaf, [*proof, root], root),
            (index, size, leaf, [b"", *proof], root), (index, size, leaf, [root, *proof], root),
        ]  # fmt: skip
        for n in range(len(proof)):
            flipped = list(proof)
            flipped[n] = bytes([flipped[n][0] ^ 8]) + flipped[n][1:]
            probes.append((index, size, leaf, flipped, root))
        if proof:
            probes.append((index, size, leaf, proof[:-1], root))
        for probe in probes:
            if probe[:2] != (index, size) or probe[2:] != (leaf, proof, root):
                assert not verify_inclusion(*probe), probe


class TestConsistency:
    """The consistency proofs are the reference ones; corrupted versions are refused."""

    @pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
    def test_reference_proof(self, old: int, new: int, path: list[str]) -> None:
        proof = consistency_proof(old, new, stored_nodes())
        assert [p.hex() for p in proof] == path
        assert verify_consistency(old, ROOTS[old - 1], new, ROOTS[new - 1], proof)

    @pytest.mark.parametrize(("old", "new", "path"), [c for c in CONSISTENCY if c[2]])
    def test_corrupted_probes_fail(self, old: int, new: int, path: list[str]) -> None:
        proof, r1, r2 = [bytes.fromhex(p) for p in path], ROOTS[old - 1], ROOTS[new - 1]
        probes = [
            (old - 1, r1, new, r2, proof), (old + 1, r1, new, r2, proof),
            (old ^ 2, r1, new, r2, proof), (old, r1, new * 2, r2, proof),
            (old, r1, new // 2, r2, proof), (old, b"WrongRoot", new, r2, proof),
            (old, r1, new, b"WrongRoot", proof), (old, r2, new, r1, proof),
            (old, r1, new, r2, []), (old, r1, new, r2, [*proof, b""]),
            (old, r1, new, r2, [*proof, r1]), (old, r1, new, r2, [*proof, r2]),
            (old, r1, new, r2, [b"", *proof]), (old, r1, new, r2, [r1, *proof]),
            (old, r1, new, r2, [r2, *proof]), (old, r1, new, r2, [proof[0], *proof]),
            (old, r1, new, r2, proof[:-1]),
        ]  # fmt: skip
        for n in range(len(proof)):
            flipped = list(proof)
            flipped[n] = bytes([flipped[n][0] ^ 16]) + flipped[n][1:]
            probes.append((old, r1, new, r2, flipped))
        for probe in probes:
            assert not verify_consistency(*probe), probe

    @pytest.mark.parametrize(
        ("old", "old_root", "new", "new_root", "proof", "valid"),
        [
            pytest.param(0, b"x", 0, b"x", [], True, id="empty-to-empty"),
            pytest.param(0, b"x", 1, b"y", [], True, id="empty-extends-into-anything"),
            pytest.param(1, b"y", 1, b"y", [], True, id="same-head"),
            pytest.param(1, b"x", 1, b"y", [], False, id="same-size-other-root"),
            pytest.param(1, b"x", 0, b"y", [], False, id="shrunk"),
            pytest.param(1, b"x", 2, b"y", [], False, id="empty-proof"),
            pytest.param(1, EMPTY_ROOT, 1, EMPTY_ROOT, [EMPTY_ROOT], False, id="surplus-proof"),
            pytest.param(0, EMPTY_ROOT, 1, EMPTY_ROOT, [EMPTY_ROOT], False, id="surplus-from-0"),
        ],
    )
    def test_edges(
        self, old: int, old_root: bytes, new: int, new_root: bytes, proof: list[bytes], valid: bool
    ) -> None:
        assert verify_consistency(old, old_root, new, new_root, proof) is valid
