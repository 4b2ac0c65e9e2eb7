"""The ``tencent`` carrier: Tencent Cloud SMS, API 3.0 ``SendSms`` (version 2021-01-11).

One message is one signed POST (see ``tencent.signing``) to
``sms.tencentcloudapi.com`` with::

    {"PhoneNumberSet": ["+8613800138000"], "SmsSdkAppId": "1400006666",
     "SignName": "安信消费金融", "TemplateId": "123456",
     "TemplateParamSet": ["张三您好，…"], "SessionContext": "msg_…-1"}

Tencent only sends approved templates under approved sign names, so the
account's settings map our template to one of Tencent's and our 签名 to its
SignName (``tencent.config``); a message whose template has no mapping is
refused here (``unmapped_template``) without calling Tencent.

Tencent answers HTTP 200 whatever happened; the body says what. Success is
``Response.SendStatusSet[0].Code == "Ok"`` and its ``SerialNo`` is what
status reports quote as ``sid``. A failure is ``Response.Error.Code`` (the
request was refused) or a per-number ``Code``, both from one documented list
(tencentcloud-sdk ``sms/v20210111/errorcodes.py`` and the common API 3.0
codes), classed by ``send_error``: throttling, quota and Tencent's internal
faults are retryable; bad numbers, unapproved templates or signatures,
sensitive words, blacklists and authorisation are permanent; a downstream
timeout is an unknown outcome. Callbacks are in ``tencent.callbacks``.

Not done: ``QueriesStatus``. ``PullSmsSendStatusByPhoneNumber`` returns a
status only once the operator has reported one, and echoes SessionContext
only when Tencent's support enables it, so it can never prove that an
attempt was *not* received, which is the answer reconciliation needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from smsgate.carriers.base import (
    CarrierAdapter,
    CarrierError,
    OutboundSms,
    OutcomeUnknown,
    PermanentCarrierError,
    RetryableCarrierError,
    SendResult,
)
from smsgate.carriers.callbacks import CarrierCallbacks
from smsgate.carriers.tencent.callbacks import TencentCallbacks
from smsgate.carriers.tencent.config import TencentSettings, tencent_settings
from smsgate.carriers.tencent.signing import ApiCall, signed_headers
from smsgate.carriers.transport import exchange, retryable_status

SERVICE = "sms"
API_VERSION = "2021-01-11"
SEND_ACTION = "SendSms"
ACCEPTED = "Ok"

Clock = Callable[[], datetime]

#: Codes whose request Tencent did not act on and that may pass if sent again later.
RETRYABLE_CODES = frozenset(
    {
        # Out of credit: topping up the package lets the same message through.
        "FailedOperation.InsufficientBalanceInSmsPackage",
        # Suspended for arrears is the same situation one step later, so it is
        # retryable although the other UnauthorizedOperation codes are permanent.
        "UnauthorizedOperation.SerivceSuspendDueToArrears",
        # Marketing texts only go out 08:00-22:00; later the same text is allowed.
        "FailedOperation.MarketingSendTimeConstraint",
        # Our clock is off by more than five minutes: nothing was accepted.
        "AuthFailure.SignatureExpire",
        "ServiceUnavailable",
    }
)
#: Families of retryable codes: Tencent's and the operators' rate limits, internal faults.
RETRYABLE_PREFIXES = (
    "LimitExceeded",
    "RequestLimitExceeded",
    "InternalError",
    "ResourceUnavailable",
)
#: Internal faults after which Tencent may already have handed the message on.
UNKNOWN_OUTCOME_CODES = frozenset({"InternalError.Timeout", "InternalError.SendAndRecvFail"})


def _utc_now() -> datetime:
    return datetime.now(UTC)


class TencentSmsCarrier:
    """A ``CarrierAdapter`` (and ``ReceivesCallbacks``) for one Tencent SMS account.

    It owns its ``httpx.AsyncClient`` (an injected one included) and closes it in ``aclose``.
    """

    def __init__(
        self,
        settings: TencentSettings,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Clock = _utc_now,
    ) -> None:
        self._settings = settings
        self._client = client or httpx.AsyncClient(timeout=settings.timeout_seconds)
        self._clock = clock
        self._callbacks = TencentCallbacks(settings.callback_token, settings.allowed_ips)

    @property
    def name(self) -> str:
        return self._settings.name

    @property
    def callbacks(self) -> CarrierCallbacks:
        return self._callbacks

    async def send(self, message: OutboundSms) -> SendResult:
        settings = self._settings
        payload = send_sms_payload(settings, message)
        call = ApiCall(SERVICE, settings.host, SEND_ACTION, API_VERSION, settings.region, payload)
        headers = signed_headers(settings.credentials, call, int(self._clock().timestamp()))
        response = await exchange(
            self._client, "POST", settings.endpoint, content=payload, headers=headers
        )
        return SendResult(self.name, self._clock(), serial_number(response))

    async def aclose(self) -> None:
        await self._client.aclose()


def send_sms_payload(settings: TencentSettings, message: OutboundSms) -> bytes:
    """The ``SendSms`` body for ``message`` as UTF-8 JSON bytes (what is signed and sent).

    Raises ``PermanentCarrierError`` (``unmapped_template``) when the message's
    template has no Tencent template in the settings.
    """
    template = settings.templates.get(message.template_id)
    if template is None:
        raise PermanentCarrierError(
            f"template {message.template_id!r} has no Tencent template in carrier "
            f"{settings.name!r}'s templates",
            code="unmapped_template",
        )
    document: dict[str, Any] = {
        "PhoneNumberSet": [message.phone],
        "SmsSdkAppId": settings.sdk_app_id,
        "TemplateId": template.template_id,
        "TemplateParamSet": [message.body] if template.params else [],
        "SessionContext": message.client_reference,
    }
    sign_name = settings.sign_names.get(message.signature, message.signature)
    if sign_name:  # international messages may go without one; Tencent decides
        document["SignName"] = sign_name
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def serial_number(response: httpx.Response) -> str | None:
    """The ``SerialNo`` of an accepted message; raises the ``CarrierError`` the answer means."""
    status = response.status_code
    if retryable_status(response):
        raise RetryableCarrierError(f"Tencent answered HTTP {status}", code=f"http_{status}")
    if not 200 <= status < 300:
        raise PermanentCarrierError(f"Tencent answered HTTP {status}", code=f"http_{status}")
    answer = _response_object(response.content)
    error = answer.get("Error")
    if isinstance(error, Mapping):
        raise send_error(str(error.get("Code", "")), str(error.get("Message", "")))
    statuses = answer.get("SendStatusSet")
    first = statuses[0] if isinstance(statuses, list) and statuses else None
    if not isinstance(first, Mapping):
        raise OutcomeUnknown("Tencent's answer has neither an Error nor a SendStatusSet")
    if first.get("Code") != ACCEPTED:
        raise send_error(str(first.get("Code", "")), str(first.get("Message", "")))
    serial = first.get("SerialNo")
    # Accepted either way; without a SerialNo its reports simply cannot be matched.
    return serial if isinstance(serial, str) and serial else None


def send_error(code: str, message: str) -> CarrierError:
    """The ``CarrierError`` a Tencent error ``code`` means, keeping the code.

    A code not in the documented lists is permanent: Tencent did answer, so
    the message was not sent, and retrying a refusal nobody understood only
    repeats it; an operator looks the code up and reclassifies it here.
    """
    detail = f"Tencent refused: {code or 'no code'}" + (f": {message}" if message else "")
    if code in UNKNOWN_OUTCOME_CODES:
        return OutcomeUnknown(detail, code=code)
    if code in RETRYABLE_CODES or code.startswith(RETRYABLE_PREFIXES):
        return RetryableCarrierError(detail, code=code)
    return PermanentCarrierError(detail, code=code)


def _response_object(content: bytes) -> Mapping[str, Any]:
    try:
        document = json.loads(content)
    except ValueError:  # also UnicodeDecodeError
        document = None
    answer = document.get("Response") if isinstance(document, dict) else None
    if not isinstance(answer, dict):
        # A 2xx came back, so Tencent may have taken the request; we cannot read what it did.
        raise OutcomeUnknown("Tencent's answer is not a JSON object with a Response")
    return answer


def create_tencent(config: Mapping[str, Any]) -> CarrierAdapter:
    """The ``tencent`` adapter from its settings (see ``tencent.config``).

    Raises ``InvalidCarrierConfig`` for unknown, missing or ill-typed settings.
    """
    return TencentSmsCarrier(tencent_settings(config))
