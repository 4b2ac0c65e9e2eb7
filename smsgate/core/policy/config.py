"""A creditor's adjustments to a built-in profile, read from configuration.

Creditors configure limits in TOML or JSON, so the overrides arrive as plain
mappings of strings, numbers and lists. Every mistake is reported as a
``ProfileError`` naming the setting, because a silently ignored typo in a
contact limit is a compliance incident. The keys are the profile's fields::

    contact_hours    = ["08:00-21:00"]            # or one string
    default_timezone = "Asia/Shanghai"
    debtor_cap       = {limit = 3, days = 1}      # either key may be left out
    third_party_cap  = {limit = 1}
    debtor_phone_cap = {limit = 3}                # debtor contacts to one phone, any debtor_id
    blackouts        = {student = ["08:30-12:30", "14:00-17:30"], night_shift = []}
    lookahead_days   = 7

``blackouts`` is merged tag by tag into the base profile's: a tag given
replaces that tag's windows, and an empty list removes the tag's blackout.
``debtor_phone_cap`` left out follows ``debtor_cap`` (overridden or not); a
partial one takes its missing key from the debtor cap in effect.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from smsgate.core.audience import Audience
from smsgate.core.policy.caps import ContactCap
from smsgate.core.policy.errors import ProfileError, UnknownTimeZone
from smsgate.core.policy.hours import LocalWindow, TagBlackout
from smsgate.core.policy.local_time import zone_named
from smsgate.core.policy.profiles import PolicyProfile, builtin_profile


def profile_from_config(base_name: str, overrides: Mapping[str, Any]) -> PolicyProfile:
    """The built-in profile ``base_name`` with ``overrides`` applied and checked.

    Raises ``ProfileError`` for an unknown profile or key, a malformed time or
    window, a negative or non-integer limit, or an unknown time zone.
    """
    base = builtin_profile(base_name)
    unknown = sorted(set(overrides) - set(_READERS))
    if unknown:
        known = ", ".join(sorted(_READERS))
        names = ", ".join(map(repr, unknown))
        raise ProfileError(f"{base_name} overrides: unknown setting(s) {names}; known: {known}")
    # The debtor cap first: a partial or absent phone cap follows the debtor cap in effect.
    ordered = sorted(overrides, key=lambda key: key == "debtor_phone_cap")
    profile = base
    for key in ordered:
        change = _READERS[key](profile, overrides[key])
        profile = dataclasses.replace(profile, **{key: change})
    return profile


def _read_hours(base: PolicyProfile, value: Any) -> tuple[LocalWindow, ...]:
    return _windows("contact_hours", value)


def _read_timezone(base: PolicyProfile, value: Any) -> str:
    if not isinstance(value, str):
        raise ProfileError(f"default_timezone must be a time zone name, got {value!r}")
    try:
        zone_named(value)
    except UnknownTimeZone as error:
        raise ProfileError(f"default_timezone: {error}") from None
    return value


def _read_debtor_cap(base: PolicyProfile, value: Any) -> ContactCap:
    return _cap("debtor_cap", base.debtor_cap, value)


def _read_third_party_cap(base: PolicyProfile, value: Any) -> ContactCap:
    return _cap("third_party_cap", base.third_party_cap, value)


def _read_debtor_phone_cap(base: PolicyProfile, value: Any) -> ContactCap:
    effective = base.phone_cap_for(Audience.DEBTOR)
    assert effective is not None  # a debtor always has a phone cap
    return _cap("debtor_phone_cap", effective, value)


def _read_blackouts(base: PolicyProfile, value: Any) -> tuple[TagBlackout, ...]:
    if not isinstance(value, Mapping):
        raise ProfileError(f"blackouts must map tags to lists of windows, got {value!r}")
    merged = {blackout.tag: blackout.windows for blackout in base.blackouts}
    for tag, windows in value.items():
        if not isinstance(tag, str) or not tag.strip():
            raise ProfileError(f"blackouts: a tag must be a non-empty string, got {tag!r}")
        merged[tag] = _windows(f"blackouts.{tag}", windows, allow_empty=True)
    return tuple(TagBlackout(tag, windows) for tag, windows in merged.items() if windows)


def _read_lookahead(base: PolicyProfile, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProfileError(f"lookahead_days must be a whole number of days, got {value!r}")
    return value


def _cap(field: str, base: ContactCap, value: Any) -> ContactCap:
    if not isinstance(value, Mapping):
        raise ProfileError(
            f"{field} must be a table such as {{limit = 3, days = 1}}, got {value!r}"
        )
    unknown = sorted(set(value) - {"limit", "days"})
    if unknown:
        raise ProfileError(
            f"{field}: unknown key(s) {', '.join(map(repr, unknown))}; known: days, limit"
        )
    try:
        return ContactCap(limit=value.get("limit", base.limit), days=value.get("days", base.days))
    except ProfileError as error:
        raise ProfileError(f"{field}: {error}") from None


def _windows(field: str, value: Any, *, allow_empty: bool = False) -> tuple[LocalWindow, ...]:
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list | tuple) or not all(isinstance(text, str) for text in texts):
        raise ProfileError(
            f"{field} must be a list of windows such as '08:00-21:00', got {value!r}"
        )
    if not texts and not allow_empty:
        raise ProfileError(f"{field} needs at least one window")
    try:
        return tuple(sorted(LocalWindow.parse(text) for text in texts))
    except ProfileError as error:
        raise ProfileError(f"{field}: {error}") from None


_READERS: Mapping[str, Callable[[PolicyProfile, Any], Any]] = {
    "contact_hours": _read_hours,
    "default_timezone": _read_timezone,
    "debtor_cap": _read_debtor_cap,
    "third_party_cap": _read_third_party_cap,
    "debtor_phone_cap": _read_debtor_phone_cap,
    "blackouts": _read_blackouts,
    "lookahead_days": _read_lookahead,
}
