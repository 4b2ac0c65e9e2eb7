"""The four-eyes rule on key records alone: chains, persons and minting lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smsgate.service.four_eyes import Overlap, holders, overlap
from smsgate.store import ApiKey, Role
from smsgate.store.records import normalise_person

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def key(
    key_id: str, person: str | None = None, *, chain: str = "", minted_by: str | None = None
) -> ApiKey:
    roles = frozenset({Role.AUTHOR, Role.REVIEWER, Role.ADMIN})
    return ApiKey(
        key_id, "acme", roles, "h-" + key_id, T0, person=person, chain_id=chain,
        minted_by=minted_by,
    )  # fmt: skip


def by_id(*keys: ApiKey) -> dict[str, ApiKey]:
    return {each.id: each for each in keys}


class TestNormalisePerson:
    """Spellings of one name compare equal; other names do not."""

    @pytest.mark.parametrize(
        "spelling",
        [
            pytest.param("Li Wei", id="plain"),
            pytest.param(" li\tWEI  ", id="case-and-whitespace"),
            pytest.param("Ｌｉ\u3000Ｗｅｉ", id="full-width"),
        ],
    )
    def test_one_person(self, spelling: str) -> None:
        assert normalise_person(spelling) == "li wei"

    def test_another_person(self) -> None:
        assert normalise_person("Li Wen") != normalise_person("Li Wei")


class TestOverlap:
    """Which rule refuses a reviewer, or none."""

    def test_unrelated_people_may_review(self) -> None:
        alice, bob = key("a", "Alice"), key("b", "Bob")
        assert overlap(alice, bob, by_id(alice, bob)) is None

    def test_successor_is_the_same_chain(self) -> None:
        old, new = key("a", "Alice"), key("a2", "Alice", chain="a", minted_by="x")
        assert overlap(old, new, by_id(old, new)) is Overlap.SAME_CHAIN

    def test_legacy_keys_without_person_stand_for_their_chain(self) -> None:
        first, second = key("a"), key("b")
        assert overlap(first, second, by_id(first, second)) is None
        assert overlap(first, first, by_id(first)) is Overlap.SAME_CHAIN

    def test_minted_through_a_deputy(self) -> None:
        author = key("a", "Alice")
        deputy = key("d", "Carol", minted_by="a")
        reviewer = key("r", "Bob", minted_by="d")
        keys = by_id(author, deputy, reviewer)
        assert overlap(author, reviewer, keys) is Overlap.MINTING_LINE
        assert holders(reviewer, keys).chains == {"r", "d", "a"}

    def test_minted_by_a_successor_of_the_author(self) -> None:
        author = key("a", "Alice")
        successor = key("a2", "Alice", chain="a", minted_by="a")
        reviewer = key("r", "Bob", minted_by="a2")
        assert overlap(author, reviewer, by_id(author, successor, reviewer)) is (
            Overlap.MINTING_LINE
        )

    def test_minted_by_the_authors_person_under_another_key(self) -> None:
        author = key("a", "Alice")
        other = key("o", "alice")
        reviewer = key("r", "Bob", minted_by="o")
        assert overlap(author, reviewer, by_id(author, other, reviewer)) is (Overlap.MINTING_LINE)

    def test_common_minter(self) -> None:
        admin = key("x", "Zhang San")
        author, reviewer = key("a", "Alice", minted_by="x"), key("r", "Bob", minted_by="x")
        assert overlap(author, reviewer, by_id(admin, author, reviewer)) is Overlap.MINTING_LINE

    def test_minting_cycle_ends(self) -> None:
        first = key("a", "Alice", minted_by="b")
        second = key("b", "Bob", minted_by="a")
        assert holders(first, by_id(first, second)).chains == {"a", "b"}
