"""End to end through a real Kannel: the gateway's dispatcher sends, Kannel's callbacks come back.

The gateway runs with a fleet of one ``kannel`` account whose ``dlr-url``
points at the gateway's own ``/v1/dlr/kannel`` and whose Kannel delivers
replies to ``/v1/mo/kannel``. A message accepted by the API goes out through
bearerbox to fakesmsc with its exact UCS-2 text, Kannel's delivery report
makes it ``delivered``, and a 退订 typed at the phone opts it out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from smsgate.dispatch import Dispatcher
from smsgate.store import Role

from ..api.api_support import GatewayUnderTest, start_gateway
from ..api.message_support import PHONE, message, seed_template
from ..local import eventually, free_port
from .conftest import TOKEN, KannelFactory
from .harness import KannelHarness

pytestmark = pytest.mark.kannel


@pytest.fixture
async def wired(
    tmp_path: Path, kannel_factory: KannelFactory
) -> AsyncIterator[tuple[GatewayUnderTest, KannelHarness]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    kannel = kannel_factory(mo_url=f"{base}/v1/mo/kannel")
    config = kannel.carrier_config(callback_url=f"{base}/v1/dlr/kannel", callback_token=TOKEN)
    carriers = tmp_path / "carriers.toml"
    adapter_settings = {k: v for k, v in config.items() if k not in {"password", "callback_token"}}
    lines = ["[carriers.kannel]", 'kind = "kannel"']
    lines += [f'{key} = "{value}"' for key, value in adapter_settings.items()]
    lines += ["[routes]", 'default = ["kannel"]']
    carriers.write_text("\n".join(lines) + "\n")
    environment = {
        "SMSGATE_CARRIER_KANNEL_PASSWORD": config["password"],
        "SMSGATE_CARRIER_KANNEL_CALLBACK_TOKEN": TOKEN,
    }
    async for gw in start_gateway(
        tmp_path, port=port, carriers_file=carriers, carrier_environment=environment
    ):
        yield gw, kannel
        kannel.stop()  # before the gateway's runner, which waits for Kannel's connections


class TestThroughKannel:
    """Send, delivery report and reply all travel through the real Kannel."""

    async def test_send_deliver_and_stop(
        self, wired: tuple[GatewayUnderTest, KannelHarness]
    ) -> None:
        gw, kannel = wired
        template_id = await seed_template(gw)
        sender = await gw.key("acme", Role.SENDER)
        status, accepted, _ = await gw.call(
            "POST", "/v1/messages", token=sender, json=message(template_id)
        )
        assert status == 202
        dispatcher = Dispatcher(gw.gateway.store, gw.gateway.carriers, owner="t", clock=gw.clock)
        report = await dispatcher.run_once()
        assert [o.disposition.value for o in report.outcomes] == ["message_sent"]

        async with gw.gateway.store.read() as tx:
            stored = await tx.messages.get(accepted["id"], creditor_id="acme")
        assert stored is not None
        [received] = await kannel.wait_for_received(1)
        assert received.kind == "ucs-2"
        assert received.text == stored.text
        assert received.receiver.lstrip("+") == PHONE.lstrip("+")

        async def delivered() -> bool:
            _, body, _ = await gw.call("GET", f"/v1/messages/{accepted['id']}", token=sender)
            return bool(body["status"] == "delivered")

        assert await eventually(delivered, within=15), "Kannel's delivery report never arrived"

        await kannel.inject_mo(PHONE.lstrip("+"), "10690001", "退订")
        admin = await gw.key("acme", Role.ADMIN)

        async def opted_out() -> list[Any]:
            _, body, _ = await gw.call("GET", "/v1/opt-outs", token=admin)
            return list(body["opt_outs"])

        [opt_out] = await eventually(opted_out, within=15)
        assert (opt_out["phone"], opt_out["kind"], opt_out["source"]) == (PHONE, "opt_out", "mo")

    async def test_a_wrong_number_through_kannel_detaches_the_phone(
        self, wired: tuple[GatewayUnderTest, KannelHarness]
    ) -> None:
        """不是本人，打错了 typed at the phone: the phone is detached from that debtor (#14)."""
        gw, kannel = wired
        template_id = await seed_template(gw)
        sender = await gw.key("acme", Role.SENDER)
        status, _, _ = await gw.call(
            "POST", "/v1/messages", token=sender, json=message(template_id)
        )
        assert status == 202
        dispatcher = Dispatcher(gw.gateway.store, gw.gateway.carriers, owner="t", clock=gw.clock)
        await dispatcher.run_once()
        await kannel.wait_for_received(1)
        await kannel.inject_mo(PHONE.lstrip("+"), "10690001", "不是本人，打错了")

        async def detached() -> bool:
            async with gw.gateway.store.read() as tx:
                return await tx.detachments.is_detached("acme", "D-1001", PHONE)

        assert await eventually(detached, within=15), "the wrong-number reply never arrived"
        status, problem, _ = await gw.call(
            "POST", "/v1/messages", token=sender, json=message(template_id)
        )
        assert (status, problem["code"]) == (422, "opted_out")
