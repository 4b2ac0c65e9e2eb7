"""What a load run shows: a table of latency and failures by kind, and whether memory stayed flat.

The table goes to the terminal (pytest prints it even without ``-s``) and
to ``test-output/load/<backend>.txt``, so CI's output and its artefacts both
carry the figures.

Memory is judged on the server's resident set after a warm-up (imports,
first queries and caches fill the first seconds): the median of the first
third of the remaining samples against the median of the last third.
Medians, because the collector and the allocator make single samples jump.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from .driver import LoadRun, percentile

OUTPUT = Path(__file__).resolve().parents[3] / "test-output" / "load"
#: The share of the run whose memory samples are left out as warm-up.
WARM_UP_SHARE = 0.2


@dataclass(frozen=True, slots=True)
class MemoryTrend:
    """The server's resident memory (KiB) early and late in the run, after warm-up."""

    first_kib: int
    early_kib: int
    late_kib: int
    last_kib: int
    #: Every ``(seconds, KiB)`` sample, warm-up included.
    points: tuple[tuple[float, int], ...]

    @property
    def samples(self) -> int:
        return len(self.points)

    @property
    def growth_kib(self) -> int:
        return self.late_kib - self.early_kib


def memory_trend(samples: list[tuple[float, int]]) -> MemoryTrend:
    """The trend of ``(seconds, KiB)`` samples; raises ``ValueError`` for fewer than six."""
    if len(samples) < 6:
        raise ValueError(f"need at least six memory samples, got {len(samples)}")
    steady = [kib for at, kib in samples if at >= samples[-1][0] * WARM_UP_SHARE]
    third = max(1, len(steady) // 3)
    return MemoryTrend(
        first_kib=samples[0][1],
        early_kib=round(statistics.median(steady[:third])),
        late_kib=round(statistics.median(steady[-third:])),
        last_kib=samples[-1][1],
        points=tuple(samples),
    )


def table(run: LoadRun) -> str:
    """One line a kind: count, p50, p99, max (ms), expected 4xx, errors and unexpected answers."""
    header = (
        f"{'kind':<15}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'4xx ok':>8}{'errors':>8}{'unexp':>7}"
    )
    lines = [header]
    for kind, stats in sorted(run.stats.items()):
        times = stats.latencies
        lines.append(
            f"{kind.value:<15}{len(times):>7}{percentile(times, 0.5) * 1000:>9.1f}"
            f"{percentile(times, 0.99) * 1000:>9.1f}{max(times) * 1000:>9.1f}"
            f"{stats.refusals:>8}{stats.errors:>8}{stats.unexpected:>7}"
        )
    every = [t for stats in run.stats.values() for t in stats.latencies]
    lines.append(
        f"{'all':<15}{len(every):>7}{percentile(every, 0.5) * 1000:>9.1f}"
        f"{percentile(every, 0.99) * 1000:>9.1f}{max(every, default=0) * 1000:>9.1f}"
    )
    return "\n".join(lines)


def by_third(run: LoadRun) -> str:
    """p50/p99 of the requests due in each third of the run: a rising line means a growing queue."""
    ordered = [latency for _, latency in sorted(run.timeline)]
    size = max(1, len(ordered) // 3)
    thirds = [ordered[:size], ordered[size : 2 * size], ordered[2 * size :]]
    shown = ", ".join(
        f"{percentile(part, 0.5) * 1000:.0f}/{percentile(part, 0.99) * 1000:.0f}" for part in thirds
    )
    return f"p50/p99 ms by third of the run: {shown}"


def summary(name: str, run: LoadRun, rate: float, memory: MemoryTrend, drained_s: float) -> str:
    """The whole report of one run, as printed and saved."""
    achieved = run.requests / run.elapsed if run.elapsed else 0.0
    return "\n".join(
        [
            f"load [{name}]: {run.requests} requests in {run.elapsed:.1f}s "
            f"(planned {rate:g}/s, achieved {achieved:.1f}/s; "
            f"worst start lag {run.worst_start_lag * 1000:.0f} ms)",
            table(run),
            by_third(run),
            f"server RSS: start {memory.first_kib / 1024:.1f} MiB, after warm-up "
            f"{memory.early_kib / 1024:.1f} MiB, late {memory.late_kib / 1024:.1f} MiB, end "
            f"{memory.last_kib / 1024:.1f} MiB ({memory.growth_kib / 1024:+.1f} MiB, "
            f"{memory.samples} samples); outbox drained {drained_s:.1f}s after the last answer",
        ]
    )


def save(name: str, text: str, samples: tuple[tuple[float, int], ...]) -> Path:
    """Write ``text`` to ``test-output/load/<name>.txt`` and the memory samples beside it.

    The samples go to ``<name>-rss.csv`` (seconds, KiB), to plot a soak's memory.
    Returns the report's path.
    """
    OUTPUT.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"{at:.1f},{kib}\n" for at, kib in samples)
    (OUTPUT / f"{name}-rss.csv").write_text("seconds,rss_kib\n" + rows)
    path = OUTPUT / f"{name}.txt"
    path.write_text(text + "\n")
    return path
