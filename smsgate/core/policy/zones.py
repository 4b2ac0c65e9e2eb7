"""The time zones a recipient may be in: derived from the number, never taken on trust.

A sender's ``timezone`` is a claim; the number is evidence. A ``+86`` mobile
labelled ``Pacific/Auckland`` is in China, and judging quiet hours in Auckland
would text it at 05:50 Beijing time. So the candidate zones come from the
number (libphonenumber's time-zone mapper, narrowed to the zones the number's
region uses in the tz database's ``zone.tab``, because for some NANP ranges
libphonenumber answers with all 42 zones of +1):

- a supplied zone must be one of the number's candidates, or the request is
  refused (``timezone_mismatch``, a rule in ``rules``);
- the contact window must hold in **every** candidate zone, even when one was
  supplied: the label cannot be verified, and where the location is uncertain
  the strictest reading (Regulation F's "convenient in all of the locations")
  is the only safe one;
- a number libphonenumber cannot place (``Etc/Unknown``) is judged in the
  supplied zone and the profile's default zone, both.

Only geographic IANA names (``Area/Location`` under a continent or ocean) are
accepted: ``localtime``, ``Factory``, ``posixrules``, ``UTC``, ``Etc/GMT+8``,
``right/…`` and ``posix/…`` name a clock setting, not a place.

The derivation lives in the core rather than in a shell so that every
decision (a first send, a held release, the dispatcher's re-check) derives the
zones from the same number by the same rules, and no caller can forget to:
``decide`` and ``history_window`` call it themselves. libphonenumber and the
tz tables are pure data; the only files read are ``tzdata``'s ``zone.tab``
and the links of ``tzdata.zi``, once each, lazily.

Zones are compared by clock, not by spelling: a link (``Asia/Chongqing``,
``Asia/Calcutta``) is the zone it points to, so a sender who writes the old
name of the right zone is not refused.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_timezones

from smsgate.core.policy.errors import UnknownTimeZone
from smsgate.core.policy.local_time import zone_named

#: The areas of the tz database whose zones name a place.
GEOGRAPHIC_AREAS = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)

_UNKNOWN = "Etc/Unknown"
_CACHED_NUMBERS = 65536


def is_geographic(name: str) -> bool:
    """Whether ``name`` has the shape of a place: ``Area/Location`` under a known area."""
    area, _, location = name.partition("/")
    return area in GEOGRAPHIC_AREAS and bool(location)


def geographic_zone(name: str) -> ZoneInfo:
    """The geographic IANA zone called ``name``; raises ``UnknownTimeZone`` otherwise."""
    if not is_geographic(name):
        raise UnknownTimeZone(name)
    return zone_named(name)


@lru_cache(maxsize=_CACHED_NUMBERS)
def number_zones(phone: str) -> tuple[str, ...]:
    """The zones an E.164 ``phone`` may be in, in tz-database order; ``()`` if unknown.

    Names are the region's own spelling in ``zone.tab`` where there is one
    (libphonenumber still says ``Asia/Calcutta`` for ``Asia/Kolkata``). Cached
    per number: this runs on every decision (about 20 µs uncached).
    """
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return ()
    found = [
        zone
        for zone in phone_timezones.time_zones_for_number(number)
        if zone != _UNKNOWN and is_geographic(zone)
    ]
    regional = _region_zones().get(phonenumbers.region_code_for_number(number) or "", ())
    spelling = {same_clock(zone): zone for zone in sorted(regional)}
    narrowed = [spelling[same_clock(zone)] for zone in found if same_clock(zone) in spelling]
    return tuple(dict.fromkeys(narrowed or found))


def same_clock(name: str) -> str:
    """The zone ``name`` is a link to (``Asia/Chongqing``: ``Asia/Shanghai``), else ``name``.

    Two names for one clock judge every instant alike, so zones are compared
    by this.
    """
    return _links().get(name, name)


@cache
def _links() -> dict[str, str]:
    """The tz database's links (``L target name`` lines of ``tzdata.zi``)."""
    links: dict[str, str] = {}
    for line in _tz_table("tzdata.zi").splitlines():
        if line.startswith("L "):
            _, target, name = line.split()
            links[name] = target
    return links


@cache
def _region_zones() -> dict[str, frozenset[str]]:
    """The tz database's ``zone.tab``: the zones each ISO 3166 region uses."""
    regions: dict[str, set[str]] = {}
    for line in _tz_table("zone.tab").splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and not line.startswith("#"):
            regions.setdefault(fields[0], set()).add(fields[2])
    return {region: frozenset(zones) for region, zones in regions.items()}


def _tz_table(name: str) -> str:
    """A text table shipped with ``tzdata``; empty without it (then no narrowing, no links)."""
    try:
        return resources.files("tzdata.zoneinfo").joinpath(name).read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - tzdata is a dependency
        return ""


@dataclass(frozen=True, slots=True)
class RecipientZones:
    """Where a recipient may be, and which zone's calendar counts their days.

    ``every``: the contact window must hold in each of these (``calendar``
    first). ``calendar``: the zone whose local dates count the contact cap and
    the days a deferral looks ahead: the supplied zone when it is credible,
    else the profile's default if the number may be there, else the number's
    first zone. ``of_number``: the number's zones (``()``: unknown).
    ``mismatch``: a zone was supplied that the number is not in.
    """

    calendar: ZoneInfo
    every: tuple[ZoneInfo, ...]
    supplied: str | None
    of_number: tuple[str, ...]
    mismatch: bool


@lru_cache(maxsize=_CACHED_NUMBERS)
def recipient_zones(phone: str, supplied: str | None, default: str) -> RecipientZones:
    """The zones a decision about ``phone`` judges in; see the module docstring.

    A supplied name that is not geographic (``localtime``, ``UTC``: the HTTP
    edge refuses them, but older stored messages may carry one) names no
    place, so no place the number is in: a mismatch, judged as if absent.
    Raises ``UnknownTimeZone`` for a supplied zone or ``default`` that the tz
    database does not have.
    Cached (the answer is immutable): a decision and its ``history_window``
    both ask.
    """
    if supplied is not None:
        zone_named(supplied)
        if not is_geographic(supplied):
            unlabelled = recipient_zones(phone, None, default)
            return dataclasses.replace(unlabelled, supplied=supplied, mismatch=True)
    of_number = number_zones(phone)
    clocks = {same_clock(zone) for zone in of_number}
    mismatch = supplied is not None and bool(of_number) and same_clock(supplied) not in clocks
    if not of_number:
        names = tuple(dict.fromkeys(name for name in (supplied, default) if name is not None))
    elif supplied is not None and not mismatch:
        names = _first(supplied, of_number)
    elif same_clock(default) in clocks:
        names = _first(default, of_number)
    else:
        names = of_number
    zones = tuple(zone_named(name) for name in names)
    return RecipientZones(zones[0], zones, supplied, of_number, mismatch)


def _first(name: str, names: tuple[str, ...]) -> tuple[str, ...]:
    return (name, *(other for other in names if same_clock(other) != same_clock(name)))
