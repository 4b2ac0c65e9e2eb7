"""An export leaves the event loop free: its hashing and proofs run on a worker thread.

The API serves packs from the loop that answers the sends, and a debtor of
years holds thousands of facts, each a canonical JSON encoding, a leaf hash
and an inclusion proof. Rather than time a big export (timed tests are not
run here), these tests record where that work runs: a call made on the
event loop's thread sees a running loop; one made on a worker thread sees
none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from smsgate.service import evidence
from smsgate.store import Store

from .evidence_support import history
from .test_packs import export


def recording(function: Callable[..., Any], seen: list[bool]) -> Callable[..., Any]:
    """``function``, noting for each call whether it ran on a thread with a running loop."""

    def recorded(*args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            seen.append(False)
        else:
            seen.append(True)
        return function(*args, **kwargs)

    return recorded


class TestExportWorkOffTheLoop:
    """Leaf hashes and inclusion proofs of an export are computed off the event loop."""

    @pytest.mark.parametrize("name", ["leaf_hash", "inclusion_proof"])
    async def test_runs_on_a_worker_thread(
        self, store: Store, monkeypatch: pytest.MonkeyPatch, name: str
    ) -> None:
        await history(store)
        seen: list[bool] = []
        monkeypatch.setattr(evidence, name, recording(getattr(evidence, name), seen))
        pack = await export(store)
        assert len(pack.facts) >= 5
        assert seen, f"the export never called {name}"
        assert not any(seen), f"{seen.count(True)} of {len(seen)} {name} calls ran on the loop"
