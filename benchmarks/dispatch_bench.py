"""Dispatch throughput: messages/s from the outbox to a local HTTP carrier vs posting directly.

The carrier is ``benchmarks/http_sink.py`` (the generic ``http`` contract,
signatures checked, no delay) in its own process. In the same run, rounds
alternating:

* **baseline**: httpx posts ``MESSAGES`` signed contract requests to the sink
  at ``CONCURRENCY`` in flight: the sink's own intake rate;
* **dispatcher**: ``MESSAGES`` queued messages in a fresh SQLite outbox
  (``synchronous=FULL``) are sent by the real ``Dispatcher`` through the
  ``http`` adapter with ``concurrency=CONCURRENCY``: claim under lease,
  policy re-check, attempt recorded durably before the call, answer recorded
  after it, one JSON log line per state change (to /dev/null).

The best round of each counts. Ends with ``dispatch ratio: X.XX``
(dispatched/s over the baseline's posted/s).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx

from smsgate.carriers.fleet import CarrierFleet, FleetMember
from smsgate.carriers.http_json import create_http
from smsgate.commands.demo import daytime_place
from smsgate.core.audience import Audience
from smsgate.core.scanner.findings import Verdict
from smsgate.core.sms import Encoding
from smsgate.demo_seed import CREDITOR, seed_demo
from smsgate.dispatch import Dispatcher, DispatchSettings
from smsgate.logs import configure_logging
from smsgate.signing import signature_headers
from smsgate.store import Message, MessageStatus, OutboxItem, Store, new_id, open_store, utc_now
from smsgate.wordlists import load_scanner

HERE = Path(__file__).resolve().parent
MESSAGES = 1000
CONCURRENCY = 16
ROUNDS = 2
DRAIN_LIMIT_S = 120
SECRET = "dispatch-bench-secret"
TEXT = "【安信消费金融】张三您好，您的账单1234.50元已逾期5天，请尽快还款。"


def start_sink() -> tuple[subprocess.Popen[str], str]:
    """The sink in its own process; its base URL once it listens."""
    sink = subprocess.Popen(
        [sys.executable, str(HERE / "http_sink.py"), "--port", "0"],
        env={**os.environ, "SMSGATE_SINK_SECRET": SECRET},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout is not None
    line = sink.stdout.readline().strip()
    if not line.startswith("listening on "):
        sink.kill()
        raise RuntimeError(f"the sink did not start: {line!r}")
    return sink, line.removeprefix("listening on ")


async def post_directly(url: str) -> float:
    """Posted/s of ``MESSAGES`` signed contract requests at ``CONCURRENCY`` in flight."""
    queue = iter(range(MESSAGES))
    async with httpx.AsyncClient(timeout=30) as client:

        async def worker() -> None:
            for n in queue:
                body = (
                    f'{{"reference":"base-{n}-1","to":"+8613800138000","text":"{TEXT}",'
                    '"segments":2,"encoding":"ucs2","creditor":"acme"}'
                ).encode()
                headers = {
                    "Content-Type": "application/json", "Idempotency-Key": f"base-{n}-1",
                    **signature_headers(SECRET.encode(), body, int(time.time())),
                }  # fmt: skip
                response = await client.post(f"{url}/sms", content=body, headers=headers)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return MESSAGES / (time.perf_counter() - started)


async def seed(database: Path, now: datetime) -> Store:
    """A fresh outbox of ``MESSAGES`` due messages to a recipient for whom it is daytime."""
    store = await open_store(f"sqlite:///{database}")
    demo = await seed_demo(store, load_scanner(), now)
    template = demo.templates["overdue-reminder"]
    place = daytime_place(now)
    async with store.transaction() as tx:
        for _ in range(MESSAGES):
            message = Message(
                id=new_id("msg"), creditor_id=CREDITOR, template_id=template, template_version=1,
                phone=place.phone(138000), debtor_id="D-1001", role=Audience.DEBTOR, text=TEXT,
                segments=2, encoding=Encoding.UCS2, status=MessageStatus.QUEUED, created_at=now,
                wordlist_version="bench", verdict=Verdict.PASS, timezone=place.zone,
            )  # fmt: skip
            await tx.messages.add(message)
            await tx.outbox.add(OutboxItem(message.id, now))
    return store


async def dispatch(url: str, database: Path) -> tuple[float, int]:
    """Dispatched/s from a fresh outbox through the ``http`` adapter, and how many were sent."""
    store = await seed(database, utc_now())
    adapter = create_http({"name": "sink", "url": f"{url}/sms", "secret": SECRET})
    fleet = CarrierFleet({"sink": FleetMember(adapter)}, {"default": ["sink"]})
    settings = DispatchSettings(concurrency=CONCURRENCY, batch_size=4 * CONCURRENCY)
    dispatcher = Dispatcher(store, fleet, owner="bench", settings=settings)
    try:
        started = time.perf_counter()
        async with asyncio.timeout(DRAIN_LIMIT_S):
            while (await dispatcher.run_once()).claimed:
                pass  # rounds back to back, as run_forever runs them while batches are full
        elapsed = time.perf_counter() - started
        async with store.read() as tx:
            sent = (await tx.messages.count_by_status())[MessageStatus.SENT]
    finally:
        await fleet.aclose()
        await store.close()
    return MESSAGES / elapsed, sent


async def rounds(url: str, workdir: Path) -> tuple[list[float], list[float], int]:
    direct, dispatched, unsent = [], [], 0
    for round_ in range(ROUNDS):
        direct.append(await post_directly(url))
        rate, sent = await dispatch(url, workdir / f"round-{round_}.db")
        dispatched.append(rate)
        unsent += MESSAGES - sent
    return direct, dispatched, unsent


def main() -> None:
    with open(os.devnull, "w") as devnull:
        configure_logging("json", stream=devnull)
        workdir = Path(tempfile.mkdtemp(prefix="smsgate-dispatch-bench-"))
        sink, url = start_sink()
        try:
            direct, dispatched, unsent = asyncio.run(rounds(url, workdir))
        finally:
            sink.terminate()
            sink.wait(timeout=10)
            shutil.rmtree(workdir, ignore_errors=True)
    baseline, ours = max(direct), max(dispatched)
    print(f"{MESSAGES} messages, {CONCURRENCY} in flight, best of {ROUNDS}; sink: {url}")
    print(f"sink intake, httpx posting directly: {baseline:,.0f} msg/s")
    print(f"smsgate dispatcher, outbox to sink:  {ours:,.0f} msg/s ({unsent} not sent)")
    print(f"dispatch ratio: {ours / baseline:.2f}")


if __name__ == "__main__":
    main()
