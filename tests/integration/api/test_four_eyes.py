"""Four-eyes per person over HTTP: rotation chains, persons and minting lines (issue #13, 4)."""

from __future__ import annotations

from typing import Any

import pytest

from smsgate.service import administration
from smsgate.store import AuditQuery, Role

from .api_support import GatewayUnderTest
from .shared_gateway import on_the_module_gateway
from .test_templates import _path, decide, detail, draft, key_id


async def mint(gw: GatewayUnderTest, person: str, *roles: Role) -> str:
    """A token of an acme key for ``person``, minted by the operator (no minter)."""
    _, token = await administration.create_key(
        gw.gateway.store, gw.acme, roles, at=gw.clock(), label="four-eyes", person=person
    )
    return token


async def mint_by(gw: GatewayUnderTest, admin_token: str, person: str, *roles: str) -> str:
    """A token of a key that ``admin_token`` creates through POST /v1/keys."""
    body = {"roles": list(roles), "label": "four-eyes", "person": person}
    status, created, _ = await gw.call("POST", "/v1/keys", token=admin_token, json=body)
    assert status == 201, created
    return created["token"]  # type: ignore[no-any-return]


async def rotate(gw: GatewayUnderTest, admin_token: str, key_id: str) -> dict[str, Any]:
    """Rotate ``key_id`` through the API with an hour of grace; the 201 body."""
    path = f"/v1/keys/{key_id}/rotate"
    status, body, _ = await gw.call("POST", path, token=admin_token, json={"grace_seconds": 3600})
    assert status == 201, body
    return body  # type: ignore[no-any-return]


async def written_by(gw: GatewayUnderTest, author: str) -> dict[str, Any]:
    """A template drafted and submitted with the ``author`` token; the 201 body of the create."""
    status, created, _ = await gw.call("POST", "/v1/templates", token=author, json=draft())
    assert status == 201, created
    assert (await gw.call("POST", _path(created, "submit"), token=author))[0] == 200
    return created  # type: ignore[no-any-return]


def refused(status: int, problem: Any, rule: str) -> bool:
    """Whether the answer is the 403 ``four_eyes`` refusal naming ``rule``."""
    return (status, problem.get("code"), problem.get("rule")) == (403, "four_eyes", rule)


class TestRotationChain:
    """A successor key is its predecessor: it cannot decide on what the predecessor wrote."""

    @pytest.mark.parametrize("action", [pytest.param(a, id=a) for a in ("approve", "reject")])
    @on_the_module_gateway
    async def test_successor_cannot_review_predecessors_version(
        self, gw: GatewayUnderTest, action: str
    ) -> None:
        both = await mint(gw, "Li Wei", Role.AUTHOR, Role.REVIEWER)
        created = await written_by(gw, both)
        successor = await rotate(gw, await gw.key(gw.acme, "admin"), await key_id(gw, both))
        status, problem = await decide(gw, created, action, token=successor["token"])
        assert refused(status, problem, "same_chain"), problem
        assert (await detail(gw, created))["reviews"] == []

    async def test_predecessor_cannot_review_successors_version(self, gw: GatewayUnderTest) -> None:
        both = await mint(gw, "Li Wei", Role.AUTHOR, Role.REVIEWER)
        successor = await rotate(gw, await gw.key(gw.acme, "admin"), await key_id(gw, both))
        created = await written_by(gw, successor["token"])
        status, problem = await decide(gw, created, "approve", token=both)  # in its grace
        assert refused(status, problem, "same_chain"), problem

    async def test_rotation_keeps_the_person_and_the_chain(self, gw: GatewayUnderTest) -> None:
        admin_token = await gw.key(gw.acme, "admin")
        old = await key_id(gw, await mint(gw, "Li Wei", Role.AUTHOR))
        new = await rotate(gw, admin_token, old)
        assert new["person"] == "Li Wei"
        status, listing, _ = await gw.call("GET", "/v1/keys", token=admin_token)
        assert status == 200
        keys = {item["id"]: item for item in listing["items"]}
        assert (keys[old]["chain_id"], keys[old]["minted_by"]) == (old, None)
        assert keys[new["id"]]["chain_id"] == old
        assert keys[new["id"]]["minted_by"] == await key_id(gw, admin_token)
        assert keys[new["id"]]["person"] == "Li Wei"


class TestSamePerson:
    """Two keys of one person are one pair of eyes, however the name is spelled."""

    @pytest.mark.parametrize(
        "spelling",
        [
            pytest.param("Li Wei", id="same"),
            pytest.param("  li   WEI ", id="case-and-spaces"),
            pytest.param("Ｌｉ\u3000Ｗｅｉ", id="full-width"),
        ],
    )
    @on_the_module_gateway
    async def test_second_key_of_the_author_cannot_approve(
        self, gw: GatewayUnderTest, spelling: str
    ) -> None:
        created = await written_by(gw, await mint(gw, "Li Wei", Role.AUTHOR))
        reviewer = await mint(gw, spelling, Role.REVIEWER)
        status, problem = await decide(gw, created, "approve", token=reviewer)
        assert refused(status, problem, "same_person"), problem
        assert (await detail(gw, created))["reviews"] == []

    async def test_admin_minting_both_keys_for_one_person_cannot_push_through(
        self, gw: GatewayUnderTest
    ) -> None:
        admin_token = await mint(gw, "Zhang San", Role.ADMIN)
        author = await mint_by(gw, admin_token, "Zhang San", "author")
        reviewer = await mint_by(gw, admin_token, "zhang san", "reviewer")
        created = await written_by(gw, author)
        status, problem = await decide(gw, created, "approve", token=reviewer)
        assert refused(status, problem, "same_person"), problem


class TestMintingLine:
    """Whoever minted a key has seen its token: a minter and what it minted are one side."""

    async def test_key_minted_by_the_authors_chain_cannot_approve(
        self, gw: GatewayUnderTest
    ) -> None:
        author = await mint(gw, "Alice", Role.ADMIN, Role.AUTHOR)
        created = await written_by(gw, author)
        successor = await rotate(gw, author, await key_id(gw, author))  # rotates itself
        reviewer = await mint_by(gw, successor["token"], "Bob", "reviewer")
        status, problem = await decide(gw, created, "approve", token=reviewer)
        assert refused(status, problem, "minting_line"), problem

    async def test_key_minted_transitively_by_the_author_cannot_approve(
        self, gw: GatewayUnderTest
    ) -> None:
        author = await mint(gw, "Alice", Role.ADMIN, Role.AUTHOR)
        created = await written_by(gw, author)
        deputy = await mint_by(gw, author, "Carol", "admin")
        reviewer = await mint_by(gw, deputy, "Bob", "reviewer")
        status, problem = await decide(gw, created, "approve", token=reviewer)
        assert refused(status, problem, "minting_line"), problem

    async def test_reviewer_cannot_approve_through_an_author_key_it_minted(
        self, gw: GatewayUnderTest
    ) -> None:
        reviewer = await mint(gw, "Bob", Role.ADMIN, Role.REVIEWER)
        created = await written_by(gw, await mint_by(gw, reviewer, "Alice", "author"))
        status, problem = await decide(gw, created, "approve", token=reviewer)
        assert refused(status, problem, "minting_line"), problem

    async def test_one_admin_minting_author_and_reviewer_keys_cannot_push_through(
        self, gw: GatewayUnderTest
    ) -> None:
        admin_token = await mint(gw, "Zhang San", Role.ADMIN)
        author = await mint_by(gw, admin_token, "Alice", "author")
        reviewer = await mint_by(gw, admin_token, "Bob", "reviewer")
        created = await written_by(gw, author)
        status, problem = await decide(gw, created, "approve", token=reviewer)
        assert refused(status, problem, "minting_line"), problem
        assert (await detail(gw, created))["reviews"] == []


class TestTwoPeople:
    """Two people whose keys share no chain, person or minter decide; the audit names both."""

    async def test_approval_names_both_people(self, gw: GatewayUnderTest) -> None:
        author = await mint(gw, "Alice", Role.AUTHOR)
        created = await written_by(gw, author)
        reviewer = await mint_by(gw, await gw.key(gw.acme, "admin"), "Bob", "reviewer")
        status, body = await decide(gw, created, "approve", token=reviewer)
        assert (status, body["status"]) == (200, "approved"), body
        async with gw.gateway.store.read() as tx:
            entries = await tx.audit.entries(AuditQuery(subject=created["id"]))
        approval = next(entry for entry in entries if entry.action == "template.approved")
        assert approval.actor == await key_id(gw, reviewer)
        assert approval.detail["author_key_id"] == await key_id(gw, author)
        assert (approval.detail["author_person"], approval.detail["reviewer_person"]) == (
            "Alice",
            "Bob",
        )

    async def test_rotated_reviewer_still_reviews_anothers_version(
        self, gw: GatewayUnderTest
    ) -> None:
        created = await written_by(gw, await mint(gw, "Alice", Role.AUTHOR))
        reviewer = await mint(gw, "Bob", Role.REVIEWER)
        successor = await rotate(gw, await gw.key(gw.acme, "admin"), await key_id(gw, reviewer))
        status, body = await decide(gw, created, "approve", token=successor["token"])
        assert (status, body["status"]) == (200, "approved"), body


class TestPersonRequired:
    """An author or reviewer key must name its person; other keys may."""

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param({"roles": ["author"]}, id="author-without-person"),
            pytest.param({"roles": ["sender", "reviewer"], "person": None}, id="reviewer-null"),
            pytest.param({"roles": ["reviewer"], "person": "   "}, id="blank"),
            pytest.param({"roles": ["author"], "person": "Li\u200bWei"}, id="zero-width"),
            pytest.param({"roles": ["author"], "person": "x" * 201}, id="too-long"),
        ],
    )
    @on_the_module_gateway
    async def test_missing_or_bad_person_is_400(
        self, gw: GatewayUnderTest, body: dict[str, Any]
    ) -> None:
        admin_token = await gw.key(gw.acme, "admin")
        status, problem, _ = await gw.call("POST", "/v1/keys", token=admin_token, json=body)
        assert (status, problem["code"]) == (400, "invalid_request"), problem
        status, listing, _ = await gw.call("GET", "/v1/keys", token=admin_token)
        assert len(listing["items"]) == 1  # the admin key alone: nothing was created

    async def test_sender_and_admin_keys_need_no_person(self, gw: GatewayUnderTest) -> None:
        admin_token = await gw.key(gw.acme, "admin")
        body = {"roles": ["sender", "admin"]}
        status, created, _ = await gw.call("POST", "/v1/keys", token=admin_token, json=body)
        assert (status, created["person"]) == (201, None)
