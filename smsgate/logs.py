"""Operator logs: structlog, one JSON object per state change, phones masked, no bodies.

Operators tail these logs and ship them to systems many people can read, so
two processors guard every event whatever the caller passed: phone numbers
anywhere in a value are masked (``138****5678``), and fields that could carry
a message body or a secret are dropped. A terminal gets a readable console
rendering instead of JSON.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

#: Fields whose values never reach a log line: message text and credentials.
REDACTED_FIELDS = frozenset(
    {"text", "body", "message_text", "rendered", "secret", "api_key", "authorization", "password"}
)

# Runs of 7-15 digits, optionally after + or a country code: phone-like numbers.
_PHONE = re.compile(r"(?<!\d)(\+?\d{2,4})?(\d{3})(\d{2,8})(\d{4})(?!\d)")


def mask_phone(value: str) -> str:
    """Mask every phone-like number in ``value``: ``+8613800138000`` -> ``+86138****8000``."""
    return _PHONE.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}****{m.group(4)}", value)


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Drop body and secret fields; mask phone numbers in every string value."""
    for name in list(event):
        if name in REDACTED_FIELDS:
            del event[name]
        elif isinstance(event[name], str):
            event[name] = mask_phone(event[name])
    return event


def configure_logging(log_format: str = "auto", stream: TextIO | None = None) -> None:
    """Configure structlog for the process; ``auto`` is console on a terminal, else JSON."""
    out = stream or sys.stdout
    console = log_format == "console" or (log_format == "auto" and out.isatty())
    renderer: Any = (
        structlog.dev.ConsoleRenderer() if console else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
