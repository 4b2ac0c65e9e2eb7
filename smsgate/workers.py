"""The background work of a dispatching process: the dispatcher, status webhooks, SMPP sinks.

``smsgate dispatch`` runs these alone; ``smsgate serve`` runs them beside the
API unless ``SMSGATE_DISPATCH=0``. Both call ``run_workers``, so the two
kinds of process can never drift apart in what they do in the background.

Webhooks run beside the dispatcher: a misconfigured webhook secret is
logged (``webhooks_refused``) and ends only the webhook task, because a
broken notification channel must not stop SMS going out.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from smsgate.carriers import PushesCallbacks
from smsgate.carriers.fleet import CarrierFleet
from smsgate.dispatch import dispatch_settings, run_dispatcher
from smsgate.service.feedback import CarrierFeedback
from smsgate.settings import Settings
from smsgate.store import Store, utc_now
from smsgate.webhooks import WebhookSecretMissing, run_webhooks


async def run_workers(
    store: Store,
    carriers: CarrierFleet,
    settings: Settings,
    *,
    stop_event: asyncio.Event,
    poll_interval: float = 1.0,
    clock: Callable[[], datetime] = utc_now,
) -> None:
    """Dispatch and deliver webhooks until ``stop_event``; returns once both have stopped.

    Adapters that receive reports on their own connection (SMPP) are given
    the gateway's sink first, so nothing they receive waits for a consumer.
    Closes neither the store nor the carriers: the caller opened them.
    """
    attach_feedback(
        carriers,
        CarrierFeedback(
            store, clock, settings.wordlists_dir, timedelta(days=settings.reply_attribution_days)
        ),
    )
    webhooks = asyncio.create_task(
        run_webhooks(
            store, stop_event=stop_event, secret=settings.webhook_secret, clock=clock,
            targets=settings.webhook_targets,
        )
    )  # fmt: skip
    try:
        await run_dispatcher(
            store, carriers, stop_event=stop_event, poll_interval=poll_interval,
            settings=dispatch_settings(settings), clock=clock,
        )  # fmt: skip
    finally:
        stop_event.set()
        with contextlib.suppress(WebhookSecretMissing):  # logged as webhooks_refused
            await webhooks


def attach_feedback(carriers: CarrierFleet, sink: CarrierFeedback) -> None:
    """Give every adapter that pushes callbacks (SMPP) the sink to deliver them to."""
    for name in carriers.names():
        adapter = carriers.get(name)
        if isinstance(adapter, PushesCallbacks):
            adapter.attach(sink)
