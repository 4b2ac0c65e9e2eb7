"""Store throughput: POST /v1/messages accepted per second on SQLite, and on PostgreSQL with 1 and 2
gateways.

The same wrk client and send script as ``api_bench`` (whose helpers this
reuses), the gateways as separate ``smsgate serve`` processes
(``SMSGATE_DISPATCH=0``) on 127.0.0.1. With two gateways, two wrk processes
load one gateway each at once, and the accepted rates are added. PostgreSQL
is the throwaway server the tests use (``tests/integration/pg_server.py``,
``fsync`` on), or the one ``SMSGATE_BENCH_POSTGRES_URL`` names.

Each measurement starts with a warm-up round that is not counted (a fresh
gateway's first seconds pay for caches and connection pools). During the
counted rounds with two gateways on PostgreSQL a sampler polls
``pg_stat_activity`` every 20 ms and prints ``pg lock wait share: X``: of the
gateways' backends, the fraction waiting on a lock (``wait_event_type =
'Lock'``, advisory locks included), averaged over the samples. Issue #17
measured 0.55 (one gateway) to 0.75 (two) with the audit chain's global lock;
the bar is below 0.05. ``2 gateways / 1 gateway`` is the throughput ratio
of the same run.

Read the figures with the machine in mind: on two cores the gateways,
PostgreSQL and wrk share the CPU, so a second gateway can only show how much
the store lets instances overlap, not a second machine's worth of capacity.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

import api_bench
import asyncpg
from api_bench import free_port, wait_ready, wrk

from smsgate.audit_keys import SIGNING_KEY_VARIABLE, AuditSigner
from smsgate.demo_seed import seed_demo
from smsgate.store import open_store, utc_now
from smsgate.wordlists import load_scanner

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # for the tests' PostgreSQL server helper
ROUNDS = 2
#: wrk_send.lua numbers phones from 1 in every wrk process; two at once would race for the
#: same phones (and their locks). This offsets the second process's phones.
PHONE_OFFSET = "SMSGATE_BENCH_PHONE_OFFSET"


async def seed(url: str) -> tuple[str, str]:
    store = await open_store(url)
    try:
        demo = await seed_demo(store, load_scanner(), utc_now())
    finally:
        await store.close()
    return demo.sender, demo.templates["overdue-reminder"]


@contextmanager
def gateways(url: str, count: int) -> Iterator[tuple[list[int], dict[str, str]]]:
    """``count`` seeded ``smsgate serve`` processes on ``url``; their ports and wrk's env."""
    token, template = asyncio.run(seed(url))
    env = {
        **os.environ,
        "SMSGATE_DATABASE_URL": url,
        "SMSGATE_DISPATCH": "0",
        "SMSGATE_LOG_FORMAT": "json",
        "SMSGATE_BENCH_TOKEN": token,
        "SMSGATE_BENCH_TEMPLATE": template,
        SIGNING_KEY_VARIABLE: os.environ.get(SIGNING_KEY_VARIABLE) or AuditSigner.generate()[1],
    }
    ports = [free_port() for _ in range(count)]
    smsgate = str(Path(sys.executable).with_name("smsgate"))
    servers = [
        subprocess.Popen(
            [smsgate, "serve"], env={**env, "SMSGATE_PORT": str(port)}, stdout=subprocess.DEVNULL
        )
        for port in ports
    ]
    try:
        for port in ports:
            wait_ready(port)
        yield ports, env
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def accepted_rate(ports: Sequence[int], env: dict[str, str], run: str) -> float:
    """Accepted messages/s over all ``ports``, each loaded by its own wrk at the same time."""

    def load(index: int) -> float:
        offset = {PHONE_OFFSET: str(index * 10_000_000)}
        wrk_env = {**env, **offset, "SMSGATE_BENCH_RUN": f"{run}-{index}"}
        rate, total, errors = wrk(ports[index], wrk_env)
        return rate * (total - errors) / max(total, 1)

    with ThreadPoolExecutor(len(ports)) as pool:
        return sum(pool.map(load, range(len(ports))))


def best_rate(url: str, count: int, sampler: LockSampler | None = None) -> float:
    """The best of ``ROUNDS`` rounds after an uncounted warm-up; ``sampler`` runs during them."""
    with gateways(url, count) as (ports, env):
        accepted_rate(ports, env, "warm-up")
        with sampler or nullcontext():
            return max(accepted_rate(ports, env, f"r{round_}") for round_ in range(ROUNDS))


class LockSampler:
    """Samples, while entered, which share of the gateways' backends wait on a lock."""

    SQL = (
        "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock') AS waiting, count(*) AS backends"
        " FROM pg_stat_activity WHERE application_name = 'smsgate'"
        " AND datname = current_database()"
    )

    def __init__(self, url: str, every: float = 0.02) -> None:
        self._dsn, self._every = url.split("?")[0], every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._sample()))
        self.shares: list[float] = []

    def __enter__(self) -> LockSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    @property
    def share(self) -> float:
        """The mean share over the samples taken (0 without any)."""
        return sum(self.shares) / len(self.shares) if self.shares else 0.0

    async def _sample(self) -> None:
        connection = await asyncpg.connect(self._dsn)
        try:
            while not self._stop.is_set():
                row = await connection.fetchrow(self.SQL)
                if row is not None and row["backends"]:
                    self.shares.append(row["waiting"] / row["backends"])
                await asyncio.sleep(self._every)
        finally:
            await connection.close()


@contextmanager
def phone_offset_script() -> Iterator[None]:
    """Point ``api_bench.wrk`` at a copy of wrk_send.lua whose phones start at an offset."""
    script = (HERE / "wrk_send.lua").read_text()
    numbered = "counter % 100000000"
    if numbered not in script:
        sys.exit("store_bench: wrk_send.lua no longer numbers phones as expected; update me")
    offset = f'local phone_offset = tonumber(os.getenv("{PHONE_OFFSET}") or "0")\n'
    folder = Path(tempfile.mkdtemp(prefix="smsgate-store-bench-lua-"))
    (folder / "wrk_send.lua").write_text(
        offset + script.replace(numbered, "(counter + phone_offset) % 100000000")
    )
    original, api_bench.HERE = api_bench.HERE, folder
    try:
        yield
    finally:
        api_bench.HERE = original
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[Callable[[], AbstractContextManager[str]]]:
    """A source of fresh PostgreSQL databases (schemas), one per measurement."""
    if configured := os.environ.get("SMSGATE_BENCH_POSTGRES_URL"):
        yield lambda: nullcontext(configured)  # the caller's database: seeding twice is fine
        return
    from tests.integration.pg_server import running_server

    with running_server() as server:
        yield server.fresh_database


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("store_bench needs wrk: apt-get install wrk (make bench does it)")
    workdir = Path(tempfile.mkdtemp(prefix="smsgate-store-bench-"))
    try:
        with phone_offset_script():
            sqlite = best_rate(f"sqlite:///{workdir / 'bench.db'}", 1)
            with postgres_server() as fresh_database:
                with fresh_database() as url:
                    one = best_rate(url, 1)
                with fresh_database() as url:
                    sampler = LockSampler(url)
                    two = best_rate(url, 2, sampler)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"wrk: 1 thread, {api_bench.CONNECTIONS} connections per gateway,")
    print(f"     {api_bench.DURATION_S}s, best of {ROUNDS} after a warm-up round;"
          " accepted POST /v1/messages per second")  # fmt: skip
    print(f"{'SQLite, 1 gateway':<26}{sqlite:>10,.0f}/s")
    print(f"{'PostgreSQL, 1 gateway':<26}{one:>10,.0f}/s")
    print(f"{'PostgreSQL, 2 gateways':<26}{two:>10,.0f}/s")
    print(f"store ratio (PostgreSQL 2 gateways / SQLite): {two / sqlite:.2f}")
    print(f"2 gateways / 1 gateway: {two / one:.2f}")
    print(f"lock samples: {len(sampler.shares)} (pg_stat_activity every 20 ms, 2 gateways)")
    print(f"pg lock wait share: {sampler.share:.2f}")


if __name__ == "__main__":
    main()
