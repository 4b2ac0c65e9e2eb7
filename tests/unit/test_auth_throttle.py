"""The failed-auth throttle: a sliding window per client address, bounded memory, proxy rules."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from aiohttp.test_utils import make_mocked_request

from smsgate.api.auth_throttle import client_address
from smsgate.failure_limits import AuthThrottle


@dataclass
class Ticks:
    """A monotonic clock a test moves by hand."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle(ticks: Ticks, limit: int = 3, window: float = 60, clients: int = 100) -> AuthThrottle:
    return AuthThrottle(limit, window, max_clients=clients, clock=ticks)


class TestLimit:
    """An address is refused once it failed ``limit`` times within the window, and only then."""

    def test_below_the_limit_is_not_refused(self) -> None:
        ticks = Ticks()
        gate = throttle(ticks)
        assert not gate.failed("10.0.0.1")
        assert not gate.failed("10.0.0.1")
        assert gate.retry_after("10.0.0.1") is None

    def test_the_limit_th_failure_refuses_with_the_time_left(self) -> None:
        ticks = Ticks()
        gate = throttle(ticks)
        gate.failed("10.0.0.1")
        ticks.now += 10
        gate.failed("10.0.0.1")
        assert gate.failed("10.0.0.1")  # the third within 60 s
        assert gate.retry_after("10.0.0.1") == 50  # the first failure leaves the window then
        ticks.now += 49.5
        assert gate.retry_after("10.0.0.1") == 1

    def test_other_addresses_are_unaffected(self) -> None:
        gate = throttle(Ticks())
        for _ in range(3):
            gate.failed("10.0.0.1")
        assert gate.retry_after("10.0.0.2") is None

    def test_recovers_when_the_window_has_passed(self) -> None:
        ticks = Ticks()
        gate = throttle(ticks)
        for _ in range(3):
            gate.failed("10.0.0.1")
        ticks.now += 60
        assert gate.retry_after("10.0.0.1") is None
        assert not gate.failed("10.0.0.1")  # one fresh failure is not three

    def test_the_window_slides(self) -> None:
        ticks = Ticks()
        gate = throttle(ticks)
        for step in (0, 30, 30):  # failures at 0, 30 and 60 s: the first has left the window
            ticks.now += step
            limited = gate.failed("10.0.0.1")
        assert not limited
        ticks.now += 1
        assert gate.failed("10.0.0.1")  # 30, 60 and 61 s are within 60 s
        assert gate.retry_after("10.0.0.1") == 29

    @pytest.mark.parametrize(
        ("limit", "window", "clients"),
        [
            pytest.param(0, 60, 10, id="no-limit"),
            pytest.param(3, 0, 10, id="no-window"),
            pytest.param(3, 60, 0, id="no-clients"),
        ],
    )
    def test_nonsense_configuration_is_refused(
        self, limit: int, window: float, clients: int
    ) -> None:
        with pytest.raises(ValueError, match="positive"):
            AuthThrottle(limit, window, max_clients=clients)


class TestMemory:
    """At most ``max_clients`` addresses are kept; the least recently failing goes first."""

    def test_oldest_address_is_forgotten(self) -> None:
        gate = throttle(Ticks(), limit=2, clients=3)
        gate.failed("a")
        gate.failed("a")
        for address in ("b", "c", "d"):
            gate.failed(address)
        assert gate.tracked() == 3
        assert gate.retry_after("a") is None  # evicted, so its failures are gone

    def test_a_fresh_failure_keeps_an_address(self) -> None:
        gate = throttle(Ticks(), limit=2, clients=3)
        for address in ("a", "b", "c"):
            gate.failed(address)
        gate.failed("a")  # "a" is now the most recent; "b" is the oldest
        gate.failed("d")
        assert gate.retry_after("a") is not None
        assert gate.tracked() == 3

    def test_many_addresses_stay_bounded(self) -> None:
        gate = throttle(Ticks(), clients=50)
        for n in range(1000):
            gate.failed(f"10.0.{n // 256}.{n % 256}")
        assert gate.tracked() == 50


class TestClientAddress:
    """The peer address counts, unless a trusted proxy says who its client was."""

    @pytest.mark.parametrize(
        ("forwarded", "trust", "expected"),
        [
            pytest.param("", False, "127.0.0.1", id="peer"),
            pytest.param("203.0.113.9", False, "127.0.0.1", id="untrusted-header-ignored"),
            pytest.param("203.0.113.9", True, "203.0.113.9", id="trusted-proxy"),
            pytest.param("6.6.6.6, 203.0.113.9", True, "203.0.113.9", id="forged-left-ignored"),
            pytest.param(" , ", True, "127.0.0.1", id="empty-entry-falls-back"),
        ],
    )
    def test_address(self, forwarded: str, trust: bool, expected: str) -> None:
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        request = make_mocked_request("GET", "/v1/keys", headers=headers)
        # make_mocked_request has no peer: give it one as a socket would.
        request = request.clone(remote="127.0.0.1")
        assert client_address(request, trust) == expected
