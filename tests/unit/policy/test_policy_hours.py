"""Contact windows and tag blackouts, on the clock face and as real instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from smsgate.core.policy import ContactHours, LocalWindow, ProfileError, TagBlackout
from smsgate.core.policy.hours import parse_time_of_day
from smsgate.core.policy.local_time import Span

from .policy_support import NEW_YORK, SHANGHAI, local

DAYTIME = (LocalWindow(time(8), time(21)),)
STUDENT = TagBlackout(
    "student", (LocalWindow(time(8, 30), time(12, 30)), LocalWindow(time(14), time(17, 30)))
)


class TestParseTimeOfDay:
    """Configured times are HH:MM or HH:MM:SS within one day."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("08:00", time(8), id="hh-mm"),
            pytest.param("8:00", time(8), id="single-digit-hour"),
            pytest.param("23:59:59", time(23, 59, 59), id="with-seconds"),
            pytest.param("00:00", time(0), id="midnight"),
        ],
    )
    def test_valid(self, text: str, expected: time) -> None:
        assert parse_time_of_day(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("25:00", id="hour-25"),
            pytest.param("24:00", id="hour-24"),
            pytest.param("08:60", id="minute-60"),
            pytest.param("8", id="no-minutes"),
            pytest.param("08:00am", id="am-suffix"),
            pytest.param("", id="empty"),
        ],
    )
    def test_invalid(self, text: str) -> None:
        with pytest.raises(ProfileError, match="is not a time of day"):
            parse_time_of_day(text)


class TestLocalWindow:
    """A window includes its start, excludes its end, and lies within one day."""

    def test_boundaries(self) -> None:
        window = LocalWindow(time(8), time(21))
        assert time(7, 59, 59) not in window
        assert time(8) in window
        assert time(20, 59, 59, 999999) in window
        assert time(21) not in window

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("08:00-21:00", LocalWindow(time(8), time(21)), id="hyphen"),
            pytest.param("08:30 – 12:30", LocalWindow(time(8, 30), time(12, 30)), id="en-dash"),
        ],
    )
    def test_parse(self, text: str, expected: LocalWindow) -> None:
        assert LocalWindow.parse(text) == expected

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            pytest.param("21:00-08:00", "must start before it ends", id="across-midnight"),
            pytest.param("08:00-08:00", "must start before it ends", id="empty"),
            pytest.param("08:00", "is not a window", id="one-time"),
            pytest.param("08:00-25:00", "'25:00' is not a time of day", id="bad-end"),
        ],
    )
    def test_parse_rejects(self, text: str, message: str) -> None:
        with pytest.raises(ProfileError, match=message):
            LocalWindow.parse(text)

    def test_str_is_readable(self) -> None:
        assert str(LocalWindow(time(8), time(21))) == "08:00–21:00"
        assert str(LocalWindow(time(8), time(8, 0, 30))) == "08:00–08:00:30"


class TestOpenSpans:
    """A day's open spans are the windows minus the blackouts, as UTC instants."""

    def test_plain_day_in_shanghai(self) -> None:
        hours = ContactHours(DAYTIME, (), SHANGHAI)
        assert hours.open_spans(date(2024, 3, 11)) == (
            Span(local(SHANGHAI, 2024, 3, 11, 8), local(SHANGHAI, 2024, 3, 11, 21)),
        )

    def test_student_blackout_leaves_three_spans(self) -> None:
        hours = ContactHours(DAYTIME, (STUDENT,), SHANGHAI)
        day = (2024, 3, 11)
        assert hours.open_spans(date(*day)) == (
            Span(local(SHANGHAI, *day, 8), local(SHANGHAI, *day, 8, 30)),
            Span(local(SHANGHAI, *day, 12, 30), local(SHANGHAI, *day, 14)),
            Span(local(SHANGHAI, *day, 17, 30), local(SHANGHAI, *day, 21)),
        )

    def test_blackout_covering_everything_leaves_nothing(self) -> None:
        everything = TagBlackout("hospital", (LocalWindow(time(0), time(23, 59)),))
        assert ContactHours(DAYTIME, (everything,), SHANGHAI).open_spans(date(2024, 3, 11)) == ()

    def test_spring_forward_day_window_is_in_edt(self) -> None:
        hours = ContactHours(DAYTIME, (), NEW_YORK)
        assert hours.open_spans(date(2024, 3, 10)) == (
            Span(datetime(2024, 3, 10, 12, tzinfo=UTC), datetime(2024, 3, 11, 1, tzinfo=UTC)),
        )

    def test_window_starting_in_the_skipped_hour_opens_at_the_jump(self) -> None:
        hours = ContactHours((LocalWindow(time(2, 30), time(21)),), (), NEW_YORK)
        (span,) = hours.open_spans(date(2024, 3, 10))
        assert span.start == datetime(2024, 3, 10, 7, 0, tzinfo=UTC)

    def test_window_starting_in_the_repeated_hour_opens_at_its_second_occurrence(self) -> None:
        hours = ContactHours((LocalWindow(time(1, 30), time(21)),), (), NEW_YORK)
        (span,) = hours.open_spans(date(2024, 11, 3))
        assert span.start == local(NEW_YORK, 2024, 11, 3, 1, 30, fold=1)
        assert span.start == datetime(2024, 11, 3, 6, 30, tzinfo=UTC)

    def test_window_ending_in_the_repeated_hour_closes_at_its_first_occurrence(self) -> None:
        hours = ContactHours((LocalWindow(time(0), time(1, 30)),), (), NEW_YORK)
        (span,) = hours.open_spans(date(2024, 11, 3))
        assert span == Span(
            datetime(2024, 11, 3, 4, 0, tzinfo=UTC), datetime(2024, 11, 3, 5, 30, tzinfo=UTC)
        )

    def test_blackout_ending_in_the_repeated_hour_lasts_until_its_second_occurrence(self) -> None:
        late = TagBlackout("night_shift", (LocalWindow(time(0), time(1, 30)),))
        hours = ContactHours((LocalWindow(time(0), time(21)),), (late,), NEW_YORK)
        (span,) = hours.open_spans(date(2024, 11, 3))
        assert span.start == datetime(2024, 11, 3, 6, 30, tzinfo=UTC)

    def test_touching_windows_join_across_a_repeated_hour(self) -> None:
        hours = ContactHours(
            (LocalWindow(time(0), time(1, 30)), LocalWindow(time(1, 30), time(21))), (), NEW_YORK
        )
        assert hours.open_spans(date(2024, 11, 3)) == (
            Span(datetime(2024, 11, 3, 4, 0, tzinfo=UTC), datetime(2024, 11, 4, 2, 0, tzinfo=UTC)),
        )


class TestIsOpen:
    """Whether one instant is open, exactly at the boundaries."""

    @pytest.mark.parametrize(
        ("wall", "expected"),
        [
            pytest.param((7, 59, 59), False, id="07:59:59"),
            pytest.param((8, 0, 0), True, id="08:00:00"),
            pytest.param((8, 29, 59), True, id="08:29:59-before-class"),
            pytest.param((8, 30, 0), False, id="08:30:00-class-starts"),
            pytest.param((12, 29, 59), False, id="12:29:59-in-class"),
            pytest.param((12, 30, 0), True, id="12:30:00-class-ends"),
            pytest.param((20, 59, 59), True, id="20:59:59"),
            pytest.param((21, 0, 0), False, id="21:00:00"),
        ],
    )
    def test_student_in_shanghai(self, wall: tuple[int, int, int], expected: bool) -> None:
        hours = ContactHours(DAYTIME, (STUDENT,), SHANGHAI)
        assert hours.is_open(local(SHANGHAI, 2024, 3, 11, *wall)) is expected


class TestWhyClosed:
    """The explanation names the local time, the zone and the window or blackout tag."""

    def test_outside_hours(self) -> None:
        hours = ContactHours(DAYTIME, (), SHANGHAI)
        assert hours.why_closed(local(SHANGHAI, 2024, 3, 11, 21, 30)) == (
            "local time 21:30 Asia/Shanghai is outside the contact hours 08:00–21:00"
        )

    def test_inside_blackout_names_the_tag_and_window(self) -> None:
        hours = ContactHours(DAYTIME, (STUDENT,), SHANGHAI)
        assert hours.why_closed(local(SHANGHAI, 2024, 3, 11, 15)) == (
            "local time 15:00 Asia/Shanghai is inside the 'student' blackout 14:00–17:30"
        )

    def test_repeated_hour(self) -> None:
        hours = ContactHours((LocalWindow(time(0), time(1, 30)),), (), NEW_YORK)
        reason = hours.why_closed(local(NEW_YORK, 2024, 11, 3, 1, 10, fold=1))
        assert "repeats after a daylight-saving change" in reason
