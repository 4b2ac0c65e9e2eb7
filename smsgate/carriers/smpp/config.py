"""An SMPP account's settings, checked once when the adapter is built.

The settings loader reads the password from the environment and passes it
in ``config["password"]``; it is never echoed in an error or a log. Every
other setting has a default except ``host``, ``port``, ``system_id`` and
``source_addr``. A misspelt key is an ``InvalidCarrierConfig``, because a
silently ignored setting would send through the wrong channel.

============================  ========  ==========================================
setting                       default   meaning
============================  ========  ==========================================
host, port                              the SMSC
system_id, password                     bind credentials (password ≤ 8 chars)
system_type                   ``""``    some SMSCs want a value here
source_addr                             our sender number (106… in China)
source_ton, source_npi        0, 0      its type of number / numbering plan
dest_ton, dest_npi            1, 1      international / ISDN: E.164 without ``+``
enquire_link_seconds          30        how often we probe an idle link
window                        10        outstanding submit_sm at most
concatenation                 ``udh``   ``udh`` | ``sar`` | ``payload``
timeout_seconds               10        wait for a response before giving up
receipt_timezone              ``UTC``   IANA zone the SMSC writes receipt dates in
============================  ========  ==========================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smsgate.carriers.registry import InvalidCarrierConfig, allow_only
from smsgate.carriers.smpp.segments import Concatenation
from smsgate.carriers.smpp.session import SessionSettings

KIND = "smpp"
KNOWN_SETTINGS = {
    "host",
    "port",
    "system_id",
    "password",
    "system_type",
    "source_addr",
    "source_ton",
    "source_npi",
    "dest_ton",
    "dest_npi",
    "enquire_link_seconds",
    "window",
    "concatenation",
    "timeout_seconds",
    "receipt_timezone",
}


@dataclass(frozen=True, slots=True)
class SmppAccount:
    """Everything one SMPP carrier account needs, validated."""

    name: str
    session: SessionSettings
    source_addr: str
    source_ton: int = 0
    source_npi: int = 0
    dest_ton: int = 1
    dest_npi: int = 1
    concatenation: Concatenation = Concatenation.UDH
    timeout_seconds: float = 10.0
    receipt_timezone: tzinfo = UTC


def account_from_config(config: Mapping[str, Any]) -> SmppAccount:
    """The account described by ``config``; raises ``InvalidCarrierConfig`` saying what is wrong."""
    allow_only(config, KIND, KNOWN_SETTINGS)
    settings = _Settings(config)
    timeout = settings.number("timeout_seconds", 10.0)
    session = SessionSettings(
        host=settings.text("host", required=True),
        port=settings.integer("port", None, 1, 65535),
        system_id=settings.text("system_id", required=True, max_length=15),
        password=settings.secret("password", max_length=8),
        system_type=settings.text("system_type", max_length=12),
        enquire_link_seconds=settings.number("enquire_link_seconds", 30.0),
        window=settings.integer("window", 10, 1, 1000),
        response_timeout=timeout,
    )
    return SmppAccount(
        name=str(config.get("name", KIND)),
        session=session,
        source_addr=settings.text("source_addr", required=True, max_length=20),
        source_ton=settings.integer("source_ton", 0, 0, 255),
        source_npi=settings.integer("source_npi", 0, 0, 255),
        dest_ton=settings.integer("dest_ton", 1, 0, 255),
        dest_npi=settings.integer("dest_npi", 1, 0, 255),
        concatenation=settings.choice("concatenation", Concatenation),
        timeout_seconds=timeout,
        receipt_timezone=settings.zone("receipt_timezone"),
    )


class _Settings:
    """Typed reads of one config mapping, each raising ``InvalidCarrierConfig``."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = config

    def _fail(self, key: str, expected: str) -> InvalidCarrierConfig:
        return InvalidCarrierConfig(f"carrier {KIND!r}: {key} must be {expected}")

    def text(self, key: str, *, required: bool = False, max_length: int = 64) -> str:
        value = self._config.get(key, "")
        if not isinstance(value, str) or not value.isascii() or len(value) > max_length:
            raise self._fail(key, f"an ASCII string of at most {max_length} characters")
        if required and not value:
            raise self._fail(key, "set")
        return value

    def secret(self, key: str, *, max_length: int) -> str:
        value = self._config.get(key)
        if not isinstance(value, str) or not value.isascii() or len(value) > max_length:
            # Never quote the value: it is a credential.
            raise self._fail(key, f"set (from the environment), ASCII, ≤ {max_length} characters")
        return value

    def integer(self, key: str, default: int | None, low: int, high: int) -> int:
        value = self._config.get(key, default)
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self._fail(key, f"an integer in {low}–{high}")
        return value

    def number(self, key: str, default: float) -> float:
        value = self._config.get(key, default)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise self._fail(key, "a positive number of seconds") from None
        if isinstance(value, bool) or not 0 < number <= 3600:
            raise self._fail(key, "a positive number of seconds")
        return number

    def choice(self, key: str, kind: type[Concatenation]) -> Concatenation:
        value = self._config.get(key, Concatenation.UDH.value)
        try:
            return kind(value)
        except ValueError:
            raise self._fail(key, " | ".join(item.value for item in kind)) from None

    def zone(self, key: str) -> tzinfo:
        value = self._config.get(key, "UTC")
        try:
            return ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            raise self._fail(key, "an IANA time zone such as Asia/Shanghai") from None
