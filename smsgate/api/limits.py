"""Bounds on what one client can make the gateway hold: header time, body time, sizes.

The first line of defence is the reverse proxy DESIGN.md puts in front of the
gateway (JSON over HTTPS behind a proxy): it terminates TLS, caps connections
per client and buffers slow uploads. These limits are the second line, so that
the gateway alone still cannot be held open forever by one slow or greedy
client. What is built here, and nothing more:

- **Request head**: aiohttp arms its keep-alive timer when a connection opens
  and again after each response, and closes the connection if no complete
  request head arrived by then (``keepalive_timeout``). A client sending its
  headers a byte at a time is dropped after :attr:`RequestLimits.head_seconds`;
  it gets no answer (nothing was read to answer). The same timer is the idle
  keep-alive timeout, so a proxy's upstream keep-alive must be shorter: the
  default, 75 s (``aiohttp.web.run_app``'s), outlasts nginx's 60 s, so the
  proxy never sends a request on a connection the gateway is closing.
  Header lines, fields and counts are capped by aiohttp's parser
  (``max_line_size``, ``max_field_size``, ``max_headers``); its refusals of
  those and of broken syntax are a plain-text ``400 Bad Request`` written by
  aiohttp itself (no problem+json: they never reach our middlewares), logged
  as a ``request_refused`` event naming the error, never the bytes.
- **Request body**: the :func:`bounded_body` middleware reads every body
  before the handler runs, within :attr:`RequestLimits.body_seconds` (else 408
  ``request_timeout``) and within ``SMSGATE_MAX_BODY_BYTES`` (413
  ``payload_too_large``, answered before reading anything when the declared
  ``Content-Length`` is already too large; a chunked body is cut off at the
  limit). Handlers then read the buffered bytes. Bodies are read before the
  key is checked, so an anonymous client costs at most that many bytes for
  at most that long per request. ``multipart/*`` bodies are left to
  aiohttp's own size limit, because their reader consumes the stream.
- **After a refusal**: aiohttp reads and discards an unread body for at most
  :attr:`RequestLimits.lingering_seconds` before closing, so the client can
  read the answer without the server draining a huge upload.

Not built: a cap on concurrent connections (aiohttp has none; use the proxy,
e.g. nginx ``limit_conn``, and the process's file-descriptor limit).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from smsgate.api.problems import Problem, ProblemCode

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """How long a client may take to send a request, and how big its head may be."""

    head_seconds: float = 75.0
    body_seconds: float = 30.0
    lingering_seconds: float = 5.0
    max_line_bytes: int = 8190
    max_field_bytes: int = 8190
    max_headers: int = 100

    def handler_args(self) -> dict[str, Any]:
        """The keyword arguments of aiohttp's request handler that enforce these limits."""
        return {
            "keepalive_timeout": self.head_seconds,
            "lingering_time": self.lingering_seconds,
            "max_line_size": self.max_line_bytes,
            "max_field_size": self.max_field_bytes,
            "max_headers": self.max_headers,
            "logger": parser_log(),
        }


class _WithoutRequestBytes(logging.Filter):
    """Turns aiohttp's traceback of a refused request into a structlog event naming the error.

    aiohttp logs a request head its parser refuses with the offending bytes
    in the message (an ``Authorization`` header with a stray NUL, say), and
    stdlib logs bypass our redaction: keep the error's type, drop the bytes.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None:
            return True
        log.info("request_refused", error=type(error).__name__)
        return False


def parser_log() -> logging.Logger:
    """The stdlib logger aiohttp's request handler reports to, without request bytes."""
    logger = logging.getLogger("smsgate.api.http")
    if not any(isinstance(f, _WithoutRequestBytes) for f in logger.filters):
        logger.addFilter(_WithoutRequestBytes())
    return logger


DEFAULT_LIMITS = RequestLimits()


def too_large(limit: int) -> Problem:
    """The 413 ``payload_too_large`` problem for a body over ``limit`` bytes."""
    detail = f"the request body exceeds the size limit of {limit} bytes"
    return Problem(413, ProblemCode.PAYLOAD_TOO_LARGE, detail, max_bytes=limit)


def bounded_body(limits: RequestLimits, max_bytes: int) -> Middleware:
    """A middleware reading each request's body within ``max_bytes`` and ``limits.body_seconds``.

    Its handler raises a 413 ``payload_too_large`` :class:`Problem` for a
    bigger body (before reading it, if ``Content-Length`` says so) and a 408
    ``request_timeout`` one for a body that does not arrive in time.
    """

    @web.middleware
    async def read_body_first(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.body_exists and not request.content_type.startswith("multipart/"):
            if request.content_length is not None and request.content_length > max_bytes:
                raise too_large(max_bytes)
            await _read_within(request, limits.body_seconds, max_bytes)
        return await handler(request)

    return read_body_first


async def _read_within(request: web.Request, seconds: float, max_bytes: int) -> None:
    try:
        async with asyncio.timeout(seconds):
            await request.read()  # kept by aiohttp: the handler's read() returns it
    except TimeoutError:
        detail = f"the request body did not arrive within {seconds:g} s"
        raise Problem(408, ProblemCode.REQUEST_TIMEOUT, detail) from None
    except web.HTTPRequestEntityTooLarge:
        raise too_large(max_bytes) from None
