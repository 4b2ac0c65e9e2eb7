"""Sends for unknown templates: one key cannot grow the audit log without bound."""

from __future__ import annotations

from collections import Counter

from smsgate.store import AuditAction, AuditQuery

from .api_support import GatewayUnderTest
from .message_support import message, seed_template

BATCH = "/v1/messages:batch"


class TestUnknownTemplateRefusals:
    """One key's sends for an unknown template add a bounded number of audit entries."""

    async def refused_entries(self, gw: GatewayUnderTest) -> int:
        query = AuditQuery(creditor_id="acme", action=AuditAction.MESSAGE_REFUSED, limit=100_000)
        async with gw.gateway.store.read() as tx:
            return len(await tx.audit.entries(query))

    async def test_a_thousand_refusals(self, gw: GatewayUnderTest) -> None:
        token = await gw.key("acme", "sender")
        limit = gw.gateway.settings.unknown_template_limit
        statuses: Counter[tuple[int, str]] = Counter()
        for round_ in range(10):
            items = [
                message("tpl_unknown", recipient={"debtor_id": f"D-{round_}-{n}"})
                for n in range(100)
            ]
            _, body, _ = await gw.call("POST", BATCH, token=token, json={"messages": items})
            statuses.update((r["status"], r["body"]["code"]) for r in body["results"])
        assert statuses == {(404, "not_found"): limit, (429, "refusal_rate_limited"): 1000 - limit}
        assert await self.refused_entries(gw) == limit
        # Another key of the creditor is refused (and audited) as before.
        other = await gw.key("acme", "sender", "author")
        status, _, _ = await gw.call("POST", "/v1/messages", token=other, json=message("tpl_x"))
        assert status == 404
        assert await self.refused_entries(gw) == limit + 1

    async def test_the_limited_key_still_sends(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        token = await gw.key("acme", "sender")
        for _ in range(gw.gateway.settings.unknown_template_limit):
            await gw.call("POST", "/v1/messages", token=token, json=message("tpl_unknown"))
        headers = {"Idempotency-Key": "k-1"}
        status, body, response = await gw.call(
            "POST", "/v1/messages", token=token, json=message("tpl_unknown"), headers=headers
        )
        assert (status, body["code"]) == (429, "refusal_rate_limited")
        assert int(response.headers["Retry-After"]) > 0
        # Not remembered under the key: the fixed request goes through with it.
        status, body, _ = await gw.call(
            "POST", "/v1/messages", token=token, json=message(template_id), headers=headers
        )
        assert (status, body["status"]) == (202, "queued")
