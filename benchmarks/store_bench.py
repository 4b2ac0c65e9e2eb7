"""Store throughput: POST /v1/messages accepted per second on SQLite, and on PostgreSQL with 1 and 2
gateways.

The same wrk client and send script as ``api_bench`` (whose helpers this
reuses), the gateways as separate ``smsgate serve`` processes
(``SMSGATE_DISPATCH=0``) on 127.0.0.1. With two gateways, two wrk processes
load one gateway each at once, and the accepted rates are added. PostgreSQL
is the throwaway server the tests use (``tests/integration/pg_server.py``,
``fsync`` on), or the one ``SMSGATE_BENCH_POSTGRES_URL`` names.

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
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

import api_bench
from api_bench import free_port, wait_ready, wrk

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


def best_rate(url: str, count: int) -> float:
    with gateways(url, count) as (ports, env):
        return max(accepted_rate(ports, env, f"r{round_}") for round_ in range(ROUNDS))


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
                    two = best_rate(url, 2)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"wrk: 1 thread, {api_bench.CONNECTIONS} connections per gateway,")
    print(f"     {api_bench.DURATION_S}s, best of {ROUNDS}; accepted POST /v1/messages per second")
    print(f"{'SQLite, 1 gateway':<26}{sqlite:>10,.0f}/s")
    print(f"{'PostgreSQL, 1 gateway':<26}{one:>10,.0f}/s")
    print(f"{'PostgreSQL, 2 gateways':<26}{two:>10,.0f}/s")
    print(f"store ratio (PostgreSQL 2 gateways / SQLite): {two / sqlite:.2f}")


if __name__ == "__main__":
    main()
