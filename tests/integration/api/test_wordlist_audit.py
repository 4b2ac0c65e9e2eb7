"""The audit log says which wordlist version went live and when: at start-up and on reload."""

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smsgate.store import AuditEntry, AuditQuery
from smsgate.wordlists import shipped_wordlists

from ..audit_support import sequenced_and_verified
from .api_support import GatewayUnderTest, start_gateway


@pytest.fixture
async def gw_words(tmp_path: Path) -> AsyncIterator[tuple[GatewayUnderTest, Path]]:
    """A gateway scanning with a copy of the shipped wordlists that the test may edit."""
    words = tmp_path / "wordlists"
    shutil.copytree(shipped_wordlists(), words)
    async for running in start_gateway(tmp_path, wordlists_dir=words):
        yield running, words


async def wordlist_entries(gw: GatewayUnderTest) -> list[AuditEntry]:
    async with gw.gateway.store.read() as tx:
        return await tx.audit.entries(AuditQuery(action="wordlist.changed"))


class TestWordlistAudit:
    """Start-up audits the live version once; a hot reload audits the new one."""

    async def test_startup_then_reload(self, gw_words: tuple[GatewayUnderTest, Path]) -> None:
        gw, words = gw_words
        first = gw.gateway.wordlists.current().version
        [entry] = await wordlist_entries(gw)
        assert entry.detail == {"old_version": None, "new_version": first}
        assert entry.actor == "gateway"

        with (words / "zh" / "impersonation.txt").open("a", encoding="utf-8") as terms:
            terms.write("冒充催收员\n")
        assert gw.gateway.wordlists.reload_if_changed()
        second = gw.gateway.wordlists.current().version
        entries = await wordlist_entries(gw)
        for _ in range(100):  # the reload is audited by a task; give it up to 5 s
            if len(entries) == 2:
                break
            await asyncio.sleep(0.05)
            entries = await wordlist_entries(gw)
        assert [e.detail for e in entries] == [
            {"old_version": None, "new_version": first},
            {"old_version": first, "new_version": second},
        ]
        assert (await sequenced_and_verified(gw.gateway.store)).ok
