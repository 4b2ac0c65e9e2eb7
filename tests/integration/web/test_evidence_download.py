"""The held page's evidence buttons and ``GET /ui/evidence``: the API's pack, for a session.

The links on a held card are followed as a browser would; the files are
parsed and verified like the API's, and another creditor's reviewer
following acme's link gets a valid pack with nothing of acme in it.
"""

from __future__ import annotations

import html
import json
import re

from smsgate.audit_keys import AuditVerifier
from smsgate.core.evidence import EvidencePack, from_json, verify_pack

from .ui_client import UiClient
from .web_support import PHONE, UiWorld

LINK = re.compile(r'<a class="download" download href="(/ui/evidence\?[^"]+)"')


async def links(world: UiWorld, client: UiClient) -> list[str]:
    """The evidence links of the first held card, as a browser would request them."""
    await client.sign_in(world.tokens["reviewer"])
    page = (await client.get("/ui/held")).text
    card = page[page.index(f'id="held-{world.held["acme"][0]}"') :]
    return [html.unescape(link) for link in LINK.findall(card[: card.index("</li>")])]


def verified(text: str, world: UiWorld) -> EvidencePack:
    pack = from_json(json.loads(text))
    verifier = AuditVerifier.from_public_key(pack.public_key)
    assert verify_pack(pack, verifier.verifies) is None
    assert world.gateway.settings.audit_signer is not None
    assert pack.public_key == world.gateway.settings.audit_signer.verifier.public_key
    return pack


class TestHeldCardButtons:
    """Each held card offers its message's and its debtor's pack, in JSON and in HTML."""

    async def test_four_links(self, world: UiWorld, client: UiClient) -> None:
        message_id = world.held["acme"][0]
        assert await links(world, client) == [
            f"/ui/evidence?message_id={message_id}&format=json",
            f"/ui/evidence?message_id={message_id}&format=html",
            "/ui/evidence?debtor_id=D-1&format=json",
            "/ui/evidence?debtor_id=D-1&format=html",
        ]

    async def test_the_files(self, world: UiWorld, client: UiClient) -> None:
        by_message, _, by_debtor, readable = await links(world, client)
        answer = await client.get(by_message)
        assert answer.status == 200, answer.text
        assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
        assert 'attachment; filename="evidence-message-' in answer.headers["Content-Disposition"]
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        held = [fact.event()["action"] for fact in verified(answer.text, world).facts]
        assert "message.held" in held
        debtor = verified((await client.get(by_debtor)).text, world)
        assert {fact.event()["detail"].get("debtor_id") for fact in debtor.facts} <= {"D-1", None}
        page = await client.get(readable)
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "短信暂扣待审" in page.text

    async def test_english_labels(self, world: UiWorld, client: UiClient) -> None:
        await client.sign_in(world.tokens["reviewer"])
        page = (await client.get("/ui/held?lang=en")).text
        assert "JSON (verifiable)" in page
        assert "Download the evidence pack of This message: HTML (for reading)" in page


class TestTenantsAndMistakes:
    """Another creditor gets an empty pack; a malformed request gets the error page."""

    async def test_another_creditor_follows_acmes_link(
        self, world: UiWorld, client: UiClient
    ) -> None:
        by_message = (await links(world, client))[0]
        async with UiClient.open(world.base_url) as other:
            await other.sign_in(world.tokens["globex_reviewer"])
            answer = await other.get(by_message)
        assert answer.status == 200, answer.text
        pack = verified(answer.text, world)
        assert pack.subject.creditor_id == "globex"
        assert pack.facts == ()
        for mark in ("D-1", '"acme"', PHONE.removeprefix("+86"), "138****8000"):
            assert mark not in answer.text, mark

    async def test_no_subject(self, world: UiWorld, client: UiClient) -> None:
        await client.sign_in(world.tokens["reviewer"])
        page = await client.get("/ui/evidence?format=json")
        assert page.status == 400
        assert page.headers["Content-Type"].startswith("text/html")
        assert "exactly one of debtor_id, phone, message_id" in page.text

    async def test_a_sender_cannot(self, world: UiWorld, client: UiClient) -> None:
        await client.sign_in(world.tokens["sender"])
        page = await client.get(f"/ui/evidence?debtor_id=D-1&phone={PHONE}")
        assert page.status in {302, 303}
        assert "/ui/login" in page.location
