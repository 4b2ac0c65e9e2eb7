"""The frontier grows like a binary counter and rebuilds from stored nodes; heads encode fixedly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smsgate.core.audit_tree import (
    Frontier,
    Subtree,
    TreeHead,
    leaf_hash,
    perfect_parts,
    range_hash,
    root_of,
    signed_bytes,
    timestamp_ms,
)


def leaves(count: int) -> list[bytes]:
    return [leaf_hash(str(n).encode()) for n in range(count)]


class TestFrontier:
    """Appending completes perfect subtrees; the frontier of any size comes back from them."""

    def test_append_reports_completed_subtrees(self) -> None:
        frontier = Frontier()
        completed = [[node for node, _ in frontier.append(leaf)] for leaf in leaves(4)]
        assert completed == [
            [Subtree(0, 0)],
            [Subtree(0, 1), Subtree(1, 0)],
            [Subtree(0, 2)],
            [Subtree(0, 3), Subtree(1, 1), Subtree(2, 0)],
        ]

    def test_every_stored_node_is_its_range_root(self) -> None:
        hashes, frontier, nodes = leaves(37), Frontier(), {}
        for leaf in hashes:
            nodes.update(frontier.append(leaf))
        for node, digest in nodes.items():
            assert digest == root_of(hashes[node.start : node.end]), node

    @pytest.mark.parametrize("size", [0, 1, 2, 5, 8, 13, 64, 100])
    def test_rebuilt_from_nodes(self, size: int) -> None:
        hashes, grown, nodes = leaves(size + 3), Frontier(), {}
        for leaf in hashes:
            nodes.update(grown.append(leaf))
        rebuilt = Frontier.of(size, nodes)
        assert rebuilt.root() == root_of(hashes[:size])
        for leaf in hashes[size:]:
            rebuilt.append(leaf)
        assert rebuilt.root() == grown.root()

    def test_missing_node(self) -> None:
        with pytest.raises(KeyError):
            Frontier.of(3, {Subtree(1, 0): b"x" * 32})

    def test_wrong_number_of_hashes(self) -> None:
        with pytest.raises(ValueError, match="2 subtrees"):
            Frontier(3, [b"x" * 32])


class TestPerfectParts:
    """A range breaks into aligned perfect subtrees, largest first, folding to its MTH."""

    @pytest.mark.parametrize(
        ("start", "end", "parts"),
        [
            pytest.param(0, 0, [], id="empty"),
            pytest.param(0, 7, [Subtree(2, 0), Subtree(1, 2), Subtree(0, 6)], id="frontier-of-7"),
            pytest.param(8, 13, [Subtree(2, 2), Subtree(0, 12)], id="right-edge"),
            pytest.param(4, 8, [Subtree(2, 1)], id="perfect"),
        ],
    )
    def test_parts(self, start: int, end: int, parts: list[Subtree]) -> None:
        assert perfect_parts(start, end) == parts

    def test_range_hash_is_the_mth(self) -> None:
        hashes, frontier, nodes = leaves(16), Frontier(), {}
        for leaf in hashes:
            nodes.update(frontier.append(leaf))
        assert range_hash(8, 13, nodes) == root_of(hashes[8:13])


class TestTreeHeadBytes:
    """The signed bytes are RFC 6962's TreeHeadSignature: version, type, time, size, root."""

    def test_layout(self) -> None:
        root = bytes(range(32))
        encoded = signed_bytes(0x0102, root, 0x0A0B0C)
        assert (
            encoded
            == b"\x00\x01" + (0x0A0B0C).to_bytes(8, "big") + (0x0102).to_bytes(8, "big") + root
        )
        assert len(encoded) == 50

    def test_wrong_root_size(self) -> None:
        with pytest.raises(ValueError, match="32 bytes"):
            signed_bytes(1, b"short", 0)

    def test_instant_round_trip(self) -> None:
        moment = datetime(2026, 11, 23, 2, 0, 0, 123456, tzinfo=UTC)
        head = TreeHead(1, bytes(32), timestamp_ms(moment), "k", b"")
        assert head.timestamp_ms == 1795399200123
        assert head.at == moment.replace(microsecond=123000)
        assert head.signed == signed_bytes(1, bytes(32), head.timestamp_ms)
