"""A real ``smsgate serve`` process for the load test, and a sampler of its memory.

The gateway runs as deployed: its own process, its own event loop, the
dispatcher in that process, the generic ``http`` carrier pointed at the
test's sink. Nothing of the test's interpreter is shared with it, so the
latencies measured include the kernel's loopback and the server's own
scheduling, and the memory read from ``/proc/<pid>/status`` is the server's
alone.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from ..audit_support import AUDIT_ENVIRONMENT
from ..local import free_port, until_ready

SMSGATE = str(Path(sys.executable).with_name("smsgate"))
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
CARRIER = "peer"
CARRIERS_FILE = """\
[carriers.peer]
kind = "http"
url = "{url}"

[routes]
default = ["peer"]
"""


@dataclass(frozen=True, slots=True)
class RunningGateway:
    """The serving process and where it listens."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path


@contextmanager
def gateway_process(
    database_url: str, carrier_url: str, secret: str, workdir: Path
) -> Iterator[RunningGateway]:
    """``smsgate serve`` on a free 127.0.0.1 port, dispatching in process to ``carrier_url``.

    The process is stopped (terminated, then killed after ``STOP_TIMEOUT_S``)
    when the block ends, whatever happened inside it. Its log goes to
    ``workdir / "gateway.log"``.
    """
    carriers = workdir / "carriers.toml"
    carriers.write_text(CARRIERS_FILE.format(url=carrier_url))
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SMSGATE_")}
    env = {
        **inherited,
        **AUDIT_ENVIRONMENT,
        "SMSGATE_DATABASE_URL": database_url,
        "SMSGATE_PORT": str(port),
        "SMSGATE_CARRIERS": str(carriers),
        "SMSGATE_CARRIER_PEER_SECRET": secret,
        "SMSGATE_LOG_FORMAT": "json",
    }
    log = workdir / "gateway.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [SMSGATE, "serve"], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield RunningGateway(process, f"http://127.0.0.1:{port}", log)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate ``process`` and wait for it; kill it if it does not stop in time."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def wait_ready(gateway: RunningGateway) -> None:
    """Return once ``/readyz`` answers 200; raises ``RuntimeError`` if the process dies or hangs."""

    def alive() -> None:
        if gateway.process.poll() is not None:
            raise RuntimeError(f"smsgate serve exited during start-up; see {gateway.log}")

    await until_ready(gateway.base_url, START_TIMEOUT_S, alive)


def logged_errors(log: Path) -> list[str]:
    """The lines of a gateway log at level error or worse, and any traceback."""
    worst = ('"level": "error"', '"level": "critical"', "Traceback")
    return [line for line in log.read_text().splitlines() if any(w in line for w in worst)]


def resident_kib(pid: int) -> int:
    """The process's resident set size in KiB (``VmRSS`` of ``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


class RssSampler:
    """Reads a process's resident memory every ``interval`` seconds while it runs."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self._pid = pid
        self._interval = interval
        #: ``(seconds since start, KiB)`` pairs, in order.
        self.samples: list[tuple[float, int]] = []

    async def run(self, stop: asyncio.Event) -> None:
        """Sample until ``stop`` is set."""
        started = time.monotonic()
        while not stop.is_set():
            self.samples.append((time.monotonic() - started, resident_kib(self._pid)))
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._interval)
