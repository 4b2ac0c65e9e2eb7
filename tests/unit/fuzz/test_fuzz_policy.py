"""Fuzzing quiet hours and deferral over every IANA zone, arbitrary windows and instants.

What is promised (``core/policy``): ``ContactHours.is_open`` is true exactly
when the recipient's clock reads inside a window and outside the blackouts;
``decide`` raises nothing for instants the HTTP edge admits (the years
1970–9000, see ``api/bodies.utc_instant``) and any time zone, and the
instant it offers (``Defer.until``, ``Refuse.retry_at``) is never before the
requested send time and is itself allowed. Zones with DST gaps and folds
(America/New_York, Australia/Lord_Howe's half hour, Chile) meet zones
without (Asia/Shanghai) here.
"""

from __future__ import annotations

import dataclasses
import zoneinfo
from datetime import UTC, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from smsgate.core.audience import Audience
from smsgate.core.policy import (
    Allow,
    ContactCap,
    ContactHours,
    ContactRequest,
    ContactStatus,
    Defer,
    LocalWindow,
    OnQuietHours,
    PolicyProfile,
    Recipient,
    Refuse,
    TagBlackout,
    decide,
)

from .support import FUZZ, fewer

#: An international-networks number: libphonenumber maps it to no zone (Etc/Unknown).
UNPLACED_PHONE = "+88234567890"
ZONES = sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})
DST_ZONES = ["America/New_York", "Asia/Shanghai", "Australia/Lord_Howe", "America/Santiago"]
zones = st.sampled_from(DST_ZONES) | st.sampled_from(ZONES)
# Days around clock changes of DST_ZONES, then any instant the edge admits.
TRANSITIONS = [datetime(2024, m, d, tzinfo=UTC) for m, d in [(3, 10), (11, 3), (4, 7), (10, 6)]]
instants = st.one_of(
    st.builds(
        lambda day, seconds: day + timedelta(seconds=seconds),
        st.sampled_from(TRANSITIONS),
        st.integers(-2 * 86400, 2 * 86400),
    ),
    st.datetimes(datetime(1970, 1, 2), datetime(9000, 12, 30), timezones=st.just(UTC)),
)
clock_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 1, 29, 30, 59]))


@st.composite
def windows(draw: st.DrawFn, max_windows: int = 3) -> tuple[LocalWindow, ...]:
    """Disjoint daily windows with arbitrary boundaries (a start before its end)."""
    cuts = sorted(draw(st.sets(clock_times, min_size=2, max_size=2 * max_windows)))
    pairs = list(zip(cuts[::2], cuts[1::2], strict=False))
    return tuple(LocalWindow(start, end) for start, end in pairs)


@st.composite
def profiles(draw: st.DrawFn) -> PolicyProfile:
    blackouts = draw(st.lists(windows(2), max_size=2))
    return PolicyProfile(
        name="fuzz",
        contact_hours=draw(windows()),
        default_timezone="Asia/Shanghai",
        debtor_cap=ContactCap(limit=draw(st.integers(0, 3)), days=draw(st.integers(1, 3))),
        third_party_cap=ContactCap(limit=1, days=1),
        blackouts=tuple(TagBlackout(f"tag{i}", w) for i, w in enumerate(blackouts)),
        lookahead_days=draw(st.integers(1, 10)),
    )


def open_on_the_clock(profile: PolicyProfile, zone: str, instant: datetime) -> bool:
    """The oracle: read the recipient's clock and compare with the windows as written."""
    moment = instant.astimezone(zoneinfo.ZoneInfo(zone)).time()
    closed = any(moment in w for blackout in profile.blackouts for w in blackout.windows)
    return any(moment in window for window in profile.contact_hours) and not closed


def offered(decision: Allow | Defer | Refuse) -> datetime | None:
    if isinstance(decision, Allow):
        return decision.send_at
    return decision.until if isinstance(decision, Defer) else decision.retry_at


class TestQuietHours:
    """Whether an instant is open agrees with the recipient's clock in every zone."""

    @FUZZ
    @given(profiles(), zones, instants)
    def test_is_open_reads_the_clock(self, profile: PolicyProfile, zone: str, at: datetime) -> None:
        """Promise: open iff the local clock is in a window and in no blackout."""
        blackouts = profile.blackouts
        hours = ContactHours(profile.contact_hours, blackouts, zoneinfo.ZoneInfo(zone))
        assert hours.is_open(at) == open_on_the_clock(profile, zone, at)


class TestNextAllowedTime:
    """The instant a decision offers is allowed and never earlier than asked."""

    @fewer(2)
    @given(
        profiles(),
        zones,
        instants,
        st.none() | st.integers(0, 30 * 86400),
        st.sampled_from(OnQuietHours),
    )
    def test_offered_instant_is_allowed(
        self,
        profile: PolicyProfile,
        zone: str,
        now: datetime,
        later: int | None,
        on_quiet_hours: OnQuietHours,
    ) -> None:
        """Promise: no exception; the offered instant is >= the send time and open then."""
        tags = frozenset(blackout.tag for blackout in profile.blackouts)
        # A number libphonenumber cannot place is judged in the profile's default zone
        # alone, so any zone of the tz database can be fuzzed (a +86 number is Shanghai's).
        profile = dataclasses.replace(profile, default_timezone=zone)
        recipient = Recipient(UNPLACED_PHONE, "D-1", Audience.DEBTOR, None, tags)
        send_at = None if later is None else now + timedelta(seconds=later)
        request = ContactRequest(recipient, Audience.DEBTOR, ContactStatus(False), send_at)
        decision = decide(request, profile, [], now, on_quiet_hours)
        at = offered(decision)
        if at is None:
            assert isinstance(decision, Refuse)
            return
        assert at >= request.send_time(now) >= now
        assert open_on_the_clock(profile, zone, at)
        asked_again = ContactRequest(recipient, Audience.DEBTOR, ContactStatus(False))
        assert decide(asked_again, profile, [], at, on_quiet_hours) == Allow(at)
