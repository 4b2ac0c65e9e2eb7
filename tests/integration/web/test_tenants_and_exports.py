"""Tenant isolation on every page, and exports that hold exactly the filtered audit rows."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest

from smsgate.store import AuditEntry, AuditQuery
from smsgate.web.catalogue import MESSAGES

from .ui_client import UiClient
from .web_support import UiWorld

PAGES = ["/ui/queue", "/ui/held", "/ui/opt-outs", "/ui/replies", "/ui/audit", "/ui/dashboard",
         "/ui/wordlists"]  # fmt: skip


async def acme_log(world: UiWorld) -> list[AuditEntry]:
    async with world.gateway.store.read() as tx:
        return await tx.audit.entries(AuditQuery(creditor_id="acme", limit=100_000))


class TestTenants:
    """A reviewer of acme sees nothing of globex, and the other way round."""

    async def test_pages_show_only_the_own_creditor(self, world: UiWorld, client: UiClient) -> None:
        await client.sign_in(world.tokens["reviewer"])
        foreign = [world.templates["globex-private"], *world.held["globex"],
                   world.principals["globex_reviewer"].key_id]  # fmt: skip
        for path in PAGES:
            html = (await client.get(path)).text
            assert not [item for item in foreign if item in html], path
            assert "globex" not in html, path

    async def test_foreign_template_is_not_found(self, world: UiWorld, client: UiClient) -> None:
        await client.sign_in(world.tokens["reviewer"])
        foreign = world.templates["globex-private"]
        assert (await client.get(f"/ui/templates/{foreign}")).status == 404

    async def test_foreign_held_message_cannot_be_released(
        self, world: UiWorld, client: UiClient
    ) -> None:
        await client.sign_in(world.tokens["reviewer"])
        foreign = world.held["globex"][0]
        answer = await client.submit(
            "/ui/held", "/ui/held/decide", action="release", reason="x", message_id=foreign
        )
        assert answer.status == 404
        async with world.gateway.store.read() as tx:
            message = await tx.messages.get(foreign, creditor_id="globex")
        assert message is not None
        assert message.status.value == "held"

    async def test_export_never_holds_another_creditor(
        self, world: UiWorld, client: UiClient
    ) -> None:
        await client.sign_in(world.tokens["globex_reviewer"])
        document = json.loads((await client.get("/ui/audit/export.json")).text)
        assert {entry["creditor_id"] for entry in document["entries"]} == {"globex"}


class TestExports:
    """CSV and JSON exports hold every entry the filter selects, in order, and nothing else."""

    @pytest.mark.parametrize(
        "chosen",
        [
            pytest.param({}, id="everything"),
            pytest.param({"action": "message.held"}, id="action"),
            pytest.param({"template": "overdue-reminder"}, id="template"),
            pytest.param({"actor": "sender", "from": "2026-11-23", "to": "2026-11-23"}, id="day"),
            pytest.param({"from": "2026-11-24"}, id="future"),
        ],
    )
    async def test_csv_and_json_rows_equal_the_filter(
        self, world: UiWorld, client: UiClient, chosen: dict[str, str]
    ) -> None:
        await client.sign_in(world.tokens["reviewer"])
        query = dict(chosen)
        if "template" in query:
            query["template"] = world.templates[query["template"]]
        if "actor" in query:
            query["actor"] = world.principals[query["actor"]].key_id
        wanted = [e for e in await acme_log(world) if matches(e, query)]
        suffix = "?" + urlencode(query) if query else ""
        csv_rows = list(
            csv.DictReader(io.StringIO((await client.get(f"/ui/audit/export.csv{suffix}")).text))
        )
        document = json.loads((await client.get(f"/ui/audit/export.json{suffix}")).text)
        assert [int(r["seq"]) for r in csv_rows] == [e.seq for e in wanted]
        assert [r["leaf_hash"] for r in csv_rows] == [e.leaf_hash for e in wanted]
        assert [e["seq"] for e in document["entries"]] == [e.seq for e in wanted]
        assert document["count"] == len(wanted)
        page = (await client.get(f"/ui/audit{suffix}")).text
        assert page.count("<tr data-seq=") == len(wanted)

    async def test_csv_detail_round_trips(self, world: UiWorld, client: UiClient) -> None:
        await client.sign_in(world.tokens["reviewer"])
        rows = list(csv.DictReader(io.StringIO((await client.get("/ui/audit/export.csv")).text)))
        by_seq = {e.seq: e for e in await acme_log(world)}
        for row in rows:
            assert json.loads(row["detail"]) == by_seq[int(row["seq"])].detail

    async def test_bad_date_is_refused(self, world: UiWorld, client: UiClient) -> None:
        await client.sign_in(world.tokens["reviewer"])
        assert (await client.get("/ui/audit/export.csv?from=yesterday")).status == 400


def matches(entry: AuditEntry, query: dict[str, str]) -> bool:
    """The filter's meaning, written independently of the SQL (days of Asia/Shanghai)."""
    local_day = (entry.at + timedelta(hours=8)).date()  # Shanghai keeps no DST
    template = query.get("template")
    return (
        query.get("action", entry.action) == entry.action
        and query.get("actor", entry.actor) == entry.actor
        and (template is None or template in (entry.subject, entry.detail.get("template_id")))
        and ("from" not in query or local_day >= date.fromisoformat(query["from"]))
        and ("to" not in query or local_day <= date.fromisoformat(query["to"]))
    )


class TestLanguages:
    """Every page renders in both languages, and every catalogue entry has both."""

    @pytest.mark.parametrize("lang", [pytest.param("zh", id="zh"), pytest.param("en", id="en")])
    async def test_pages_render(self, world: UiWorld, client: UiClient, lang: str) -> None:
        await client.sign_in(world.tokens["admin"])
        expected = {"zh": 'lang="zh-CN"', "en": 'lang="en"'}[lang]
        for path in [*PAGES, f"/ui/templates/{world.templates['overdue-reminder']}"]:
            answer = await client.get(f"{path}?lang={lang}")
            assert answer.status == 200, path
            assert expected in answer.text, path

    def test_catalogue_is_complete(self) -> None:
        assert all(zh and en for zh, en in MESSAGES.values())
