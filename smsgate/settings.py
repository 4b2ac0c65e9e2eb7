"""Service settings, read from ``SMSGATE_*`` environment variables.

Secrets (API keys, carrier credentials) never live here as literals and are
never logged: keys are created with ``smsgate keys create`` and stored
hashed; carrier secrets come from the environment when carriers land.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from smsgate.store import DEFAULT_DATABASE_URL

LogFormat = Literal["json", "console", "auto"]


class SettingsError(ValueError):
    """An ``SMSGATE_*`` variable has a value that cannot be used; the message names it."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the composition root needs to build the service."""

    database_url: str = DEFAULT_DATABASE_URL
    wordlists_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 256 * 1024
    max_batch_items: int = 100
    max_segments: int = 6
    log_format: LogFormat = "auto"
    carrier: str = "console"
    carrier_file: Path | None = None
    dispatch_in_process: bool = True
    auth_cache_seconds: float = 5.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` (default: the process environment).

        Raises :class:`SettingsError` naming the variable for a bad value.
        """
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            database_url=env.get("SMSGATE_DATABASE_URL", defaults.database_url),
            wordlists_dir=_path(env, "SMSGATE_WORDLISTS"),
            host=env.get("SMSGATE_HOST", defaults.host),
            port=_int(env, "SMSGATE_PORT", defaults.port, 1, 65535),
            max_body_bytes=_int(env, "SMSGATE_MAX_BODY_BYTES", defaults.max_body_bytes, 1024),
            max_batch_items=_int(env, "SMSGATE_MAX_BATCH_ITEMS", defaults.max_batch_items, 1),
            max_segments=_int(env, "SMSGATE_MAX_SEGMENTS", defaults.max_segments, 1, 20),
            log_format=_log_format(env),
            carrier=env.get("SMSGATE_CARRIER", defaults.carrier),
            carrier_file=_path(env, "SMSGATE_CARRIER_FILE"),
            dispatch_in_process=env.get("SMSGATE_DISPATCH", "1") not in {"0", "false", "no"},
            auth_cache_seconds=float(
                _int(env, "SMSGATE_AUTH_CACHE_SECONDS", int(defaults.auth_cache_seconds), 0)
            ),
        )


def _path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name)
    return Path(value) if value else None


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int = 2**31) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _log_format(env: Mapping[str, str]) -> LogFormat:
    raw = env.get("SMSGATE_LOG_FORMAT", "auto")
    if raw == "json":
        return "json"
    if raw == "console":
        return "console"
    if raw == "auto":
        return "auto"
    raise SettingsError(f"SMSGATE_LOG_FORMAT must be json, console or auto, got {raw!r}")
