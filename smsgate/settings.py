"""Service settings, read from ``SMSGATE_*`` environment variables.

Secrets (API keys, carrier credentials) never live here as literals and are
never logged: keys are created with ``smsgate keys create`` and stored
hashed. Carrier secrets come from ``SMSGATE_CARRIER_<NAME>_<KEY>`` variables,
which are kept apart in ``carrier_environment`` (never in a repr) for the
carrier configuration loader (``smsgate.carriers.config``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from smsgate.audit_keys import SIGNING_KEY_VARIABLE, AuditKeyError, AuditSigner
from smsgate.store import DEFAULT_DATABASE_URL
from smsgate.webhooks.config import WebhookConfigError, master_secret
from smsgate.webhooks.targets import TargetAllowList

LogFormat = Literal["json", "console", "auto"]


class SettingsError(ValueError):
    """An ``SMSGATE_*`` variable has a value that cannot be used; the message names it."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the composition root needs to build the service."""

    database_url: str = DEFAULT_DATABASE_URL
    wordlists_dir: Path | None = None
    #: ``SMSGATE_REPLY_ATTRIBUTION_DAYS``: how far back a reply may answer a message.
    reply_attribution_days: int = 7
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 256 * 1024
    max_batch_items: int = 100
    max_segments: int = 6
    log_format: LogFormat = "auto"
    carrier: str = "console"
    carrier_file: Path | None = None
    #: The carriers file (``SMSGATE_CARRIERS``); when set, ``carrier`` and ``carrier_file`` are not.
    carriers_file: Path | None = None
    #: Every ``SMSGATE_CARRIER_*`` variable: carrier secrets and settings by account name.
    carrier_environment: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    dispatch_in_process: bool = True
    auth_cache_seconds: float = 5.0
    #: Failed authentications one client address may make per window before it is refused.
    auth_failure_limit: int = 20
    auth_failure_window_seconds: int = 60
    #: ``SMSGATE_TRUST_PROXY``: take the client address from ``X-Forwarded-For`` (set it
    #: only behind a proxy that appends to that header); the UI reads the same variable.
    trust_proxy: bool = False
    #: How long a dispatcher holds a claimed message; a crashed one's claims wait this long.
    dispatch_lease_seconds: int = 300
    dispatch_batch_size: int = 50
    #: Messages a dispatcher has in hand at once, over all carriers.
    dispatch_concurrency: int = 4
    #: The longest one carrier call may take; must be shorter than the lease.
    send_timeout_seconds: int = 60
    #: ``SMSGATE_WEBHOOK_SECRET``: each creditor's webhook signing key is derived from it.
    webhook_secret: bytes | None = field(default=None, repr=False, compare=False)
    #: ``SMSGATE_WEBHOOK_ALLOW_NETWORKS`` / ``_HOSTS``: non-public webhook targets the
    #: operator allows (none by default; see ``smsgate.webhooks.targets``).
    webhook_targets: TargetAllowList = field(default_factory=TargetAllowList)
    #: ``SMSGATE_AUDIT_VERIFY_SECONDS``: how often ``serve`` verifies the audit entries
    #: appended since the last checkpoint (0: never; run ``smsgate audit verify``).
    audit_verify_seconds: int = 60
    #: ``SMSGATE_AUDIT_SIGNING_KEY``: the Ed25519 key the sequencer signs tree heads with
    #: (base64 of the raw 32 bytes; ``smsgate audit keygen`` makes one). ``serve`` refuses
    #: to start without it; ``dispatch`` then leaves sequencing to the instances that have it.
    audit_signer: AuditSigner | None = field(default=None, repr=False, compare=False)
    #: ``SMSGATE_AUDIT_INTEGRATE_MS``: how often the sequencer integrates new audit leaves.
    audit_integrate_ms: int = 200
    #: ``SMSGATE_UNKNOWN_TEMPLATE_LIMIT``: refusals for an unknown template one key may
    #: have audited per minute; past it such sends get 429 ``refusal_rate_limited``.
    unknown_template_limit: int = 30

    def __post_init__(self) -> None:
        if self.send_timeout_seconds >= self.dispatch_lease_seconds:
            raise SettingsError(
                f"SMSGATE_SEND_TIMEOUT_SECONDS ({self.send_timeout_seconds}) must be shorter "
                f"than SMSGATE_DISPATCH_LEASE_SECONDS ({self.dispatch_lease_seconds})"
            )

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
            reply_attribution_days=_int(
                env, "SMSGATE_REPLY_ATTRIBUTION_DAYS", defaults.reply_attribution_days, 1, 90
            ),
            host=env.get("SMSGATE_HOST", defaults.host),
            port=_int(env, "SMSGATE_PORT", defaults.port, 1, 65535),
            max_body_bytes=_int(env, "SMSGATE_MAX_BODY_BYTES", defaults.max_body_bytes, 1024),
            max_batch_items=_int(env, "SMSGATE_MAX_BATCH_ITEMS", defaults.max_batch_items, 1),
            max_segments=_int(env, "SMSGATE_MAX_SEGMENTS", defaults.max_segments, 1, 20),
            log_format=_log_format(env),
            carrier=env.get("SMSGATE_CARRIER", defaults.carrier),
            carrier_file=_path(env, "SMSGATE_CARRIER_FILE"),
            carriers_file=_path(env, "SMSGATE_CARRIERS"),
            carrier_environment={k: v for k, v in env.items() if k.startswith("SMSGATE_CARRIER_")},
            dispatch_in_process=env.get("SMSGATE_DISPATCH", "1") not in {"0", "false", "no"},
            auth_cache_seconds=float(
                _int(env, "SMSGATE_AUTH_CACHE_SECONDS", int(defaults.auth_cache_seconds), 0)
            ),
            webhook_secret=_webhook_secret(env),
            webhook_targets=_webhook_targets(env),
            audit_signer=_audit_signer(env),
            trust_proxy=env.get("SMSGATE_TRUST_PROXY", "0") in {"1", "true", "yes"},
            **_auth_throttling(env, defaults),
            **_dispatch_tuning(env, defaults),
            **_audit_bounds(env, defaults),
        )


def _auth_throttling(env: Mapping[str, str], defaults: Settings) -> dict[str, int]:
    return {
        "auth_failure_limit": _int(
            env, "SMSGATE_AUTH_FAILURE_LIMIT", defaults.auth_failure_limit, 1, 1_000_000
        ),
        "auth_failure_window_seconds": _int(
            env, "SMSGATE_AUTH_FAILURE_WINDOW_SECONDS", defaults.auth_failure_window_seconds,
            1, 86_400,
        ),
    }  # fmt: skip


def _audit_bounds(env: Mapping[str, str], defaults: Settings) -> dict[str, int]:
    return {
        "audit_verify_seconds": _int(
            env, "SMSGATE_AUDIT_VERIFY_SECONDS", defaults.audit_verify_seconds, 0, 86_400
        ),
        "audit_integrate_ms": _int(
            env, "SMSGATE_AUDIT_INTEGRATE_MS", defaults.audit_integrate_ms, 10, 60_000
        ),
        "unknown_template_limit": _int(
            env, "SMSGATE_UNKNOWN_TEMPLATE_LIMIT", defaults.unknown_template_limit, 1, 1_000_000
        ),
    }


def _dispatch_tuning(env: Mapping[str, str], defaults: Settings) -> dict[str, int]:
    return {
        "dispatch_lease_seconds": _int(
            env, "SMSGATE_DISPATCH_LEASE_SECONDS", defaults.dispatch_lease_seconds, 2
        ),
        "dispatch_batch_size": _int(
            env, "SMSGATE_DISPATCH_BATCH_SIZE", defaults.dispatch_batch_size, 1, 10_000
        ),
        "dispatch_concurrency": _int(
            env, "SMSGATE_DISPATCH_CONCURRENCY", defaults.dispatch_concurrency, 1, 10_000
        ),
        "send_timeout_seconds": _int(
            env, "SMSGATE_SEND_TIMEOUT_SECONDS", defaults.send_timeout_seconds, 1
        ),
    }


def _webhook_secret(env: Mapping[str, str]) -> bytes | None:
    try:
        return master_secret(env)
    except WebhookConfigError as error:
        raise SettingsError(str(error)) from None


def _audit_signer(env: Mapping[str, str]) -> AuditSigner | None:
    raw = env.get(SIGNING_KEY_VARIABLE)
    if not raw:
        return None
    try:
        return AuditSigner.from_private_key(raw)
    except AuditKeyError as error:
        raise SettingsError(f"{error} (make one with `smsgate audit keygen`)") from None


def require_audit_signer(settings: Settings) -> AuditSigner:
    """The audit key of ``settings``; raises ``SettingsError`` saying how to get one."""
    if settings.audit_signer is None:
        raise SettingsError(
            f"{SIGNING_KEY_VARIABLE} is not set: the audit tree's heads are signed with it. "
            "Make one with `smsgate audit keygen` and keep it like a password (see the README)"
        )
    return settings.audit_signer


def _webhook_targets(env: Mapping[str, str]) -> TargetAllowList:
    try:
        return TargetAllowList.from_env(env)
    except WebhookConfigError as error:
        raise SettingsError(str(error)) from None


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
