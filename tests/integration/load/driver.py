"""An open-loop load driver: requests leave on a fixed timetable, latency counts from the timetable.

A closed loop (send, wait, send) slows down with the server and so never
sees the queue a slow server builds: the "coordinated omission" that makes
such tests report flattering latencies. Here request ``i`` is due at
``i / rate`` seconds after the start whether or not earlier ones have
answered, and its latency is measured from that due time, so time spent
waiting behind a slow answer (in the client's connection pool, the
server's accept queue or its event loop) counts.

The timetable is fixed in advance from a seed: kinds drawn from the mix,
due times evenly spaced. Everything is bounded: ``rate * seconds`` requests,
each with a client timeout.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import aiohttp

from .traffic import Kind, Traffic


@dataclass(frozen=True, slots=True)
class Due:
    """One request of the timetable: its kind and when it is due, in seconds after the start."""

    kind: Kind
    at: float


def timetable(mix: Mapping[Kind, int], rate: float, seconds: float, seed: int = 8) -> list[Due]:
    """``round(rate * seconds)`` requests ``1 / rate`` apart, kinds drawn by ``mix``'s weights."""
    count = round(rate * seconds)
    kinds = random.Random(seed).choices(list(mix), weights=list(mix.values()), k=count)
    return [Due(kind, number / rate) for number, kind in enumerate(kinds)]


@dataclass
class KindStats:
    """What one kind of request saw: latencies (seconds), statuses and failures."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    #: 5xx answers and transport failures (refused, reset, timed out).
    errors: int = 0
    #: Answers below 500 that the kind does not expect (a 400 for a good send).
    unexpected: int = 0
    #: Expected 4xx answers: caps reached, invalid requests refused.
    refusals: int = 0

    def record(self, latency: float, status: int | None, expected: bool) -> None:
        """Count one request; ``status`` is ``None`` for a transport failure."""
        self.latencies.append(latency)
        self.statuses[status or 0] += 1
        if status is None or status >= 500:
            self.errors += 1
        elif not expected:
            self.unexpected += 1
        elif status >= 400:
            self.refusals += 1


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``; 0.0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class LoadRun:
    """The outcome of a run: stats by kind, and how late the driver itself started requests."""

    stats: dict[Kind, KindStats] = field(default_factory=dict)
    #: The largest delay between a request's due time and the moment it was started.
    worst_start_lag: float = 0.0
    elapsed: float = 0.0
    #: ``(due time, latency)`` of every request, in seconds, to see a queue build over the run.
    timeline: list[tuple[float, float]] = field(default_factory=list)

    def of(self, kind: Kind) -> KindStats:
        return self.stats.setdefault(kind, KindStats())

    @property
    def requests(self) -> int:
        return sum(len(stats.latencies) for stats in self.stats.values())


async def drive(traffic: Traffic, schedule: list[Due]) -> LoadRun:
    """Start each request of ``schedule`` at its due time; return once all have answered."""
    run = LoadRun()
    started = time.monotonic()
    pending: list[asyncio.Task[None]] = []
    for due in schedule:
        delay = started + due.at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        run.worst_start_lag = max(run.worst_start_lag, time.monotonic() - started - due.at)
        pending.append(asyncio.create_task(_timed(traffic, due, started + due.at, run)))
    await asyncio.gather(*pending)
    run.elapsed = time.monotonic() - started
    return run


async def _timed(traffic: Traffic, due: Due, due_at: float, run: LoadRun) -> None:
    try:
        answer = await traffic.perform(due.kind)
    except (aiohttp.ClientError, TimeoutError):
        status, expected = None, False
    else:
        status, expected = answer.status, answer.expected
    latency = time.monotonic() - due_at
    run.of(due.kind).record(latency, status, expected)
    run.timeline.append((due.at, latency))
