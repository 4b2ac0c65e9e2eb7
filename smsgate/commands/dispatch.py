"""``smsgate dispatch``: run the background workers alone (for separate dispatcher processes).

That is the outbox dispatcher, status webhooks, and the sink SMPP sessions
hand their receipts and replies to (``smsgate.workers``), and, when
``SMSGATE_AUDIT_SIGNING_KEY`` is set, the audit tree's sequencer
(``smsgate.service.sequencer``; only one instance integrates at a time).

It sends through the carrier fleet the settings configure (``SMSGATE_CARRIERS``,
else the one ``SMSGATE_CARRIER``); a bad carrier configuration ends it before
the database is opened, with the loader's message naming the file and key.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

from smsgate.bootstrap import open_outbound
from smsgate.carriers import InvalidCarrierConfig, UnknownCarrier
from smsgate.logs import configure_logging
from smsgate.service.sequencer import run_sequencer
from smsgate.settings import Settings, SettingsError
from smsgate.store import utc_now
from smsgate.workers import run_workers


def register(subparsers: Any) -> None:
    """Add the ``dispatch`` command."""
    parser = subparsers.add_parser("dispatch", help="send queued messages through the carriers")
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between empty polls")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Dispatch until SIGINT/SIGTERM, then finish in-flight sends and release the rest.

    Returns 2, having printed why, for settings or a carrier configuration that cannot work.
    """
    try:
        settings = Settings.from_env()
        configure_logging(settings.log_format)
        asyncio.run(_dispatch(settings, args.poll))
    except (SettingsError, InvalidCarrierConfig, UnknownCarrier) as error:
        print(f"smsgate dispatch: {error}", file=sys.stderr)
        return 2
    return 0


async def _dispatch(settings: Settings, poll: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_outbound(settings) as outbound:
        sequencing = None
        if settings.audit_signer is not None:  # else the serve instances sequence
            sequencing = asyncio.create_task(
                run_sequencer(
                    outbound.store, settings.audit_signer, utc_now, stop_event=stop,
                    interval=settings.audit_integrate_ms / 1000,
                )
            )  # fmt: skip
        try:
            await run_workers(
                outbound.store, outbound.carriers, settings, stop_event=stop, poll_interval=poll
            )
        finally:
            stop.set()
            if sequencing is not None:
                await sequencing
