"""Wall-clock times to instants: skipped and repeated local times, unknown zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from smsgate.core.policy import PolicyError, UnknownTimeZone
from smsgate.core.policy.local_time import (
    Span,
    days_between,
    earliest_instant,
    latest_instant,
    local_date,
    require_aware,
    wall_time,
    zone_named,
)

from .policy_support import NEW_YORK, SHANGHAI

SANTIAGO = ZoneInfo("America/Santiago")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")


class TestZoneNamed:
    """IANA names resolve; anything else is an UnknownTimeZone naming the input."""

    def test_known_zone(self) -> None:
        assert zone_named("Asia/Shanghai") is SHANGHAI

    @pytest.mark.parametrize(
        "name",
        [
            pytest.param("Mars/Olympus_Mons", id="not-in-database"),
            pytest.param("asia/shanghai", id="wrong-case"),
            pytest.param("America", id="directory"),
            pytest.param("", id="empty"),
            pytest.param("../../etc/passwd", id="path-traversal"),
            pytest.param("/etc/localtime", id="absolute-path"),
            pytest.param("Asia/Shanghai ", id="trailing-space"),
        ],
    )
    def test_unknown_zone(self, name: str) -> None:
        with pytest.raises(UnknownTimeZone) as caught:
            zone_named(name)
        assert caught.value.name == name
        assert isinstance(caught.value, PolicyError)
        assert isinstance(caught.value, ValueError)


class TestOrdinaryTimes:
    """A local time that occurs once maps to one instant both ways."""

    def test_shanghai_has_no_dst(self) -> None:
        expected = datetime(2024, 3, 10, 0, 0, tzinfo=UTC)
        assert earliest_instant(date(2024, 3, 10), time(8), SHANGHAI) == expected
        assert latest_instant(date(2024, 3, 10), time(8), SHANGHAI) == expected

    def test_new_york_morning_on_spring_forward_day_is_edt(self) -> None:
        # 08:00 EDT, not 08:00 EST: midnight was EST, but the offset changed at 02:00.
        expected = datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
        assert earliest_instant(date(2024, 3, 10), time(8), NEW_YORK) == expected

    def test_new_york_midnight_on_spring_forward_day_is_est(self) -> None:
        assert earliest_instant(date(2024, 3, 10), time(0), NEW_YORK) == datetime(
            2024, 3, 10, 5, 0, tzinfo=UTC
        )


class TestSkippedTimes:
    """A local time skipped by a spring-forward jump is reached at the jump."""

    @pytest.mark.parametrize(
        ("zone", "day", "at", "jump"),
        [
            pytest.param(
                NEW_YORK,
                date(2024, 3, 10),
                time(2, 30),
                datetime(2024, 3, 10, 7, 0, tzinfo=UTC),
                id="new-york-02:30",
            ),
            pytest.param(
                NEW_YORK,
                date(2024, 3, 10),
                time(2, 0),
                datetime(2024, 3, 10, 7, 0, tzinfo=UTC),
                id="new-york-02:00-gap-start",
            ),
            pytest.param(
                SANTIAGO,
                date(2024, 9, 8),
                time(0, 0),
                datetime(2024, 9, 8, 4, 0, tzinfo=UTC),
                id="santiago-skips-midnight",
            ),
            pytest.param(
                LORD_HOWE,
                date(2024, 10, 6),
                time(2, 15),
                datetime(2024, 10, 5, 15, 30, tzinfo=UTC),
                id="lord-howe-half-hour-jump",
            ),
        ],
    )
    def test_both_readings_are_the_jump(
        self, zone: ZoneInfo, day: date, at: time, jump: datetime
    ) -> None:
        assert earliest_instant(day, at, zone) == jump
        assert latest_instant(day, at, zone) == jump

    def test_just_before_the_jump_the_clock_shows_an_earlier_time(self) -> None:
        jump = earliest_instant(date(2024, 3, 10), time(2, 30), NEW_YORK)
        assert wall_time(jump - timedelta(seconds=1), NEW_YORK) == time(1, 59, 59)
        assert wall_time(jump, NEW_YORK) == time(3, 0)


class TestRepeatedTimes:
    """A local time repeated by a fall-back change has a first and a second instant."""

    def test_new_york_01_30_on_fall_back_day(self) -> None:
        day = date(2024, 11, 3)
        assert earliest_instant(day, time(1, 30), NEW_YORK) == datetime(
            2024, 11, 3, 5, 30, tzinfo=UTC
        )
        assert latest_instant(day, time(1, 30), NEW_YORK) == datetime(
            2024, 11, 3, 6, 30, tzinfo=UTC
        )

    def test_fall_back_day_has_25_hours(self) -> None:
        start = earliest_instant(date(2024, 11, 3), time(0), NEW_YORK)
        end = earliest_instant(date(2024, 11, 4), time(0), NEW_YORK)
        assert end - start == timedelta(hours=25)

    def test_spring_forward_day_has_23_hours(self) -> None:
        start = earliest_instant(date(2024, 3, 10), time(0), NEW_YORK)
        end = earliest_instant(date(2024, 3, 11), time(0), NEW_YORK)
        assert end - start == timedelta(hours=23)


class TestReadingTheClock:
    """Dates and times of day are read on the zone's clock, not in UTC."""

    def test_local_date_crosses_midnight_before_utc(self) -> None:
        instant = datetime(2024, 3, 10, 16, 30, tzinfo=UTC)
        assert local_date(instant, SHANGHAI) == date(2024, 3, 11)
        assert wall_time(instant, SHANGHAI) == time(0, 30)

    def test_second_01_30_is_still_november_3(self) -> None:
        assert local_date(datetime(2024, 11, 3, 6, 30, tzinfo=UTC), NEW_YORK) == date(2024, 11, 3)


class TestSmallValues:
    """Span membership is half-open; naive datetimes are rejected; date ranges include both ends."""

    def test_span_is_half_open(self) -> None:
        start = datetime(2024, 1, 1, tzinfo=UTC)
        span = Span(start, start + timedelta(hours=1))
        assert start in span
        assert start + timedelta(minutes=59, seconds=59) in span
        assert start + timedelta(hours=1) not in span
        assert start - timedelta(microseconds=1) not in span

    def test_naive_datetime_is_rejected(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            require_aware(datetime(2024, 1, 1), "now")

    def test_days_between_includes_both_ends(self) -> None:
        assert days_between(date(2024, 2, 28), date(2024, 3, 1)) == [
            date(2024, 2, 28),
            date(2024, 2, 29),
            date(2024, 3, 1),
        ]
