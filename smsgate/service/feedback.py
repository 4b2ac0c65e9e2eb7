"""The gateway's ``CallbackSink``: where SMPP sessions hand the receipts and replies they receive.

HTTP carriers reach ``/v1/dlr`` and ``/v1/mo``; an SMPP SMSC sends the same
news as ``deliver_sm`` on the bound session. This sink routes both kinds
into the same services as the HTTP endpoints, so a stop word or a delivery
report means the same thing whichever way it arrives. The adapter
acknowledges the PDU only after these coroutines return, by which time the
item is committed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from smsgate.carriers import DeliveryReport, InboundSms
from smsgate.service.receipts import take_report
from smsgate.service.replies import ATTRIBUTION_WINDOW, take_reply
from smsgate.store import Store
from smsgate.wordlists import reply_classifier


class CarrierFeedback:
    """A ``CallbackSink`` storing what arrives through ``store``; see the module docstring."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], datetime],
        wordlists_dir: Path | None = None,
        window: timedelta = ATTRIBUTION_WINDOW,
    ) -> None:
        self._store = store
        self._window = window
        self._clock = clock
        self._classifier = reply_classifier(wordlists_dir)

    async def delivery_report(self, carrier: str, report: DeliveryReport) -> None:
        await take_report(self._store, carrier, report, self._clock())

    async def inbound_message(self, carrier: str, message: InboundSms) -> None:
        await take_reply(
            self._store, carrier, message, self._classifier, self._clock(), self._window
        )
