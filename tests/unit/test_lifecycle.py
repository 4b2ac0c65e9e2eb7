"""The message lifecycle table: complete, consistent with its groups, and strict."""

from __future__ import annotations

import itertools

import pytest

from smsgate.core.lifecycle import (
    AWAITING_REPORT,
    FINAL,
    HANDED_OVER,
    INITIAL,
    MOVES,
    PENDING,
    REPORTED,
    SENDABLE,
    IllegalMove,
    MessageStatus,
    check_move,
    sources_of,
)

S = MessageStatus


class TestTable:
    """Every status has its moves; final ones have none; groups agree with the moves."""

    def test_every_status_is_in_the_table(self) -> None:
        assert set(MOVES) == set(MessageStatus)

    def test_final_statuses_have_no_moves_and_the_others_do(self) -> None:
        assert {status for status, targets in MOVES.items() if not targets} == FINAL

    def test_every_status_is_reachable_from_a_created_message(self) -> None:
        reached, frontier = set(INITIAL), set(INITIAL)
        while frontier:
            frontier = {t for s in frontier for t in MOVES[s]} - reached
            reached |= frontier
        assert reached == set(MessageStatus)

    def test_groups(self) -> None:
        assert SENDABLE < PENDING
        assert not PENDING & HANDED_OVER
        assert PENDING | HANDED_OVER | {S.REJECTED} == set(MessageStatus)
        assert AWAITING_REPORT < HANDED_OVER
        assert REPORTED < FINAL

    def test_pending_never_comes_back_once_handed_over(self) -> None:
        for status in HANDED_OVER:
            assert not (MOVES[status] & (PENDING - {S.QUEUED})), status

    def test_a_report_settles_anything_awaiting_one(self) -> None:
        for status, report in itertools.product(AWAITING_REPORT, REPORTED):
            check_move("m", status, report)

    def test_a_complaint_holds_only_what_still_waits(self) -> None:
        """A complaint holds queued and scheduled sends for a reviewer, never a handed-over one."""
        assert sources_of(S.HELD) == SENDABLE
        assert not HANDED_OVER & sources_of(S.HELD)


class TestCheck:
    """An illegal move raises, naming the message and both statuses."""

    @pytest.mark.parametrize(
        ("current", "wanted"),
        [
            (S.DELIVERED, S.QUEUED),
            (S.REJECTED, S.SENDING),
            (S.HELD, S.SENDING),
            (S.SENT, S.QUEUED),
            (S.FAILED, S.DELIVERED),
            (S.SENDING, S.HELD),
            (S.SENT, S.HELD),
            (S.UNKNOWN, S.QUEUED),
        ],
    )
    def test_illegal(self, current: MessageStatus, wanted: MessageStatus) -> None:
        with pytest.raises(IllegalMove) as raised:
            check_move("msg_1", current, wanted)
        assert (raised.value.current, raised.value.wanted) == (current, wanted)
        assert "msg_1" in str(raised.value)

    def test_sources_are_the_inverse(self) -> None:
        for wanted in MessageStatus:
            assert sources_of(wanted) == {s for s in MessageStatus if wanted in MOVES[s]}
        assert sources_of(S.REJECTED) == PENDING
