"""Which carrier accounts the gateway sends through, with their limits, and who uses which.

``SMSGATE_CARRIERS`` names a TOML file; each ``[carriers.<name>]`` table is
one carrier *account* (two Aliyun accounts are two entries), ``[routes]``
says which accounts a creditor's messages go through, in order of preference::

    [carriers.aliyun-main]
    kind = "aliyun"                # the adapter's entry point
    tps = 50                       # segments per second, optional
    concurrency = 8                # sends in flight, optional
    unknown_outcome = "reconcile"  # or "operator" (default)
    breaker = { failures = 5, cooldown_seconds = 30 }
    sign_names = { "安信消费金融" = "安信消费" }   # the rest goes to the adapter

    [routes]
    default = ["aliyun-main", "kannel-backup"]
    acme = ["kannel-backup"]       # per creditor id

Secrets never sit in the file, which ends up in repositories and tickets: a
key that looks like one (``*secret*``, ``*password*``, ``*token*``) is an
error. They come from ``SMSGATE_CARRIER_<NAME>_<KEY>`` (``aliyun-main``'s
``access_key_secret`` is ``SMSGATE_CARRIER_ALIYUN_MAIN_ACCESS_KEY_SECRET``),
which may supply any other key too, as a string. Without the file, the older
``SMSGATE_CARRIER`` / ``SMSGATE_CARRIER_FILE`` settings give a one-carrier
fleet. Every mistake raises ``InvalidCarrierConfig`` naming the file, the
carrier and the key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from smsgate.carriers.registry import InvalidCarrierConfig

DEFAULT_ROUTE = "default"
ENV_PREFIX = "SMSGATE_CARRIER_"
#: Words that make a key a secret, compared with the lower-cased key.
SECRET_WORDS = ("secret", "password", "token")
#: The keys the dispatcher reads; everything else is the adapter's.
LIMIT_KEYS = frozenset({"kind", "tps", "concurrency", "unknown_outcome", "breaker"})

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


class UnknownOutcomePolicy(StrEnum):
    """What the dispatcher does after a send whose outcome is unknown."""

    OPERATOR = "operator"  # mark the message unknown; a person decides
    RECONCILE = "reconcile"  # ask the carrier (its status query) and act on the answer


@dataclass(frozen=True, slots=True)
class BreakerLimits:
    """When a carrier's circuit opens (consecutive failures) and how long it stays open."""

    failures: int = 5
    cooldown_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class CarrierLimits:
    """How hard the dispatcher may drive one account; ``None`` means unlimited."""

    tps: float | None = None
    concurrency: int | None = None
    unknown_outcome: UnknownOutcomePolicy = UnknownOutcomePolicy.OPERATOR
    breaker: BreakerLimits = field(default_factory=BreakerLimits)


@dataclass(frozen=True, slots=True)
class CarrierSpec:
    """One configured account: its name, adapter kind, limits and the adapter's own settings."""

    name: str
    kind: str
    limits: CarrierLimits = field(default_factory=CarrierLimits)
    #: Secrets from the environment are in here, so it never appears in a repr.
    options: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def adapter_config(self) -> dict[str, Any]:
        """What ``build_carrier(kind, config)`` gets: the options and ``name``."""
        return {**self.options, "name": self.name}


@dataclass(frozen=True, slots=True)
class FleetConfig:
    """Every configured account, and each route (``default`` always present) by creditor id."""

    carriers: tuple[CarrierSpec, ...]
    routes: Mapping[str, tuple[str, ...]]


def load_fleet_config(path: Path, environ: Mapping[str, str]) -> FleetConfig:
    """Read the carriers file at ``path``, secrets from ``environ``.

    Raises ``InvalidCarrierConfig`` naming the file for an unreadable file or
    any mistake ``parse_fleet_config`` finds.
    """
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InvalidCarrierConfig(f"{path}: cannot read the carriers file: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise InvalidCarrierConfig(f"{path}: not valid TOML: {error}") from None
    return parse_fleet_config(document, environ, source=str(path))


def parse_fleet_config(
    document: Mapping[str, Any], environ: Mapping[str, str], *, source: str
) -> FleetConfig:
    """The fleet a parsed carriers file describes; ``source`` names it in errors."""
    unknown = sorted(set(document) - {"carriers", "routes"})
    if unknown:
        raise InvalidCarrierConfig(f"{source}: unknown top-level key(s) {', '.join(unknown)}")
    tables = document.get("carriers")
    if not isinstance(tables, Mapping) or not tables:
        raise InvalidCarrierConfig(f"{source}: no [carriers.<name>] table")
    _refuse_clashing_names(source, list(tables))
    secrets = environment_options(list(tables), environ)
    carriers = tuple(
        _carrier(source, name, table, secrets.get(name, {})) for name, table in tables.items()
    )
    routes = _routes(source, document.get("routes", {}), [spec.name for spec in carriers])
    return FleetConfig(carriers, routes)


def single_carrier_config(kind: str, file: Path | None, environ: Mapping[str, str]) -> FleetConfig:
    """The one-carrier fleet of the older ``SMSGATE_CARRIER`` and ``SMSGATE_CARRIER_FILE``."""
    options: dict[str, Any] = {"path": str(file)} if file else {}
    options.update(environment_options([kind], environ).get(kind, {}))
    return FleetConfig(
        (CarrierSpec(kind, kind, CarrierLimits(), options),), {DEFAULT_ROUTE: (kind,)}
    )


def environment_options(
    names: Sequence[str], environ: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """Each carrier's ``SMSGATE_CARRIER_<NAME>_<KEY>`` variables as ``{key: value}``.

    A variable belongs to the carrier with the longest matching name, so
    ``SMSGATE_CARRIER_ALIYUN_MAIN_SECRET`` is ``aliyun-main``'s ``secret``,
    not ``aliyun``'s ``main_secret``.
    """
    prefixes = sorted(((env_prefix(name), name) for name in names), key=lambda p: -len(p[0]))
    found: dict[str, dict[str, str]] = {}
    for variable, value in environ.items():
        for prefix, name in prefixes:
            if variable.startswith(prefix) and len(variable) > len(prefix):
                found.setdefault(name, {})[variable[len(prefix) :].lower()] = value
                break
    return found


def env_prefix(name: str) -> str:
    """``aliyun-main`` -> ``SMSGATE_CARRIER_ALIYUN_MAIN_``."""
    return f"{ENV_PREFIX}{name.upper().replace('-', '_')}_"


def _refuse_clashing_names(source: str, names: Sequence[str]) -> None:
    seen: dict[str, str] = {}
    for name in names:
        other = seen.setdefault(env_prefix(name), name)
        if other != name:
            raise InvalidCarrierConfig(
                f"{source}: carriers {other!r} and {name!r} share the environment prefix "
                f"{env_prefix(name)}; rename one"
            )


def _carrier(source: str, name: str, table: Any, secrets: Mapping[str, str]) -> CarrierSpec:
    where = f"{source}: carrier {name!r}"
    if not _NAME.fullmatch(name):
        raise InvalidCarrierConfig(f"{where}: a name is letters, digits, '-' and '_'")
    if not isinstance(table, Mapping):
        raise InvalidCarrierConfig(f"{where}: expected a table, got {table!r}")
    _refuse_secrets(where, name, table)
    _refuse_limits_from_env(where, name, secrets)
    kind = table.get("kind")
    if not isinstance(kind, str) or not kind:
        raise InvalidCarrierConfig(f"{where}: key 'kind' must name a carrier adapter, got {kind!r}")
    options = {key: value for key, value in table.items() if key not in LIMIT_KEYS}
    return CarrierSpec(name, kind, _limits(where, table), {**options, **secrets})


def _refuse_secrets(where: str, name: str, table: Mapping[str, Any], path: str = "") -> None:
    for key, value in table.items():
        dotted = f"{path}{key}"
        if any(word in str(key).lower() for word in SECRET_WORDS):
            raise InvalidCarrierConfig(
                f"{where}: key {dotted!r} looks like a secret; secrets never go in this file, "
                f"set {env_prefix(name)}{str(key).upper()} in the environment instead"
            )
        if isinstance(value, Mapping):
            _refuse_secrets(where, name, value, f"{dotted}.")


def _refuse_limits_from_env(where: str, name: str, secrets: Mapping[str, str]) -> None:
    # Limits are read from the file only, so one place says how hard a carrier is driven.
    misplaced = sorted(set(secrets) & LIMIT_KEYS)
    if misplaced:
        variables = ", ".join(env_prefix(name) + key.upper() for key in misplaced)
        raise InvalidCarrierConfig(
            f"{where}: {variables} must be set in the file, not the environment"
        )


def _limits(where: str, table: Mapping[str, Any]) -> CarrierLimits:
    policy = table.get("unknown_outcome", UnknownOutcomePolicy.OPERATOR.value)
    if policy not in {p.value for p in UnknownOutcomePolicy}:
        raise InvalidCarrierConfig(
            f"{where}: key 'unknown_outcome' must be 'operator' or 'reconcile', got {policy!r}"
        )
    return CarrierLimits(
        tps=_number(where, table, "tps", integer=False),
        concurrency=_integer(where, table, "concurrency"),
        unknown_outcome=UnknownOutcomePolicy(policy),
        breaker=_breaker(where, table.get("breaker", {})),
    )


def _breaker(where: str, table: Any) -> BreakerLimits:
    if not isinstance(table, Mapping):
        raise InvalidCarrierConfig(f"{where}: key 'breaker' must be a table, got {table!r}")
    unknown = sorted(set(table) - {"failures", "cooldown_seconds"})
    if unknown:
        raise InvalidCarrierConfig(
            f"{where}: unknown key(s) breaker.{', breaker.'.join(unknown)}; "
            "known: failures, cooldown_seconds"
        )
    defaults = BreakerLimits()
    failures = _integer(where, table, "failures", "breaker.")
    cooldown = _number(where, table, "cooldown_seconds", integer=False, prefix="breaker.")
    return BreakerLimits(
        failures=defaults.failures if failures is None else failures,
        cooldown_seconds=defaults.cooldown_seconds if cooldown is None else cooldown,
    )


def _integer(where: str, table: Mapping[str, Any], key: str, prefix: str = "") -> int | None:
    value = _number(where, table, key, integer=True, prefix=prefix)
    return None if value is None else int(value)


def _number(
    where: str, table: Mapping[str, Any], key: str, *, integer: bool, prefix: str = ""
) -> float | None:
    """``table[key]`` if a positive number (whole if ``integer``); ``None`` if absent."""
    if key not in table:
        return None
    value = table[key]
    number = isinstance(value, int) or (isinstance(value, float) and not integer)
    if number and not isinstance(value, bool) and value > 0:
        return float(value)
    wanted = "a positive whole number" if integer else "a positive number"
    raise InvalidCarrierConfig(f"{where}: key '{prefix}{key}' must be {wanted}, got {value!r}")


def _routes(source: str, table: Any, names: Sequence[str]) -> dict[str, tuple[str, ...]]:
    if not isinstance(table, Mapping):
        raise InvalidCarrierConfig(f"{source}: [routes] must be a table, got {table!r}")
    routes = {str(key): _route(source, str(key), value, names) for key, value in table.items()}
    if DEFAULT_ROUTE not in routes:
        if len(names) != 1:
            raise InvalidCarrierConfig(
                f"{source}: routes.default is required when more than one carrier is configured"
            )
        routes[DEFAULT_ROUTE] = (names[0],)
    return routes


def _route(source: str, key: str, value: Any, names: Sequence[str]) -> tuple[str, ...]:
    where = f"{source}: routes.{key}"
    if not isinstance(value, list) or not value:
        raise InvalidCarrierConfig(f"{where} must be a non-empty list of carriers, got {value!r}")
    for target in value:
        if target not in names:
            raise InvalidCarrierConfig(
                f"{where} names unknown carrier {target!r}; configured: {', '.join(names)}"
            )
    if len(set(value)) != len(value):
        raise InvalidCarrierConfig(f"{where} names a carrier twice: {value!r}")
    return tuple(value)
