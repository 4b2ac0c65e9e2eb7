"""``decide`` on DST days, in the recipient's zone, under us-reg-f 7-in-7; ``history_window``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smsgate.core.policy import (
    CN_SHENZHEN,
    US_REG_F,
    Allow,
    Contact,
    Decision,
    Defer,
    OnQuietHours,
    PolicyCode,
    Refuse,
    UnknownTimeZone,
    decide,
    history_window,
    profile_from_config,
)

from .policy_support import (
    NEW_YORK,
    SHANGHAI,
    UNPLACED_PHONE,
    US_PHONE,
    contact,
    debtor,
    local,
    request,
    third_party,
    us_debtor,
)

US_DAILY_3 = profile_from_config("us-reg-f", {"debtor_cap": {"limit": 3, "days": 1}})


def us_decision(
    now: datetime,
    history: tuple[Contact, ...] = (),
    on_quiet_hours: OnQuietHours = OnQuietHours.DEFER,
) -> Decision:
    return decide(request(us_debtor()), US_REG_F, history, now, on_quiet_hours)


class TestSpringForwardDay:
    """On 2024-03-10 New York's window is 08:00–21:00 EDT, i.e. 12:00–01:00 UTC."""

    @pytest.mark.parametrize(
        ("now", "expected"),
        [
            pytest.param(
                datetime(2024, 3, 10, 11, 59, 59, tzinfo=UTC),
                Defer,
                id="07:59:59-EDT",
            ),
            pytest.param(datetime(2024, 3, 10, 12, 0, tzinfo=UTC), Allow, id="08:00-EDT"),
            pytest.param(datetime(2024, 3, 11, 0, 59, 59, tzinfo=UTC), Allow, id="20:59:59-EDT"),
            pytest.param(datetime(2024, 3, 11, 1, 0, tzinfo=UTC), Defer, id="21:00-EDT"),
        ],
    )
    def test_boundaries(self, now: datetime, expected: type) -> None:
        assert type(us_decision(now)) is expected

    def test_08_00_est_reading_would_be_an_hour_late(self) -> None:
        # 12:30 UTC is 08:30 EDT: inside. Counting 8 hours from midnight EST would say 07:30.
        now = datetime(2024, 3, 10, 12, 30, tzinfo=UTC)
        assert us_decision(now) == Allow(now)

    def test_early_morning_defers_to_08_00_edt(self) -> None:
        decision = us_decision(local(NEW_YORK, 2024, 3, 10, 1, 30))
        assert isinstance(decision, Defer)
        assert decision.until == datetime(2024, 3, 10, 12, 0, tzinfo=UTC)
        assert decision.reason == (
            "local time 01:30 America/New_York is outside the contact hours 08:00–21:00; "
            "deferred to 2024-03-10 08:00 America/New_York"
        )


class TestFallBackDay:
    """On 2024-11-03 New York repeats 01:00–02:00; the day has 25 hours."""

    @pytest.mark.parametrize(
        "fold", [pytest.param(0, id="first-01:30-EDT"), pytest.param(1, id="second-01:30-EST")]
    )
    def test_01_30_defers_to_08_00_est(self, fold: int) -> None:
        decision = us_decision(local(NEW_YORK, 2024, 11, 3, 1, 30, fold=fold))
        assert isinstance(decision, Defer)
        assert decision.until == datetime(2024, 11, 3, 13, 0, tzinfo=UTC)

    def test_01_30_rejected_with_retry_at_08_00_est(self) -> None:
        now = datetime(2024, 11, 3, 5, 30, tzinfo=UTC)  # the first 01:30, EDT
        decision = us_decision(now, on_quiet_hours=OnQuietHours.REJECT)
        assert decision == Refuse(
            PolicyCode.QUIET_HOURS,
            "local time 01:30 America/New_York is outside the contact hours 08:00–21:00",
            datetime(2024, 11, 3, 13, 0, tzinfo=UTC),
        )

    def test_window_ends_at_21_00_est(self) -> None:
        assert isinstance(us_decision(datetime(2024, 11, 4, 1, 59, 59, tzinfo=UTC)), Allow)
        assert isinstance(us_decision(datetime(2024, 11, 4, 2, 0, tzinfo=UTC)), Defer)

    def test_cap_counts_all_25_hours_of_the_day(self) -> None:
        history = (
            contact(local(NEW_YORK, 2024, 11, 3, 0, 30)),  # 04:30 UTC, EDT
            contact(local(NEW_YORK, 2024, 11, 3, 1, 30, fold=1)),  # 06:30 UTC, EST
            contact(local(NEW_YORK, 2024, 11, 3, 23, 30)),  # 04:30 UTC on November 4
        )
        now = local(NEW_YORK, 2024, 11, 3, 12)
        decision = decide(request(us_debtor()), US_DAILY_3, history, now, "defer")
        assert decision == Refuse(
            PolicyCode.CONTACT_LIMIT,
            "contact limit reached: 3 contacts already on 2024-11-03; "
            "at most 3 contacts per local day",
            datetime(2024, 11, 4, 13, 0, tzinfo=UTC),
        )

    def test_midnight_after_the_long_day_belongs_to_the_next(self) -> None:
        history = (
            contact(local(NEW_YORK, 2024, 11, 3, 0, 30)),
            contact(local(NEW_YORK, 2024, 11, 3, 1, 30, fold=1)),
            contact(local(NEW_YORK, 2024, 11, 4, 0, 0)),  # 05:00 UTC on November 4
        )
        now = local(NEW_YORK, 2024, 11, 3, 12)
        assert decide(request(us_debtor()), US_DAILY_3, history, now, "defer") == Allow(now)


class TestSevenInSeven:
    """us-reg-f: at most 7 contacts in any 7 consecutive local days (Regulation F)."""

    DAILY_JUNE_3_TO_9 = tuple(contact(local(NEW_YORK, 2024, 6, day, 10)) for day in range(3, 10))

    def test_eighth_contact_in_seven_days_is_refused(self) -> None:
        decision = us_decision(local(NEW_YORK, 2024, 6, 9, 15), self.DAILY_JUNE_3_TO_9)
        assert decision == Refuse(
            PolicyCode.CONTACT_LIMIT,
            "contact limit reached: 7 contacts already from 2024-06-03 to 2024-06-09; "
            "at most 7 contacts in any 7 consecutive local days",
            datetime(2024, 6, 10, 12, 0, tzinfo=UTC),
        )

    def test_retry_when_the_oldest_contacts_leave_the_window(self) -> None:
        history = (
            *(contact(local(NEW_YORK, 2024, 6, 3, hour)) for hour in (9, 10)),
            *(contact(local(NEW_YORK, 2024, 6, 6, hour)) for hour in (9, 10, 11, 12, 13)),
        )
        decision = us_decision(local(NEW_YORK, 2024, 6, 8, 15), history)
        assert isinstance(decision, Refuse)
        # June 3's contacts leave the 7-day window at the start of June 10; 08:00 EDT then.
        assert decision.retry_at == datetime(2024, 6, 10, 12, 0, tzinfo=UTC)

    def test_seven_on_one_day_block_the_following_six(self) -> None:
        history = tuple(contact(local(NEW_YORK, 2024, 6, 5, hour)) for hour in range(9, 16))
        decision = us_decision(local(NEW_YORK, 2024, 6, 11, 20), history)
        assert isinstance(decision, Refuse)
        assert decision.retry_at == datetime(2024, 6, 12, 12, 0, tzinfo=UTC)

    def test_allowed_once_the_oldest_has_left(self) -> None:
        now = local(NEW_YORK, 2024, 6, 10, 8)
        assert us_decision(now, self.DAILY_JUNE_3_TO_9) == Allow(now)

    def test_quiet_hours_defer_to_the_day_the_window_frees(self) -> None:
        decision = us_decision(local(NEW_YORK, 2024, 6, 9, 22), self.DAILY_JUNE_3_TO_9)
        assert isinstance(decision, Defer)
        assert decision.until == datetime(2024, 6, 10, 12, 0, tzinfo=UTC)

    def test_booked_contacts_later_in_the_week_count(self) -> None:
        history = tuple(contact(local(NEW_YORK, 2024, 6, day, 10)) for day in range(10, 17))
        decision = us_decision(local(NEW_YORK, 2024, 6, 9, 12), history)
        assert isinstance(decision, Allow)
        decision = us_decision(local(NEW_YORK, 2024, 6, 12, 12), history)
        assert isinstance(decision, Refuse)
        assert decision.retry_at == datetime(2024, 6, 17, 12, 0, tzinfo=UTC)


class TestRecipientZone:
    """Hours are read in the recipient's zone, falling back to the profile's default."""

    NOON_UTC = datetime(2024, 6, 10, 1, 0, tzinfo=UTC)  # 09:00 Shanghai, 21:00 New York

    def test_shanghai_recipient_under_us_profile(self) -> None:
        req = request(debtor(timezone="Asia/Shanghai"))
        assert decide(req, US_REG_F, (), self.NOON_UTC, "defer") == Allow(self.NOON_UTC)

    def test_default_zone_of_us_profile_is_new_york(self) -> None:
        # Only for a number libphonenumber cannot place: otherwise the number's zones count.
        unplaced = request(debtor(phone=UNPLACED_PHONE))
        decision = decide(unplaced, US_REG_F, (), self.NOON_UTC, "defer")
        assert isinstance(decision, Defer)
        assert decision.until == local(NEW_YORK, 2024, 6, 10, 8)

    def test_default_zone_of_cn_profile_is_shanghai(self) -> None:
        assert decide(request(debtor()), CN_SHENZHEN, (), self.NOON_UTC, "defer") == Allow(
            self.NOON_UTC
        )

    def test_chinese_number_under_us_profile_is_judged_in_shanghai(self) -> None:
        decision = decide(request(debtor()), US_REG_F, (), self.NOON_UTC, "defer")
        assert decision == Allow(self.NOON_UTC)

    def test_new_york_recipient_under_cn_profile(self) -> None:
        req = request(us_debtor(timezone="America/New_York"))
        decision = decide(req, CN_SHENZHEN, (), self.NOON_UTC, "reject")
        assert isinstance(decision, Refuse)
        assert decision.code is PolicyCode.QUIET_HOURS
        assert "America/New_York" in decision.reason

    def test_days_are_counted_in_the_recipient_zone(self) -> None:
        # 23:30 on June 9 in New York is 11:30 on June 10 in Shanghai.
        history = tuple(contact(local(NEW_YORK, 2024, 6, 9, 23, 30)) for _ in range(3))
        in_shanghai = request(debtor())
        in_new_york = request(us_debtor(timezone="America/New_York"))
        shanghai_evening = local(SHANGHAI, 2024, 6, 10, 18)
        new_york_noon = local(NEW_YORK, 2024, 6, 10, 12)
        refused = decide(in_shanghai, CN_SHENZHEN, history, shanghai_evening, "defer")
        assert isinstance(refused, Refuse)
        assert refused.code is PolicyCode.CONTACT_LIMIT
        allowed = decide(in_new_york, CN_SHENZHEN, history, new_york_noon, "defer")
        assert allowed == Allow(new_york_noon)

    @pytest.mark.parametrize(
        "name",
        [pytest.param("Mars/Olympus_Mons", id="unknown"), pytest.param("Asia", id="directory")],
    )
    def test_unknown_zone_raises(self, name: str) -> None:
        with pytest.raises(UnknownTimeZone, match=repr(name)):
            decide(request(debtor(timezone=name)), CN_SHENZHEN, (), self.NOON_UTC, "defer")
        with pytest.raises(UnknownTimeZone):
            history_window(CN_SHENZHEN, debtor(timezone=name), self.NOON_UTC)


class TestHistoryWindow:
    """Storage fetches the send day, the look-ahead days and any days sharing a cap period."""

    def test_daily_cap_covers_send_day_and_seven_days_ahead(self) -> None:
        assert history_window(CN_SHENZHEN, debtor(), local(SHANGHAI, 2024, 3, 11, 21, 30)) == (
            datetime(2024, 3, 10, 16, 0, tzinfo=UTC),
            datetime(2024, 3, 18, 16, 0, tzinfo=UTC),
        )

    def test_seven_day_cap_adds_six_days_either_side(self) -> None:
        assert history_window(US_REG_F, us_debtor(), local(NEW_YORK, 2024, 6, 9, 12)) == (
            local(NEW_YORK, 2024, 6, 3),
            local(NEW_YORK, 2024, 6, 23),
        )

    def test_third_party_uses_the_third_party_cap_period(self) -> None:
        assert history_window(
            US_REG_F, third_party(phone=US_PHONE), local(NEW_YORK, 2024, 6, 9, 12)
        ) == (
            local(NEW_YORK, 2024, 6, 9),
            local(NEW_YORK, 2024, 6, 17),
        )

    def test_across_fall_back_uses_each_days_own_midnight(self) -> None:
        start, end = history_window(US_REG_F, us_debtor(), local(NEW_YORK, 2024, 11, 1, 12))
        assert start == datetime(2024, 10, 26, 4, 0, tzinfo=UTC)  # midnight EDT
        assert end == datetime(2024, 11, 15, 5, 0, tzinfo=UTC)  # midnight EST

    def test_recipient_zone_is_used(self) -> None:
        start, _ = history_window(
            US_REG_F, third_party(timezone="Asia/Shanghai"), local(SHANGHAI, 2024, 6, 9, 12)
        )
        assert start == datetime(2024, 6, 8, 16, 0, tzinfo=UTC)

    def test_send_time_of_request_picks_the_later_of_send_at_and_now(self) -> None:
        now = local(SHANGHAI, 2024, 3, 11, 12)
        later = local(SHANGHAI, 2024, 3, 20, 12)
        assert request(debtor(), send_at=later).send_time(now) == later
        assert request(debtor(), send_at=local(SHANGHAI, 2024, 3, 1)).send_time(now) == now
        assert request(debtor()).send_time(now) == now
