"""End to end over SMPP: the gateway's workers send to the peer SMSC, whose receipts and replies
come back on the same session into the gateway's sink (``smsgate.workers``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from smsgate.store import Role
from smsgate.workers import run_workers

from ..api.api_support import GatewayUnderTest, start_gateway
from ..api.message_support import PHONE, message, seed_template
from ..local import eventually
from .peer_support import PASSWORD, SYSTEM_ID, Peer


@pytest.fixture
async def gw(tmp_path: Path, peer: Peer) -> AsyncIterator[GatewayUnderTest]:
    carriers = tmp_path / "carriers.toml"
    carriers.write_text(
        "[carriers.smsc]\n"
        'kind = "smpp"\nhost = "127.0.0.1"\n'
        f'port = {peer.port}\nsystem_id = "{SYSTEM_ID}"\nsource_addr = "10690001"\n'
        '[routes]\ndefault = ["smsc"]\n'
    )
    environment = {"SMSGATE_CARRIER_SMSC_PASSWORD": PASSWORD}
    async for running in start_gateway(
        tmp_path, carriers_file=carriers, carrier_environment=environment
    ):
        yield running


@pytest.fixture
async def workers(gw: GatewayUnderTest) -> AsyncIterator[None]:
    stop = asyncio.Event()
    gateway = gw.gateway
    task = asyncio.create_task(
        run_workers(
            gateway.store,
            gateway.carriers,
            gateway.settings,
            stop_event=stop,
            poll_interval=0.05,
            clock=gw.clock,
        )
    )
    yield
    stop.set()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, 10)


@pytest.mark.usefixtures("workers")
class TestThroughSmpp:
    """A receipt on the session delivers the message; a 退订 on it opts the phone out."""

    async def test_receipt_and_reply(self, gw: GatewayUnderTest, peer: Peer) -> None:
        template_id = await seed_template(gw)
        sender = await gw.key("acme", Role.SENDER)
        _, accepted, _ = await gw.call(
            "POST", "/v1/messages", token=sender, json=message(template_id)
        )

        async def status() -> bool:
            _, body, _ = await gw.call("GET", f"/v1/messages/{accepted['id']}", token=sender)
            return bool(body["status"] == "delivered")

        assert await eventually(status), "the SMSC's receipt never delivered the message"
        [submit] = await peer.wait_for_pdus("submit_sm")
        assert submit["destination_addr"].lstrip("+") == PHONE.lstrip("+")

        await peer.command(
            cmd="deliver", source_addr=PHONE.lstrip("+"), source_addr_ton=1,
            destination_addr="10690001", data_coding=8,
            short_message_hex="退订".encode("utf-16-be").hex(),
        )  # fmt: skip
        admin = await gw.key("acme", Role.ADMIN)

        async def opted_out() -> list[Any]:
            _, body, _ = await gw.call("GET", "/v1/opt-outs", token=admin)
            return list(body["opt_outs"])

        [opt_out] = await eventually(opted_out)
        assert (opt_out["phone"], opt_out["source"]) == (PHONE, "mo")

    async def test_a_third_party_refusal_in_words(self, gw: GatewayUnderTest, peer: Peer) -> None:
        """我不认识他，别再找我了 on the session: the phone is refused for the creditor for good."""
        template_id = await seed_template(gw)
        sender = await gw.key("acme", Role.SENDER)
        _, accepted, _ = await gw.call(
            "POST", "/v1/messages", token=sender, json=message(template_id)
        )

        async def status() -> bool:
            _, body, _ = await gw.call("GET", f"/v1/messages/{accepted['id']}", token=sender)
            return bool(body["status"] == "delivered")

        assert await eventually(status), "the SMSC's receipt never delivered the message"
        await peer.command(
            cmd="deliver", source_addr=PHONE.lstrip("+"), source_addr_ton=1,
            destination_addr="10690001", data_coding=8,
            short_message_hex="我不认识他，别再找我了".encode("utf-16-be").hex(),
        )  # fmt: skip
        admin = await gw.key("acme", Role.ADMIN)

        async def opted_out() -> list[Any]:
            _, body, _ = await gw.call("GET", "/v1/opt-outs", token=admin)
            return list(body["opt_outs"])

        [opt_out] = await eventually(opted_out)
        assert (opt_out["phone"], opt_out["kind"], opt_out["source"]) == (
            PHONE, "third_party_refusal", "mo",
        )  # fmt: skip
