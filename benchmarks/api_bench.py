"""API throughput: POST /v1/messages accepted per second vs a bare aiohttp JSON handler.

Both servers run as separate processes on 127.0.0.1 and are loaded by the
same wrk client (one thread, a fixed number of connections, a bounded
duration), alternating, in the same run. smsgate runs its real path:
authentication, template lookup, render, scan, policy with the ledger, one
durable SQLite transaction (synchronous=FULL), audit. Ends with
``api ratio: X.XX`` (accepted/s over the baseline's answered/s).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from smsgate.audit_keys import SIGNING_KEY_VARIABLE, AuditSigner
from smsgate.demo_seed import seed_demo
from smsgate.store import open_store, utc_now
from smsgate.wordlists import load_scanner

HERE = Path(__file__).resolve().parent
DURATION_S = 6
CONNECTIONS = 16
ROUNDS = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not start")


def wrk(port: int, env: dict[str, str]) -> tuple[float, int, int]:
    """Run wrk once; returns (requests/s, requests, non-2xx responses)."""
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{DURATION_S}s",
            "-s",
            str(HERE / "wrk_send.lua"),
            f"http://127.0.0.1:{port}/v1/messages",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=DURATION_S + 30,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, total, int(errors.group(1)) if errors else 0


async def seed(database: Path) -> tuple[str, str]:
    store = await open_store(f"sqlite:///{database}")
    try:
        demo = await seed_demo(store, load_scanner(), utc_now())
    finally:
        await store.close()
    return demo.sender, demo.templates["overdue-reminder"]


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("api_bench needs wrk: apt-get install wrk (make bench does it)")
    workdir = Path(tempfile.mkdtemp(prefix="smsgate-bench-"))
    token, template = asyncio.run(seed(workdir / "bench.db"))
    gate_port, bare_port = free_port(), free_port()
    url_options = os.environ.get("SMSGATE_BENCH_URL_SUFFIX", "")
    env = {
        **os.environ,
        "SMSGATE_DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}{url_options}",
        "SMSGATE_PORT": str(gate_port),
        "SMSGATE_DISPATCH": "0",
        "SMSGATE_LOG_FORMAT": "json",
        "SMSGATE_BENCH_TOKEN": token,
        "SMSGATE_BENCH_TEMPLATE": template,
        SIGNING_KEY_VARIABLE: os.environ.get(SIGNING_KEY_VARIABLE) or AuditSigner.generate()[1],
    }
    smsgate = Path(sys.executable).with_name("smsgate")
    servers = [
        subprocess.Popen([str(smsgate), "serve"], env=env, stdout=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, str(HERE / "bare_server.py"), str(bare_port)]),
    ]
    try:
        wait_ready(gate_port)
        wait_ready(bare_port)
        bare_rates, gate_rates, refused = [], [], 0
        for round_ in range(ROUNDS):
            bare_rates.append(wrk(bare_port, env)[0])
            rate, total, errors = wrk(gate_port, {**env, "SMSGATE_BENCH_RUN": f"r{round_}"})
            gate_rates.append(rate * (total - errors) / max(total, 1))
            refused += errors
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    bare, gate = max(bare_rates), max(gate_rates)
    print(f"wrk: 1 thread, {CONNECTIONS} connections, {DURATION_S}s, best of {ROUNDS}")
    print(f"bare aiohttp JSON handler: {bare:,.0f} req/s")
    print(f"smsgate POST /v1/messages: {gate:,.0f} accepted/s ({refused} not accepted)")
    print(f"api ratio: {gate / bare:.2f}")


if __name__ == "__main__":
    main()
