"""``smsgate dispatch``: run the outbox dispatcher alone (for separate dispatcher processes)."""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

from smsgate.api.app import configured_carrier
from smsgate.dispatch import run_dispatcher
from smsgate.logs import configure_logging
from smsgate.settings import Settings
from smsgate.store import open_store


def register(subparsers: Any) -> None:
    """Add the ``dispatch`` command."""
    parser = subparsers.add_parser("dispatch", help="send queued messages through the carrier")
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between empty polls")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Dispatch until SIGINT/SIGTERM, then finish in-flight sends and release the rest."""
    settings = Settings.from_env()
    configure_logging(settings.log_format)
    asyncio.run(_dispatch(settings, args.poll))
    return 0


async def _dispatch(settings: Settings, poll: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    store = await open_store(settings.database_url)
    carrier = configured_carrier(settings)
    try:
        await run_dispatcher(store, carrier, stop_event=stop, poll_interval=poll)
    finally:
        await carrier.aclose()
        await store.close()
