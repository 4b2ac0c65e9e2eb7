"""The re-check of a send moved to another local day: that day's caps, without its own booking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smsgate.core.audience import Audience
from smsgate.core.policy import Allow, Channel, Contact, Defer, PolicyCode, Refuse
from smsgate.core.scanner.findings import Verdict
from smsgate.core.sms import Encoding
from smsgate.dispatch.recheck import moved_day_window, recheck_moved
from smsgate.store import Creditor, Message, MessageStatus

EIGHT_HOURS = timedelta(hours=8)
T0 = datetime(2024, 5, 1, 12, 59, tzinfo=UTC)  # 20:59 in Shanghai, day 1
DAY2_0800 = datetime(2024, 5, 2, 0, 0, tzinfo=UTC)
DAY3_0800 = datetime(2024, 5, 3, 0, 0, tzinfo=UTC)
ACME = Creditor("acme", "安信", "安信", "cn-shenzhen", T0)
TIGHT = Creditor("tight", "安信", "安信", "cn-shenzhen", T0, {"lookahead_days": 1})
MESSAGE = Message(
    "msg_a", "acme", "tpl_a", 1, "+8613800138000", "D-1", Audience.DEBTOR, "【安信】您好", 1,
    Encoding.UCS2, MessageStatus.QUEUED, T0, "w1", Verdict.PASS, "Asia/Shanghai",
)  # fmt: skip


def booked_on(day_0800: datetime, count: int, debtor_id: str = "D-1") -> list[Contact]:
    at = day_0800 + timedelta(hours=2)
    return [Contact(at, debtor_id, MESSAGE.phone, Channel.SMS, Audience.DEBTOR)] * count


class TestMovedDayWindow:
    """Only a slot on another local day than the booking asks for the ledger again."""

    def test_same_local_day_needs_no_second_look(self) -> None:
        assert moved_day_window(MESSAGE, ACME, T0, T0 + timedelta(minutes=50)) is None

    def test_past_local_midnight_reads_the_new_days(self) -> None:
        window = moved_day_window(MESSAGE, ACME, T0, DAY2_0800)
        assert window is not None
        start, end = window
        assert start == DAY2_0800 - EIGHT_HOURS  # 00:00 of day 2 in Shanghai
        assert end > DAY3_0800


class TestRecheckMoved:
    """A full new day passes the send on, or refuses it when the lookahead has no room."""

    def test_room_allows_at_the_slot(self) -> None:
        decision = recheck_moved(MESSAGE, ACME, [], DAY2_0800, booked_on(DAY2_0800, 2), T0)
        assert decision == Allow(DAY2_0800)

    def test_a_full_day_moves_on_with_contact_limit(self) -> None:
        decision = recheck_moved(MESSAGE, ACME, [], DAY2_0800, booked_on(DAY2_0800, 3), T0)
        assert isinstance(decision, Defer)
        assert (decision.until, decision.code) == (DAY3_0800, PolicyCode.CONTACT_LIMIT)
        assert "2024-05-02" in decision.reason
        assert "moved to 2024-05-03 08:00" in decision.reason

    def test_other_debtor_ids_on_the_phone_fill_the_day(self) -> None:
        others = [c for n in range(3) for c in booked_on(DAY2_0800, 1, debtor_id=f"X-{n}")]
        decision = recheck_moved(MESSAGE, ACME, [], DAY2_0800, others, T0)
        assert isinstance(decision, Defer)
        assert decision.until == DAY3_0800

    def test_no_room_in_the_lookahead_refuses(self) -> None:
        full = booked_on(DAY2_0800, 3) + booked_on(DAY3_0800, 3)
        decision = recheck_moved(MESSAGE, TIGHT, [], DAY2_0800, full, T0)
        assert isinstance(decision, Refuse)
        assert decision.code == PolicyCode.CONTACT_LIMIT
        assert "no day with room in the next 1 days" in decision.reason
