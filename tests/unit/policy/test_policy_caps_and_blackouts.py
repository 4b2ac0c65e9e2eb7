"""``decide`` under cn-shenzhen: debtor and third-party caps, and the student blackout."""

from __future__ import annotations

import dataclasses
from datetime import time

import pytest

from smsgate.core.audience import Audience
from smsgate.core.policy import (
    CN_SHENZHEN,
    Allow,
    Channel,
    Contact,
    Defer,
    LocalWindow,
    OnQuietHours,
    PolicyCode,
    Refuse,
    TagBlackout,
    decide,
    profile_from_config,
)

from .policy_support import (
    FRIEND_PHONE,
    MONDAY_NOON,
    SECOND_PHONE,
    SHANGHAI,
    STUDENT,
    TUESDAY_0800,
    contact,
    debtor,
    local,
    request,
    shanghai_decision,
    third_party,
)


class TestDebtorCap:
    """Three contacts a local day per debtor: SMS and calls, on all of the debtor's phones."""

    THREE = (
        contact(local(SHANGHAI, 2024, 3, 11, 9), channel=Channel.SMS),
        contact(local(SHANGHAI, 2024, 3, 11, 10), phone=SECOND_PHONE, channel=Channel.CALL),
        contact(local(SHANGHAI, 2024, 3, 11, 11), channel=Channel.CALL),
    )

    def test_fourth_contact_is_refused_until_08_00_tomorrow(self) -> None:
        decision = shanghai_decision(request(debtor()), MONDAY_NOON, self.THREE)
        assert decision == Refuse(
            PolicyCode.CONTACT_LIMIT,
            "contact limit reached: 3 contacts already on 2024-03-11; "
            "at most 3 contacts per local day",
            TUESDAY_0800,
        )

    def test_on_the_other_phone_too(self) -> None:
        decision = shanghai_decision(request(debtor(phone=SECOND_PHONE)), MONDAY_NOON, self.THREE)
        assert isinstance(decision, Refuse)
        assert decision.code is PolicyCode.CONTACT_LIMIT

    def test_defer_mode_still_refuses_a_full_day_inside_hours(self) -> None:
        decision = shanghai_decision(request(debtor()), MONDAY_NOON, self.THREE, OnQuietHours.DEFER)
        assert isinstance(decision, Refuse)
        assert decision.code is PolicyCode.CONTACT_LIMIT

    def test_a_scheduled_contact_later_today_counts(self) -> None:
        history = (*self.THREE[:2], contact(local(SHANGHAI, 2024, 3, 11, 20)))
        decision = shanghai_decision(request(debtor()), MONDAY_NOON, history)
        assert isinstance(decision, Refuse)
        assert decision.code is PolicyCode.CONTACT_LIMIT

    @pytest.mark.parametrize(
        "other",
        [
            pytest.param(
                contact(
                    local(SHANGHAI, 2024, 3, 11, 11), phone=FRIEND_PHONE, role=Audience.THIRD_PARTY
                ),
                id="third-party-contact-about-the-debtor",
            ),
            pytest.param(
                contact(local(SHANGHAI, 2024, 3, 11, 11), debtor_id="D-2002"),
                id="other-debtor-same-phone",
            ),
            pytest.param(contact(local(SHANGHAI, 2024, 3, 10, 20, 59)), id="yesterday"),
            pytest.param(contact(local(SHANGHAI, 2024, 3, 12, 0, 0)), id="tomorrow-midnight"),
        ],
    )
    def test_contacts_that_do_not_count(self, other: Contact) -> None:
        history = (*self.THREE[:2], other)
        assert shanghai_decision(request(debtor()), MONDAY_NOON, history) == Allow(MONDAY_NOON)

    def test_quiet_hours_come_before_the_cap(self) -> None:
        late = local(SHANGHAI, 2024, 3, 11, 21, 30)
        decision = shanghai_decision(request(debtor()), late, self.THREE, OnQuietHours.REJECT)
        assert decision == Refuse(
            PolicyCode.QUIET_HOURS,
            "local time 21:30 Asia/Shanghai is outside the contact hours 08:00–21:00",
            TUESDAY_0800,
        )


class TestThirdPartyCap:
    """One contact a local day per third-party phone, whatever role it was made in."""

    def test_second_message_to_the_same_phone_is_refused(self) -> None:
        history = (
            contact(local(SHANGHAI, 2024, 3, 11, 9), phone=FRIEND_PHONE, role=Audience.THIRD_PARTY),
        )
        decision = shanghai_decision(request(third_party()), MONDAY_NOON, history)
        assert decision == Refuse(
            PolicyCode.CONTACT_LIMIT,
            "contact limit reached: 1 contact already on 2024-03-11; "
            "at most 1 contact per local day",
            TUESDAY_0800,
        )

    def test_a_call_to_the_phone_as_some_debtor_counts(self) -> None:
        history = (
            contact(
                local(SHANGHAI, 2024, 3, 11, 9),
                phone=FRIEND_PHONE,
                debtor_id="D-9009",
                channel=Channel.CALL,
                role=Audience.DEBTOR,
            ),
        )
        decision = shanghai_decision(request(third_party()), MONDAY_NOON, history)
        assert isinstance(decision, Refuse)
        assert decision.code is PolicyCode.CONTACT_LIMIT

    def test_another_third_party_phone_is_separate(self) -> None:
        history = (
            contact(local(SHANGHAI, 2024, 3, 11, 9), phone=FRIEND_PHONE, role=Audience.THIRD_PARTY),
        )
        req = request(third_party(phone="+8613500135000"))
        assert shanghai_decision(req, MONDAY_NOON, history) == Allow(MONDAY_NOON)

    def test_debtor_contacts_on_other_phones_do_not_count(self) -> None:
        history = tuple(contact(local(SHANGHAI, 2024, 3, 11, hour)) for hour in (9, 10, 11))
        assert shanghai_decision(request(third_party()), MONDAY_NOON, history) == Allow(MONDAY_NOON)

    def test_zero_limit_never_allows_and_never_retries(self) -> None:
        profile = profile_from_config("cn-shenzhen", {"third_party_cap": {"limit": 0}})
        decision = decide(request(third_party()), profile, (), MONDAY_NOON, "defer")
        assert isinstance(decision, Refuse)
        assert (decision.code, decision.retry_at) == (PolicyCode.CONTACT_LIMIT, None)


class TestStudentBlackout:
    """Students are not contacted during class hours 08:30–12:30 and 14:00–17:30."""

    @pytest.mark.parametrize(
        ("wall", "until"),
        [
            pytest.param((8, 30), (12, 30), id="08:30-to-12:30"),
            pytest.param((9, 0), (12, 30), id="09:00-to-12:30"),
            pytest.param((12, 29, 59), (12, 30), id="12:29:59-to-12:30"),
            pytest.param((15, 0), (17, 30), id="15:00-to-17:30"),
        ],
    )
    def test_defers_to_the_end_of_class(
        self, wall: tuple[int, ...], until: tuple[int, int]
    ) -> None:
        now = local(SHANGHAI, 2024, 3, 11, *wall)
        decision = shanghai_decision(request(debtor(tags=STUDENT)), now)
        assert isinstance(decision, Defer)
        assert decision.until == local(SHANGHAI, 2024, 3, 11, *until)
        assert "'student' blackout" in decision.reason

    @pytest.mark.parametrize(
        "wall",
        [
            pytest.param((8, 0), id="08:00-before-class"),
            pytest.param((8, 29, 59), id="08:29:59"),
            pytest.param((12, 30), id="12:30-lunch"),
            pytest.param((17, 30), id="17:30-after-class"),
        ],
    )
    def test_allowed_between_classes(self, wall: tuple[int, ...]) -> None:
        now = local(SHANGHAI, 2024, 3, 11, *wall)
        assert shanghai_decision(request(debtor(tags=STUDENT)), now) == Allow(now)

    def test_reject_names_the_blackout_tag(self) -> None:
        now = local(SHANGHAI, 2024, 3, 11, 9)
        decision = shanghai_decision(
            request(debtor(tags=STUDENT)), now, on_quiet_hours=OnQuietHours.REJECT
        )
        assert decision == Refuse(
            PolicyCode.QUIET_HOURS,
            "local time 09:00 Asia/Shanghai is inside the 'student' blackout 08:30–12:30",
            local(SHANGHAI, 2024, 3, 11, 12, 30),
        )

    def test_untagged_recipient_is_not_affected(self) -> None:
        now = local(SHANGHAI, 2024, 3, 11, 9)
        assert shanghai_decision(request(debtor(tags=frozenset({"teacher"}))), now) == Allow(now)

    def test_full_day_sends_student_to_next_morning_before_class(self) -> None:
        history = tuple(contact(local(SHANGHAI, 2024, 3, 11, hour)) for hour in (8, 13, 18))
        decision = shanghai_decision(
            request(debtor(tags=STUDENT)), local(SHANGHAI, 2024, 3, 11, 9), history
        )
        assert isinstance(decision, Defer)
        assert decision.until == TUESDAY_0800

    def test_blackout_over_all_hours_leaves_nowhere_to_defer(self) -> None:
        profile = profile_from_config("cn-shenzhen", {"blackouts": {"inpatient": ["00:00-23:59"]}})
        req = request(debtor(tags=frozenset({"inpatient"})))
        decision = decide(req, profile, (), MONDAY_NOON, "defer")
        assert decision == Refuse(
            PolicyCode.QUIET_HOURS,
            "local time 12:00 Asia/Shanghai is inside the 'inpatient' blackout 00:00–23:59; "
            "no allowed hours in the next 7 days",
            None,
        )

    def test_blackout_defined_directly_on_a_profile(self) -> None:
        lunch = TagBlackout("shift_worker", (LocalWindow(time(11), time(13)),))
        profile = dataclasses.replace(CN_SHENZHEN, blackouts=(lunch,))
        req = request(debtor(tags=frozenset({"shift_worker", "student"})))
        decision = decide(req, profile, (), MONDAY_NOON, "defer")
        assert isinstance(decision, Defer)
        assert decision.until == local(SHANGHAI, 2024, 3, 11, 13)
