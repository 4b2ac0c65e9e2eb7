"""Pure parts of dispatch: backoff arithmetic and the send-time policy re-check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import smsgate.dispatch
from smsgate.core.audience import Audience
from smsgate.core.policy import Allow, Defer, PolicyCode, ProfileError, Refuse
from smsgate.core.scanner.findings import Verdict
from smsgate.core.sms import Encoding
from smsgate.dispatch import RetryPolicy, recheck
from smsgate.service import booking
from smsgate.store import Creditor, Message, MessageStatus, OptOut, OptOutKind, OptOutSource

T0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
ACME = Creditor("acme", "安信", "安信", "cn-shenzhen", T0)
MESSAGE = Message(
    "msg_a", "acme", "tpl_a", 1, "+8613800138000", "D-1", Audience.DEBTOR, "【安信】您好", 1,
    Encoding.UCS2, MessageStatus.QUEUED, T0, "w1", Verdict.PASS, "Asia/Shanghai",
)  # fmt: skip


def opt_out(kind: OptOutKind) -> OptOut:
    return OptOut("acme", MESSAGE.phone, kind, OptOutSource.API, T0)


class TestBackoff:
    """The wait doubles per attempt up to the cap, and the jitter picks within it."""

    @pytest.mark.parametrize(
        ("attempt", "seconds"),
        [(1, 10), (2, 20), (3, 40), (6, 300), (500, 300)],
        ids=["first", "second", "third", "capped", "huge"],
    )
    def test_ceiling(self, attempt: int, seconds: float) -> None:
        policy = RetryPolicy(timedelta(seconds=10), timedelta(minutes=5))
        assert policy.delay(attempt, lambda bound: bound) == timedelta(seconds=seconds)

    def test_jitter_is_clamped(self) -> None:
        policy = RetryPolicy(timedelta(seconds=10), timedelta(minutes=5))
        assert policy.delay(1, lambda bound: -3.0) == timedelta(0)
        assert policy.delay(1, lambda bound: bound * 9) == timedelta(seconds=10)

    def test_default_jitter_within_bound(self) -> None:
        policy = RetryPolicy(timedelta(seconds=10), timedelta(minutes=5))
        assert all(timedelta(0) <= policy.delay(2) <= timedelta(seconds=20) for _ in range(50))

    def test_exhausted(self) -> None:
        policy = RetryPolicy(max_attempts=3)
        assert [policy.exhausted(n) for n in (1, 2, 3)] == [False, False, True]

    @pytest.mark.parametrize(
        "changes",
        [{"max_attempts": 0}, {"base": timedelta(0)}, {"base": timedelta(hours=1)}],
        ids=["no-attempts", "zero-base", "base-over-cap"],
    )
    def test_invalid(self, changes: dict[str, object]) -> None:
        with pytest.raises(ValueError, match=r"max_attempts|base"):
            RetryPolicy(**changes)  # type: ignore[arg-type]


class TestRecheck:
    """At send time only opt-outs and contact hours are judged again, never caps."""

    def test_inside_hours(self) -> None:
        assert recheck(MESSAGE, ACME, [], T0) == Allow(T0)

    def test_quiet_hours_defer_to_next_morning(self) -> None:
        late = datetime(2024, 5, 1, 13, 5, tzinfo=UTC)  # 21:05 in Shanghai
        decision = recheck(MESSAGE, ACME, [], late)
        assert isinstance(decision, Defer)
        assert decision.until == datetime(2024, 5, 2, 0, 0, tzinfo=UTC)

    @pytest.mark.parametrize("kind", list(OptOutKind), ids=str)
    def test_any_opt_out_refuses(self, kind: OptOutKind) -> None:
        decision = recheck(MESSAGE, ACME, [opt_out(kind)], T0)
        assert isinstance(decision, Refuse)
        assert decision.code == PolicyCode.OPTED_OUT

    def test_contact_status(self) -> None:
        """The re-check reads opt-outs as the send path does (``booking.contact_status``)."""
        assert not booking.contact_status(set()).opted_out
        refused = booking.contact_status({OptOutKind.THIRD_PARTY_REFUSAL})
        assert (refused.opted_out, refused.third_party_refused) == (False, True)
        assert booking.contact_status({OptOutKind.DO_NOT_CONTACT}).opted_out

    def test_creditor_overrides_apply(self) -> None:
        strict = Creditor(
            "acme", "安信", "安信", "cn-shenzhen", T0, {"contact_hours": "11:00-20:00"}
        )
        decision = recheck(MESSAGE, strict, [], T0)
        assert isinstance(decision, Defer)
        assert decision.until == datetime(2024, 5, 1, 3, 0, tzinfo=UTC)

    def test_broken_profile_raises(self) -> None:
        broken = Creditor("acme", "安信", "安信", "cn-shenzhen", T0, {"caps": 3})
        with pytest.raises(ProfileError):
            recheck(MESSAGE, broken, [], T0)


class TestPublicApi:
    """Every name in ``__all__`` exists, once."""

    def test_all(self) -> None:
        names = smsgate.dispatch.__all__
        assert all(hasattr(smsgate.dispatch, name) for name in names)
        assert len(set(names)) == len(names)
