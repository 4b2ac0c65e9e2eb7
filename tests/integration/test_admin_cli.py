"""The administrative commands as an operator runs them: real processes, a real SQLite file."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

SMSGATE = [sys.executable, "-m", "smsgate.cli"]


def run(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SMSGATE_DATABASE_URL": f"sqlite:///{database}"}
    return subprocess.run(
        [*SMSGATE, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


class TestSetup:
    """migrate, creditors create and keys create build a usable tenant."""

    def test_contract_example(self, tmp_path: Path) -> None:
        database = tmp_path / "smsgate.db"
        assert run(database, "migrate").returncode == 0
        created = run(
            database,
            "creditors",
            "create",
            "acme",
            "--name",
            "安信消费金融",
            "--signature",
            "安信消费金融",
            "--profile",
            "cn-shenzhen",
        )
        assert created.returncode == 0, created.stderr
        key = run(database, "keys", "create", "--creditor", "acme", "--roles", "author")
        assert key.returncode == 0, key.stderr
        token = key.stdout.splitlines()[-1]
        assert token.startswith("sgk_")
        assert len(token) > 40
        with sqlite3.connect(database) as db:
            stored = [row[0] for row in db.execute("SELECT secret_hash FROM api_keys")]
        assert token not in stored  # only the hash is kept
        assert len(stored) == 1

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            pytest.param(
                ("creditors", "create", "Bad Id", "--name", "x", "--signature", "安信"),
                "slug",
                id="bad-creditor-id",
            ),
            pytest.param(
                ("creditors", "create", "acme", "--name", "x", "--signature", "y"),
                "signature",
                id="bad-signature",
            ),
            pytest.param(
                (
                    "creditors",
                    "create",
                    "acme",
                    "--name",
                    "x",
                    "--signature",
                    "安信",
                    "--profile",
                    "mars",
                ),
                "mars",
                id="unknown-profile",
            ),
            pytest.param(
                ("keys", "create", "--creditor", "nobody", "--roles", "sender"),
                "",
                id="unknown-creditor",
            ),
            pytest.param(
                ("keys", "create", "--creditor", "acme", "--roles", "boss"),
                "roles are",
                id="unknown-role",
            ),
        ],
    )
    def test_bad_input_is_a_clear_error(
        self, tmp_path: Path, args: tuple[str, ...], message: str
    ) -> None:
        done = run(tmp_path / "smsgate.db", *args)
        assert done.returncode == 1
        assert done.stderr.startswith("smsgate: ")
        assert message in done.stderr
        assert "Traceback" not in done.stderr


class TestAuditVerify:
    """audit verify reports an intact chain, and a tampered one."""

    def test_intact_then_tampered(self, tmp_path: Path) -> None:
        database = tmp_path / "smsgate.db"
        run(database, "creditors", "create", "acme", "--name", "A", "--signature", "安信金融")
        run(database, "keys", "create", "--creditor", "acme", "--roles", "sender")
        intact = run(database, "audit", "verify")
        assert intact.returncode == 0
        assert "intact: 2 entries" in intact.stdout
        with sqlite3.connect(database) as db:
            triggers = db.execute(
                "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_log'"
            ).fetchall()
            for (name,) in triggers:
                db.execute(f"DROP TRIGGER {name}")
            db.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1")
        broken = run(database, "audit", "verify")
        assert broken.returncode == 1
        assert "BROKEN at seq 1" in broken.stderr
