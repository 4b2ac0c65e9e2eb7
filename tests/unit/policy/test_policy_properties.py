"""Properties of ``decide`` checked against a naive wall-clock oracle, around DST changes.

The oracle reads each clock the recipient may read at an instant (every zone
their number may be in, written out by hand) and compares it with the
configured windows as written, and counts contacts by local date, with no
cleverness: whatever ``decide`` allows or defers to must satisfy it.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate.core.audience import Audience
from smsgate.core.policy import (
    CN_SHENZHEN,
    US_REG_F,
    Allow,
    Channel,
    Contact,
    ContactCap,
    ContactRequest,
    ContactStatus,
    Decision,
    Defer,
    EveryZoneHours,
    OnQuietHours,
    PolicyCode,
    PolicyProfile,
    Recipient,
    Refuse,
    decide,
    history_window,
    profile_from_config,
)
from smsgate.core.policy.local_time import local_date

# Windows and blackouts with boundaries inside DST jumps and repeated hours.
ODD_HOURS = profile_from_config(
    "cn-shenzhen",
    {
        "contact_hours": ["00:30-02:30", "07:00-21:00"],
        "blackouts": {"night": ["01:00-02:00"], "student": ["08:30-12:30", "14:00-17:30"]},
        "debtor_cap": {"limit": 2, "days": 3},
        "third_party_cap": {"limit": 1, "days": 2},
        "lookahead_days": 5,
    },
)
PROFILES = (CN_SHENZHEN, US_REG_F, ODD_HOURS)
US_ZONES = (
    *(
        f"America/{city}"
        for city in (
            "Adak", "Anchorage", "Boise", "Chicago", "Denver", "Juneau", "Los_Angeles",
            "New_York", "North_Dakota/Center", "Phoenix",
        )
    ),
    "Pacific/Honolulu",
)  # fmt: skip
#: Every zone each phone may be in (written out, not asked of libphonenumber).
NUMBER_ZONES = {
    "+8613800138000": ("Asia/Shanghai",),
    "+8613900139000": ("Asia/Shanghai",),
    "+8613700137000": ("Asia/Shanghai",),
    "+12125550100": ("America/New_York",),
    "+56221234567": ("America/Santiago",),
    "+61265632000": ("Australia/Lord_Howe",),
    "+15002345678": US_ZONES,  # a US personal number: no area, every US zone
    "+88234567890": (),  # international networks: libphonenumber cannot place it
}
PHONES = tuple(NUMBER_ZONES)
#: Phones with a zone a sender may give for them (a zone the number may be in, or none).
PLACES = (
    *((phone, None) for phone in PHONES),
    ("+8613900139000", "Asia/Shanghai"),
    ("+12125550100", "America/New_York"),
    ("+56221234567", "America/Santiago"),
    ("+61265632000", "Australia/Lord_Howe"),
    ("+15002345678", "America/Los_Angeles"),
    ("+88234567890", "America/Santiago"),
)
DEBTORS = ("D-1", "D-2")
# Days on which some of the zones change their clocks, and an ordinary one.
ANCHORS = tuple(
    datetime(*day, 12, tzinfo=UTC)
    for day in [
        (2024, 3, 10),
        (2024, 11, 3),
        (2024, 9, 8),
        (2024, 4, 7),
        (2024, 10, 6),
        (2024, 6, 15),
    ]
)

instants = st.builds(
    lambda anchor, seconds: anchor + timedelta(seconds=seconds),
    st.sampled_from(ANCHORS),
    st.integers(-3 * 86400, 3 * 86400),
)
recipients = st.builds(
    lambda place, debtor_id, role, tags: Recipient(place[0], debtor_id, role, place[1], tags),
    st.sampled_from(PLACES),
    st.sampled_from(DEBTORS),
    st.sampled_from(Audience),
    st.frozensets(st.sampled_from(("student", "night", "teacher"))),
)


@st.composite
def situations(
    draw: st.DrawFn,
) -> tuple[PolicyProfile, ContactRequest, list[Contact], datetime, OnQuietHours]:
    profile = draw(st.sampled_from(PROFILES))
    recipient = draw(recipients)
    now = draw(instants)
    send_at = draw(
        st.none() | st.integers(-86400, 10 * 86400).map(lambda s: now + timedelta(seconds=s))
    )
    history = draw(st.lists(contacts_near(now), max_size=25))
    status = ContactStatus(opted_out=False)
    req = ContactRequest(recipient, recipient.role, status, send_at)
    return profile, req, history, now, draw(st.sampled_from(OnQuietHours))


def contacts_near(now: datetime) -> st.SearchStrategy[Contact]:
    return st.builds(
        Contact,
        at=st.integers(-9 * 86400, 16 * 86400).map(lambda s: now + timedelta(seconds=s)),
        debtor_id=st.sampled_from(DEBTORS),
        phone=st.sampled_from(PHONES),
        channel=st.sampled_from(Channel),
        role=st.sampled_from(Audience),
    )


def zones_of(profile: PolicyProfile, recipient: Recipient) -> list[ZoneInfo]:
    """Every zone the recipient may be in: the number's, else the supplied and the default."""
    names = NUMBER_ZONES[recipient.phone] or (recipient.timezone, profile.default_timezone)
    return [ZoneInfo(name) for name in names if name is not None]


def zone_of(profile: PolicyProfile, recipient: Recipient) -> ZoneInfo:
    """The zone whose dates count: supplied, else the default if possible, else the first."""
    names = NUMBER_ZONES[recipient.phone]
    if recipient.timezone is not None:
        return ZoneInfo(recipient.timezone)
    if not names or profile.default_timezone in names:
        return ZoneInfo(profile.default_timezone)
    return ZoneInfo(names[0])


def open_on_the_clock(profile: PolicyProfile, recipient: Recipient, instant: datetime) -> bool:
    """The oracle: every clock the recipient may read shows an open time outside blackouts."""
    return all(
        open_on_this_clock(profile, recipient, instant.astimezone(zone).time())
        for zone in zones_of(profile, recipient)
    )


def open_on_this_clock(profile: PolicyProfile, recipient: Recipient, moment: time) -> bool:
    blackouts = profile.blackouts_for(recipient.tags)
    in_blackout = any(moment in window for blackout in blackouts for window in blackout.windows)
    return any(moment in window for window in profile.contact_hours) and not in_blackout


def room_on_the_calendar(
    profile: PolicyProfile, recipient: Recipient, history: list[Contact], day: date
) -> bool:
    """The oracle: one more contact on ``day`` keeps every run of cap days within the limit,
    for the recipient's own cap and, for a debtor, the cap on debtor contacts to the phone."""
    zone, cap = zone_of(profile, recipient), profile.cap_for(recipient.role)
    if recipient.role == Audience.THIRD_PARTY:
        counted = [c for c in history if c.phone == recipient.phone]
        return _room_in(cap, [local_date(c.at, zone) for c in counted], day)
    debtors = [c for c in history if c.role == "debtor"]
    own = [local_date(c.at, zone) for c in debtors if c.debtor_id == recipient.debtor_id]
    phone = [local_date(c.at, zone) for c in debtors if c.phone == recipient.phone]
    phone_cap = profile.phone_cap_for(recipient.role)
    assert phone_cap is not None
    return _room_in(cap, own, day) and _room_in(phone_cap, phone, day)


def _room_in(cap: ContactCap, dates: list[date], day: date) -> bool:
    for back in range(cap.days):
        first = day - timedelta(days=back)
        in_run = sum(first <= d < first + timedelta(days=cap.days) for d in dates)
        if in_run + 1 > cap.limit:
            return False
    return True


def assert_may_send_at(
    profile: PolicyProfile, req: ContactRequest, history: list[Contact], now: datetime, at: datetime
) -> None:
    recipient = req.recipient
    assert at >= req.send_time(now) >= now
    assert open_on_the_clock(profile, recipient, at)
    assert room_on_the_calendar(
        profile, recipient, history, local_date(at, zone_of(profile, recipient))
    )


class TestDecisionProperties:
    """Whatever decide allows or defers to is inside hours, outside blackouts, under the cap."""

    @settings(max_examples=600)
    @given(situations())
    def test_allowed_instants_obey_every_rule(
        self, situation: tuple[PolicyProfile, ContactRequest, list[Contact], datetime, OnQuietHours]
    ) -> None:
        profile, req, history, now, on_quiet_hours = situation
        decision = decide(req, profile, history, now, on_quiet_hours)
        if isinstance(decision, Allow):
            assert decision.send_at == req.send_time(now)
        for at in instants_offered(decision):
            assert_may_send_at(profile, req, history, now, at)

    @settings(max_examples=300)
    @given(situations())
    def test_defer_is_the_earliest_allowed_instant(
        self, situation: tuple[PolicyProfile, ContactRequest, list[Contact], datetime, OnQuietHours]
    ) -> None:
        profile, req, history, now, _ = situation
        decision = decide(req, profile, history, now, OnQuietHours.DEFER)
        if not isinstance(decision, Defer):
            return
        before = decision.until - timedelta(microseconds=1)
        zone = zone_of(profile, req.recipient)
        assert before < req.send_time(now) or not (
            open_on_the_clock(profile, req.recipient, before)
            and room_on_the_calendar(profile, req.recipient, history, local_date(before, zone))
        )

    @settings(max_examples=300)
    @given(situations())
    def test_refusals_are_justified(
        self, situation: tuple[PolicyProfile, ContactRequest, list[Contact], datetime, OnQuietHours]
    ) -> None:
        profile, req, history, now, on_quiet_hours = situation
        decision = decide(req, profile, history, now, on_quiet_hours)
        send_time = req.send_time(now)
        zone = zone_of(profile, req.recipient)
        if isinstance(decision, Refuse) and decision.code is PolicyCode.QUIET_HOURS:
            assert not open_on_the_clock(profile, req.recipient, send_time)
        if isinstance(decision, Refuse) and decision.code is PolicyCode.CONTACT_LIMIT:
            full_now = not room_on_the_calendar(
                profile, req.recipient, history, local_date(send_time, zone)
            )
            assert full_now or decision.retry_at is None

    @settings(max_examples=300)
    @given(situations())
    def test_history_window_holds_all_the_decision_needs(
        self, situation: tuple[PolicyProfile, ContactRequest, list[Contact], datetime, OnQuietHours]
    ) -> None:
        profile, req, history, now, on_quiet_hours = situation
        start, end = history_window(profile, req.recipient, req.send_time(now))
        fetched = [c for c in history if start <= c.at < end]
        assert decide(req, profile, fetched, now, on_quiet_hours) == decide(
            req, profile, history, now, on_quiet_hours
        )


class TestOfferedInstants:
    """Asking again at the offered instant is allowed then and there."""

    @settings(max_examples=300)
    @given(situations())
    def test_retry_at_and_until_are_allowed_when_they_come(
        self, situation: tuple[PolicyProfile, ContactRequest, list[Contact], datetime, OnQuietHours]
    ) -> None:
        profile, req, history, now, on_quiet_hours = situation
        decision = decide(req, profile, history, now, on_quiet_hours)
        if isinstance(decision, Allow):
            return
        again = dataclasses.replace(req, send_at=None)
        for at in instants_offered(decision):
            assert decide(again, profile, history, at, on_quiet_hours) == Allow(at)


class TestHoursMatchTheClock:
    """An instant is open exactly when every clock the recipient may read shows an open time."""

    @settings(max_examples=1000)
    @given(st.sampled_from(PROFILES), recipients, instants)
    def test_is_open_agrees_with_the_clock(
        self, profile: PolicyProfile, recipient: Recipient, instant: datetime
    ) -> None:
        zones = tuple(zones_of(profile, recipient))
        hours = EveryZoneHours.of(
            profile.contact_hours, profile.blackouts_for(recipient.tags), zones
        )
        assert hours.is_open(instant) == open_on_the_clock(profile, recipient, instant)


def instants_offered(decision: Decision) -> list[datetime]:
    """Every instant a decision says the message may go at."""
    if isinstance(decision, Allow):
        return [decision.send_at]
    if isinstance(decision, Defer):
        return [decision.until]
    return [] if decision.retry_at is None else [decision.retry_at]
