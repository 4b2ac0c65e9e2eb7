"""The template lifecycle through the HTTP API: drafts, lint, review, four-eyes, retire, audit."""

from typing import Any

import pytest

from smsgate.service.principals import hash_secret

from .api_support import GatewayUnderTest
from .shared_gateway import on_the_module_gateway

BODY = "{{ name }}您好，您的账单{{ amount }}元已逾期{{ days }}天，请尽快还款。"
VARIABLES = {
    "name": {"type": "str", "max_length": 10},
    "amount": {"type": "money"},
    "days": {"type": "int", "max": 3650},
}


def draft(name: str = "overdue-reminder", **changes: Any) -> dict[str, Any]:
    """A create request of the DESIGN.md example, with ``changes`` applied."""
    return {"name": name, "audience": "debtor", "body": BODY, "variables": VARIABLES, **changes}


async def create(
    gw: GatewayUnderTest, creditor: str | None = None, **changes: Any
) -> dict[str, Any]:
    """Create a draft as an author of ``creditor`` (``gw.acme`` by default); the 201 body."""
    author = await gw.key(creditor or gw.acme, "author")
    status, body, _ = await gw.call("POST", "/v1/templates", token=author, json=draft(**changes))
    assert status == 201, body
    return body  # type: ignore[no-any-return]


async def submitted(gw: GatewayUnderTest, **changes: Any) -> dict[str, Any]:
    """Create and submit a draft; returns the 201 body of the create."""
    created = await create(gw, **changes)
    author = await gw.key(gw.acme, "author")
    status, body, _ = await gw.call("POST", _path(created, "submit"), token=author)
    assert (status, body["status"]) == (200, "submitted"), body
    return created


async def approved(gw: GatewayUnderTest, **changes: Any) -> dict[str, Any]:
    """Create, submit and approve a draft; returns the 201 body of the create."""
    created = await submitted(gw, **changes)
    status, body = await decide(gw, created, "approve")
    assert (status, body["status"]) == (200, "approved"), body
    return created


async def decide(
    gw: GatewayUnderTest,
    created: dict[str, Any],
    action: str,
    token: str | None = None,
    **extra: Any,
) -> tuple[int, Any]:
    """Approve or reject ``created`` as a reviewer (by default one who is not its author)."""
    token = token or await gw.key(gw.acme, "reviewer")
    payload = {"reason": f"{action}: reviewed", **extra}
    status, body, _ = await gw.call("POST", _path(created, action), token=token, json=payload)
    return status, body


async def detail(gw: GatewayUnderTest, created: dict[str, Any]) -> dict[str, Any]:
    """The GET detail of ``created`` as a sender sees it."""
    sender = await gw.key(gw.acme, "sender")
    status, body, _ = await gw.call("GET", _path(created), token=sender)
    assert status == 200, body
    return body  # type: ignore[no-any-return]


async def key_id(gw: GatewayUnderTest, token: str) -> str:
    """The id of the key presenting ``token``."""
    async with gw.gateway.store.read() as tx:
        key = await tx.api_keys.by_secret_hash(hash_secret(token))
    assert key is not None
    return key.id


def _path(created: dict[str, Any], action: str = "") -> str:
    return f"/v1/templates/{created['id']}" + (f"/{action}" if action else "")


class TestLifecycle:
    """A template goes draft -> submitted -> approved, and new versions are reviewed again."""

    async def test_create_returns_a_linted_draft(self, gw: GatewayUnderTest) -> None:
        created = await create(gw)
        assert created["id"].startswith("tpl_")
        assert created | {"id": "", "wordlist_version": ""} == {
            "id": "", "name": "overdue-reminder", "audience": "debtor", "version": 1,
            "status": "draft", "lint": [], "findings": [], "segments": 1, "encoding": "ucs2",
            "wordlist_version": "",
        }  # fmt: skip
        assert created["wordlist_version"] == gw.gateway.wordlists.current().version

    async def test_approve_serves_the_version(self, gw: GatewayUnderTest) -> None:
        created = await submitted(gw)
        status, body = await decide(gw, created, "approve")
        assert status == 200
        assert (body["status"], body["version"], body["serving_version"]) == ("approved", 1, 1)
        shown = await detail(gw, created)
        reviewer = await key_id(gw, await gw.key(gw.acme, "reviewer"))
        assert shown["reviews"] == [
            {"version": 1, "reviewer_key_id": reviewer, "decision": "approve",
             "reason": "approve: reviewed", "at": "2026-11-23T02:00:00Z",
             "wordlist_version": created["wordlist_version"]},
        ]  # fmt: skip
        author = await key_id(gw, await gw.key(gw.acme, "author"))
        assert shown["versions"][0]["author_key_id"] == author
        assert shown["versions"][0]["body"] == BODY

    async def test_new_version_is_reviewed_while_the_old_one_serves(
        self, gw: GatewayUnderTest
    ) -> None:
        first = await approved(gw)
        second = await create(gw, body=BODY + "如已还款请忽略。")
        assert (second["id"], second["version"], second["status"]) == (first["id"], 2, "draft")
        assert await self._serving(gw, first["id"]) == 1
        author = await gw.key(gw.acme, "author")
        assert (await gw.call("POST", _path(first, "submit"), token=author))[0] == 200
        assert await self._serving(gw, first["id"]) == 1
        status, body = await decide(gw, first, "approve")
        assert (status, body["version"], body["serving_version"]) == (200, 2, 2)
        assert await self._serving(gw, first["id"]) == 2
        statuses = [v["status"] for v in (await detail(gw, first))["versions"]]
        assert statuses == ["approved", "approved"]

    async def test_list_shows_newest_status_and_serving_version(self, gw: GatewayUnderTest) -> None:
        first = await approved(gw)
        await create(gw, body=BODY + "谢谢。")
        await create(gw, name="a-first-by-name")
        sender = await gw.key(gw.acme, "sender")
        status, body, _ = await gw.call("GET", "/v1/templates", token=sender)
        assert status == 200
        summary = {t["name"]: t for t in body["templates"]}
        assert list(summary) == ["a-first-by-name", "overdue-reminder"]
        entry = summary["overdue-reminder"]
        assert (entry["id"], entry["latest_version"], entry["latest_status"]) == (
            first["id"], 2, "draft",
        )  # fmt: skip
        assert entry["serving_version"] == 1

    async def test_reject_records_the_reason(self, gw: GatewayUnderTest) -> None:
        created = await submitted(gw)
        status, body = await decide(gw, created, "reject", reason="语气过重，请修改")
        assert (status, body["status"], body["serving_version"]) == (200, "rejected", None)
        shown = await detail(gw, created)
        assert shown["reviews"][0]["decision"] == "reject"
        assert shown["reviews"][0]["reason"] == "语气过重，请修改"
        assert (await create(gw))["version"] == 2

    async def test_approving_a_version_behind_the_serving_one_is_refused(
        self, gw: GatewayUnderTest
    ) -> None:
        first = await submitted(gw)
        await submitted(gw, body=BODY + "谢谢。")
        assert (await decide(gw, first, "approve", version=2))[0] == 200
        status, body = await decide(gw, first, "approve", version=1)
        assert (status, body["code"]) == (409, "invalid_state")

    async def _serving(self, gw: GatewayUnderTest, template_id: str) -> int | None:
        async with gw.gateway.store.read() as tx:
            version = await tx.templates.latest_approved("acme", template_id)
        return None if version is None else version.version


class TestRetire:
    """A retired template serves nothing and accepts no further changes."""

    @pytest.mark.parametrize("role", [pytest.param(r, id=r) for r in ("author", "reviewer")])
    @on_the_module_gateway
    async def test_retire(self, gw: GatewayUnderTest, role: str) -> None:
        created = await approved(gw)
        token = await gw.key(gw.acme, role)
        status, body, _ = await gw.call(
            "POST", _path(created, "retire"), token=token, json={"reason": "产品下线"}
        )
        assert (status, body["status"], body["retired_at"]) == (
            200, "retired", "2026-11-23T02:00:00Z",
        )  # fmt: skip
        async with gw.gateway.store.read() as tx:
            assert await tx.templates.latest_approved(gw.acme, created["id"]) is None
        assert (await detail(gw, created))["serving_version"] is None

    async def test_retired_template_refuses_changes(self, gw: GatewayUnderTest) -> None:
        created = await approved(gw)
        author = await gw.key(gw.acme, "author")
        retire = {"reason": "产品下线"}
        assert (await gw.call("POST", _path(created, "retire"), token=author, json=retire))[
            0
        ] == 200
        for method, path, payload in [
            ("POST", "/v1/templates", draft()),
            ("POST", _path(created, "submit"), None),
            ("POST", _path(created, "retire"), retire),
        ]:
            status, body, _ = await gw.call(method, path, token=author, json=payload)
            assert (status, body["code"]) == (409, "invalid_state"), path


class TestLint:
    """Authoring mistakes are stored on the draft; unusable text is refused with 422."""

    @pytest.mark.parametrize(
        ("changes", "code", "severity"),
        [
            pytest.param({"body": "{{ nick }}您好"}, "unknown_variable", "error", id="unknown-var"),
            pytest.param(
                {"body": "【安信】{{ name }}{{ amount }}{{ days }}"}, "signature_in_body", "error",
                id="signature-brackets",
            ),
            pytest.param({"body": BODY * 12}, "too_many_segments", "error", id="segments"),
            pytest.param({"body": "{{ name }}您好"}, "unused_variable", "warning", id="unused-var"),
            pytest.param({"body": BODY + "否则起诉"}, "sensitive_term", "warning", id="review"),
            pytest.param({"body": BODY + "到派出所"}, "sensitive_term", "error", id="block"),
        ],
    )  # fmt: skip
    @on_the_module_gateway
    async def test_issue_is_stored_on_the_draft(
        self, gw: GatewayUnderTest, changes: dict[str, Any], code: str, severity: str
    ) -> None:
        created = await create(gw, **changes)
        assert (code, severity) in {(i["code"], i["severity"]) for i in created["lint"]}
        assert (await detail(gw, created))["versions"][0]["lint"] == created["lint"]

    async def test_findings_have_spans_into_the_body(self, gw: GatewayUnderTest) -> None:
        body = BODY + "请到派出所。"
        created = await create(gw, body=body)
        [finding] = created["findings"]
        assert finding["severity"] == "block"
        assert body[finding["start"] : finding["end"]] == finding["matched_text"] == "派出所"

    async def test_segments_are_counted_with_the_signature(self, gw: GatewayUnderTest) -> None:
        created = await create(gw, body=BODY + "如有疑问请致电客服热线，我们将竭诚为您服务。")
        assert (created["segments"], created["encoding"]) == (2, "ucs2")

    @pytest.mark.parametrize(
        ("changes", "code"),
        [
            pytest.param({"body": "{{ name 您好"}, "syntax_error", id="unclosed-tag"),
            pytest.param({"body": "{{ ''.__class__ }}"}, "forbidden_construct", id="dunder"),
            pytest.param(
                {"body": "{{ name.__class__.__mro__ }}"}, "forbidden_construct", id="attribute"
            ),
            pytest.param(
                {"body": "{% for x in name %}{{ x }}{% endfor %}"}, "forbidden_construct", id="loop"
            ),
            pytest.param({"variables": {"name": {"type": "nope"}}}, "schema_invalid", id="schema"),
        ],
    )
    @on_the_module_gateway
    async def test_unusable_text_is_refused_and_not_stored(
        self, gw: GatewayUnderTest, changes: dict[str, Any], code: str
    ) -> None:
        author = await gw.key(gw.acme, "author")
        status, body, response = await gw.call(
            "POST", "/v1/templates", token=author, json=draft(**changes)
        )
        assert (status, body["code"]) == (422, "template_invalid")
        assert response.content_type == "application/problem+json"
        assert code in {issue["code"] for issue in body["lint"]}
        async with gw.gateway.store.read() as tx:
            assert await tx.templates.of_creditor(gw.acme, include_retired=True) == []

    async def test_syntax_error_has_line_and_column(self, gw: GatewayUnderTest) -> None:
        author = await gw.key(gw.acme, "author")
        payload = draft(body="{{ name }}您好，\n账单{{ amount }元")
        _, body, _ = await gw.call("POST", "/v1/templates", token=author, json=payload)
        [issue] = [i for i in body["lint"] if i["code"] == "syntax_error"]
        assert issue["line"] == 2
        assert issue["column"] is not None

    async def test_audience_of_a_template_cannot_change(self, gw: GatewayUnderTest) -> None:
        await create(gw)
        author = await gw.key(gw.acme, "author")
        payload = draft(audience="third_party")
        status, body, _ = await gw.call("POST", "/v1/templates", token=author, json=payload)
        assert (status, body["code"]) == (409, "conflict")


class TestSubmit:
    """Only the newest version, a draft without lint errors, can be submitted."""

    async def test_block_finding_must_be_fixed_first(self, gw: GatewayUnderTest) -> None:
        created = await create(gw, body=BODY + "请到派出所。")
        author = await gw.key(gw.acme, "author")
        status, body, _ = await gw.call("POST", _path(created, "submit"), token=author)
        assert (status, body["code"]) == (422, "template_invalid")
        assert {issue["code"] for issue in body["lint"]} == {"sensitive_term"}
        assert (await detail(gw, created))["versions"][0]["status"] == "draft"

    async def test_review_finding_may_be_submitted(self, gw: GatewayUnderTest) -> None:
        await submitted(gw, body=BODY + "否则起诉。")

    async def test_nothing_to_submit(self, gw: GatewayUnderTest) -> None:
        created = await submitted(gw)
        author = await gw.key(gw.acme, "author")
        status, body, _ = await gw.call("POST", _path(created, "submit"), token=author)
        assert (status, body["code"]) == (409, "invalid_state")

    async def test_approve_without_submission(self, gw: GatewayUnderTest) -> None:
        created = await create(gw)
        status, body = await decide(gw, created, "approve")
        assert (status, body["code"]) == (409, "invalid_state")
