"""The HMAC scheme smsgate signs its own HTTP with, and checks its peers' with.

The generic ``http`` carrier signs what it sends and checks what its peer
pushes back (delivery reports, replies) with one shared secret; outbound
status webhooks will use the same scheme. Two headers carry it::

    X-Smsgate-Timestamp: 1714528800
    X-Smsgate-Signature: v1=<hex HMAC-SHA256(secret, b"1714528800." + body)>

The timestamp is inside the signed bytes, so a captured request cannot be
replayed with a fresh timestamp, and a receiver refuses timestamps outside
a window (five minutes by default) so it cannot be replayed as is either.
During a secret rotation the sender signs with both secrets and sends both
values, comma-separated (``v1=…,v1=…``); the receiver accepts the request if
any value matches any secret it holds. Values of other schemes (``v2=…``)
are ignored, so a future scheme can be rolled out alongside ``v1``.

Pure: standard library only, the clock is a parameter.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from enum import StrEnum

TIMESTAMP_HEADER = "X-Smsgate-Timestamp"
SIGNATURE_HEADER = "X-Smsgate-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE_SECONDS = 300

Secrets = bytes | Sequence[bytes]

_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
# Unix seconds: plain ASCII digits (int() would also take "+1", "1_0" and other scripts' digits).
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


class SignatureFault(StrEnum):
    """Why a signed request was refused."""

    MISSING = "missing"
    MALFORMED = "malformed"
    EXPIRED = "expired"
    FUTURE = "future"
    MISMATCH = "mismatch"


class SignatureInvalid(ValueError):
    """A request's signature does not prove it came from the secret's holder just now.

    ``fault`` says why; the message explains it without echoing the secret.
    """

    def __init__(self, fault: SignatureFault, message: str) -> None:
        super().__init__(f"{fault.value}: {message}")
        self.fault = fault


def body_signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """The ``v1=<hex>`` signature of ``body`` sent at ``timestamp`` (Unix seconds)."""
    signed = f"{timestamp}.".encode("ascii") + body
    return f"{SCHEME}=" + hmac.new(secret, signed, hashlib.sha256).hexdigest()


def signature_headers(secret: Secrets, body: bytes, now: int) -> dict[str, str]:
    """The two headers that sign ``body`` at ``now``; several secrets give several values."""
    values = ",".join(body_signature(key, now, body) for key in _secret_list(secret))
    return {TIMESTAMP_HEADER: str(now), SIGNATURE_HEADER: values}


def verify(
    secret: Secrets,
    timestamp_header: str | None,
    signature_header: str | None,
    body: bytes,
    now: int,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Return if ``body`` was signed with ``secret`` (or one of several) within the window.

    Raises ``SignatureInvalid`` when a header is missing or malformed, when
    the timestamp is more than ``tolerance_seconds`` from ``now`` either way
    (a replay, or a clock far off), or when no signature value matches.
    """
    if not timestamp_header or not signature_header:
        missing = TIMESTAMP_HEADER if not timestamp_header else SIGNATURE_HEADER
        raise SignatureInvalid(SignatureFault.MISSING, f"no {missing} header")
    timestamp = _parse_timestamp(timestamp_header)
    offered = _parse_signatures(signature_header)
    _check_window(timestamp, now, tolerance_seconds)
    expected = [body_signature(key, timestamp, body) for key in _secret_list(secret)]
    # Compare every pair, so the time taken says nothing about which value was close.
    matches = [hmac.compare_digest(value, want) for value in offered for want in expected]
    if not any(matches):
        raise SignatureInvalid(SignatureFault.MISMATCH, "no signature matches the body")


def _secret_list(secret: Secrets) -> list[bytes]:
    keys = [secret] if isinstance(secret, bytes) else list(secret)
    if not keys or not all(keys):
        raise ValueError("signing needs at least one non-empty secret")
    return keys


def _parse_timestamp(header: str) -> int:
    value = header.strip()
    if not _UNIX_SECONDS.fullmatch(value):
        raise SignatureInvalid(SignatureFault.MALFORMED, f"{TIMESTAMP_HEADER} is not Unix seconds")
    return int(value)


def _parse_signatures(header: str) -> list[str]:
    offered: list[str] = []
    for part in header.split(","):
        scheme, equals, digest = part.strip().partition("=")
        if not equals:
            raise SignatureInvalid(
                SignatureFault.MALFORMED, f"{SIGNATURE_HEADER} is not scheme=value"
            )
        if scheme != SCHEME:
            continue
        if not _HEX_DIGEST.fullmatch(digest):
            raise SignatureInvalid(SignatureFault.MALFORMED, "a v1 value is not 64 lowercase hex")
        offered.append(f"{SCHEME}={digest}")
    if not offered:
        raise SignatureInvalid(SignatureFault.MALFORMED, f"{SIGNATURE_HEADER} has no v1 value")
    return offered


def _check_window(timestamp: int, now: int, tolerance_seconds: int) -> None:
    if timestamp < now - tolerance_seconds:
        raise SignatureInvalid(
            SignatureFault.EXPIRED,
            f"signed {now - timestamp}s ago, over {tolerance_seconds}s: a replay or a stale retry",
        )
    if timestamp > now + tolerance_seconds:
        raise SignatureInvalid(
            SignatureFault.FUTURE,
            f"signed {timestamp - now}s ahead, over {tolerance_seconds}s: the clocks differ",
        )
