"""Aliyun's RPC calls: the request signature ("POP", version 1.0, HMAC-SHA1) and the answer.

Every Dysms call (``SendSms``, ``QuerySendDetails``) is an RPC-style request
whose parameters carry their own signature, computed exactly as Aliyun
documents it (help.aliyun.com/document_detail/101343, "HTTP协议及签名")::

    canonical     = "&".join(enc(name) + "=" + enc(value) for name, value in sorted(params))
    StringToSign  = METHOD + "&" + enc("/") + "&" + enc(canonical)
    Signature     = base64(HMAC-SHA1(key=AccessKeySecret + "&", StringToSign))

where ``enc`` is RFC 3986 percent-encoding of the UTF-8 bytes: only
``A-Z a-z 0-9 - _ . ~`` stay as they are, a space is ``%20`` (never ``+``)
and ``*`` is ``%2A``. ``Signature`` itself is never among the signed
parameters. The documented example (``testId``/``testSecret``, signature
``zJDF+Lrzhj/ThnlvIToysFRq6t4=``) is reproduced by the unit tests.

The signing is a pure function of its inputs; the time and the nonce come
from callables so that a signed request is reproducible in tests.
``RpcClient`` POSTs the signed parameters as a form body (which keeps
message text out of URLs, and so out of proxy access logs) through the
shared transport boundary and reads Aliyun's JSON answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from smsgate.carriers.base import OutcomeUnknown, PermanentCarrierError, RetryableCarrierError
from smsgate.carriers.transport import exchange, retryable_status

SIGNATURE_METHOD = "HMAC-SHA1"
SIGNATURE_VERSION = "1.0"

#: The only characters RFC 3986 leaves unescaped besides letters and digits.
_UNRESERVED = "-_.~"

Clock = Callable[[], datetime]
Nonce = Callable[[], str]


def percent_encode(value: str) -> str:
    """``value`` percent-encoded as Aliyun signs it (``%20`` for space, ``%2A``, ``~`` kept)."""
    return quote(value, safe=_UNRESERVED)


def canonical_query(params: Mapping[str, str]) -> str:
    """The parameters sorted by name and joined as ``enc(name)=enc(value)&…``.

    Raises ``ValueError`` if ``params`` already holds a ``Signature``: it is
    never part of what is signed.
    """
    if "Signature" in params:
        raise ValueError("the Signature parameter is never part of the signed parameters")
    return "&".join(
        f"{percent_encode(name)}={percent_encode(value)}" for name, value in sorted(params.items())
    )


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """``METHOD&%2F&<enc(canonical query)>``: the text the HMAC is computed over."""
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def signature(text: str, access_key_secret: str) -> str:
    """Base64 of HMAC-SHA1 over ``text`` keyed with ``access_key_secret + "&"``."""
    key = f"{access_key_secret}&".encode()
    return base64.b64encode(hmac.new(key, text.encode(), hashlib.sha1).digest()).decode("ascii")


def form_body(params: Mapping[str, str]) -> bytes:
    """``params`` (signature included) as an ``application/x-www-form-urlencoded`` body."""
    pairs = (f"{percent_encode(name)}={percent_encode(value)}" for name, value in params.items())
    return "&".join(pairs).encode("ascii")


def utc_timestamp(moment: datetime) -> str:
    """``moment`` as the ``Timestamp`` parameter wants it: ``2017-07-12T02:42:19Z`` (UTC)."""
    if moment.tzinfo is None:
        raise ValueError(f"a request timestamp needs an aware datetime, got naive {moment!r}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def random_nonce() -> str:
    """A fresh ``SignatureNonce``: a random UUID, as Aliyun recommends."""
    return str(uuid.uuid4())


def utc_now() -> datetime:
    """The current time, aware, in UTC: the default clock."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RpcSigner:
    """Signs the RPC calls of one Aliyun product version with one AccessKey pair.

    The secret is left out of ``repr`` so that it can never reach a log line
    or a traceback through this object.
    """

    access_key_id: str
    access_key_secret: str = field(repr=False)
    version: str
    region_id: str
    clock: Clock = utc_now
    nonce: Nonce = random_nonce

    def signed_params(self, method: str, action: str, params: Mapping[str, str]) -> dict[str, str]:
        """``params`` with Aliyun's common parameters added and ``Signature`` last.

        Raises ``ValueError`` if ``params`` tries to set a common parameter.
        """
        common = self.common_params(action)
        clash = sorted(set(common) & set(params))
        if clash:
            raise ValueError(f"{', '.join(clash)} are common parameters and set by the signer")
        unsigned = {**common, **params}
        secret = self.access_key_secret
        return {**unsigned, "Signature": signature(string_to_sign(method, unsigned), secret)}

    def common_params(self, action: str) -> dict[str, str]:
        """The parameters every RPC call carries, with a fresh nonce and the current time."""
        return {
            "AccessKeyId": self.access_key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": self.region_id,
            "SignatureMethod": SIGNATURE_METHOD,
            "SignatureNonce": self.nonce(),
            "SignatureVersion": SIGNATURE_VERSION,
            "Timestamp": utc_timestamp(self.clock()),
            "Version": self.version,
        }


class RpcClient:
    """Signed RPC calls to one Aliyun endpoint, each answered with Aliyun's JSON object."""

    def __init__(self, client: httpx.AsyncClient, endpoint: str, signer: RpcSigner) -> None:
        self._client = client
        self._endpoint = endpoint
        self._signer = signer

    async def call(self, action: str, params: Mapping[str, str]) -> dict[str, Any]:
        """The answer to ``action``, which has a ``Code`` (``OK`` or a refusal).

        Raises ``RetryableCarrierError`` when nothing reached Aliyun or it was
        busy (429, 5xx), ``OutcomeUnknown`` when it may have acted but no
        readable answer came, and ``PermanentCarrierError`` for an unreadable
        refusal (another 4xx).
        """
        body = form_body(self._signer.signed_params("POST", action, params))
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        response = await exchange(
            self._client, "POST", self._endpoint, content=body, headers=headers
        )
        answer = _json_object(response)
        code = answer.get("Code")
        status = f"{action}: HTTP {response.status_code}"
        if retryable_status(response):
            code = code if isinstance(code, str) and code else f"http_{response.status_code}"
            raise RetryableCarrierError(status, code=code)
        if isinstance(code, str) and code:
            return answer
        if response.is_success:
            raise OutcomeUnknown(f"{status} without a readable answer")
        raise PermanentCarrierError(status, code=f"http_{response.status_code}")


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except (ValueError, UnicodeDecodeError):
        return {}
    return answer if isinstance(answer, dict) else {}
