"""Contact caps: who counts, on which local date, and over which run of days."""

from __future__ import annotations

from datetime import date

import pytest

from smsgate.core.audience import Audience
from smsgate.core.policy import CapLedger, Channel, ContactCap, ProfileError

from .policy_support import (
    DEBTOR_PHONE,
    FRIEND_PHONE,
    NEW_YORK,
    SECOND_PHONE,
    SHANGHAI,
    contact,
    debtor,
    local,
    third_party,
)


class TestContactCap:
    """A cap is a whole limit ≥ 0 over 1 to 366 days."""

    @pytest.mark.parametrize(
        ("limit", "days", "message"),
        [
            pytest.param(-1, 1, "whole number ≥ 0", id="negative-limit"),
            pytest.param(2.5, 1, "whole number ≥ 0", id="fractional-limit"),
            pytest.param(True, 1, "whole number ≥ 0", id="boolean-limit"),
            pytest.param("3", 1, "whole number ≥ 0", id="string-limit"),
            pytest.param(3, 0, "1 to 366 days", id="zero-days"),
            pytest.param(3, 367, "1 to 366 days", id="too-many-days"),
            pytest.param(3, 1.0, "whole number of days", id="float-days"),
        ],
    )
    def test_rejects(self, limit: object, days: object, message: str) -> None:
        with pytest.raises(ProfileError, match=message):
            ContactCap(limit, days)  # type: ignore[arg-type]

    def test_zero_limit_is_allowed(self) -> None:
        assert ContactCap(0).limit == 0

    @pytest.mark.parametrize(
        ("cap", "text"),
        [
            pytest.param(ContactCap(3), "at most 3 contacts per local day", id="daily"),
            pytest.param(
                ContactCap(7, 7), "at most 7 contacts in any 7 consecutive local days", id="7-in-7"
            ),
        ],
    )
    def test_str(self, cap: ContactCap, text: str) -> None:
        assert str(cap) == text


class TestWhoCounts:
    """A debtor's cap counts their debtor contacts on any phone; a third party's, its phone."""

    HISTORY = (
        contact(local(SHANGHAI, 2024, 3, 11, 9), phone=DEBTOR_PHONE, channel=Channel.SMS),
        contact(local(SHANGHAI, 2024, 3, 11, 10), phone=SECOND_PHONE, channel=Channel.CALL),
        contact(local(SHANGHAI, 2024, 3, 11, 11), debtor_id="D-2002", phone="+8613600136000"),
        contact(local(SHANGHAI, 2024, 3, 11, 12), phone=FRIEND_PHONE, role=Audience.THIRD_PARTY),
        contact(
            local(SHANGHAI, 2024, 3, 11, 13),
            phone=FRIEND_PHONE,
            debtor_id="D-3003",
            role=Audience.DEBTOR,
        ),
    )

    def test_debtor_counts_sms_and_calls_across_phones(self) -> None:
        ledger = CapLedger.of(debtor(), ContactCap(3), self.HISTORY, SHANGHAI)
        assert ledger.per_day == {date(2024, 3, 11): 2}

    def test_third_party_counts_every_contact_to_its_phone(self) -> None:
        ledger = CapLedger.of(third_party(), ContactCap(1), self.HISTORY, SHANGHAI)
        assert ledger.per_day == {date(2024, 3, 11): 2}


class TestLocalDates:
    """Contacts are dated on the recipient's clock, including across a 25-hour day."""

    def test_shanghai_midnight_is_not_utc_midnight(self) -> None:
        history = [
            contact(local(SHANGHAI, 2024, 3, 11, 0, 30)),
            contact(local(SHANGHAI, 2024, 3, 10, 23, 59)),
        ]
        ledger = CapLedger.of(debtor(), ContactCap(3), history, SHANGHAI)
        assert ledger.per_day == {date(2024, 3, 10): 1, date(2024, 3, 11): 1}

    def test_fall_back_day_keeps_both_01_30s_and_23_30(self) -> None:
        history = [
            contact(local(NEW_YORK, 2024, 11, 3, 0, 30)),
            contact(local(NEW_YORK, 2024, 11, 3, 1, 30, fold=0)),
            contact(local(NEW_YORK, 2024, 11, 3, 1, 30, fold=1)),
            contact(local(NEW_YORK, 2024, 11, 3, 23, 30)),
            contact(local(NEW_YORK, 2024, 11, 4, 0, 0)),
        ]
        ledger = CapLedger.of(debtor(), ContactCap(3), history, NEW_YORK)
        assert ledger.per_day == {date(2024, 11, 3): 4, date(2024, 11, 4): 1}


class TestRoom:
    """One more contact must keep every run of days containing it within the limit."""

    def test_daily_cap(self) -> None:
        ledger = CapLedger(ContactCap(3), {date(2024, 3, 11): 2, date(2024, 3, 12): 3})
        assert ledger.has_room_on(date(2024, 3, 11))
        assert not ledger.has_room_on(date(2024, 3, 12))
        assert ledger.has_room_on(date(2024, 3, 13))

    def test_zero_limit_never_has_room(self) -> None:
        assert not CapLedger(ContactCap(0), {}).has_room_on(date(2024, 3, 11))

    def test_seven_in_seven_counts_the_six_days_before(self) -> None:
        per_day = {date(2024, 4, day): 1 for day in range(1, 8)}  # April 1 to 7
        ledger = CapLedger(ContactCap(7, 7), per_day)
        assert not ledger.has_room_on(date(2024, 4, 7))
        assert ledger.has_room_on(date(2024, 4, 8))
        assert ledger.busiest_period(date(2024, 4, 7)) == (date(2024, 4, 1), 7)

    def test_future_bookings_count_too(self) -> None:
        # Six contacts already booked for April 10 to 12: a seventh on April 9 would put
        # seven in April 6 to 12 together with the one on April 6.
        per_day = {date(2024, 4, 6): 1, date(2024, 4, 10): 2, date(2024, 4, 11): 2}
        per_day[date(2024, 4, 12)] = 2
        ledger = CapLedger(ContactCap(7, 7), per_day)
        assert not ledger.has_room_on(date(2024, 4, 9))
        assert ledger.busiest_period(date(2024, 4, 9)) == (date(2024, 4, 6), 7)
        assert ledger.has_room_on(date(2024, 4, 5))

    def test_why_full_names_the_period(self) -> None:
        per_day = {date(2024, 4, day): 1 for day in range(1, 8)}
        ledger = CapLedger(ContactCap(7, 7), per_day)
        assert ledger.why_full(date(2024, 4, 7)) == (
            "7 contacts already from 2024-04-01 to 2024-04-07; "
            "at most 7 contacts in any 7 consecutive local days"
        )
        daily = CapLedger(ContactCap(3), {date(2024, 3, 11): 3})
        assert daily.why_full(date(2024, 3, 11)) == (
            "3 contacts already on 2024-03-11; at most 3 contacts per local day"
        )
