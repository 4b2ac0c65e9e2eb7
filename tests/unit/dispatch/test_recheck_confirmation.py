"""``recheck_confirmation``: a stop confirmation passes the opt-out it confirms, and only it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smsgate.core.policy import PolicyCode
from smsgate.dispatch.recheck import CONFIRMATION_VALIDITY, recheck_confirmation
from smsgate.store import OptOut, OptOutKind, OptOutSource, StopConfirmation

T0 = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)  # 07:30 in Shanghai: quiet hours do not matter
PHONE = "+8613800138000"
STOP = OptOut("acme", PHONE, OptOutKind.OPT_OUT, OptOutSource.MO, T0)
CONFIRMATION = StopConfirmation("acme", PHONE, T0, "mo_1", "msg_1", T0)


def test_the_opt_out_it_confirms_lets_it_through() -> None:
    assert recheck_confirmation(CONFIRMATION, [STOP], T0 + timedelta(minutes=1)) is None


def test_not_after_its_validity() -> None:
    refusal = recheck_confirmation(
        CONFIRMATION, [STOP], T0 + CONFIRMATION_VALIDITY + timedelta(seconds=1)
    )
    assert refusal is not None
    assert refusal.code == PolicyCode.OPTED_OUT


def test_not_through_another_opt_out() -> None:
    later = OptOut("acme", PHONE, OptOutKind.OPT_OUT, OptOutSource.MO, T0 + timedelta(hours=1))
    assert recheck_confirmation(CONFIRMATION, [later], T0 + timedelta(hours=2)) is not None


def test_not_when_the_opt_out_was_lifted() -> None:
    assert recheck_confirmation(CONFIRMATION, [], T0) is not None


def test_not_through_a_complaint_or_a_refusal() -> None:
    for kind in (OptOutKind.DO_NOT_CONTACT, OptOutKind.THIRD_PARTY_REFUSAL):
        flag = OptOut("acme", PHONE, kind, OptOutSource.MO, T0)
        refusal = recheck_confirmation(CONFIRMATION, [STOP, flag], T0)
        assert refusal is not None
        assert kind.value in refusal.reason
