"""The carrier accounts one gateway holds, and the route each creditor's messages take.

Routing from a creditor to carriers is data, decided in one place: a
creditor with its own route uses it, everyone else the ``default`` one. The
dispatcher walks a route in order (the first account whose circuit is
closed, the next one after a retryable failure); the callback endpoints use
``get(name)`` to find the adapter a delivery report is for. The fleet owns
its adapters: ``aclose`` closes them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from smsgate.carriers.base import CarrierAdapter
from smsgate.carriers.callbacks import QueriesStatus
from smsgate.carriers.config import (
    DEFAULT_ROUTE,
    CarrierLimits,
    FleetConfig,
    UnknownOutcomePolicy,
    load_fleet_config,
    single_carrier_config,
)
from smsgate.carriers.registry import InvalidCarrierConfig, build_carrier
from smsgate.settings import Settings

_log = structlog.get_logger("smsgate.carriers")

Build = Callable[[str, Mapping[str, Any]], CarrierAdapter]


@dataclass(frozen=True, slots=True)
class FleetMember:
    """One account of the fleet: its adapter and how hard the dispatcher may drive it."""

    adapter: CarrierAdapter
    limits: CarrierLimits = field(default_factory=CarrierLimits)

    @property
    def reconciles(self) -> bool:
        """Whether an unknown outcome is looked up at the carrier rather than left to a person."""
        return self.limits.unknown_outcome is UnknownOutcomePolicy.RECONCILE


class CarrierFleet:
    """Adapters by account name, with their limits and the routes; see the module docstring."""

    def __init__(
        self, members: Mapping[str, FleetMember], routes: Mapping[str, Sequence[str]]
    ) -> None:
        """Raises ``InvalidCarrierConfig`` for a route without carriers or naming a stranger,
        a missing ``default`` route, or ``reconcile`` on an adapter with no status query."""
        for name, member in members.items():
            if member.reconciles and not isinstance(member.adapter, QueriesStatus):
                raise InvalidCarrierConfig(
                    f"carrier {name!r}: unknown_outcome = 'reconcile' needs an adapter that can "
                    f"query a message's status, and {type(member.adapter).__name__} cannot"
                )
        if DEFAULT_ROUTE not in routes:
            raise InvalidCarrierConfig("the fleet needs a 'default' route")
        for key, route in routes.items():
            strangers = [name for name in route if name not in members]
            if not route or strangers:
                raise InvalidCarrierConfig(f"route {key!r} is empty or names unknown {strangers}")
        self._members = dict(members)
        self._routes = {key: tuple(route) for key, route in routes.items()}

    @classmethod
    def of(cls, *adapters: CarrierAdapter, limits: CarrierLimits | None = None) -> CarrierFleet:
        """A fleet of ``adapters`` under their own names, the default route in the order given."""
        members = {
            adapter.name: FleetMember(adapter, limits or CarrierLimits()) for adapter in adapters
        }
        if len(members) != len(adapters):
            raise InvalidCarrierConfig("two adapters of one fleet have the same name")
        return cls(members, {DEFAULT_ROUTE: [adapter.name for adapter in adapters]})

    def route(self, creditor_id: str) -> list[str]:
        """The accounts the creditor's messages go through, most preferred first."""
        return list(self._routes.get(creditor_id, self._routes[DEFAULT_ROUTE]))

    def get(self, name: str) -> CarrierAdapter | None:
        """The adapter of the account called ``name``, if the fleet has one."""
        member = self._members.get(name)
        return None if member is None else member.adapter

    def member(self, name: str) -> FleetMember | None:
        """The account called ``name`` with its limits, if the fleet has one."""
        return self._members.get(name)

    def names(self) -> list[str]:
        """Every account's name, in configuration order."""
        return list(self._members)

    async def aclose(self) -> None:
        """Close every adapter; one failing to close does not keep the others open."""
        for name, member in self._members.items():
            try:
                await member.adapter.aclose()
            except Exception as error:  # closing is best effort; say which one failed
                _log.warning("carrier_close_failed", carrier=name, error=repr(error))


def build_fleet(settings: Settings, build: Build = build_carrier) -> CarrierFleet:
    """The fleet the settings configure: ``SMSGATE_CARRIERS``, else the one legacy carrier.

    Raises ``InvalidCarrierConfig`` for a bad carriers file or adapter
    settings and ``UnknownCarrier`` for an adapter kind that is not installed.
    A configuration error ends the process, so adapters built before the
    failing one are dropped without ``aclose``.
    """
    config = fleet_config(settings)
    members: dict[str, FleetMember] = {}
    for spec in config.carriers:
        members[spec.name] = FleetMember(build(spec.kind, spec.adapter_config()), spec.limits)
    return CarrierFleet(members, config.routes)


def fleet_config(settings: Settings) -> FleetConfig:
    """The carriers file's configuration, or the legacy one-carrier one."""
    if settings.carriers_file is not None:
        return load_fleet_config(settings.carriers_file, settings.carrier_environment)
    return single_carrier_config(
        settings.carrier, settings.carrier_file, settings.carrier_environment
    )
