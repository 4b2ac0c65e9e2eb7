"""Policy profiles: a regulation's contact rules written down as data.

A creditor picks a profile (``cn-shenzhen`` unless told otherwise) and may
adjust it within the same shape (``config.profile_from_config``). Keeping the
rules as data rather than code means the same decision logic serves every
jurisdiction, and a compliance reviewer can read a profile as a table.

``cn-shenzhen`` follows the 2018 self-regulation rules of the Shenzhen
internet-finance association: 08:00–21:00 local, at most 3 contacts a day per
debtor (SMS and recorded calls together, all phones), third parties at most
once a day per phone, and students not during class hours.

``us-reg-f`` follows CFPB Regulation F: 08:00–21:00 local and at most 7
contacts in 7 consecutive days. Regulation F's presumption counts telephone
calls only; counting texts as well is the stricter reading this gateway takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from itertools import pairwise
from types import MappingProxyType

from smsgate.core.audience import Audience
from smsgate.core.policy.caps import ContactCap
from smsgate.core.policy.errors import ProfileError
from smsgate.core.policy.hours import LocalWindow, TagBlackout

#: How many days past the send day a decision may look for a free slot.
MAX_LOOKAHEAD_DAYS = 366


@dataclass(frozen=True, slots=True)
class PolicyProfile:
    """One jurisdiction's (or creditor's) contact rules.

    ``contact_hours`` are the daily windows in the recipient's local time;
    ``blackouts`` close parts of them for recipients with a tag;
    ``lookahead_days`` bounds how far past the send day a message may be
    deferred, and so how much contact history a decision needs.
    ``debtor_phone_cap`` caps the debtor contacts to one phone, whatever
    ``debtor_id`` each names (a phone is one person's, whatever ids a client
    invents); ``None`` means the same as ``debtor_cap``.

    Construction checks the shape but does not look ``default_timezone`` up, so
    that defining the built-in profiles reads no files at import time;
    ``profile_from_config`` checks it, and a test checks the built-ins.
    """

    name: str
    contact_hours: tuple[LocalWindow, ...]
    default_timezone: str
    debtor_cap: ContactCap
    third_party_cap: ContactCap
    blackouts: tuple[TagBlackout, ...] = ()
    lookahead_days: int = 7
    debtor_phone_cap: ContactCap | None = None

    def __post_init__(self) -> None:
        if not self.contact_hours:
            raise ProfileError(f"profile {self.name!r}: contact_hours needs at least one window")
        ordered = sorted(self.contact_hours)
        for earlier, later in pairwise(ordered):
            if later.start < earlier.end:
                raise ProfileError(f"profile {self.name!r}: windows {earlier} and {later} overlap")
        if isinstance(self.lookahead_days, bool) or not (
            isinstance(self.lookahead_days, int) and 1 <= self.lookahead_days <= MAX_LOOKAHEAD_DAYS
        ):
            raise ProfileError(
                f"profile {self.name!r}: lookahead_days must be 1 to {MAX_LOOKAHEAD_DAYS}, "
                f"got {self.lookahead_days!r}"
            )

    def cap_for(self, role: Audience) -> ContactCap:
        """The cap that applies to a recipient in ``role``."""
        return self.third_party_cap if role == Audience.THIRD_PARTY else self.debtor_cap

    def phone_cap_for(self, role: Audience) -> ContactCap | None:
        """The cap on debtor contacts to one phone, for a debtor; ``None`` for a third
        party, whose cap (``third_party_cap``) already counts per phone."""
        if role == Audience.THIRD_PARTY:
            return None
        return self.debtor_cap if self.debtor_phone_cap is None else self.debtor_phone_cap

    def cap_days_for(self, role: Audience) -> int:
        """The longest period of the caps that apply to ``role``: the history a decision needs."""
        phone_cap = self.phone_cap_for(role)
        return max(self.cap_for(role).days, 0 if phone_cap is None else phone_cap.days)

    def blackouts_for(self, tags: frozenset[str]) -> tuple[TagBlackout, ...]:
        """The blackouts that apply to a recipient carrying ``tags``."""
        return tuple(blackout for blackout in self.blackouts if blackout.tag in tags)


_DAYTIME = (LocalWindow(time(8), time(21)),)

CN_SHENZHEN = PolicyProfile(
    name="cn-shenzhen",
    contact_hours=_DAYTIME,
    default_timezone="Asia/Shanghai",
    debtor_cap=ContactCap(limit=3, days=1),
    third_party_cap=ContactCap(limit=1, days=1),
    blackouts=(
        TagBlackout(
            "student",
            (LocalWindow(time(8, 30), time(12, 30)), LocalWindow(time(14), time(17, 30))),
        ),
    ),
)

US_REG_F = PolicyProfile(
    name="us-reg-f",
    contact_hours=_DAYTIME,
    default_timezone="America/New_York",
    debtor_cap=ContactCap(limit=7, days=7),
    third_party_cap=ContactCap(limit=1, days=1),
)

DEFAULT_PROFILE_NAME = CN_SHENZHEN.name

#: The shipped profiles by name; creditors start from one of these.
BUILTIN_PROFILES: Mapping[str, PolicyProfile] = MappingProxyType(
    {profile.name: profile for profile in (CN_SHENZHEN, US_REG_F)}
)


def builtin_profile(name: str) -> PolicyProfile:
    """The shipped profile called ``name``; raises ``ProfileError`` for an unknown name."""
    try:
        return BUILTIN_PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(BUILTIN_PROFILES))
        raise ProfileError(f"unknown policy profile {name!r}; known profiles: {known}") from None
