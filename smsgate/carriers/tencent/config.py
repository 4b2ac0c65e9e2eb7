"""The settings of one ``tencent`` carrier account, checked once when the adapter is built.

A misspelt or missing setting must stop the gateway at start-up rather than
fail every message later, so ``tencent_settings`` checks them all::

    name             the account's name (default ``tencent``)
    secret_id        API 3.0 SecretId (required; env SMSGATE_CARRIER_<NAME>_SECRET_ID)
    secret_key       API 3.0 SecretKey (required; env SMSGATE_CARRIER_<NAME>_SECRET_KEY)
    sdk_app_id       the SMS application's SmsSdkAppId (required)
    templates        our template id -> Tencent's: {"id": "123456", "params": 1}
                     or just "123456" (required, at least one)
    sign_names       our 签名 -> Tencent's approved SignName (default: the same text)
    region           X-TC-Region (default ap-guangzhou)
    endpoint         default https://sms.tencentcloudapi.com
    timeout_seconds  default 10
    callback_token   the secret ``?token=`` of the push URLs configured in
                     Tencent's console (env SMSGATE_CARRIER_<NAME>_CALLBACK_TOKEN);
                     without it every push is refused
    allowed_ips      CIDRs Tencent's pushes may come from, a list or a comma-separated
                     text (default: any address)

The carriers file refuses keys that look secret, so ``secret_id``,
``secret_key`` and ``callback_token`` always come from the environment, where
every value is text: numbers and address lists are read from text too.

Tencent only sends its own approved templates. Ours reach it as one: a
Tencent template whose whole text is the single variable ``{1}`` (``params``
1) gets our rendered body as its one parameter; ``params`` 0 names a fixed
Tencent text without variables. More variables cannot be filled from a
rendered body, so they are refused here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from smsgate.carriers import options
from smsgate.carriers.options import IPNetwork
from smsgate.carriers.registry import InvalidCarrierConfig, allow_only
from smsgate.carriers.tencent.signing import TencentCredentials

DEFAULT_ENDPOINT = "https://sms.tencentcloudapi.com"
DEFAULT_REGION = "ap-guangzhou"

KNOWN_SETTINGS = {
    "secret_id",
    "secret_key",
    "sdk_app_id",
    "templates",
    "sign_names",
    "region",
    "endpoint",
    "timeout_seconds",
    "callback_token",
    "allowed_ips",
}


@dataclass(frozen=True, slots=True)
class TencentTemplate:
    """The Tencent template that carries one of ours, and how many variables it has (0 or 1)."""

    template_id: str
    params: int = 1


@dataclass(frozen=True, slots=True)
class TencentSettings:
    """One Tencent SMS account, as checked by ``tencent_settings``; secrets never in a repr."""

    credentials: TencentCredentials
    sdk_app_id: str
    templates: Mapping[str, TencentTemplate]
    name: str = "tencent"
    sign_names: Mapping[str, str] = field(default_factory=dict)
    region: str = DEFAULT_REGION
    endpoint: str = DEFAULT_ENDPOINT
    timeout_seconds: float = 10.0
    callback_token: str = field(default="", repr=False)
    allowed_ips: tuple[IPNetwork, ...] = ()

    @property
    def host(self) -> str:
        """The ``Host`` the requests go to and are signed for."""
        return urlsplit(self.endpoint).netloc


def tencent_settings(config: Mapping[str, Any]) -> TencentSettings:
    """``TencentSettings`` from a carrier's config; raises ``InvalidCarrierConfig``."""
    allow_only(config, "tencent", KNOWN_SETTINGS)
    name = _text(config, "name", "tencent") or "tencent"
    return TencentSettings(
        credentials=TencentCredentials(
            options.secret(config.get("secret_id"), name, "secret_id"),
            options.secret(config.get("secret_key"), name, "secret_key"),
        ),
        sdk_app_id=_required(config, "sdk_app_id", name),
        templates=_templates(config.get("templates"), name),
        name=name,
        sign_names=_sign_names(config.get("sign_names", {}), name),
        region=_text(config, "region", name) or DEFAULT_REGION,
        endpoint=_endpoint(config.get("endpoint", DEFAULT_ENDPOINT), name),
        timeout_seconds=options.positive_seconds(config.get("timeout_seconds", 10), name),
        callback_token=options.callback_token(config.get("callback_token"), name) or "",
        allowed_ips=options.networks(config.get("allowed_ips", ()), name),
    )


def _text(config: Mapping[str, Any], key: str, name: str) -> str:
    value = config.get(key, "")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # SdkAppIds and template ids are numbers in Tencent's console
    if not isinstance(value, str):
        # The value is not echoed: a secret may sit in the wrong setting.
        raise InvalidCarrierConfig(f"carrier {name!r}: {key} must be text")
    return value


def _required(config: Mapping[str, Any], key: str, name: str) -> str:
    value = _text(config, key, name)
    if not value:
        raise InvalidCarrierConfig(f"carrier {name!r} needs {key}")
    return value


def _templates(value: Any, name: str) -> dict[str, TencentTemplate]:
    if not isinstance(value, Mapping) or not value:
        raise InvalidCarrierConfig(
            f"carrier {name!r} needs templates: our template id -> {{id, params}} of Tencent's"
        )
    return {str(ours): _template(str(ours), theirs, name) for ours, theirs in value.items()}


def _template(ours: str, theirs: Any, name: str) -> TencentTemplate:
    entry = {"id": theirs} if isinstance(theirs, str | int) else theirs
    if not isinstance(entry, Mapping) or set(entry) - {"id", "params"}:
        raise InvalidCarrierConfig(f"carrier {name!r}: template {ours!r} must be {{id, params}}")
    template_id = _text(entry, "id", name)
    params = entry.get("params", 1)
    if not template_id or type(params) is not int or params not in (0, 1):
        raise InvalidCarrierConfig(
            f"carrier {name!r}: template {ours!r} needs Tencent's id and params 0 or 1 "
            f"(our rendered body fills at most one variable), got {theirs!r}"
        )
    return TencentTemplate(template_id, params)


def _sign_names(value: Any, name: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(key, str) and isinstance(item, str) and item for key, item in value.items()
    ):
        raise InvalidCarrierConfig(f"carrier {name!r}: sign_names maps our 签名 to Tencent's")
    return dict(value)


def _endpoint(value: Any, name: str) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if (
        parts is None
        or parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.path not in {"", "/"}
        or parts.query
    ):
        raise InvalidCarrierConfig(
            f"carrier {name!r}: endpoint must be an http(s) URL without a path, got {value!r}"
        )
    return str(value)
