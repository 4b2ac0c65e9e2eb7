"""Tencent SMS pushes: status reports (DLR) and replies (MO), and how we trust them.

Tencent's console takes one URL per kind of push and POSTs JSON to it:

- status reports, a list (one push may carry many)::

    [{"user_receive_time": "2015-10-17 08:03:04", "nationcode": "86",
      "mobile": "13xxxxxxxxx", "report_status": "SUCCESS" | "FAIL",
      "errmsg": "DELIVRD", "description": "用户短信送达成功", "sid": "<SerialNo>"}]

  ``sid`` is the ``SerialNo`` that ``SendSms`` answered, which the adapter
  recorded as the carrier message id: that is how a report finds its
  attempt. The documented push does not carry ``SessionContext`` (Tencent
  echoes it only in pulled statuses, and only once its support enables it),
  so an ``ext`` text, when present, is read as our client reference and
  nothing relies on it. ``user_receive_time`` has no zone; it is Beijing
  time (UTC+8, no daylight saving), like everything else Tencent reports.
- replies, one object (a list is accepted too)::

    {"extend": "", "mobile": "13xxxxxxxxx", "nationcode": "86",
     "sign": "安信消费金融", "text": "退订", "time": 1457336869}

We answer ``{"result": 0, "errmsg": "OK"}``; anything else makes Tencent retry.

Tencent signs nothing it pushes, so the push URLs carry a long random
``?token=`` that only Tencent's console and this gateway know (compared in
constant time), optionally narrowed to Tencent's published source addresses.
Without a configured token every push is refused: an unauthenticated DLR
endpoint would let anyone mark messages delivered or opt recipients out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from smsgate.carriers.callbacks import (
    CallbackReply,
    CallbackRequest,
    DeliveryReport,
    DeliveryState,
    InboundSms,
    MalformedCallback,
)
from smsgate.carriers.options import IPNetwork, require_allowed_address, require_token

BEIJING_TIME = timezone(timedelta(hours=8), "CST")
ACKNOWLEDGEMENT = b'{"result":0,"errmsg":"OK"}'

_STATES = {"SUCCESS": DeliveryState.DELIVERED, "FAIL": DeliveryState.FAILED}
_DIGITS = re.compile(r"[0-9]{1,15}")


class TencentCallbacks:
    """Authenticates Tencent's pushes by token (and address) and reads reports and replies."""

    def __init__(self, token: str, allowed_ips: Sequence[IPNetwork] = ()) -> None:
        self._token = token
        self._allowed_ips = tuple(allowed_ips)

    def authenticate(self, request: CallbackRequest) -> None:
        """Raise ``CallbackRejected`` unless the push has our token and an allowed address."""
        require_allowed_address(request, self._allowed_ips)
        require_token(request, self._token)

    def delivery_reports(self, request: CallbackRequest) -> list[DeliveryReport]:
        """Every status report of a push; raises ``MalformedCallback``."""
        return [_delivery_report(item) for item in _items(request.body)]

    def inbound_messages(self, request: CallbackRequest) -> list[InboundSms]:
        """Every reply of a push; raises ``MalformedCallback``."""
        return [_inbound_sms(item) for item in _items(request.body)]

    def reply(self) -> CallbackReply:
        return CallbackReply(body=ACKNOWLEDGEMENT)


def _items(body: bytes) -> list[Mapping[str, Any]]:
    try:
        document = json.loads(body)
    except ValueError:  # also UnicodeDecodeError
        raise MalformedCallback("the push is not JSON") from None
    items = [document] if isinstance(document, dict) else document
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise MalformedCallback("the push is neither a JSON object nor a list of objects")
    return items


def _delivery_report(item: Mapping[str, Any]) -> DeliveryReport:
    status = item.get("report_status")
    state = _STATES.get(status) if isinstance(status, str) else None
    if state is None:
        raise MalformedCallback(f"report_status {status!r} is neither SUCCESS nor FAIL")
    serial, reference = _text(item, "sid"), _text(item, "ext")
    if not (serial or reference):
        raise MalformedCallback("a status report needs its 'sid'")
    return DeliveryReport(
        state,
        carrier_message_id=serial,
        client_reference=reference,
        error_code=_text(item, "errmsg") or "",
        description=_text(item, "description") or "",
        reported_at=_beijing_time(_text(item, "user_receive_time")),
        phone=_e164(item),
    )


def _inbound_sms(item: Mapping[str, Any]) -> InboundSms:
    phone, text = _e164(item), item.get("text")
    if phone is None:
        raise MalformedCallback("a reply needs its sender's 'nationcode' and 'mobile'")
    if not isinstance(text, str):
        raise MalformedCallback("a reply needs a 'text' string")
    return InboundSms(
        phone,
        text,
        received_at=_unix_time(item.get("time")),
        signature=_text(item, "sign") or "",
        extension=_text(item, "extend") or "",
    )


def _text(item: Mapping[str, Any], key: str) -> str | None:
    value = item.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise MalformedCallback(f"{key!r} must be text")
    return value


def _e164(item: Mapping[str, Any]) -> str | None:
    country, mobile = _text(item, "nationcode"), _text(item, "mobile")
    if mobile and mobile.startswith("+") and _DIGITS.fullmatch(mobile[1:]):
        return mobile
    if country is None or mobile is None:
        return None
    number = country.lstrip("+") + mobile
    if not _DIGITS.fullmatch(number) or number.startswith("0"):
        raise MalformedCallback("'nationcode' and 'mobile' do not make a phone number")
    return "+" + number


def _beijing_time(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING_TIME)
    except ValueError:
        raise MalformedCallback("user_receive_time is not YYYY-MM-DD HH:MM:SS") from None


def _unix_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**33:
        raise MalformedCallback("'time' is not Unix seconds")
    return datetime.fromtimestamp(value, UTC)
