"""TC3-HMAC-SHA256: how every Tencent Cloud API 3.0 request is signed.

Tencent documents the scheme step by step ("Signature v3", with a worked
example calling CVM ``DescribeInstances`` at timestamp 1551113065 that
``tests/unit/carriers/test_tencent_signing.py`` reproduces to the byte):

1. the canonical request: method, URI ``/``, empty query, the canonical
   headers ``content-type`` and ``host`` (lower-case names, one a line), the
   signed header names ``content-type;host``, and the hex SHA-256 of the body;
2. the string to sign: ``TC3-HMAC-SHA256``, the timestamp, the credential
   scope ``<UTC date>/<service>/tc3_request`` and the hex SHA-256 of step 1;
3. the signing key, derived from the SecretKey by HMAC-SHA256 chained over
   the date, the service and ``tc3_request``; the signature is the hex
   HMAC-SHA256 of step 2 under that key;
4. the ``Authorization`` header naming the SecretId, the scope and the
   signed headers, sent with ``X-TC-Action``, ``X-TC-Timestamp``,
   ``X-TC-Version`` and ``X-TC-Region``.

The date is the UTC date of the timestamp (a local date breaks every call
made just after local midnight), and Tencent refuses timestamps more than
five minutes from its clock. Pure: standard library only; the timestamp is a
parameter, so the example is reproducible.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime

ALGORITHM = "TC3-HMAC-SHA256"
SIGNED_HEADERS = "content-type;host"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True, slots=True)
class TencentCredentials:
    """A Tencent Cloud API key pair; the SecretKey never appears in a repr."""

    secret_id: str
    secret_key: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One POST of an API 3.0 action: what is signed, apart from the time and the key."""

    service: str
    host: str
    action: str
    version: str
    region: str
    payload: bytes
    content_type: str = JSON_CONTENT_TYPE


def canonical_request(call: ApiCall) -> str:
    """Step 1: the canonical request of a POST with ``content-type;host`` signed."""
    canonical_headers = f"content-type:{call.content_type}\nhost:{call.host}\n"
    payload_hash = hashlib.sha256(call.payload).hexdigest()
    return "\n".join(["POST", "/", "", canonical_headers, SIGNED_HEADERS, payload_hash])


def credential_scope(timestamp: int, service: str) -> str:
    """``<UTC date>/<service>/tc3_request`` for a call made at ``timestamp``."""
    return f"{_utc_date(timestamp)}/{service}/tc3_request"


def string_to_sign(call: ApiCall, timestamp: int) -> str:
    """Step 2: what the derived key signs."""
    hashed_request = hashlib.sha256(canonical_request(call).encode("utf-8")).hexdigest()
    scope = credential_scope(timestamp, call.service)
    return "\n".join([ALGORITHM, str(timestamp), scope, hashed_request])


def signature(secret_key: str, call: ApiCall, timestamp: int) -> str:
    """Step 3: the hex signature of ``call`` at ``timestamp`` under ``secret_key``."""
    secret_date = _hmac(("TC3" + secret_key).encode("utf-8"), _utc_date(timestamp))
    secret_service = _hmac(secret_date, call.service)
    secret_signing = _hmac(secret_service, "tc3_request")
    signed = string_to_sign(call, timestamp).encode("utf-8")
    return hmac.new(secret_signing, signed, hashlib.sha256).hexdigest()


def authorization(credentials: TencentCredentials, call: ApiCall, timestamp: int) -> str:
    """Step 4: the ``Authorization`` header value."""
    scope = credential_scope(timestamp, call.service)
    return (
        f"{ALGORITHM} Credential={credentials.secret_id}/{scope}, "
        f"SignedHeaders={SIGNED_HEADERS}, "
        f"Signature={signature(credentials.secret_key, call, timestamp)}"
    )


def signed_headers(
    credentials: TencentCredentials, call: ApiCall, timestamp: int
) -> dict[str, str]:
    """Every header the request needs, ``Host`` included so that what is sent is what was signed."""
    return {
        "Authorization": authorization(credentials, call, timestamp),
        "Content-Type": call.content_type,
        "Host": call.host,
        "X-TC-Action": call.action,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Version": call.version,
        "X-TC-Region": call.region,
    }


def _utc_date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()
