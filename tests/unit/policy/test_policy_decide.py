"""``decide`` under cn-shenzhen: rule order, opt-outs, audiences, contact hours, send time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smsgate.core.audience import Audience
from smsgate.core.policy import (
    CN_SHENZHEN,
    RULES,
    Allow,
    Channel,
    Defer,
    OnQuietHours,
    PolicyCode,
    Refuse,
    decide,
)

from .policy_support import (
    FRIEND_PHONE,
    MONDAY_NOON,
    SECOND_PHONE,
    SHANGHAI,
    TUESDAY_0800,
    WEDNESDAY_0800,
    contact,
    debtor,
    local,
    request,
    shanghai_decision,
    third_party,
)


class TestRuleList:
    """The rules are named, coded and described, in the contract's order."""

    def test_order_and_codes(self) -> None:
        assert [(rule.name, rule.code) for rule in RULES] == [
            ("opt-out", PolicyCode.OPTED_OUT),
            ("audience", PolicyCode.AUDIENCE_MISMATCH),
            ("timezone", PolicyCode.TIMEZONE_MISMATCH),
            ("contact-hours", PolicyCode.QUIET_HOURS),
            ("contact-cap", PolicyCode.CONTACT_LIMIT),
        ]
        assert all(rule.description.endswith(".") for rule in RULES)

    def test_codes_are_the_contract_strings(self) -> None:
        assert [code.value for code in PolicyCode] == [
            "opted_out",
            "audience_mismatch",
            "quiet_hours",
            "contact_limit",
            "timezone_mismatch",
        ]


class TestOptOut:
    """An opted-out phone, or one whose third party refused, is never contacted."""

    def test_opted_out_debtor(self) -> None:
        decision = shanghai_decision(request(debtor(), opted_out=True), MONDAY_NOON)
        assert decision == Refuse(
            PolicyCode.OPTED_OUT, "this phone opted out of messages from the creditor", None
        )

    def test_refused_third_party(self) -> None:
        decision = shanghai_decision(request(third_party(), third_party_refused=True), MONDAY_NOON)
        assert decision == Refuse(
            PolicyCode.OPTED_OUT,
            "a third party at this phone refused contact; the phone is never contacted again",
            None,
        )

    def test_refusal_stops_the_phone_even_as_a_debtor_phone(self) -> None:
        decision = shanghai_decision(request(debtor(), third_party_refused=True), MONDAY_NOON)
        assert isinstance(decision, Refuse)
        assert decision.code is PolicyCode.OPTED_OUT

    def test_opt_out_comes_before_every_other_rule(self) -> None:
        req = request(third_party(), audience=Audience.DEBTOR, opted_out=True)
        late = local(SHANGHAI, 2024, 3, 11, 23)
        history = (contact(late, phone=FRIEND_PHONE, role=Audience.THIRD_PARTY),)
        decision = shanghai_decision(req, late, history, OnQuietHours.REJECT)
        assert isinstance(decision, Refuse)
        assert decision.code is PolicyCode.OPTED_OUT


class TestAudience:
    """Debtors get debtor templates; third parties get only third_party templates."""

    def test_third_party_with_debtor_template(self) -> None:
        decision = shanghai_decision(request(third_party(), audience=Audience.DEBTOR), MONDAY_NOON)
        assert decision == Refuse(
            PolicyCode.AUDIENCE_MISMATCH,
            "a third party may only receive third_party templates (a call-back request that "
            "never mentions the debt); this template is for debtor",
            None,
        )

    def test_debtor_with_third_party_template(self) -> None:
        decision = shanghai_decision(request(debtor(), audience=Audience.THIRD_PARTY), MONDAY_NOON)
        assert decision == Refuse(
            PolicyCode.AUDIENCE_MISMATCH,
            "a debtor must receive debtor templates; this template is for third_party",
            None,
        )

    def test_audience_comes_before_quiet_hours(self) -> None:
        req = request(debtor(), audience=Audience.THIRD_PARTY)
        decision = shanghai_decision(req, local(SHANGHAI, 2024, 3, 11, 23))
        assert isinstance(decision, Refuse)
        assert decision.code is PolicyCode.AUDIENCE_MISMATCH

    def test_matching_third_party_template_is_allowed(self) -> None:
        assert shanghai_decision(request(third_party()), MONDAY_NOON) == Allow(MONDAY_NOON)


class TestWindowBoundaries:
    """08:00 and 20:59:59 are inside; 07:59:59 and 21:00 are not."""

    @pytest.mark.parametrize(
        ("wall", "expected"),
        [
            pytest.param((7, 59, 59), Defer, id="07:59:59"),
            pytest.param((8, 0, 0), Allow, id="08:00:00"),
            pytest.param((20, 59, 0), Allow, id="20:59:00"),
            pytest.param((20, 59, 59), Allow, id="20:59:59"),
            pytest.param((21, 0, 0), Defer, id="21:00:00"),
        ],
    )
    def test_defer_mode(self, wall: tuple[int, int, int], expected: type) -> None:
        now = local(SHANGHAI, 2024, 3, 11, *wall)
        assert type(shanghai_decision(request(debtor()), now)) is expected

    def test_allow_at_08_00_sends_then(self) -> None:
        now = local(SHANGHAI, 2024, 3, 11, 8)
        assert shanghai_decision(request(debtor()), now) == Allow(
            datetime(2024, 3, 11, 0, 0, tzinfo=UTC)
        )

    def test_07_59_59_defers_one_second(self) -> None:
        decision = shanghai_decision(request(debtor()), local(SHANGHAI, 2024, 3, 11, 7, 59, 59))
        assert isinstance(decision, Defer)
        assert decision.until == datetime(2024, 3, 11, 0, 0, tzinfo=UTC)

    @pytest.mark.parametrize(
        ("wall", "retry_at"),
        [
            pytest.param((7, 59, 59), datetime(2024, 3, 11, 0, 0, tzinfo=UTC), id="07:59:59"),
            pytest.param((21, 0, 0), TUESDAY_0800, id="21:00:00"),
            pytest.param((23, 59, 59), TUESDAY_0800, id="23:59:59"),
        ],
    )
    def test_reject_mode_refuses_with_retry_at(
        self, wall: tuple[int, int, int], retry_at: datetime
    ) -> None:
        now = local(SHANGHAI, 2024, 3, 11, *wall)
        decision = shanghai_decision(request(debtor()), now, on_quiet_hours=OnQuietHours.REJECT)
        assert isinstance(decision, Refuse)
        assert (decision.code, decision.retry_at) == (PolicyCode.QUIET_HOURS, retry_at)

    def test_reject_reason_names_local_time_zone_and_hours(self) -> None:
        now = local(SHANGHAI, 2024, 3, 11, 21, 30)
        decision = decide(request(debtor()), CN_SHENZHEN, (), now, "reject")
        assert decision == Refuse(
            PolicyCode.QUIET_HOURS,
            "local time 21:30 Asia/Shanghai is outside the contact hours 08:00–21:00",
            TUESDAY_0800,
        )


class TestDeferAcrossMidnight:
    """A message asked for after 21:00 goes at 08:00 the next local day."""

    def test_21_30_defers_to_08_00_next_day(self) -> None:
        decision = decide(
            request(debtor()), CN_SHENZHEN, (), local(SHANGHAI, 2024, 3, 11, 21, 30), "defer"
        )
        assert decision == Defer(
            TUESDAY_0800,
            "local time 21:30 Asia/Shanghai is outside the contact hours 08:00–21:00; "
            "deferred to 2024-03-12 08:00 Asia/Shanghai",
            PolicyCode.QUIET_HOURS,
        )

    def test_00_30_defers_to_08_00_same_day(self) -> None:
        decision = shanghai_decision(request(debtor()), local(SHANGHAI, 2024, 3, 12, 0, 30))
        assert isinstance(decision, Defer)
        assert decision.until == TUESDAY_0800

    def test_defer_skips_a_day_whose_cap_is_already_booked(self) -> None:
        booked = (
            contact(local(SHANGHAI, 2024, 3, 12, 8)),
            contact(local(SHANGHAI, 2024, 3, 12, 8), phone=SECOND_PHONE, channel=Channel.CALL),
            contact(local(SHANGHAI, 2024, 3, 12, 19)),
        )
        decision = shanghai_decision(
            request(debtor()), local(SHANGHAI, 2024, 3, 11, 21, 30), booked
        )
        assert decision == Defer(
            WEDNESDAY_0800,
            "local time 21:30 Asia/Shanghai is outside the contact hours 08:00–21:00; "
            "deferred to 2024-03-13 08:00 Asia/Shanghai, passing over 2024-03-12: "
            "3 contacts already on 2024-03-12; at most 3 contacts per local day",
        )

    def test_defer_keeps_a_day_with_room_left(self) -> None:
        booked = (
            contact(local(SHANGHAI, 2024, 3, 12, 8)),
            contact(local(SHANGHAI, 2024, 3, 12, 9)),
        )
        decision = shanghai_decision(
            request(debtor()), local(SHANGHAI, 2024, 3, 11, 21, 30), booked
        )
        assert isinstance(decision, Defer)
        assert decision.until == TUESDAY_0800

    def test_future_send_at_in_quiet_hours_defers_from_send_at(self) -> None:
        req = request(debtor(), send_at=local(SHANGHAI, 2024, 3, 15, 22))
        decision = shanghai_decision(req, MONDAY_NOON)
        assert isinstance(decision, Defer)
        assert decision.until == local(SHANGHAI, 2024, 3, 16, 8)

    def test_nowhere_to_defer_within_the_lookahead(self) -> None:
        full = tuple(
            contact(local(SHANGHAI, 2024, 3, day, hour))
            for day in range(12, 20)
            for hour in (9, 10, 11)
        )
        decision = shanghai_decision(request(debtor()), local(SHANGHAI, 2024, 3, 11, 21, 30), full)
        assert isinstance(decision, Refuse)
        assert decision.code is PolicyCode.CONTACT_LIMIT
        assert decision.retry_at is None
        assert decision.reason.endswith(
            "every day with allowed hours in the next 7 days has reached its contact limit"
        )


class TestSendTime:
    """The message goes at send_at if that is later than now, otherwise now."""

    def test_future_send_at_inside_hours_is_allowed_then(self) -> None:
        send_at = local(SHANGHAI, 2024, 3, 14, 10)
        assert shanghai_decision(request(debtor(), send_at=send_at), MONDAY_NOON) == Allow(send_at)

    def test_past_send_at_means_now(self) -> None:
        req = request(debtor(), send_at=local(SHANGHAI, 2024, 3, 10, 23))
        assert shanghai_decision(req, MONDAY_NOON) == Allow(MONDAY_NOON)

    def test_decisions_are_in_utc(self) -> None:
        now = datetime(2024, 3, 11, 12, 0, tzinfo=SHANGHAI)
        decision = shanghai_decision(request(debtor()), now)
        assert isinstance(decision, Allow)
        assert decision.send_at.tzinfo is UTC
        assert decision.send_at == datetime(2024, 3, 11, 4, 0, tzinfo=UTC)

    def test_naive_now_is_rejected(self) -> None:
        with pytest.raises(ValueError, match="now must be a timezone-aware datetime"):
            shanghai_decision(request(debtor()), datetime(2024, 3, 11, 12))

    def test_naive_send_at_is_rejected(self) -> None:
        with pytest.raises(ValueError, match="send_at must be a timezone-aware"):
            request(debtor(), send_at=datetime(2024, 3, 11, 12))

    def test_unknown_on_quiet_hours_is_rejected(self) -> None:
        with pytest.raises(ValueError, match="'later'"):
            decide(request(debtor()), CN_SHENZHEN, (), MONDAY_NOON, "later")  # type: ignore[arg-type]
