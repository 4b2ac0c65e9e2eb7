"""``smsgate serve``: run the HTTP API (and, by default, the dispatcher in the same process)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from smsgate.carriers import InvalidCarrierConfig, UnknownCarrier
from smsgate.logs import configure_logging
from smsgate.settings import Settings, SettingsError, require_audit_signer


def register(subparsers: Any) -> None:
    """Add the ``serve`` command."""
    parser = subparsers.add_parser("serve", help="run the HTTP API")
    parser.add_argument("--host", help="listen address (default 127.0.0.1 or SMSGATE_HOST)")
    parser.add_argument("--port", type=int, help="listen port (default 8080 or SMSGATE_PORT)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; 2, having printed why, for settings that cannot work."""
    # The HTTP stack is imported when serving, not when the parser is built:
    # every other command (``smsgate keys …``) starts without aiohttp.
    from aiohttp import web

    from smsgate.api.app import serving_app

    try:
        settings = Settings.from_env()
        require_audit_signer(settings)
        configure_logging(settings.log_format)
        web.run_app(
            serving_app(settings),
            host=args.host or settings.host,
            port=args.port or settings.port,
            access_log=None,
            print=None,
        )
    except (SettingsError, InvalidCarrierConfig, UnknownCarrier) as error:
        print(f"smsgate serve: {error}", file=sys.stderr)
        return 2
    return 0
