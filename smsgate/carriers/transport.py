"""The one boundary where httpx's errors become the ``CarrierError`` family.

Every HTTP carrier adapter (http, kannel, aliyun, tencent) sends through
``exchange`` so the question "could the carrier have received this?" is
answered once, from httpx's exception classes:

- nothing was written (connect refused or timed out, pool exhausted):
  ``RetryableCarrierError`` — sending again cannot duplicate;
- the request may have been written (read/write timeout, connection dropped
  mid-answer, protocol error): ``OutcomeUnknown`` — must not be resent blindly;
- an answer came: returned as is; the adapter reads its status and body,
  with ``retryable_status`` classing 429 and 502/503/504 as "not taken".
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from smsgate.carriers.base import OutcomeUnknown, RetryableCarrierError

#: Statuses that mean the carrier (or its proxy) did not take the request.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 502, 503, 504})


async def exchange(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    content: bytes | None = None,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """Send one request and return the carrier's answer, whatever its status.

    Raises ``RetryableCarrierError`` when the request certainly did not reach
    the carrier and ``OutcomeUnknown`` when it may have.
    """
    try:
        return await client.request(method, url, content=content, params=params, headers=headers)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
        raise RetryableCarrierError(f"could not connect: {_describe(error)}") from error
    except httpx.TransportError as error:
        raise OutcomeUnknown(f"no complete answer: {_describe(error)}") from error


def retryable_status(response: httpx.Response) -> bool:
    """Whether an answer's status says the carrier did not take the request."""
    return response.status_code in RETRYABLE_STATUSES or response.status_code >= 500


def _describe(error: httpx.TransportError) -> str:
    # httpx's messages can be empty; the class name always says what happened.
    detail = str(error)
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__
