"""The UI's release button goes through the held service: a retired template's text stays held."""

from __future__ import annotations

from smsgate.store import MessageStatus

from .ui_client import UiClient
from .web_support import UiWorld, csrf_of


class TestReleaseOfARetiredTemplate:
    """Releasing a held message whose template was retired is refused on the page too."""

    async def test_refused_and_still_held(self, world: UiWorld, client: UiClient) -> None:
        held = world.held["acme"][0]
        async with world.gateway.store.transaction() as tx:
            message = await tx.messages.get(held, creditor_id="acme")
            assert message is not None
            await tx.templates.retire(message.template_id, world.clock())
        await client.sign_in(world.tokens["reviewer"])
        page = (await client.get("/ui/held")).text
        fields = [("csrf", csrf_of(page)), ("action", "release"), ("reason", "ok")]
        answer = await client.post("/ui/held/decide", [*fields, ("message_id", held)])
        assert answer.status == 422
        assert "模板已停用" in answer.text or "template was retired" in answer.text
        async with world.gateway.store.read() as tx:
            after = await tx.messages.get(held, creditor_id="acme")
        assert after is not None
        assert after.status is MessageStatus.HELD
