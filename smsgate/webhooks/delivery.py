"""One post to a creditor's receiver: the signed JSON batch, and the one httpx error boundary.

The body a receiver gets (``Content-Type: application/json``)::

    {"events": [{"id": 1042, "message_id": "msg_…", "status": "delivered",
                 "at": "2024-05-01T02:00:07.000000Z", "detail": ""}, …]}

Events are in ``id`` order, and ``id`` is unique and increasing per
gateway. Delivery is at least once: a batch whose 2xx got lost (a timeout,
a crash before the cursor moved) is posted again, so a receiver must skip
event ids it has already processed. It is signed as ``smsgate.signing``
describes (``X-Smsgate-Timestamp``, ``X-Smsgate-Signature: v1=…``) with the
creditor's derived secret; receivers verify the exact bytes before parsing.

Whatever happens on the wire becomes a ``ReceiverAnswer``: the receiver's
status, or the transport error that stopped the post. Redirects are not
followed (a 3xx is a failure, so a receiver cannot bounce signed events to
another host, or into the operator's network past the target check), and
the answer's body is never read, so a receiver cannot make the worker
download anything. Unlike a carrier send, a post whose
outcome is unknown is simply posted again: receivers deduplicate.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx

from smsgate import __version__
from smsgate.signing import signature_headers
from smsgate.store import StatusEvent, format_instant
from smsgate.webhooks.targets import PinnedTarget

USER_AGENT = f"smsgate-webhooks/{__version__}"


@dataclass(frozen=True, slots=True)
class ReceiverAnswer:
    """What became of one post: the receiver's HTTP status, or why there was none.

    ``error`` is the transport error's class (``ConnectError``, ``timeout``,
    or ``target_refused`` when the target check stopped the post before any
    connection), short enough to log; ``refusal`` is then the
    ``TargetRefusal`` code; ``description`` adds httpx's (or the check's)
    message for the operator's ``last_error``.
    """

    status: int | None = None
    error: str = ""
    description: str = ""
    refusal: str = ""

    @property
    def accepted(self) -> bool:
        """Whether the receiver took the batch (any 2xx)."""
        return self.status is not None and 200 <= self.status < 300

    def summary(self) -> str:
        """``HTTP 500`` or the transport error, as ``last_error`` keeps it."""
        if self.status is not None:
            return f"HTTP {self.status}"
        return f"{self.error}: {self.description}" if self.description else self.error


def batch_body(events: Sequence[StatusEvent]) -> bytes:
    """The JSON body posting ``events`` (compact UTF-8, in the given order)."""
    items = [
        {"id": event.id, "message_id": event.message_id, "status": event.status.value,
         "at": format_instant(event.at), "detail": event.detail}
        for event in events
    ]  # fmt: skip
    document = {"events": items}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signed_headers(key: bytes, body: bytes, now: datetime) -> dict[str, str]:
    """The request headers for ``body``: content type, user agent and the ``v1`` signature."""
    signature = signature_headers(key, body, int(now.timestamp()))
    return {"Content-Type": "application/json", "User-Agent": USER_AGENT, **signature}


async def post_batch(
    client: httpx.AsyncClient,
    target: str | PinnedTarget,
    body: bytes,
    headers: dict[str, str],
    seconds: float,
) -> ReceiverAnswer:
    """POST ``body`` to ``target`` within ``seconds``; never raises for network trouble.

    A ``PinnedTarget`` is posted to its checked address (see ``targets``);
    redirects are never followed, whatever the client was built with.
    """
    url, extensions = (target, {}) if isinstance(target, str) else (target.url, target.extensions)
    if isinstance(target, PinnedTarget):
        headers = {**headers, **target.headers}
    try:
        async with asyncio.timeout(seconds):
            request = client.stream(
                "POST", url, content=body, headers=headers, timeout=seconds,
                follow_redirects=False, extensions=dict(extensions),
            )  # fmt: skip
            async with request as response:
                return ReceiverAnswer(status=response.status_code)
    except TimeoutError:
        return ReceiverAnswer(error="timeout", description=f"no answer within {seconds:g}s")
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        return ReceiverAnswer(error=type(error).__name__, description=str(error))
