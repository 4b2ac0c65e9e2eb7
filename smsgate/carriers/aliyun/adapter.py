"""The ``aliyun`` carrier: Aliyun Dysms (短信服务, API version 2017-05-25) over HTTPS.

Aliyun only sends texts from templates registered and approved in its own
console, each under an approved sign name (签名). So an operator registers,
for each of our approved templates, an Aliyun template whose whole text is
one variable (``${content}``), and maps ours to it in the settings; the
adapter then sends our final, already vetted text as that variable and the
message's 【signature】 as ``SignName``::

    [carriers.aliyun-main]   # secrets come from the environment: SMSGATE_CARRIER_ALIYUN_MAIN_
    kind = "aliyun"          # ACCESS_KEY_SECRET, and …_CALLBACK_TOKEN (?token=… in the push URLs)
    access_key_id = "LTAI…"
    sign_names = {"安信消费金融" = "安信消费金融"}
    templates = {"tpl_8f2c" = {code = "SMS_123456789", param = "content"}}

``SendSms`` carries ``OutId = {message_id}-{attempt}``, which Aliyun echoes
in delivery reports (``out_id``) and in ``QuerySendDetails``, so an attempt
whose outcome was unknown can be reconciled (``look_up``). Aliyun's refusal
codes become the ``CarrierError`` family below; callbacks are in
``aliyun.callbacks``, request signing and answer reading in ``aliyun.signing``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog

from smsgate.carriers import options
from smsgate.carriers.aliyun.callbacks import CHINA_TIME, AliyunCallbacks
from smsgate.carriers.aliyun.signing import (
    Clock,
    Nonce,
    RpcClient,
    RpcSigner,
    random_nonce,
    utc_now,
)
from smsgate.carriers.base import (
    CarrierError,
    OutboundSms,
    OutcomeUnknown,
    PermanentCarrierError,
    RetryableCarrierError,
    SendResult,
)
from smsgate.carriers.callbacks import Lookup, LookupAnswer
from smsgate.carriers.echo import CARRIER_CODE_LIMIT, carrier_text
from smsgate.carriers.options import IPNetwork
from smsgate.carriers.registry import InvalidCarrierConfig, allow_only
from smsgate.logs import mask_phone

API_VERSION = "2017-05-25"
DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
_ACCOUNT = {"access_key_id", "access_key_secret", "endpoint", "region_id", "timeout_seconds"}
SETTINGS = frozenset(_ACCOUNT | {"sign_names", "templates", "callback_token", "allowed_ips"})

#: QuerySendDetails pages: its maximum page size, and how many pages we read at most.
PAGE_SIZE = 50
MAX_PAGES = 10

#: Refusals that say nothing against the message, so sending it again later or
#: through another carrier account is the right move.
RETRYABLE_CODES = frozenset(
    # Aliyun's own trouble
    {"isp.SYSTEM_ERROR", "isv.SYSTEM_ERROR", "InternalError", "ServiceUnavailable"}
    # throttling: per API, per number and sign name, the account's daily or monthly cap
    | {"Throttling", "Throttling.User", "Throttling.Api", "isv.BUSINESS_LIMIT_CONTROL"}
    | {"isv.DAY_LIMIT_CONTROL", "isv.MONTH_LIMIT_CONTROL"}
    # our account: balance, subscription, keys, clock, permissions
    | {"isv.OUT_OF_SERVICE", "isv.AMOUNT_NOT_ENOUGH", "isv.ACCOUNT_NOT_EXISTS"}
    | {"isv.ACCOUNT_ABNORMAL", "isv.PRODUCT_UN_SUBSCRIPT", "isv.PRODUCT_UNSUBSCRIBE"}
    | {"isp.RAM_PERMISSION_DENY", "SignatureDoesNotMatch", "InvalidTimeStamp.Expired"}
    | {"InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive"}
    # we call from outside the mainland: a fault of where we run, not of the message
    | {"isv.DENY_IP_RANGE"}
)

#: Our nonces are random UUIDs, so a "used" nonce means an earlier copy of this
#: very request (replayed by a proxy) reached Aliyun and may have been accepted.
UNKNOWN_OUTCOME_CODES = frozenset({"SignatureNonceUsed"})

_log = structlog.get_logger("smsgate.carriers")


@dataclass(frozen=True, slots=True)
class AliyunTemplate:
    """The Aliyun template that sends one of ours, and the variable our text goes in."""

    code: str
    param: str


@dataclass(frozen=True, slots=True)
class AliyunSettings:
    """One Dysms account's settings, validated; secrets stay out of ``repr``."""

    name: str
    access_key_id: str
    access_key_secret: str = field(repr=False)
    endpoint: str = DEFAULT_ENDPOINT
    region_id: str = "cn-hangzhou"
    sign_names: Mapping[str, str] = field(default_factory=dict)
    templates: Mapping[str, AliyunTemplate] = field(default_factory=dict)
    callback_token: str | None = field(default=None, repr=False)
    allowed_networks: tuple[IPNetwork, ...] = ()
    timeout_seconds: float = 10.0


class AliyunCarrier:
    """A ``CarrierAdapter`` (and ``QueriesStatus``, ``ReceivesCallbacks``) for one Dysms account.

    It owns its ``httpx.AsyncClient`` (over ``transport``, if given) unless a
    ``client`` is given, and closes only the one it owns in ``aclose``.
    """

    def __init__(
        self,
        settings: AliyunSettings,
        *,
        client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = utc_now,
        nonce: Nonce = random_nonce,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            transport=transport, timeout=settings.timeout_seconds
        )
        signer = RpcSigner(
            settings.access_key_id,
            settings.access_key_secret,
            version=API_VERSION,
            region_id=settings.region_id,
            clock=clock,
            nonce=nonce,
        )
        self._rpc = RpcClient(self._client, settings.endpoint, signer)
        self._callbacks = AliyunCallbacks(
            token=settings.callback_token, allowed_networks=settings.allowed_networks
        )

    @property
    def name(self) -> str:
        return self._settings.name

    @property
    def callbacks(self) -> AliyunCallbacks:
        """How this account's SmsReport and SmsUp pushes are authenticated and read."""
        return self._callbacks

    async def send(self, message: OutboundSms) -> SendResult:
        """Send ``message`` with ``SendSms``; raises the ``CarrierError`` family only."""
        answer = await self._rpc.call("SendSms", self._send_params(message))
        code = answer.get("Code")
        if code != "OK":
            raise self._refusal(answer, f"SendSms of {message.message_id}")
        biz_id = answer.get("BizId")
        return SendResult(self.name, self._clock(), str(biz_id) if biz_id else None)

    async def look_up(self, attempt_reference: str, phone: str, sent_on: datetime) -> Lookup:
        """Whether Aliyun has the attempt whose ``OutId`` is ``attempt_reference``.

        ``QuerySendDetails`` lists one number's messages of one China-time day
        (the day of ``sent_on``, and the next one too when ``sent_on`` is in
        the last minutes before midnight). Its rows carry ``OutId`` but not the
        ``BizId``, so an accepted attempt comes back without a carrier message
        id; its delivery report still matches by ``out_id``. Raises a
        ``CarrierError`` when Aliyun does not answer, refuses, or lists more
        than ``MAX_PAGES`` pages (then it cannot tell); ``ValueError`` for a
        naive ``sent_on``.
        """
        if sent_on.tzinfo is None:
            raise ValueError(f"look_up needs an aware sent_on, got naive {sent_on!r}")
        number = aliyun_number(phone)
        for day in _send_days(sent_on):
            if await self._listed(number, day, attempt_reference):
                return Lookup(LookupAnswer.ACCEPTED)
        return Lookup(LookupAnswer.NOT_FOUND)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    def _send_params(self, message: OutboundSms) -> dict[str, str]:
        template = self._template(message)
        sign_name = self._settings.sign_names.get(message.signature, message.signature)
        if not sign_name:
            raise PermanentCarrierError(
                f"{message.message_id} has no 【signature】 to send as SignName",
                code="unmapped_signature",
            )
        param = json.dumps({template.param: message.body}, ensure_ascii=False)
        return {
            "PhoneNumbers": aliyun_number(message.phone),
            "SignName": sign_name,
            "TemplateCode": template.code,
            "TemplateParam": param,
            "OutId": message.client_reference,
        }

    def _template(self, message: OutboundSms) -> AliyunTemplate:
        template = self._settings.templates.get(message.template_id)
        if template is None:
            raise PermanentCarrierError(
                f"template {message.template_id!r} of {message.message_id} has no Aliyun "
                f"template in the settings of carrier {self.name!r}",
                code="unmapped_template",
            )
        return template

    async def _listed(self, number: str, day: str, reference: str) -> bool:
        for page in range(1, MAX_PAGES + 1):
            params = {
                "PhoneNumber": number,
                "SendDate": day,
                "PageSize": str(PAGE_SIZE),
                "CurrentPage": str(page),
            }
            answer = await self._rpc.call("QuerySendDetails", params)
            if answer.get("Code") != "OK":
                raise self._refusal(answer, f"QuerySendDetails for {reference}")
            rows = _detail_rows(answer)
            if any(row.get("OutId") == reference for row in rows):
                return True
            total = _total(answer)
            if len(rows) < PAGE_SIZE or (total is not None and page * PAGE_SIZE >= total):
                return False
        raise OutcomeUnknown(
            f"{mask_phone(number)} has more than {MAX_PAGES * PAGE_SIZE} messages on {day}; "
            f"cannot tell whether {reference} is among them"
        )

    def _refusal(self, answer: Mapping[str, Any], what: str) -> CarrierError:
        code = str(answer.get("Code") or "")
        kind = refusal_kind(code)
        detail = f"{what} refused: {code} {answer.get('Message', '')}".rstrip()
        request_id = answer.get("RequestId")
        _log.warning(
            "aliyun_refused",
            carrier=self.name,
            code=carrier_text(code, limit=CARRIER_CODE_LIMIT),
            request_id=carrier_text(request_id or "", limit=CARRIER_CODE_LIMIT),
        )
        return kind(f"{detail} (RequestId {request_id})", code=code)


def refusal_kind(code: str) -> type[CarrierError]:
    """The ``CarrierError`` class an Aliyun refusal code amounts to.

    Codes not known to be retryable are permanent, including ones Aliyun adds
    later: the carrier answered, so the message was not taken, and resending a
    refusal we do not understand would only repeat it; the code is kept on the
    attempt for an operator to look up (and to add here if it is transient).
    """
    if code in RETRYABLE_CODES:
        return RetryableCarrierError
    if code in UNKNOWN_OUTCOME_CODES:
        return OutcomeUnknown
    return PermanentCarrierError


def aliyun_number(phone: str) -> str:
    """An E.164 number as SendSms wants it: mainland numbers as 11 digits, others as 852….

    Raises ``PermanentCarrierError`` (``invalid_phone``) for anything else.
    """
    digits = phone.removeprefix("+")
    if not (phone.startswith("+") and digits.isascii() and digits.isdigit()):
        raise PermanentCarrierError(f"{mask_phone(phone)} is not E.164", code="invalid_phone")
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


def create_aliyun(config: Mapping[str, Any]) -> AliyunCarrier:
    """The ``aliyun`` adapter from its settings; raises ``InvalidCarrierConfig`` for bad ones."""
    return AliyunCarrier(parse_settings(config))


def parse_settings(config: Mapping[str, Any]) -> AliyunSettings:
    """``config`` checked and typed; raises ``InvalidCarrierConfig`` saying what is wrong."""
    allow_only(config, "aliyun", set(SETTINGS))
    name = config.get("name", "aliyun")
    if not isinstance(name, str) or not name:
        raise InvalidCarrierConfig(f"carrier name must be a non-empty string, got {name!r}")
    return AliyunSettings(
        name=name,
        access_key_id=_text(config, "access_key_id", name),
        access_key_secret=options.secret(
            config.get("access_key_secret"), name, "access_key_secret"
        ),
        endpoint=_endpoint(config.get("endpoint", DEFAULT_ENDPOINT), name),
        region_id=_text(config, "region_id", name, default="cn-hangzhou"),
        sign_names=_sign_names(config.get("sign_names", {}), name),
        templates=_templates(config.get("templates", {}), name),
        callback_token=options.callback_token(config.get("callback_token"), name),
        allowed_networks=options.networks(config.get("allowed_ips", ()), name),
        timeout_seconds=options.positive_seconds(config.get("timeout_seconds", 10), name),
    )


def _text(config: Mapping[str, Any], key: str, name: str, default: str | None = None) -> str:
    value = config.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise InvalidCarrierConfig(f"carrier {name!r}: {key} must be a non-empty string")
    return value.strip()


def _endpoint(value: object, name: str) -> str:
    try:
        url = httpx.URL(value) if isinstance(value, str) else None
    except httpx.InvalidURL:
        url = None
    local = url is not None and url.host in ("localhost", "127.0.0.1", "::1")
    if url is None or not url.host or url.scheme not in ("https", "http" if local else "https"):
        raise InvalidCarrierConfig(
            f"carrier {name!r}: endpoint must be an https:// URL (http only for localhost), "
            f"got {value!r}"
        )
    return str(url)


def _sign_names(value: object, name: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(ours, str) and isinstance(theirs, str) and theirs
        for ours, theirs in value.items()
    ):
        raise InvalidCarrierConfig(
            f"carrier {name!r}: sign_names must map our signatures to Aliyun sign names (strings)"
        )
    return dict(value)


def _templates(value: object, name: str) -> dict[str, AliyunTemplate]:
    if not isinstance(value, Mapping):
        raise InvalidCarrierConfig(f"carrier {name!r}: templates must map template ids to tables")
    return {str(ours): _template_entry(ours, entry, name) for ours, entry in value.items()}


def _template_entry(ours: object, entry: object, name: str) -> AliyunTemplate:
    if isinstance(entry, Mapping) and set(entry) == {"code", "param"}:
        code, param = entry["code"], entry["param"]
        if isinstance(code, str) and code and isinstance(param, str) and param:
            return AliyunTemplate(code, param)
    raise InvalidCarrierConfig(
        f'carrier {name!r}: templates[{ours!r}] must be {{code = "SMS_…", param = "content"}}, '
        f"got {entry!r}"
    )


def _detail_rows(answer: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    holder = answer.get("SmsSendDetailDTOs") or {}
    rows = holder.get("SmsSendDetailDTO") if isinstance(holder, dict) else None
    return [row for row in rows or [] if isinstance(row, dict)]


def _total(answer: Mapping[str, Any]) -> int | None:
    try:
        return int(answer["TotalCount"])  # a string in Aliyun's answers
    except (KeyError, TypeError, ValueError):
        return None


def _send_days(sent_on: datetime) -> list[str]:
    # Aliyun files a message under the China-time day it received it, which can
    # be the next day for an attempt made just before midnight.
    moments = (sent_on, sent_on + timedelta(minutes=10))
    return sorted({moment.astimezone(CHINA_TIME).strftime("%Y%m%d") for moment in moments})
