"""The zones a number may be in decide the hours; a supplied zone is checked, never trusted."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from smsgate.core.policy import (
    CN_SHENZHEN,
    US_REG_F,
    Allow,
    Defer,
    EveryZoneHours,
    OnQuietHours,
    PolicyCode,
    Refuse,
    UnknownTimeZone,
    decide,
    geographic_zone,
    history_window,
    number_zones,
    profile_from_config,
    recipient_zones,
)
from smsgate.core.policy.local_time import Span

from .policy_support import (
    DEBTOR_PHONE,
    LA_PHONE,
    NEW_YORK,
    SHANGHAI,
    UNPLACED_PHONE,
    US_ANYWHERE_PHONE,
    debtor,
    local,
    request,
)

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
BOISE = ZoneInfo("America/Boise")
LONDON = ZoneInfo("Europe/London")
HONOLULU = ZoneInfo("Pacific/Honolulu")
#: Northern Nevada (area code 775): Pacific time, but West Wendover keeps Mountain time.
NEVADA_PHONE = "+17752345678"


class TestNumberZones:
    """libphonenumber's zones for a number, narrowed to the zones its region uses."""

    @pytest.mark.parametrize(
        ("phone", "zones"),
        [
            pytest.param(DEBTOR_PHONE, ("Asia/Shanghai",), id="cn-mobile"),
            pytest.param("+12125550100", ("America/New_York",), id="us-212"),
            pytest.param(NEVADA_PHONE, ("America/Boise", "America/Los_Angeles"), id="us-775"),
            # libphonenumber answers all 42 NANP zones for Barbados; zone.tab has one.
            pytest.param("+12462345678", ("America/Barbados",), id="barbados-narrowed"),
            # libphonenumber says Asia/Calcutta; zone.tab spells India's zone Asia/Kolkata.
            pytest.param("+919812345678", ("Asia/Kolkata",), id="india-spelling"),
            pytest.param("+447400123456", ("Europe/London",), id="uk-narrowed"),
            pytest.param(UNPLACED_PHONE, (), id="etc-unknown"),
            pytest.param("not a number", (), id="unparsable"),
        ],
    )
    def test_zones(self, phone: str, zones: tuple[str, ...]) -> None:
        assert number_zones(phone) == zones

    def test_us_number_without_an_area_may_be_anywhere_in_the_us(self) -> None:
        zones = number_zones(US_ANYWHERE_PHONE)
        assert {"America/New_York", "America/Los_Angeles", "Pacific/Honolulu"} <= set(zones)
        assert "America/Barbados" not in zones
        assert "Pacific/Guam" not in zones

    def test_russian_mobile_keeps_only_russian_zones(self) -> None:
        zones = number_zones("+79161234567")
        assert {"Europe/Moscow", "Asia/Vladivostok"} <= set(zones)
        assert "Europe/Bucharest" not in zones
        assert "Asia/Almaty" not in zones


class TestGeographicZone:
    """Only Area/Location names under a continent or ocean name a place."""

    @pytest.mark.parametrize(
        "name",
        [
            "localtime",
            "Factory",
            "posixrules",
            "right/Asia/Shanghai",
            "posix/Asia/Shanghai",
            "UTC",
            "GMT",
            "Etc/GMT-8",
            "Etc/Unknown",
            "PRC",
            "US/Eastern",
            "EST5EDT",
            "Asia",
            "Asia/",
        ],
    )
    def test_clock_settings_are_refused(self, name: str) -> None:
        with pytest.raises(UnknownTimeZone, match="geographic"):
            geographic_zone(name)

    def test_places_are_accepted(self) -> None:
        assert geographic_zone("Asia/Shanghai") == SHANGHAI
        assert geographic_zone("America/Argentina/Buenos_Aires").key.endswith("Buenos_Aires")

    @pytest.mark.parametrize("phone", [DEBTOR_PHONE, UNPLACED_PHONE], ids=["cn", "unplaced"])
    # Names tzdata ships ("localtime" exists only where the system has it).
    @pytest.mark.parametrize("name", ["UTC", "Etc/GMT-8", "Factory", "PRC"])
    def test_a_stored_clock_setting_is_a_mismatch(self, phone: str, name: str) -> None:
        # The edge refuses them (400); a message stored before then is refused, never sent.
        req = request(debtor(phone=phone, timezone=name))
        decision = decide(req, CN_SHENZHEN, (), local(SHANGHAI, 2024, 6, 10, 12), "defer")
        assert isinstance(decision, Refuse)
        assert decision.code is PolicyCode.TIMEZONE_MISMATCH
        assert name in decision.reason
        assert history_window(CN_SHENZHEN, req.recipient, local(SHANGHAI, 2024, 6, 10, 12))

    def test_an_unknown_place_still_raises(self) -> None:
        req = request(debtor(timezone="Asia/Atlantis"))
        with pytest.raises(UnknownTimeZone):
            decide(req, CN_SHENZHEN, (), local(SHANGHAI, 2024, 6, 10, 12), "defer")


class TestTimezoneMismatch:
    """A zone the number cannot be in is refused before any hours are judged."""

    # 05:50 in Beijing is 09:50 in Auckland (NZST): inside Auckland's hours.
    BEIJING_0550 = local(SHANGHAI, 2024, 6, 10, 5, 50)

    def test_chinese_mobile_labelled_auckland_is_refused(self) -> None:
        req = request(debtor(timezone="Pacific/Auckland"))
        decision = decide(req, CN_SHENZHEN, (), self.BEIJING_0550, "defer")
        assert isinstance(decision, Refuse)
        assert decision.code is PolicyCode.TIMEZONE_MISMATCH
        assert "Pacific/Auckland" in decision.reason
        assert "Asia/Shanghai" in decision.reason

    def test_without_the_label_it_waits_for_08_00_beijing(self) -> None:
        decision = decide(request(debtor()), CN_SHENZHEN, (), self.BEIJING_0550, "defer")
        assert isinstance(decision, Defer)
        assert decision.until == local(SHANGHAI, 2024, 6, 10, 8)

    @pytest.mark.parametrize("name", ["Asia/Chongqing", "Asia/Harbin", "Asia/Shanghai"])
    def test_another_name_of_the_same_clock_is_accepted(self, name: str) -> None:
        decision = decide(
            request(debtor(timezone=name)), CN_SHENZHEN, (), self.BEIJING_0550, "defer"
        )
        assert isinstance(decision, Defer)
        assert decision.until == local(SHANGHAI, 2024, 6, 10, 8)

    def test_opt_out_still_comes_first(self) -> None:
        req = request(debtor(timezone="Pacific/Auckland"), opted_out=True)
        decision = decide(req, CN_SHENZHEN, (), self.BEIJING_0550, "defer")
        assert isinstance(decision, Refuse)
        assert decision.code is PolicyCode.OPTED_OUT


class TestEveryCandidateZone:
    """Where a number may be in several zones, the hours must hold in each of them."""

    # 08:30 in Boise (MDT) is 07:30 in Los Angeles (PDT).
    BOISE_0830 = local(BOISE, 2024, 6, 10, 8, 30)

    def test_closed_in_one_zone_defers_to_when_all_are_open(self) -> None:
        decision = decide(
            request(debtor(phone=NEVADA_PHONE)), US_REG_F, (), self.BOISE_0830, "defer"
        )
        assert isinstance(decision, Defer)
        assert decision.until == local(LOS_ANGELES, 2024, 6, 10, 8)
        assert "07:30 America/Los_Angeles" in decision.reason
        assert "all 2 zones" in decision.reason

    def test_a_supplied_zone_does_not_narrow_them(self) -> None:
        req = request(debtor(phone=NEVADA_PHONE, timezone="America/Boise"))
        decision = decide(req, US_REG_F, (), self.BOISE_0830, "reject")
        assert isinstance(decision, Refuse)
        assert decision.code is PolicyCode.QUIET_HOURS
        assert decision.retry_at == local(LOS_ANGELES, 2024, 6, 10, 8)

    def test_window_ends_at_the_first_zone_to_close(self) -> None:
        req = request(debtor(phone=NEVADA_PHONE))
        boise_2059 = local(BOISE, 2024, 6, 10, 20, 59)
        assert decide(req, US_REG_F, (), boise_2059, "defer") == Allow(boise_2059)
        decision = decide(req, US_REG_F, (), local(BOISE, 2024, 6, 10, 21), "defer")
        assert isinstance(decision, Defer)
        assert decision.until == local(LOS_ANGELES, 2024, 6, 11, 8)

    def test_new_york_morning_is_night_in_los_angeles_and_honolulu(self) -> None:
        new_york_0830 = local(NEW_YORK, 2024, 6, 10, 8, 30)  # 05:30 LA, 02:30 Honolulu
        for timezone in (None, "America/New_York"):
            req = request(debtor(phone=US_ANYWHERE_PHONE, timezone=timezone))
            decision = decide(req, US_REG_F, (), new_york_0830, "defer")
            assert isinstance(decision, Defer)
            assert decision.until == local(HONOLULU, 2024, 6, 10, 8)

    def test_single_zone_numbers_are_judged_in_their_zone(self) -> None:
        los_angeles_0730 = local(LOS_ANGELES, 2024, 6, 10, 7, 30)  # 10:30 in New York
        decision = decide(request(debtor(phone=LA_PHONE)), US_REG_F, (), los_angeles_0730, "defer")
        assert isinstance(decision, Defer)
        assert decision.until == local(LOS_ANGELES, 2024, 6, 10, 8)


class TestUnplacedNumber:
    """A number libphonenumber cannot place is judged in the supplied and the default zone."""

    def test_default_zone_alone_without_a_label(self) -> None:
        zones = recipient_zones(UNPLACED_PHONE, None, "Asia/Shanghai")
        assert zones.every == (SHANGHAI,)
        assert not zones.mismatch

    def test_supplied_and_default_both_count(self) -> None:
        req = request(debtor(phone=UNPLACED_PHONE, timezone="Europe/London"))
        london_0730 = local(LONDON, 2024, 1, 10, 7, 30)  # 15:30 in Shanghai
        decision = decide(req, CN_SHENZHEN, (), london_0730, "defer")
        assert isinstance(decision, Defer)
        assert decision.until == local(LONDON, 2024, 1, 10, 8)
        shanghai_2130 = local(SHANGHAI, 2024, 1, 10, 21, 30)  # 13:30 in London
        decision = decide(req, CN_SHENZHEN, (), shanghai_2130, "defer")
        assert isinstance(decision, Defer)
        assert decision.until == local(LONDON, 2024, 1, 11, 8)  # 16:00 in Shanghai


class TestCalendarZone:
    """The cap's day is the supplied zone's, else the default's if possible, else the first's."""

    @pytest.mark.parametrize(
        ("phone", "supplied", "default", "calendar"),
        [
            pytest.param(NEVADA_PHONE, "America/Boise", "America/New_York", BOISE, id="supplied"),
            pytest.param(
                US_ANYWHERE_PHONE, None, "America/New_York", NEW_YORK, id="default-possible"
            ),
            pytest.param(NEVADA_PHONE, None, "America/New_York", BOISE, id="first-of-number"),
            pytest.param(UNPLACED_PHONE, "Europe/London", "Asia/Shanghai", LONDON, id="unplaced"),
        ],
    )
    def test_calendar(
        self, phone: str, supplied: str | None, default: str, calendar: ZoneInfo
    ) -> None:
        zones = recipient_zones(phone, supplied, default)
        assert zones.calendar == calendar
        assert zones.every[0] == calendar

    def test_history_window_counts_the_calendar_zone_days(self) -> None:
        recipient = debtor(phone=NEVADA_PHONE, timezone="America/Los_Angeles")
        start, _ = history_window(CN_SHENZHEN, recipient, local(LOS_ANGELES, 2024, 6, 9, 12))
        assert start == local(LOS_ANGELES, 2024, 6, 9)


class TestEveryZoneHours:
    """Open spans are the real-time intersection of each zone's spans."""

    def test_boise_and_los_angeles_overlap_from_08_00_pacific_to_21_00_mountain(self) -> None:
        hours = EveryZoneHours.of(CN_SHENZHEN.contact_hours, (), (BOISE, LOS_ANGELES))
        assert hours.open_spans(date(2024, 6, 10)) == (
            Span(datetime(2024, 6, 10, 15, tzinfo=UTC), datetime(2024, 6, 11, 3, tzinfo=UTC)),
        )

    def test_zones_with_no_common_hours_never_open(self) -> None:
        mornings = profile_from_config("cn-shenzhen", {"contact_hours": ["09:00-12:00"]})
        hours = EveryZoneHours.of(mornings.contact_hours, (), (SHANGHAI, NEW_YORK))
        assert hours.open_spans(date(2024, 6, 10)) == ()
        req = request(debtor(phone=UNPLACED_PHONE, timezone="America/New_York"))
        decision = decide(req, mornings, (), local(SHANGHAI, 2024, 6, 10, 10), "defer")
        assert decision == Refuse(
            PolicyCode.QUIET_HOURS,
            "local time 22:00 America/New_York is outside the contact hours 09:00–12:00 "
            "(the hours must hold in all 2 zones the number may be in); "
            "no allowed hours in the next 7 days",
        )

    def test_needs_a_zone(self) -> None:
        with pytest.raises(ValueError, match="at least one zone"):
            EveryZoneHours(())


def test_on_quiet_hours_reject_names_the_closed_zone() -> None:
    decision = decide(
        request(debtor(phone=NEVADA_PHONE)),
        US_REG_F,
        (),
        local(BOISE, 2024, 6, 10, 8, 30),
        OnQuietHours.REJECT,
    )
    assert isinstance(decision, Refuse)
    assert decision.reason.startswith("local time 07:30 America/Los_Angeles is outside")
