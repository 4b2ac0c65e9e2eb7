"""The ``kannel`` carrier: our own Kannel in front of the SMSCs, reached through ``sendsms``.

Each message is one smsbox ``sendsms`` request (GET, or POST with
``X-Kannel-*`` headers, which keeps the password out of URLs and access
logs); smsbox answers ``202 0: Accepted for delivery`` or ``202 3: Queued
for later delivery`` and no message id. So every request carries a
``dlr-url`` naming our attempt, which Kannel calls (GET) for each report
that ``dlr-mask`` asks for::

    {callback_url}?ref={message_id}-{attempt}&status=%d&answer=%A&ts=%T&smsc=%i&token={token}

Kannel fills in ``%d`` (1 delivered, 2 failed, 4 buffered, 8 SMSC accepted,
16 SMSC rejected), ``%A`` (the SMSC's words: ``stat:DELIVRD err:000 …``),
``%T`` (unix time) and ``%i`` (SMSC id). It reads *every* ``%x`` as a code,
so our own values are percent-encoded with each ``%`` doubled (``%%``).

Replies (MO) come through an smsbox ``sms-service``, which the operator adds
to ``kannel.conf``; ``mo-recode`` turns UCS-2 replies (退订) into UTF-8,
``max-messages = 0`` stops smsbox texting our HTTP answer back, and ``%b``
is the whole text (``%a`` would squeeze its spaces)::

    group = smsbox
    mo-recode = true
    group = sms-service
    keyword = default
    catch-all = true
    max-messages = 0
    get-url = "https://gw.example/v1/mo/kannel?token=TOKEN&from=%p&to=%P&text=%b&ts=%T&id=%I&coding=%c"

Both callbacks carry the ``token`` (compared in constant time) and may be
limited to ``allowed_ips``. Settings (``password`` and ``callback_token``
are secrets: ``SMSGATE_CARRIER_<NAME>_PASSWORD`` / ``…_CALLBACK_TOKEN``)::

    url = "http://127.0.0.1:13013/cgi-bin/sendsms"   username = "smsgate"
    callback_url = "https://gw.example/v1/dlr/kannel"  method = "GET" | "POST"
    sender = "10690001"  smsc = "cmcc"  priority = 0..3  dlr_mask = 31  timeout = 10
    number_format = "international" (8613800138000, default) | "e164" | "national"
    country_code = "86"  allowed_ips = ["10.0.0.0/24"]

Reading both callbacks is ``kannel.callbacks``' work (``KannelCallbacks``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn
from urllib.parse import quote

import httpx
import phonenumbers
import structlog

from smsgate.carriers import options
from smsgate.carriers.base import (
    OutboundSms,
    PermanentCarrierError,
    RetryableCarrierError,
    SendResult,
)
from smsgate.carriers.echo import carrier_text
from smsgate.carriers.kannel.callbacks import KannelCallbacks
from smsgate.carriers.options import IPNetwork
from smsgate.carriers.registry import InvalidCarrierConfig, allow_only
from smsgate.carriers.transport import exchange, retryable_status
from smsgate.core.sms import Encoding
from smsgate.logs import mask_phone

_log = structlog.get_logger("smsgate.carriers")

#: Kannel's ``coding``: 0 is 7-bit (the SMSC converts to GSM), 2 is UCS-2.
CODING = {Encoding.GSM7: "0", Encoding.UCS2: "2"}
#: The headers smsbox reads a POSTed message's fields from (the charset is in Content-Type).
POST_HEADERS = {
    "username": "X-Kannel-Username",
    "password": "X-Kannel-Password",
    "to": "X-Kannel-To",
    "from": "X-Kannel-From",
    "coding": "X-Kannel-Coding",
    "dlr-mask": "X-Kannel-DLR-Mask",
    "dlr-url": "X-Kannel-DLR-URL",
    "smsc": "X-Kannel-SMSC",
    "priority": "X-Kannel-Priority",
}
NUMBER_FORMATS = ("international", "e164", "national")
Clock = Callable[[], datetime]

_URL_SAFE_TOKEN = re.compile(r"[A-Za-z0-9._~-]{16,}")
_KNOWN = {
    "url", "username", "password", "callback_url", "callback_token", "method", "sender",
    "smsc", "priority", "number_format", "country_code", "dlr_mask", "timeout", "allowed_ips",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class KannelSettings:
    """One Kannel account's settings, validated (see the module docstring)."""

    url: str
    username: str
    password: str = field(repr=False)
    callback_url: str
    callback_token: str = field(repr=False)
    method: str = "GET"
    sender: str = ""
    smsc: str = ""
    priority: int | None = None
    number_format: str = "international"
    country_code: str = "86"
    dlr_mask: int = 31
    timeout: float = 10.0
    allowed_networks: tuple[IPNetwork, ...] = ()


class KannelCarrier:
    """A ``CarrierAdapter`` (and ``ReceivesCallbacks``) sending through one smsbox."""

    def __init__(
        self,
        settings: KannelSettings,
        *,
        name: str = "kannel",
        client: httpx.AsyncClient | None = None,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self._settings = settings
        self._name = name
        self._client = client or httpx.AsyncClient(timeout=settings.timeout)
        self._clock = clock
        region = phonenumbers.region_code_for_country_code(int(settings.country_code))
        self._callbacks = KannelCallbacks(
            settings.callback_token, settings.allowed_networks, region
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def callbacks(self) -> KannelCallbacks:
        return self._callbacks

    async def send(self, message: OutboundSms) -> SendResult:
        """Hand ``message`` to smsbox; raises the ``CarrierError`` family (see ``read_answer``)."""
        fields = sendsms_fields(self._settings, message)
        url = self._settings.url
        if self._settings.method == "POST":
            body, headers = post_request(fields)
            response = await exchange(self._client, "POST", url, content=body, headers=headers)
        else:
            response = await exchange(self._client, "GET", url, params=fields)
        read_answer(response, message)
        if response.text.startswith("3:"):  # taken, but no SMSC could take it yet
            _log.info("kannel_queued", carrier=self._name, reference=message.client_reference)
        return SendResult(self._name, self._clock())

    async def aclose(self) -> None:
        await self._client.aclose()


def sendsms_fields(settings: KannelSettings, message: OutboundSms) -> dict[str, str]:
    """The ``sendsms`` parameters for ``message`` (GET query names; POST sends them as headers)."""
    fields = {
        "username": settings.username,
        "password": settings.password,
        "to": recipient(message.phone, settings.number_format, settings.country_code),
        "text": message.text,
        "charset": "UTF-8",
        "coding": CODING[message.encoding],
        "dlr-mask": str(settings.dlr_mask),
        "dlr-url": dlr_url(
            settings.callback_url, message.client_reference, settings.callback_token
        ),
    }
    optional = {"from": settings.sender, "smsc": settings.smsc, "priority": settings.priority}
    fields.update({key: str(value) for key, value in optional.items() if value not in ("", None)})
    return fields


def post_request(fields: Mapping[str, str]) -> tuple[bytes, dict[str, str]]:
    """The POST form of ``fields``: the text as a UTF-8 body, the rest as ``X-Kannel-*`` headers."""
    headers = {"Content-Type": "text/plain; charset=UTF-8"}
    for key, value in fields.items():
        if key in POST_HEADERS:
            headers[POST_HEADERS[key]] = value
    return fields["text"].encode(), headers


def dlr_url(callback_url: str, client_reference: str, token: str) -> str:
    """The ``dlr-url`` for one attempt: our values escaped so Kannel substitutes only its codes."""
    separator = "&" if "?" in callback_url else "?"
    return (
        f"{_literal(callback_url)}{separator}ref={_literal(quote(client_reference, safe=''))}"
        f"&status=%d&answer=%A&ts=%T&smsc=%i&token={_literal(quote(token, safe=''))}"
    )


def recipient(phone: str, number_format: str, country_code: str) -> str:
    """``phone`` (E.164) as the SMSC behind Kannel expects it; raises ``PermanentCarrierError``."""
    digits = phone.removeprefix("+")
    if not (phone.startswith("+") and digits.isascii() and digits.isdigit()):
        raise PermanentCarrierError(f"{mask_phone(phone)} is not E.164", code="invalid_phone")
    if number_format == "e164":
        return phone
    if number_format == "national":
        # A foreign number keeps its country code behind the international prefix.
        return (
            digits.removeprefix(country_code) if digits.startswith(country_code) else f"00{digits}"
        )
    return digits


def read_answer(response: httpx.Response, message: OutboundSms) -> None:
    """Return if smsbox took the message (2xx: accepted or queued), else raise.

    503 ("Temporal failure"), other 5xx, 408 and 429 raise ``RetryableCarrierError``;
    403 ("Authorization failed", "Not routable"), 400 (a field Kannel refuses)
    and anything else raise ``PermanentCarrierError``. ``code`` is the HTTP status.
    """
    if response.is_success:
        return
    answer = carrier_text(response.text, echoes=(message.text, message.phone))
    reason = f"Kannel refused {message.client_reference}: {response.status_code} {answer}"
    _log.warning(
        "kannel_refused",
        reference=message.client_reference,
        status=response.status_code,
        answer=answer,
    )
    if retryable_status(response):
        raise RetryableCarrierError(reason, code=str(response.status_code))
    raise PermanentCarrierError(reason, code=str(response.status_code))


def create_kannel(config: Mapping[str, Any]) -> KannelCarrier:
    """The ``kannel`` adapter from its settings; raises ``InvalidCarrierConfig`` for bad ones."""
    return KannelCarrier(parse_settings(config), name=str(config.get("name", "kannel")))


def parse_settings(config: Mapping[str, Any]) -> KannelSettings:
    """Validated ``KannelSettings``; values from the environment arrive as strings and are read."""
    allow_only(config, "kannel", _KNOWN)
    name = str(config.get("name", "kannel"))
    method = _text(config, "method", "GET").upper()
    number_format = _text(config, "number_format", "international")
    token = options.callback_token(config.get("callback_token"), name, required=True) or ""
    if not _URL_SAFE_TOKEN.fullmatch(token):
        _invalid("callback_token must be 16 or more of A-Z a-z 0-9 . _ ~ - (it sits in URLs)")
    if method not in ("GET", "POST"):
        _invalid(f"method must be GET or POST, got {method!r}")
    if number_format not in NUMBER_FORMATS:
        _invalid(f"number_format must be one of {', '.join(NUMBER_FORMATS)}")
    return KannelSettings(
        url=_url(config, "url"),
        username=_text(config, "username"),
        password=options.secret(config.get("password"), name, "password"),
        callback_url=_url(config, "callback_url"),
        callback_token=token,
        method=method,
        sender=_text(config, "sender", ""),
        smsc=_text(config, "smsc", ""),
        priority=_whole(config, "priority", 0, 3),
        number_format=number_format,
        country_code=_country_code(config),
        dlr_mask=_whole(config, "dlr_mask", 1, 63) or 31,
        timeout=options.positive_seconds(config.get("timeout", 10.0), name, "timeout"),
        allowed_networks=options.networks(config.get("allowed_ips", ()), name),
    )


def _literal(value: str) -> str:
    return value.replace("%", "%%")


def _invalid(problem: str) -> NoReturn:
    raise InvalidCarrierConfig(f"carrier 'kannel': {problem}")


def _text(config: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = config.get(key, default)
    if value is None:
        _invalid(f"{key} is required")
    if not isinstance(value, str) or (default is None and not value.strip()):
        _invalid(f"{key} must be a non-empty string")
    return str(value).strip()


def _url(config: Mapping[str, Any], key: str) -> str:
    url = _text(config, key)
    if not url.startswith(("http://", "https://")):
        _invalid(f"{key} must be an http:// or https:// URL")
    return url


def _country_code(config: Mapping[str, Any]) -> str:
    code = _whole(config, "country_code", 1, 999) or 86
    if phonenumbers.region_code_for_country_code(code) == "ZZ":
        _invalid(f"country_code {code} is not a country calling code")
    return str(code)


def _whole(config: Mapping[str, Any], key: str, low: int, high: int) -> int | None:
    value = config.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _invalid(f"{key} must be a whole number from {low} to {high}, got {value!r}")
    return int(value)
