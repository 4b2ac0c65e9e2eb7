"""Built-in profiles and creditor overrides, including every configuration mistake."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from smsgate.core.audience import Audience
from smsgate.core.policy import (
    BUILTIN_PROFILES,
    CN_SHENZHEN,
    DEFAULT_PROFILE_NAME,
    US_REG_F,
    ContactCap,
    LocalWindow,
    PolicyProfile,
    ProfileError,
    TagBlackout,
    builtin_profile,
    profile_from_config,
)
from smsgate.core.policy.local_time import zone_named


class TestBuiltinProfiles:
    """The shipped profiles say what the regulations say."""

    def test_default_is_cn_shenzhen(self) -> None:
        assert DEFAULT_PROFILE_NAME == "cn-shenzhen"
        assert set(BUILTIN_PROFILES) == {"cn-shenzhen", "us-reg-f"}

    def test_cn_shenzhen(self) -> None:
        assert CN_SHENZHEN.contact_hours == (LocalWindow(time(8), time(21)),)
        assert CN_SHENZHEN.default_timezone == "Asia/Shanghai"
        assert CN_SHENZHEN.debtor_cap == ContactCap(3, 1)
        assert CN_SHENZHEN.third_party_cap == ContactCap(1, 1)
        assert CN_SHENZHEN.blackouts_for(frozenset({"student"})) == (
            TagBlackout(
                "student",
                (LocalWindow(time(8, 30), time(12, 30)), LocalWindow(time(14), time(17, 30))),
            ),
        )

    def test_us_reg_f(self) -> None:
        assert US_REG_F.contact_hours == (LocalWindow(time(8), time(21)),)
        assert US_REG_F.default_timezone == "America/New_York"
        assert US_REG_F.debtor_cap == ContactCap(7, 7)
        assert US_REG_F.blackouts == ()

    @pytest.mark.parametrize("name", sorted(BUILTIN_PROFILES))
    def test_default_zone_exists(self, name: str) -> None:
        assert zone_named(BUILTIN_PROFILES[name].default_timezone).key

    def test_cap_for_role(self) -> None:
        assert CN_SHENZHEN.cap_for(Audience.DEBTOR) == ContactCap(3)
        assert CN_SHENZHEN.cap_for(Audience.THIRD_PARTY) == ContactCap(1)

    def test_unknown_builtin(self) -> None:
        with pytest.raises(
            ProfileError, match=r"unknown policy profile 'cn'.*cn-shenzhen, us-reg-f"
        ):
            builtin_profile("cn")


class TestProfileShape:
    """A profile refuses to exist with empty or overlapping hours or a silly look-ahead."""

    def make(self, **changes: Any) -> PolicyProfile:
        fields: dict[str, Any] = {
            "name": "test",
            "contact_hours": (LocalWindow(time(8), time(21)),),
            "default_timezone": "UTC",
            "debtor_cap": ContactCap(3),
            "third_party_cap": ContactCap(1),
        }
        return PolicyProfile(**(fields | changes))

    def test_split_hours_are_fine(self) -> None:
        hours = (LocalWindow(time(13), time(21)), LocalWindow(time(8), time(12)))
        assert self.make(contact_hours=hours).contact_hours == hours

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            pytest.param({"contact_hours": ()}, "at least one window", id="no-hours"),
            pytest.param(
                {
                    "contact_hours": (
                        LocalWindow(time(8), time(12)),
                        LocalWindow(time(11, 59), time(21)),
                    )
                },
                "08:00–12:00 and 11:59–21:00 overlap",
                id="overlapping-hours",
            ),
            pytest.param(
                {"lookahead_days": 0}, "lookahead_days must be 1 to 366", id="lookahead-0"
            ),
            pytest.param({"lookahead_days": 400}, "lookahead_days", id="lookahead-400"),
            pytest.param({"lookahead_days": True}, "lookahead_days", id="lookahead-bool"),
        ],
    )
    def test_rejects(self, changes: dict[str, Any], message: str) -> None:
        with pytest.raises(ProfileError, match=message):
            self.make(**changes)


class TestProfileFromConfig:
    """A creditor's overrides change exactly the settings they name."""

    def test_no_overrides_is_the_builtin(self) -> None:
        assert profile_from_config("us-reg-f", {}) == US_REG_F

    def test_caps_and_hours(self) -> None:
        profile = profile_from_config(
            "cn-shenzhen",
            {
                "contact_hours": ["13:00-20:00", "09:00-12:00"],
                "debtor_cap": {"limit": 2},
                "third_party_cap": {"limit": 0},
                "default_timezone": "Asia/Urumqi",
                "lookahead_days": 3,
            },
        )
        assert profile.contact_hours == (
            LocalWindow(time(9), time(12)),
            LocalWindow(time(13), time(20)),
        )
        assert profile.debtor_cap == ContactCap(2, 1)
        assert profile.third_party_cap == ContactCap(0, 1)
        assert profile.default_timezone == "Asia/Urumqi"
        assert profile.lookahead_days == 3
        assert profile.blackouts == CN_SHENZHEN.blackouts

    def test_hours_as_one_string(self) -> None:
        profile = profile_from_config("us-reg-f", {"contact_hours": "09:00-20:00"})
        assert profile.contact_hours == (LocalWindow(time(9), time(20)),)

    def test_seven_in_seven_configurable(self) -> None:
        profile = profile_from_config("us-reg-f", {"debtor_cap": {"limit": 5, "days": 10}})
        assert profile.debtor_cap == ContactCap(5, 10)

    def test_blackouts_merge_by_tag(self) -> None:
        profile = profile_from_config(
            "cn-shenzhen",
            {"blackouts": {"student": ["08:00-12:00"], "night_shift": ["08:00-15:00"]}},
        )
        assert profile.blackouts == (
            TagBlackout("student", (LocalWindow(time(8), time(12)),)),
            TagBlackout("night_shift", (LocalWindow(time(8), time(15)),)),
        )

    def test_empty_list_removes_a_blackout(self) -> None:
        assert profile_from_config("cn-shenzhen", {"blackouts": {"student": []}}).blackouts == ()

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            pytest.param(
                {"max_per_day": 3},
                r"cn-shenzhen overrides: unknown setting\(s\) 'max_per_day'; known: blackouts, ",
                id="unknown-key",
            ),
            pytest.param(
                {"contact_hours": ["25:00-26:00"]},
                r"contact_hours: '25:00' is not a time of day",
                id="hour-25",
            ),
            pytest.param(
                {"contact_hours": ["21:00-08:00"]},
                r"contact_hours: window 21:00–08:00 must start before it ends",
                id="overnight-window",
            ),
            pytest.param(
                {"contact_hours": []}, "contact_hours needs at least one window", id="empty-hours"
            ),
            pytest.param({"contact_hours": [8, 21]}, "contact_hours must be a list", id="numbers"),
            pytest.param(
                {"contact_hours": ["08:00-13:00", "12:00-21:00"]}, "overlap", id="overlapping"
            ),
            pytest.param(
                {"debtor_cap": {"limit": -1}},
                "debtor_cap: a contact limit must be a whole number ≥ 0, got -1",
                id="negative-cap",
            ),
            pytest.param(
                {"third_party_cap": {"limit": "1"}},
                "third_party_cap: a contact limit must be a whole number",
                id="string-cap",
            ),
            pytest.param(
                {"debtor_cap": {"limit": 3, "per": "day"}},
                r"debtor_cap: unknown key\(s\) 'per'",
                id="unknown-cap-key",
            ),
            pytest.param({"debtor_cap": 3}, "debtor_cap must be a table", id="cap-not-table"),
            pytest.param(
                {"debtor_cap": {"days": 0}},
                "debtor_cap: a cap period must be 1 to 366",
                id="zero-days",
            ),
            pytest.param(
                {"default_timezone": "Mars/Olympus_Mons"},
                "default_timezone: unknown time zone 'Mars/Olympus_Mons'",
                id="unknown-zone",
            ),
            pytest.param(
                {"default_timezone": 8},
                "default_timezone must be a time zone name",
                id="zone-number",
            ),
            pytest.param(
                {"blackouts": {"student": ["12:30-08:30"]}},
                "blackouts.student: window 12:30–08:30 must start before it ends",
                id="bad-blackout",
            ),
            pytest.param(
                {"blackouts": ["student"]}, "blackouts must map tags", id="blackouts-list"
            ),
            pytest.param(
                {"blackouts": {"": ["08:00-09:00"]}},
                "a tag must be a non-empty string",
                id="empty-tag",
            ),
            pytest.param(
                {"lookahead_days": "7"}, "lookahead_days must be a whole number", id="lookahead-str"
            ),
            pytest.param(
                {"lookahead_days": -1}, "lookahead_days must be 1 to 366", id="lookahead-negative"
            ),
        ],
    )
    def test_rejects(self, overrides: dict[str, Any], message: str) -> None:
        with pytest.raises(ProfileError, match=message):
            profile_from_config("cn-shenzhen", overrides)

    def test_unknown_base(self) -> None:
        with pytest.raises(ProfileError, match="unknown policy profile 'us'"):
            profile_from_config("us", {})
