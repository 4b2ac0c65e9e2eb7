"""``smsgate serve``: run the HTTP API (and, by default, the dispatcher in the same process)."""

from __future__ import annotations

import argparse
from typing import Any

from aiohttp import web

from smsgate.api.app import serving_app
from smsgate.logs import configure_logging
from smsgate.settings import Settings


def register(subparsers: Any) -> None:
    """Add the ``serve`` command."""
    parser = subparsers.add_parser("serve", help="run the HTTP API")
    parser.add_argument("--host", help="listen address (default 127.0.0.1 or SMSGATE_HOST)")
    parser.add_argument("--port", type=int, help="listen port (default 8080 or SMSGATE_PORT)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    settings = Settings.from_env()
    configure_logging(settings.log_format)
    web.run_app(
        serving_app(settings),
        host=args.host or settings.host,
        port=args.port or settings.port,
        access_log=None,
        print=None,
    )
    return 0
