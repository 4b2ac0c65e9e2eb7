"""The generic ``http`` carrier: one signed JSON POST per message, signed JSON pushes back.

An agency's in-house gateway or a regional channel without an adapter of its
own only has to speak this small contract. It is fixed: peers (and the test
sink) are built against it, so extend it, never rename.

Send: ``POST {url}`` with::

    {"reference": "msg_…-1", "to": "+8613800138000", "text": "【安信消费金融】…",
     "segments": 1, "encoding": "ucs2" | "gsm7", "creditor": "acme"}

and the headers ``Content-Type: application/json``, ``Idempotency-Key:
<reference>`` (the same for a repeat of the same attempt) and the
``X-Smsgate-Timestamp`` / ``X-Smsgate-Signature`` pair of ``smsgate.signing``
made with the configured ``secret``. The answer means:

- 2xx with ``{"id": "<carrier message id>"}``: accepted;
- 2xx with anything else: ``OutcomeUnknown`` (the peer may have taken it);
- 408, 425, 429, 5xx: ``RetryableCarrierError``, code ``http_<status>``;
- any other status: ``PermanentCarrierError``, code = the body's ``"code"``
  if it is a JSON object with one, else ``http_<status>``.

Callbacks: the peer POSTs, signed with the same secret and scheme, delivery
reports ``{"reports": [{"id"?, "reference"?, "status": "delivered"|"failed"|
"accepted", "code"?, "at"?}]}`` and replies ``{"messages": [{"from", "text",
"id"?, "at"?, "to"?}]}`` (``at`` in RFC 3339); we answer 200 ``{"ok":true}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from smsgate.carriers import options
from smsgate.carriers.base import (
    CarrierAdapter,
    OutboundSms,
    OutcomeUnknown,
    PermanentCarrierError,
    RetryableCarrierError,
    SendResult,
)
from smsgate.carriers.callbacks import (
    CallbackRejected,
    CallbackReply,
    CallbackRequest,
    CarrierCallbacks,
    DeliveryReport,
    DeliveryState,
    InboundSms,
    MalformedCallback,
)
from smsgate.carriers.registry import InvalidCarrierConfig, allow_only
from smsgate.carriers.transport import exchange, retryable_status
from smsgate.signing import (
    DEFAULT_TOLERANCE_SECONDS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureInvalid,
    signature_headers,
    verify,
)

Clock = Callable[[], datetime]

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _unix(at: datetime) -> int:
    return int(at.timestamp())


@dataclass(frozen=True, slots=True)
class HttpJsonSettings:
    """Where to send and the shared secret that signs both directions (never shown in repr)."""

    url: str
    secret: bytes = field(repr=False)
    name: str = "http"
    timeout_seconds: float = 10.0


class HttpJsonCarrier:
    """A ``CarrierAdapter`` (and ``ReceivesCallbacks``) for the generic JSON webhook contract.

    It owns its ``httpx.AsyncClient`` (an injected one included) and closes it in ``aclose``.
    """

    def __init__(
        self,
        settings: HttpJsonSettings,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Clock = _utc_now,
    ) -> None:
        self._settings = settings
        self._client = client or httpx.AsyncClient(timeout=settings.timeout_seconds)
        self._clock = clock
        self._callbacks = HttpJsonCallbacks(settings.secret, clock=clock)

    @property
    def name(self) -> str:
        return self._settings.name

    @property
    def callbacks(self) -> CarrierCallbacks:
        return self._callbacks

    async def send(self, message: OutboundSms) -> SendResult:
        body = request_body(message)
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.client_reference,
            **signature_headers(self._settings.secret, body, _unix(self._clock())),
        }
        response = await exchange(
            self._client, "POST", self._settings.url, content=body, headers=headers
        )
        return SendResult(self.name, self._clock(), carrier_message_id(response))

    async def aclose(self) -> None:
        await self._client.aclose()


def request_body(message: OutboundSms) -> bytes:
    """The JSON body of the send request for ``message``, as UTF-8 bytes (what is signed)."""
    document = {
        "reference": message.client_reference,
        "to": message.phone,
        "text": message.text,
        "segments": message.segments,
        "encoding": message.encoding.value,
        "creditor": message.creditor_id,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def carrier_message_id(response: httpx.Response) -> str:
    """The peer's id for an accepted message; raises the ``CarrierError`` any other answer means."""
    status = response.status_code
    if retryable_status(response):
        raise RetryableCarrierError(f"the peer answered {status}", code=f"http_{status}")
    if not 200 <= status < 300:
        code = _refusal_code(response)
        raise PermanentCarrierError(f"the peer refused with {status} ({code})", code=code)
    answer = _json_or_none(response.content)
    if isinstance(answer, dict) and isinstance(answer.get("id"), str) and answer["id"]:
        return str(answer["id"])
    # A 2xx says the peer took the request; without an id we cannot tell what it did with it.
    raise OutcomeUnknown(f"the peer answered {status} without an id", code=f"http_{status}")


def _refusal_code(response: httpx.Response) -> str:
    answer = _json_or_none(response.content)
    code = answer.get("code") if isinstance(answer, dict) else None
    return code if isinstance(code, str) and code else f"http_{response.status_code}"


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:  # also UnicodeDecodeError
        return None


class HttpJsonCallbacks:
    """Checks a peer's signed pushes and reads its delivery reports and replies."""

    def __init__(
        self,
        secret: bytes,
        *,
        clock: Clock = _utc_now,
        tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    ) -> None:
        self._secret = secret
        self._clock = clock
        self._tolerance_seconds = tolerance_seconds

    def authenticate(self, request: CallbackRequest) -> None:
        """Raise ``CallbackRejected`` unless the body is signed with our secret, recently."""
        try:
            verify(
                self._secret,
                request.header(TIMESTAMP_HEADER),
                request.header(SIGNATURE_HEADER),
                request.body,
                _unix(self._clock()),
                self._tolerance_seconds,
            )
        except SignatureInvalid as error:
            raise CallbackRejected(f"signature refused: {error}") from error

    def delivery_reports(self, request: CallbackRequest) -> list[DeliveryReport]:
        """Every report of a ``{"reports": [...]}`` push; raises ``MalformedCallback``."""
        return [_delivery_report(item) for item in _batch(request.body, "reports")]

    def inbound_messages(self, request: CallbackRequest) -> list[InboundSms]:
        """Every reply of a ``{"messages": [...]}`` push; raises ``MalformedCallback``."""
        return [_inbound_sms(item) for item in _batch(request.body, "messages")]

    def reply(self) -> CallbackReply:
        return CallbackReply()


def _batch(body: bytes, key: str) -> list[Mapping[str, Any]]:
    document = _json_or_none(body)
    items = document.get(key) if isinstance(document, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise MalformedCallback(f"expected a JSON object whose {key!r} is a list of objects")
    return items


def _delivery_report(item: Mapping[str, Any]) -> DeliveryReport:
    status = item.get("status")
    if not isinstance(status, str) or status not in set(DeliveryState):
        raise MalformedCallback(f"report status {status!r} is not delivered, failed or accepted")
    carrier_id, reference = _text(item, "id"), _text(item, "reference")
    if not (carrier_id or reference):
        raise MalformedCallback("a report needs an 'id' or a 'reference'")
    return DeliveryReport(
        DeliveryState(status),
        carrier_message_id=carrier_id,
        client_reference=reference,
        error_code=_text(item, "code") or "",
        reported_at=_instant(item, "at"),
    )


def _inbound_sms(item: Mapping[str, Any]) -> InboundSms:
    phone, text = item.get("from"), item.get("text")
    if not isinstance(phone, str) or not _E164.fullmatch(phone):
        raise MalformedCallback("a reply needs 'from' in E.164 (+8613800138000)")
    if not isinstance(text, str):
        raise MalformedCallback("a reply needs a 'text' string")
    return InboundSms(
        phone,
        text,
        received_at=_instant(item, "at"),
        carrier_message_id=_text(item, "id"),
        extension=_text(item, "to") or "",
    )


def _text(item: Mapping[str, Any], key: str) -> str | None:
    value = item.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MalformedCallback(f"{key!r} must be a string")
    return value


def _instant(item: Mapping[str, Any], key: str) -> datetime | None:
    value = _text(item, key)
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise MalformedCallback(f"{key!r} is not an RFC 3339 time") from None
    if at.tzinfo is None:
        raise MalformedCallback(f"{key!r} needs a UTC offset (RFC 3339)")
    return at


def create_http(config: Mapping[str, Any]) -> CarrierAdapter:
    """The ``http`` adapter from ``url`` (required), ``secret`` (required) and ``timeout_seconds``.

    Raises ``InvalidCarrierConfig`` for unknown, missing or ill-typed settings.
    """
    allow_only(config, "http", {"url", "secret", "timeout_seconds"})
    name = config.get("name", "http")
    if not isinstance(name, str) or not name:
        raise InvalidCarrierConfig(f"carrier 'http': name must be a non-empty string, got {name!r}")
    settings = HttpJsonSettings(
        url=_url(config.get("url"), name),
        secret=_secret(config.get("secret"), name),
        name=name,
        timeout_seconds=options.positive_seconds(config.get("timeout_seconds", 10), name),
    )
    return HttpJsonCarrier(settings)


def _url(value: Any, name: str) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidCarrierConfig(f"carrier {name!r} needs an http(s) url, got {value!r}")
    return str(value)


def _secret(value: Any, name: str) -> bytes:
    if isinstance(value, bytes) and value:
        return value
    return options.secret(value, name, "secret").encode("utf-8")
