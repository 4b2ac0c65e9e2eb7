"""``smsgate evidence export`` and ``verify`` as an operator runs them: real processes, both stores.

The history is audited in-process (``evidence_support``), then the
commands run as subprocesses on the same database, with the audit key in
their environment as an operator's would have it: export the debtor's pack
(``-o FILE``) and its HTML rendering (``--html``), verify the file (exit 0),
flip one byte of a proven leaf and verify again (exit 1, naming the fact).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from smsgate.store import Store

from ..audit_support import AUDIT_ENVIRONMENT, SIGNER
from .evidence_support import history

SMSGATE = [sys.executable, "-m", "smsgate.cli"]
KEY = SIGNER.verifier.public_key


def smsgate(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``smsgate ARGS`` in its own process on ``database_url``, holding the audit key."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SMSGATE_AUDIT")}
    env = {**inherited, **AUDIT_ENVIRONMENT, "SMSGATE_DATABASE_URL": database_url}
    return subprocess.run(
        [*SMSGATE, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def flip_a_byte_of_a_leaf(path: Path) -> None:
    """Flip the case of one letter inside the second fact's leaf: still JSON, no longer proven."""
    data = bytearray(path.read_bytes())
    second = data.index(b'"leaf": "', data.index(b'"leaf": "') + 1) + len(b'"leaf": "')
    letter = next(i for i in range(second, len(data)) if chr(data[i]).isalpha())
    data[letter] ^= 0x20
    path.write_bytes(bytes(data))


class TestExportThenVerify:
    """The exported file verifies in another process, and one flipped byte is refused."""

    async def test_json_and_html(self, store: Store, database_url: str, tmp_path: Path) -> None:
        made = await history(store)
        pack, page = tmp_path / "D-1001.json", tmp_path / "D-1001.html"
        export = ["evidence", "export", "--creditor", "acme", "--debtor-id", "D-1001"]
        exported = smsgate(database_url, *export, "-o", str(pack))
        assert exported.returncode == 0, exported.stderr
        assert exported.stdout.startswith("wrote ")
        facts = json.loads(pack.read_text(encoding="utf-8"))["facts"]
        assert len(facts) >= 5
        rendered = smsgate(database_url, *export, "--html", "-o", str(page))
        assert rendered.returncode == 0, rendered.stderr
        text = page.read_text(encoding="utf-8")
        assert text.startswith("<!doctype html>")
        assert made.message.id in text
        assert text.count("<h3>#") == len(facts)

        verified = smsgate(database_url, "evidence", "verify", str(pack), "--public-key", KEY)
        assert verified.returncode == 0, verified.stderr
        assert f"evidence pack verified: {len(facts)} facts about debtor D-1001" in verified.stdout

        flip_a_byte_of_a_leaf(pack)
        refused = smsgate(database_url, "evidence", "verify", str(pack), "--public-key", KEY)
        assert refused.returncode == 1, refused.stdout
        assert "evidence pack REFUSED: fact 1:" in refused.stderr
