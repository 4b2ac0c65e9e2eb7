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
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import structlog
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

#: Fields whose values never reach a log line (compared case-insensitively).
REDACTED_FIELDS = frozenset(
    {"text", "body", "message_text", "rendered", "secret", "api_key", "authorization", "password"}
)

#: Integer fields that count, measure or identify and so are never phone numbers
#: (webhook event ids pass a million quickly): the last ``_``-separated word of the name.
NUMERIC_FIELD_ENDINGS = frozenset(
    {"id", "ids", "count", "total", "attempt", "attempts", "failures", "parts", "segments",
     "version", "size", "bytes", "limit", "ms", "seconds", "latency"}
)  # fmt: skip
#: Fields whose integer values stay masked whatever their name ends with.
PHONE_FIELD_HINTS = ("phone", "mobile", "msisdn", "recipient", "number", "to", "from")

# A phone-like run of 7 to 15 digits, with an optional + and country code, not
# glued to ASCII letters (digits inside ids such as msg_Ab1234567x or hex
# carrier ids are not phone numbers; Chinese text around a number is fine).
_PHONE = re.compile(r"(?<![\dA-Za-z+])\+?\d{7,15}(?![\dA-Za-z])")
# Every country calling code (ITU codes are prefix-free, so at most one matches);
# an unassigned one keeps a 1-digit prefix, so no more digits show than for a known one.
_COUNTRY_CODES = frozenset(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)


def mask_phone(value: str) -> str:
    """Mask every phone-like number in ``value``, keeping at most 3 leading and 4 trailing digits.

    ``13800138000`` -> ``138****8000``; ``+8613800138000`` -> ``+86138****8000``;
    at least four digits of the national number are always hidden
    (``+85291234567`` -> ``+852****4567``).
    Masking an already masked text changes nothing.
    """
    return _PHONE.sub(_mask_match, value)


def _mask_match(match: re.Match[str]) -> str:
    number = match.group()
    prefix = ""
    if number.startswith("+"):
        code = next((number[1:n] for n in (2, 3, 4) if number[1:n] in _COUNTRY_CODES), number[1:2])
        prefix, number = "+" + code, number[1 + len(code) :]
    # At least four digits always hidden: 4 trailing ones show from 8 digits on,
    # 3 leading ones only from 11 on.
    trailing = 4 if len(number) >= 8 else max(0, min(2, len(number) - 4))
    leading = max(0, min(3, len(number) - 4 - trailing))
    return prefix + number[:leading] + "****" + number[len(number) - trailing :]


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Drop body and secret fields; mask phone numbers in every value, nested ones too.

    Integers of id, count and latency fields (:data:`NUMERIC_FIELD_ENDINGS`)
    are kept as they are, unless the name hints at a phone number.
    """
    for name in list(event):
        if name.lower() in REDACTED_FIELDS:
            del event[name]
        else:
            event[name] = _redacted(event[name], numeric_field(name))
    return event


def numeric_field(name: str) -> bool:
    """Whether the integers of field ``name`` are ids, counts or measures, not phone numbers."""
    words = name.lower().replace("-", "_").split("_")
    if any(hint in words for hint in PHONE_FIELD_HINTS):
        return False
    return words[-1] in NUMERIC_FIELD_ENDINGS


def _redacted(value: Any, numeric: bool = False) -> Any:
    if isinstance(value, str):
        return mask_phone(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value if numeric or abs(value) < 10**6 else mask_phone(str(value))
    if isinstance(value, Mapping):
        return {
            key: _redacted(item, numeric_field(str(key)))
            for key, item in value.items()
            if str(key).lower() not in REDACTED_FIELDS
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_redacted(item, numeric) for item in value]
    return value


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
            # Tracebacks become text first, so that redact masks them too.
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
