"""The load test's own arithmetic: its timetable, percentiles, memory trend and daytime zone.

If these were wrong the load test would measure or judge the wrong thing
while still passing, so they are checked on their own, without a server.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from smsgate.commands.demo import daytime_place
from smsgate.core.policy import number_zones

from .driver import KindStats, percentile, timetable
from .report import memory_trend
from .traffic import MIX


class TestTimetable:
    """Requests are evenly spaced at the rate, and kinds follow the mix's weights."""

    def test_spacing_and_count(self) -> None:
        schedule = timetable(MIX, rate=20, seconds=3)
        assert len(schedule) == 60
        assert [due.at for due in schedule] == pytest.approx([n / 20 for n in range(60)])

    def test_kinds_follow_the_weights(self) -> None:
        drawn = Counter(due.kind for due in timetable(MIX, rate=100, seconds=100))
        total = sum(MIX.values())
        for kind, weight in MIX.items():
            assert drawn[kind] / 10_000 == pytest.approx(weight / total, abs=0.01), kind


class TestPercentile:
    """Nearest rank: a value that was observed, never an interpolation."""

    @pytest.mark.parametrize(
        ("share", "expected"),
        [
            pytest.param(0.5, 50.0, id="p50"),
            pytest.param(0.99, 99.0, id="p99"),
            pytest.param(1.0, 100.0, id="max"),
            pytest.param(0.001, 1.0, id="min"),
        ],
    )
    def test_of_one_to_a_hundred(self, share: float, expected: float) -> None:
        values = [float(n) for n in range(100, 0, -1)]
        assert percentile(values, share) == expected

    def test_of_nothing(self) -> None:
        assert percentile([], 0.99) == 0.0


class TestKindStats:
    """5xx and transport failures are errors; unexpected 4xx apart; expected 4xx are refusals."""

    def test_counts(self) -> None:
        stats = KindStats()
        for status, expected in [
            (202, True),
            (429, True),
            (400, False),
            (503, True),
            (None, False),
        ]:
            stats.record(0.01, status, expected)
        assert (stats.errors, stats.unexpected, stats.refusals) == (2, 1, 1)


class TestMemoryTrend:
    """Warm-up is left out; a steady climb shows as growth, a flat line as none."""

    def test_flat_after_a_warm_up_jump(self) -> None:
        samples = [(float(t), 50_000 if t < 10 else 100_000) for t in range(100)]
        trend = memory_trend(samples)
        assert (trend.first_kib, trend.growth_kib) == (50_000, 0)

    def test_a_leak_shows(self) -> None:
        samples = [(float(t), 100_000 + 100 * t) for t in range(100)]
        assert memory_trend(samples).growth_kib == pytest.approx(100 * 54, abs=200)


class TestDaytimePlace:
    """Whatever the hour in UTC, the numbers chosen are in daytime in every zone they may be in."""

    @pytest.mark.parametrize("hour", range(24))
    @pytest.mark.parametrize("month", [1, 7], ids=["january", "july"])
    def test_every_hour(self, hour: int, month: int) -> None:
        now = datetime(2026, month, 1, hour, 30, tzinfo=UTC)
        place = daytime_place(now)
        assert number_zones(place.phone(0)) == place.zones
        for zone in place.zones:
            assert 9 <= now.astimezone(ZoneInfo(zone)).hour < 20
