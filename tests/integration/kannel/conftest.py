"""Fixtures of the Kannel tests: a callback recorder, a real Kannel, and an adapter for it.

``kannel_factory(mo_url=…, mo_token=…)`` starts a Kannel whose replies go to
any URL (the gateway's ``/v1/mo/kannel`` in an end-to-end test) and stops it
after the test; ``kannel`` is one pointed at ``callback_recorder``. Missing
Kannel binaries fail the tests rather than skip them: CI installs Kannel.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from smsgate.carriers.kannel.adapter import KannelCarrier, create_kannel

from .harness import KannelBinaries, KannelHarness
from .recorder import CallbackRecorder

#: The callback token of these tests (URL-safe, 16+ characters, as the adapter demands).
TOKEN = "kannel-callback-token-0123456789"
DLR_PATH = "/v1/dlr/kannel"
MO_PATH = "/v1/mo/kannel"

KannelFactory = Callable[..., KannelHarness]


@pytest.fixture(scope="session")
def kannel_binaries() -> KannelBinaries:
    try:
        return KannelBinaries.locate()
    except FileNotFoundError as error:
        problem = str(error)
    pytest.fail(problem, pytrace=False)  # outside the except: no chained traceback


@pytest.fixture
async def callback_recorder() -> AsyncIterator[CallbackRecorder]:
    recorder = CallbackRecorder()
    await recorder.start()
    yield recorder
    await recorder.stop()


@pytest.fixture
def kannel_factory(tmp_path: Path, kannel_binaries: KannelBinaries) -> Iterator[KannelFactory]:
    started: list[KannelHarness] = []

    def start(*, mo_url: str, mo_token: str = TOKEN) -> KannelHarness:
        workdir = tmp_path / f"kannel-{len(started)}"
        workdir.mkdir()
        harness = KannelHarness(workdir, mo_url=mo_url, mo_token=mo_token, binaries=kannel_binaries)
        started.append(harness)
        harness.start()
        return harness

    yield start
    for harness in started:
        harness.stop()


@pytest.fixture
def kannel(callback_recorder: CallbackRecorder, kannel_factory: KannelFactory) -> KannelHarness:
    # The recorder is set up first so that Kannel, which calls it, is stopped before it.
    return kannel_factory(mo_url=callback_recorder.url(MO_PATH))


@pytest.fixture
async def kannel_carrier(
    kannel: KannelHarness, callback_recorder: CallbackRecorder
) -> AsyncIterator[KannelCarrier]:
    config = kannel.carrier_config(
        callback_url=callback_recorder.url(DLR_PATH), callback_token=TOKEN
    )
    carrier = create_kannel(config)
    yield carrier
    await carrier.aclose()
