"""Finding a carrier adapter by name: the ``smsgate.carriers`` entry-point group.

Adapters are plugins so that an agency can add its own carrier (a regional
106 channel, an in-house gateway) by publishing a package, without forking
smsgate. A package declares, in its ``pyproject.toml``::

    [project.entry-points."smsgate.carriers"]
    mycarrier = "mypackage.carrier:create"

where ``create(config: Mapping[str, Any]) -> CarrierAdapter`` builds the
adapter from its settings (secrets arrive in ``config`` already read from the
environment by the settings loader). ``config["name"]``, when present, is the
name the operator gave this carrier account (``aliyun-main``); the adapter
reports it as its ``name`` and defaults to its kind without it. smsgate
registers its own adapters the same way, so there is one lookup path for all
of them. ``fake`` is not
registered: it exists for tests, which construct it directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from smsgate.carriers.base import CarrierAdapter, UnknownCarrier
from smsgate.carriers.journal import ConsoleCarrier, FileCarrier

ENTRY_POINT_GROUP = "smsgate.carriers"

CarrierFactory = Callable[[Mapping[str, Any]], CarrierAdapter]


class InvalidCarrierConfig(ValueError):
    """A carrier's settings are missing, misspelt or of the wrong type."""


def carrier_names() -> list[str]:
    """The names of every installed carrier adapter, sorted."""
    return sorted({point.name for point in entry_points(group=ENTRY_POINT_GROUP)})


def build_carrier(name: str, config: Mapping[str, Any] | None = None) -> CarrierAdapter:
    """The adapter registered as ``name``, built from ``config``.

    Raises ``UnknownCarrier`` (naming the installed ones) for an unregistered
    name, and whatever the factory raises for bad settings
    (``InvalidCarrierConfig`` for smsgate's own adapters).
    """
    points = entry_points(group=ENTRY_POINT_GROUP).select(name=name)
    point = next(iter(points), None)
    if point is None:
        known = ", ".join(carrier_names()) or "none"
        raise UnknownCarrier(
            f"no carrier adapter {name!r} is installed; installed: {known}. "
            f"Third-party adapters register in the {ENTRY_POINT_GROUP!r} entry-point group."
        )
    factory: CarrierFactory = point.load()
    return factory(config or {})


def create_console(config: Mapping[str, Any]) -> CarrierAdapter:
    """The ``console`` adapter; takes no settings."""
    allow_only(config, "console", set())
    return ConsoleCarrier(name=str(config.get("name", "console")))


def create_file(config: Mapping[str, Any]) -> CarrierAdapter:
    """The ``file`` adapter; ``path`` (required) is the file to append JSON lines to."""
    allow_only(config, "file", {"path"})
    path = config.get("path")
    if not isinstance(path, str | Path) or not str(path):
        raise InvalidCarrierConfig(f"carrier 'file' needs a path to append to, got {path!r}")
    return FileCarrier(path, name=str(config.get("name", "file")))


def allow_only(config: Mapping[str, Any], carrier: str, known: set[str]) -> None:
    """Raise ``InvalidCarrierConfig`` for a setting not in ``known`` (``name`` is always allowed).

    A misspelt setting silently ignored would send through the wrong channel.
    """
    unknown = sorted(set(config) - known - {"name"})
    if unknown:
        allowed = ", ".join(sorted(known)) or "none"
        raise InvalidCarrierConfig(
            f"carrier {carrier!r}: unknown setting(s) {', '.join(unknown)}; known: {allowed}"
        )
