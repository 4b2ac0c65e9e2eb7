"""Aliyun's HTTP batch pushes: delivery reports (``SmsReport``) and replies (``SmsUp``).

With "HTTP批量推送模式" configured in the Dysms console, Aliyun POSTs a JSON
array to our endpoints, several items per request::

    SmsReport  [{"phone_number": "1381111****", "send_time": "2017-01-01 00:00:00",
                 "report_time": "2017-01-01 00:00:05", "success": true,
                 "err_code": "DELIVERED", "err_msg": "用户接收成功", "sms_size": "1",
                 "biz_id": "12345^0", "out_id": "msg_…-1"}]
    SmsUp      [{"phone_number": "1381111****", "send_time": "2017-09-01 00:00:00",
                 "content": "退订", "sign_name": "安信消费金融", "dest_code": "1234",
                 "sequence_id": 1234567890}]

and retries (after 1, 5 and 10 minutes) until it reads HTTP 200 with a
numeric ``code``. Times are China time (UTC+8, no daylight saving) without
a zone; mainland numbers come as 11 digits without ``+86``. Aliyun does not
promise to push an item only once, so the gateway must treat repeats as such.

The push carries no signature, so it is authenticated by what we control:
a secret ``token`` query parameter in the URL configured at Aliyun
(compared in constant time) and, optionally, an allow-list of the
addresses Aliyun pushes from. Without a configured token every callback is
refused: an unauthenticated endpoint would let anyone mark messages
delivered or forge an opt-out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

from smsgate.carriers.callbacks import (
    CallbackReply,
    CallbackRequest,
    DeliveryReport,
    DeliveryState,
    InboundSms,
    MalformedCallback,
)
from smsgate.carriers.options import IPNetwork, require_allowed_address, require_token

#: China Standard Time: Aliyun's wall clock, without daylight saving since 1991.
CHINA_TIME = timezone(timedelta(hours=8), "CST")

#: What Aliyun wants back; it only checks that ``code`` is a number.
REPLY = CallbackReply(body=json.dumps({"code": 0, "msg": "成功"}, ensure_ascii=False).encode())

_MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S")  # older SmsUp docs show the compact form

Item = TypeVar("Item")


class AliyunCallbacks:
    """The ``CarrierCallbacks`` of one Aliyun account: token and address checks, JSON arrays."""

    def __init__(self, *, token: str | None, allowed_networks: Sequence[IPNetwork] = ()) -> None:
        self._token = token
        self._allowed = tuple(allowed_networks)

    def authenticate(self, request: CallbackRequest) -> None:
        """Raise ``CallbackRejected`` unless the peer is allowed and the token matches."""
        require_allowed_address(request, self._allowed)
        require_token(request, self._token)

    def delivery_reports(self, request: CallbackRequest) -> list[DeliveryReport]:
        """Every ``SmsReport`` item of the body; ``MalformedCallback`` names the first bad one."""
        return _each_item(request.body, "SmsReport", parse_sms_report)

    def inbound_messages(self, request: CallbackRequest) -> list[InboundSms]:
        """Every ``SmsUp`` item of the body; ``MalformedCallback`` names the first bad one."""
        return _each_item(request.body, "SmsUp", parse_sms_up)

    def reply(self) -> CallbackReply:
        """``{"code":0,"msg":"成功"}`` as JSON with status 200, so Aliyun stops retrying."""
        return REPLY


def parse_sms_report(item: Mapping[str, Any]) -> DeliveryReport:
    """One ``SmsReport`` item as a ``DeliveryReport``; ``ValueError`` says what is wrong."""
    biz_id = _optional_text(item, "biz_id")
    out_id = _optional_text(item, "out_id")
    if not (biz_id or out_id):
        raise ValueError("neither biz_id nor out_id is set")
    delivered = _flag(item, "success")
    return DeliveryReport(
        state=DeliveryState.DELIVERED if delivered else DeliveryState.FAILED,
        carrier_message_id=biz_id,
        client_reference=out_id,
        error_code=_optional_text(item, "err_code") or "",
        description=_optional_text(item, "err_msg") or "",
        reported_at=_optional_time(item, "report_time"),
        phone=e164_from_aliyun(_text(item, "phone_number")),
    )


def parse_sms_up(item: Mapping[str, Any]) -> InboundSms:
    """One ``SmsUp`` item as an ``InboundSms``; ``ValueError`` says what is wrong."""
    sequence_id = item.get("sequence_id")
    if isinstance(sequence_id, bool) or not isinstance(sequence_id, int | str) or sequence_id == "":
        raise ValueError("sequence_id must be a number or a non-empty string")
    return InboundSms(
        phone=e164_from_aliyun(_text(item, "phone_number")),
        text=_text(item, "content", allow_empty=True),
        received_at=_optional_time(item, "send_time"),
        carrier_message_id=str(sequence_id),
        signature=_optional_text(item, "sign_name") or "",
        extension=_optional_text(item, "dest_code") or "",
    )


def e164_from_aliyun(number: str) -> str:
    """A number as Aliyun writes it, in E.164.

    An 11-digit ``1[3-9]…`` number is a mainland mobile and gains ``+86``
    (this reading wins over a North American number written as 11 digits,
    which SendSms traffic of a Chinese agency does not contain); any other
    run of digits already starts with its country code and gains ``+``.
    Raises ``ValueError`` for anything that is not a phone number.
    """
    digits = number.strip().removeprefix("+")
    if not (digits.isascii() and digits.isdigit() and 7 <= len(digits) <= 15):
        raise ValueError("phone_number is not a phone number")
    return f"+86{digits}" if _MAINLAND_MOBILE.fullmatch(digits) else f"+{digits}"


def china_time(text: str) -> datetime:
    """``2017-01-01 08:00:00`` (China time, as Aliyun writes it) as an aware UTC datetime."""
    for layout in _TIME_FORMATS:
        try:
            local = datetime.strptime(text, layout)
        except ValueError:
            continue
        return local.replace(tzinfo=CHINA_TIME).astimezone(UTC)
    raise ValueError(f"{text!r} is not a time like 2017-01-01 00:00:00")


def _each_item(body: bytes, kind: str, parse: Callable[[Mapping[str, Any]], Item]) -> list[Item]:
    try:
        items = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedCallback(f"{kind} push is not UTF-8 JSON: {error}") from None
    if not isinstance(items, list):
        raise MalformedCallback(f"{kind} push must be a JSON array, got {type(items).__name__}")
    parsed = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise MalformedCallback(f"{kind} item {index} is not a JSON object")
        try:
            parsed.append(parse(item))
        except ValueError as error:
            raise MalformedCallback(f"{kind} item {index}: {error}") from None
    return parsed


def _text(item: Mapping[str, Any], name: str, *, allow_empty: bool = False) -> str:
    value = item.get(name)
    if not isinstance(value, str) or not (value or allow_empty):
        raise ValueError(f"{name} must be a non-empty string")
    return value


def _optional_text(item: Mapping[str, Any], name: str) -> str | None:
    value = item.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError(f"{name} must be a string")
    return str(value)


def _optional_time(item: Mapping[str, Any], name: str) -> datetime | None:
    text = _optional_text(item, name)
    return None if text is None else china_time(text)


def _flag(item: Mapping[str, Any], name: str) -> bool:
    value = item.get(name)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError(f"{name} must be true or false")
