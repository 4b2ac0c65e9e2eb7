"""Settings of the compliance UI, read from ``SMSGATE_*`` environment variables.

They live beside the UI rather than in :class:`smsgate.settings.Settings`
because only the UI reads them and ``add_web`` must work on an app built by
any composition root. The session secret is the one secret here: it comes
from ``SMSGATE_SESSION_SECRET`` and is never logged. Without it a random
secret is made per process (and a warning logged): sessions then end when
the process restarts and do not carry over between instances, which is
right for ``make run`` and wrong for a deployment behind a load balancer.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog

from smsgate.settings import SettingsError

log = structlog.get_logger(__name__)

SECRET_VARIABLE = "SMSGATE_SESSION_SECRET"
MIN_SECRET_BYTES = 32
DEFAULT_ZONE = "Asia/Shanghai"


@dataclass(frozen=True, slots=True)
class WebSettings:
    """How UI sessions are signed and timed, which proxy to trust, and the display time zone.

    ``idle_timeout`` ends a session nobody used for that long; ``max_age``
    ends every session that long after sign-in, however busy.
    ``trust_forwarded_proto`` makes ``X-Forwarded-Proto: https`` count as TLS
    (set it only behind a proxy that overwrites that header).
    """

    session_secret: bytes = field(repr=False)
    idle_timeout: timedelta = timedelta(minutes=30)
    max_age: timedelta = timedelta(hours=12)
    trust_forwarded_proto: bool = False
    display_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_ZONE))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WebSettings:
        """Settings from ``environ`` (default: the process environment).

        Raises :class:`SettingsError` naming the variable for a bad value.
        """
        env = os.environ if environ is None else environ
        return cls(
            session_secret=_secret(env),
            idle_timeout=timedelta(minutes=_positive(env, "SMSGATE_SESSION_IDLE_MINUTES", 30)),
            max_age=timedelta(hours=_positive(env, "SMSGATE_SESSION_MAX_HOURS", 12)),
            trust_forwarded_proto=env.get("SMSGATE_TRUST_PROXY", "0") in {"1", "true", "yes"},
            display_zone=_zone(env.get("SMSGATE_UI_TIMEZONE", DEFAULT_ZONE)),
        )


def _secret(env: Mapping[str, str]) -> bytes:
    raw = env.get(SECRET_VARIABLE, "")
    if not raw:
        log.warning(
            "session_secret_unset",
            variable=SECRET_VARIABLE,
            effect="a random per-process secret: UI sessions end on restart",
        )
        return secrets.token_bytes(MIN_SECRET_BYTES)
    secret = raw.encode()
    if len(secret) < MIN_SECRET_BYTES:
        raise SettingsError(f"{SECRET_VARIABLE} must be at least {MIN_SECRET_BYTES} bytes long")
    return secret


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise SettingsError(f"{name} must be at least 1, got {value}")
    return value


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"SMSGATE_UI_TIMEZONE is not a known time zone: {name!r}") from None
