"""The dispatcher keeps no echo of what it sent from any carrier failure (#13 item 11).

``tests/integration/api/test_carrier_echo.py`` drives the ``http`` adapter
against an echoing peer; here the failure comes from adapters the dispatcher
cannot trust to clean up: one that raises its own error quoting the message,
and one whose bug raises something outside the carrier error family.
"""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from smsgate.carriers import FakeCarrier, OutboundSms, PermanentCarrierError
from smsgate.store import Store

from .conftest import MakeDispatcher
from .dispatch_support import PHONE, TEXT, Tenant, statuses

NATIONAL = PHONE.removeprefix("+86")


def quoting_refusal(sms: OutboundSms) -> str:
    raise PermanentCarrierError(f"refused: {sms.text}", code=f"E7 {sms.phone} {sms.text[8:16]}")


def adapter_bug(sms: OutboundSms) -> str:
    raise RuntimeError(f"cannot encode {sms.text!r} for {sms.phone.removeprefix('+')}")


def pieces_of_the_text(value: object) -> list[str]:
    found = str(value)
    pieces = {TEXT[i : i + 4] for i in range(len(TEXT) - 3)} - {"1234", "34.5", "4.50"}
    return [p for p in [NATIONAL, *sorted(pieces)] if p in found]


class TestFailuresQuotingTheMessage:
    """The log event, the attempt row and the history hold neither the text nor the phone."""

    @pytest.mark.parametrize(
        ("handler", "event"),
        [
            pytest.param(quoting_refusal, "message_failed", id="refusal-quoting-the-text"),
            pytest.param(adapter_bug, "message_outcome_unknown", id="adapter-bug-quoting-the-text"),
        ],
    )
    async def test_nothing_echoed_is_kept(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, handler, event: str
    ) -> None:
        [message] = await tenant.accept(store)
        with capture_logs() as events:
            await make_dispatcher(FakeCarrier(handler)).run_once()
        [logged] = [e for e in events if e["event"] == event]
        async with store.read() as tx:
            [attempt] = await tx.attempts.of_message(message.id)
        kept = [logged, attempt.error_code, attempt.detail, await statuses(store, message.id)]
        assert pieces_of_the_text(kept) == []
        assert "[text]" in attempt.detail
