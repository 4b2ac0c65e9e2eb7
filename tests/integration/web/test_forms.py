"""CSRF on every POST, decisions through the services, and roles as in the API."""

from __future__ import annotations

import pytest

from smsgate.store import MessageStatus, OptOutKind, Role

from .ui_client import UiClient
from .web_support import OPTED_OUT_PHONE, PLAIN_BODY, UiWorld, csrf_of


async def version_status(world: UiWorld, name: str) -> str:
    async with world.gateway.store.read() as tx:
        detail = await tx.templates.detail("acme", world.templates[name])
    assert detail is not None
    return detail.versions[-1].status.value


class TestCsrf:
    """A POST without the session's token changes nothing and answers a 403 page."""

    @pytest.mark.parametrize(
        "token", [pytest.param(None, id="missing"), pytest.param("forged", id="forged")]
    )
    async def test_forged_approval_is_refused(
        self, world: UiWorld, client: UiClient, token: str | None
    ) -> None:
        await client.sign_in(world.tokens["reviewer"])
        fields = {"reason": "ok", "version": "1"} | ({"csrf": token} if token else {})
        answer = await client.post(
            f"/ui/templates/{world.templates['lawyer-letter']}/approve", fields
        )
        assert answer.status == 403
        assert "CSRF" in answer.text
        assert await version_status(world, "lawyer-letter") == "submitted"

    async def test_token_of_another_session_is_refused(self, world: UiWorld) -> None:
        async with UiClient.open(world.base_url) as mallory, UiClient.open(world.base_url) as alice:
            await mallory.sign_in(world.tokens["second_reviewer"])
            stolen = (await mallory.get("/ui/held")).text
            await alice.sign_in(world.tokens["reviewer"])
            fields = {"csrf": csrf_of(stolen), "action": "reject", "reason": "x",
                      "message_id": world.held["acme"][0]}  # fmt: skip
            assert (await alice.post("/ui/held/decide", fields)).status == 403

    async def test_csrf_field_is_on_every_post_form(self, world: UiWorld, client: UiClient) -> None:
        await client.sign_in(world.tokens["admin"])
        for path in ("/ui/queue", f"/ui/templates/{world.templates['lawyer-letter']}",
                     "/ui/held", "/ui/opt-outs", "/ui/wordlists"):  # fmt: skip
            html = (await client.get(path)).text
            assert html.count('method="post"') == html.count('name="csrf"'), path


class TestDecisions:
    """Approve, reject and four-eyes go through the template service."""

    @pytest.mark.parametrize(
        "version",
        [
            pytest.param("²", id="superscript-digit"),
            pytest.param("9" * 30, id="past-any-database-integer"),
        ],
    )
    async def test_an_unreadable_version_is_no_version(
        self, world: UiWorld, client: UiClient, version: str
    ) -> None:
        await client.sign_in(world.tokens["reviewer"])
        page = f"/ui/templates/{world.templates['due-date-notice']}"
        assert (await client.get(f"{page}?version={version}")).status == 200

    async def test_reject_needs_a_reason(self, world: UiWorld, client: UiClient) -> None:
        await client.sign_in(world.tokens["reviewer"])
        page = f"/ui/templates/{world.templates['due-date-notice']}"
        answer = await client.submit(page, f"{page}/reject", reason=" ", version="1")
        assert answer.status == 422
        assert await version_status(world, "due-date-notice") == "submitted"
        answer = await client.submit(page, f"{page}/reject", reason="wording", version="1")
        assert (answer.status, answer.location) == (303, "/ui/queue?notice=rejected")
        assert await version_status(world, "due-date-notice") == "rejected"

    async def test_four_eyes(self, world: UiWorld, client: UiClient) -> None:
        await client.sign_in(world.tokens["author_reviewer"])
        page = f"/ui/templates/{world.templates['self-written']}"
        answer = await client.submit(page, f"{page}/approve", reason="mine", version="1")
        assert answer.status == 403
        assert "四眼原则" in answer.text
        assert await version_status(world, "self-written") == "submitted"

    async def test_four_eyes_holds_per_person(self, world: UiWorld, client: UiClient) -> None:
        await world.mint("wei_author", "acme", Role.AUTHOR, person="Li Wei")
        await world.mint("wei_reviewer", "acme", Role.REVIEWER, person="  li  WEI ")
        await world.template("wei_author", "wei-note", PLAIN_BODY)
        await client.sign_in(world.tokens["wei_reviewer"])
        page = f"/ui/templates/{world.templates['wei-note']}"
        assert "四眼原则" in (await client.get(page)).text  # the banner above the buttons
        answer = await client.submit(page, f"{page}/approve", reason="not mine", version="1")
        assert answer.status == 403
        assert "四眼原则" in answer.text
        assert await version_status(world, "wei-note") == "submitted"

    async def test_admin_without_reviewer_role_cannot_decide(
        self, world: UiWorld, client: UiClient
    ) -> None:
        await client.sign_in(world.tokens["admin"])
        page = f"/ui/templates/{world.templates['lawyer-letter']}"
        answer = await client.submit(page, f"{page}/approve", reason="ok", version="1")
        assert answer.status == 403
        assert await version_status(world, "lawyer-letter") == "submitted"


class TestHeld:
    """Held messages are released or rejected, one or many, each through the held service."""

    async def test_bulk_release(self, world: UiWorld, client: UiClient) -> None:
        await client.sign_in(world.tokens["reviewer"])
        token_page = (await client.get("/ui/held")).text
        fields = [("csrf", csrf_of(token_page)), ("action", "release"), ("reason", "ok")]
        fields += [("message_id", message_id) for message_id in world.held["acme"][:2]]
        answer = await client.post("/ui/held/decide", fields)
        assert (answer.status, answer.location) == (303, "/ui/held?notice=released&count=2")
        async with world.gateway.store.read() as tx:
            statuses = [
                (await tx.messages.get(m, creditor_id="acme")).status  # type: ignore[union-attr]
                for m in world.held["acme"]
            ]
        assert statuses[2] is MessageStatus.HELD
        assert all(s in {MessageStatus.QUEUED, MessageStatus.SCHEDULED} for s in statuses[:2])


class TestOptOuts:
    """Reviewers may add an opt-out; lifting one needs the admin role and a reason."""

    async def test_reviewer_adds(self, world: UiWorld, client: UiClient) -> None:
        await client.sign_in(world.tokens["reviewer"])
        answer = await client.submit(
            "/ui/opt-outs", "/ui/opt-outs/add", phone="+86 138 0013 8000", kind="do_not_contact",
            reason="debtor complained by phone",
        )  # fmt: skip
        assert answer.status == 303
        assert "notice=opt_out_added" in answer.location
        async with world.gateway.store.read() as tx:
            active = await tx.opt_outs.active("acme", "+8613800138000")
        assert [(o.kind, o.source.value) for o in active] == [(OptOutKind.DO_NOT_CONTACT, "ui")]

    async def test_reviewer_cannot_lift(self, world: UiWorld, client: UiClient) -> None:
        await client.sign_in(world.tokens["reviewer"])
        answer = await client.submit(
            "/ui/opt-outs", "/ui/opt-outs/remove", phone=OPTED_OUT_PHONE, kind="opt_out", reason="x"
        )
        assert answer.status == 403
        async with world.gateway.store.read() as tx:
            assert await tx.opt_outs.active("acme", OPTED_OUT_PHONE)

    async def test_admin_lifts_with_reason(self, world: UiWorld, client: UiClient) -> None:
        await client.sign_in(world.tokens["admin"])
        answer = await client.submit(
            "/ui/opt-outs", "/ui/opt-outs/remove", phone=OPTED_OUT_PHONE, kind="opt_out",
            reason="opt-out recorded against the wrong number",
        )  # fmt: skip
        assert answer.status == 303
        async with world.gateway.store.read() as tx:
            assert await tx.opt_outs.active("acme", OPTED_OUT_PHONE) == []

    async def test_bad_phone_is_explained(self, world: UiWorld, client: UiClient) -> None:
        await client.sign_in(world.tokens["reviewer"])
        answer = await client.get("/ui/opt-outs?phone=12345")
        assert answer.status == 400
        assert "E.164" in answer.text
