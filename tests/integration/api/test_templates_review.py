"""Review of template versions: four-eyes, the approval re-scan, the audit trail and logs."""

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from smsgate.store import AuditQuery
from smsgate.wordlists import shipped_wordlists

from ..audit_support import sequenced_and_verified
from .api_support import GatewayUnderTest, start_gateway
from .test_templates import (
    BODY,
    _path,
    approved,
    create,
    decide,
    detail,
    draft,
    key_id,
    submitted,
)


class TestFourEyes:
    """The key that authored a version can never approve or reject it."""

    @pytest.mark.parametrize("action", [pytest.param(a, id=a) for a in ("approve", "reject")])
    async def test_author_cannot_review_own_version(
        self, gw: GatewayUnderTest, action: str
    ) -> None:
        both = await gw.key("acme", "author", "reviewer")
        _, body, _ = await gw.call("POST", "/v1/templates", token=both, json=draft())
        assert (await gw.call("POST", _path(body, "submit"), token=both))[0] == 200
        refused, problem = await decide(gw, body, action, token=both)
        assert (refused, problem["code"]) == (403, "four_eyes")
        assert (await detail(gw, body))["reviews"] == []
        assert (await decide(gw, body, action))[0] == 200

    async def test_author_reviewer_may_review_anothers_version(self, gw: GatewayUnderTest) -> None:
        created = await submitted(gw)
        both = await gw.key("acme", "author", "reviewer")
        assert (await decide(gw, created, "approve", token=both))[0] == 200


@pytest.fixture
async def gw_words(tmp_path: Path) -> AsyncIterator[tuple[GatewayUnderTest, Path]]:
    """A gateway scanning with a copy of the shipped wordlists that the test may edit."""
    words = tmp_path / "wordlists"
    shutil.copytree(shipped_wordlists(), words)
    async for running in start_gateway(tmp_path, wordlists_dir=words):
        yield running, words


def publish_term(words: Path, gw: GatewayUnderTest, term: str, version: str) -> str:
    """Add a block term to the copied wordlist under ``version``, load it; the full version."""
    with (words / "zh" / "impersonation.txt").open("a", encoding="utf-8") as terms:
        terms.write(f"\n{term}\n")
    manifest = words / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(
        re.sub(r'^version = ".*"', f'version = "{version}"', text, flags=re.M), "utf-8"
    )
    assert gw.gateway.wordlists.reload_if_changed()
    loaded = gw.gateway.wordlists.current().version
    assert loaded.startswith(version + "+")  # the loader appends a digest of the terms
    return loaded


class TestApprovalRescan:
    """Approval re-scans the body with the wordlist current at that moment."""

    async def test_term_added_since_the_draft_blocks_approval(
        self, gw_words: tuple[GatewayUnderTest, Path]
    ) -> None:
        gw, words = gw_words
        created = await submitted(gw, body=BODY + "详情请到营业网点咨询。")
        loaded = publish_term(words, gw, "营业网点", "2026.11.1")
        status, body = await decide(gw, created, "approve")
        assert (status, body["code"], body["wordlist_version"]) == (422, "sensitive_term", loaded)
        assert [(f["term"], f["severity"]) for f in body["findings"]] == [("营业网点", "block")]
        shown = await detail(gw, created)
        assert (shown["versions"][0]["status"], shown["reviews"]) == ("submitted", [])
        assert (await decide(gw, created, "reject"))[0] == 200

    async def test_review_records_the_current_wordlist_version(
        self, gw_words: tuple[GatewayUnderTest, Path]
    ) -> None:
        gw, words = gw_words
        created = await submitted(gw)
        loaded = publish_term(words, gw, "某个无关词语", "2026.11.2")
        status, body = await decide(gw, created, "approve")
        assert (status, body["wordlist_version"]) == (200, loaded)
        shown = await detail(gw, created)
        assert shown["versions"][0]["wordlist_version"] == created["wordlist_version"] != loaded
        assert shown["reviews"][0]["wordlist_version"] == loaded


class TestAudit:
    """Every decision is audited in its own transaction, and the chain verifies."""

    async def test_lifecycle_is_audited(self, gw: GatewayUnderTest) -> None:
        created = await approved(gw)
        await create(gw, body=BODY + "谢谢。")
        await decide(gw, await self._submit(gw, created), "reject", reason="措辞")
        author = await gw.key("acme", "author")
        await gw.call("POST", _path(created, "retire"), token=author, json={"reason": "下线"})
        async with gw.gateway.store.read() as tx:
            entries = await tx.audit.entries(AuditQuery(subject=created["id"]))
        assert [(e.action, e.detail["version"]) for e in entries] == [
            ("template.created", 1), ("template.submitted", 1), ("template.approved", 1),
            ("template.created", 2), ("template.submitted", 2), ("template.rejected", 2),
            ("template.retired", 2),
        ]  # fmt: skip
        reviewer = await key_id(gw, await gw.key("acme", "reviewer"))
        rejected = entries[5]
        assert (rejected.actor, rejected.creditor_id) == (reviewer, "acme")
        assert rejected.detail["reason"] == "措辞"
        assert rejected.detail["wordlist_version"] == created["wordlist_version"]
        assert entries[0].actor == await key_id(gw, author)
        assert (await sequenced_and_verified(gw.gateway.store)).ok

    async def test_refusals_write_nothing(self, gw: GatewayUnderTest) -> None:
        created = await create(gw, body=BODY + "请到派出所。")
        author = await gw.key("acme", "author")
        await gw.call("POST", _path(created, "submit"), token=author)
        await gw.call("POST", "/v1/templates", token=author, json=draft(body="{{ x"))
        async with gw.gateway.store.read() as tx:
            entries = await tx.audit.entries(AuditQuery(action="template.submitted"))
            created_entries = await tx.audit.entries(AuditQuery(action="template.created"))
        assert (entries, len(created_entries)) == ([], 1)

    async def _submit(self, gw: GatewayUnderTest, created: dict[str, Any]) -> dict[str, Any]:
        author = await gw.key("acme", "author")
        assert (await gw.call("POST", _path(created, "submit"), token=author))[0] == 200
        return created


class TestLogs:
    """Each state change logs one event with ids, never the body."""

    async def test_events(self, gw: GatewayUnderTest) -> None:
        with capture_logs() as logs:
            created = await approved(gw)
        events = [e for e in logs if e["event"].startswith("template_")]
        assert [e["event"] for e in events] == [
            "template_created", "template_submitted", "template_approved",
        ]  # fmt: skip
        for event in events:
            assert (event["creditor"], event["template_id"], event["version"]) == (
                "acme", created["id"], 1,
            )  # fmt: skip
            assert event["actor"].startswith("key_")
            assert not any("您好" in str(value) for value in event.values())
