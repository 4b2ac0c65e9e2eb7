"""The audit log under load: views that never verify, exports that stream in bounded memory."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import pytest

from smsgate.store import AuditEvent, AuditQuery
from smsgate.store import audit as audit_leaves
from smsgate.store.sql.reporting import SqlReporting
from smsgate.web import audit as audit_page

from ..audit_support import sequenced_and_verified
from ..web.ui_client import UiClient
from .api_support import GatewayUnderTest

BATCH = "/v1/messages:batch"


async def seed_audit(gw: GatewayUnderTest, count: int) -> None:
    """``count`` audit entries of acme, in one transaction."""
    async with gw.gateway.store.transaction() as tx:
        for n in range(count):
            detail = {"template_id": "tpl_x", "reason": "批准" * 20, "n": n}
            event = AuditEvent(
                gw.clock(), "acme", "key_author", "template.approved", "tpl_x", detail
            )
            await tx.audit.append(event)


@pytest.fixture
async def reviewer(gw: GatewayUnderTest) -> AsyncIterator[UiClient]:
    """A signed-in acme reviewer in the compliance UI."""
    async with UiClient.open(gw.base_url) as client:
        await client.sign_in(await gw.key("acme", "reviewer"))
        yield client


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each audit leaf hashed (by an append or a verification) adds one item."""
    calls: list[int] = []
    real = audit_leaves.leaf_hash

    def counted(*args: Any) -> bytes:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(audit_leaves, "leaf_hash", counted)
    return calls


@pytest.fixture
def pages_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many entries each filtered read of the audit log returned, on either store."""
    sizes: list[int] = []
    real = SqlReporting.audit_entries  # one class serves both stores

    async def counted(self: SqlReporting, *args: Any, **kwargs: Any) -> Any:
        found = await real(self, *args, **kwargs)
        sizes.append(len(found))
        return found

    monkeypatch.setattr(SqlReporting, "audit_entries", counted)
    return sizes


class TestAuditPage:
    """Views show the last verification and never walk the chain themselves."""

    async def test_views_do_not_verify(
        self, gw: GatewayUnderTest, reviewer: UiClient, hashed: list[int]
    ) -> None:
        await seed_audit(gw, 300)
        head = (await sequenced_and_verified(gw.gateway.store, gw.clock)).size
        hashed.clear()
        for _ in range(4):
            page = await reviewer.get("/ui/audit")
            assert page.status == 200
            assert f"审计树校验通过：{head} 条记录" in page.text
        assert hashed == []

    async def test_before_any_verification(self, gw: GatewayUnderTest, reviewer: UiClient) -> None:
        page = await reviewer.get("/ui/audit")
        assert "审计树尚未校验" in page.text


class TestExport:
    """An export streams: chunked, read from the store in pages, memory bounded."""

    ROWS = 3000

    async def test_csv_streams_in_pages(
        self,
        gw: GatewayUnderTest,
        reviewer: UiClient,
        pages_read: list[int],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(audit_page, "EXPORT_PAGE", 100, raising=False)
        await seed_audit(gw, self.ROWS)
        pages_read.clear()
        tracemalloc.start()
        try:
            lines = 0
            async with reviewer.session.get(gw.base_url + "/ui/audit/export.csv") as response:
                assert response.status == 200
                assert response.headers["Transfer-Encoding"] == "chunked"
                assert "Content-Length" not in response.headers
                async for _ in response.content:
                    lines += 1
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        async with gw.gateway.store.read() as tx:
            acme = await tx.audit.entries(AuditQuery(creditor_id="acme", limit=100_000))
        assert lines == len(acme) + 1  # the header row
        assert len(pages_read) >= self.ROWS // 100
        assert max(pages_read) <= 100
        assert peak < 2 * 2**20, f"peak {peak / 2**20:.1f} MiB"

    async def test_json_export_is_whole(self, gw: GatewayUnderTest, reviewer: UiClient) -> None:
        await seed_audit(gw, 5)
        page = await reviewer.get("/ui/audit/export.json?action=template.approved")
        document = json.loads(page.text)
        assert document["count"] == len(document["entries"]) == 5
        csv_page = await reviewer.get("/ui/audit/export.csv?action=template.approved")
        rows = list(csv.DictReader(io.StringIO(csv_page.text)))
        assert [int(r["seq"]) for r in rows] == [e["seq"] for e in document["entries"]]
