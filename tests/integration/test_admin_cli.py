"""The administrative commands as an operator runs them, on a real SQLite file.

The cases of what a command does and prints run it in-process
(``run_command``, with the environment set for the call); the contract
example and the audit check, whose exit status a cron job reads, run real
processes (``run_process``): the database found through the environment, the
exit statuses 0 and 1, the key alone on the last line.
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from smsgate.service.principals import hash_secret

from .audit_support import AUDIT_ENVIRONMENT
from .in_process import run_command

SMSGATE = [sys.executable, "-m", "smsgate.cli"]


def run(
    database: Path, *args: str, environment: dict[str, str] = AUDIT_ENVIRONMENT
) -> subprocess.CompletedProcess[str]:
    """``smsgate ARGS`` on ``database`` in this process, with ``environment`` as the only
    ``SMSGATE_AUDIT…`` variables."""
    inherited = {name: None for name in os.environ if name.startswith("SMSGATE_AUDIT")}
    variables = {**inherited, **environment, "SMSGATE_DATABASE_URL": f"sqlite:///{database}"}
    return run_command(*args, env=variables)


def run_process(
    database: Path, *args: str, environment: dict[str, str] = AUDIT_ENVIRONMENT
) -> subprocess.CompletedProcess[str]:
    """``smsgate ARGS`` on ``database`` as a real process, environment as for ``run``."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SMSGATE_AUDIT")}
    env = {**inherited, **environment, "SMSGATE_DATABASE_URL": f"sqlite:///{database}"}
    return subprocess.run(
        [*SMSGATE, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


class TestSetup:
    """migrate, creditors create and keys create build a usable tenant."""

    def test_contract_example(self, tmp_path: Path) -> None:
        database = tmp_path / "smsgate.db"
        assert run_process(database, "migrate").returncode == 0
        created = run_process(
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
        key = run_process(
            database, "keys", "create", "--creditor", "acme", "--roles", "author",
            "--person", "Li Wei",
        )  # fmt: skip
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
            pytest.param(
                ("keys", "create", "--creditor", "acme", "--roles", "sender,reviewer"),
                "needs a person",
                id="reviewer-without-person",
            ),
            pytest.param(
                ("keys", "create", "--creditor", "acme", "--roles", "author", "--person", "  "),
                "needs a person",
                id="author-with-blank-person",
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
    """audit verify sequences what is pending, reports an intact tree, and a tampered one."""

    def test_intact_then_tampered(self, tmp_path: Path) -> None:
        database = tmp_path / "smsgate.db"
        run_process(
            database, "creditors", "create", "acme", "--name", "A", "--signature", "安信金融"
        )
        run_process(database, "keys", "create", "--creditor", "acme", "--roles", "sender")
        intact = run_process(database, "audit", "verify")
        assert intact.returncode == 0, intact.stderr
        assert "integrated 2 pending leaves" in intact.stdout
        assert "audit tree intact: tree size 2, root " in intact.stdout
        assert "2 leaves checked" in intact.stdout
        with sqlite3.connect(database) as db:
            triggers = db.execute(
                "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_log'"
            ).fetchall()
            for (name,) in triggers:
                db.execute(f"DROP TRIGGER {name}")
            db.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1")
        # Leaf 0 lies before the checkpoint the first run left: only a full run reads it again.
        broken = run_process(database, "audit", "verify", "--full")
        assert broken.returncode == 1
        assert "audit tree BROKEN at leaf 0: leaf_altered" in broken.stderr
        # Once found, the fault stays: an incremental run reports it too.
        still = run_process(database, "audit", "verify")
        assert still.returncode == 1
        assert "BROKEN at leaf 0" in still.stderr

    def test_public_key_only(self, tmp_path: Path) -> None:
        database = tmp_path / "smsgate.db"
        run(database, "creditors", "create", "acme", "--name", "A", "--signature", "安信金融")
        run(database, "audit", "verify")
        public = run(database, "audit", "public-key").stdout.split()[0]
        checked = run(database, "audit", "verify", "--full", "--public-key", public)
        assert checked.returncode == 0, checked.stderr
        assert "tree size 1" in checked.stdout
        other = run(database, "audit", "keygen").stdout.splitlines()[1].split()[2]
        wrong = run(database, "audit", "verify", "--full", "--public-key", other)
        assert wrong.returncode == 1
        assert "bad_signature" in wrong.stderr

    def test_no_key(self, tmp_path: Path) -> None:
        done = run(tmp_path / "smsgate.db", "audit", "verify", environment={})
        assert done.returncode == 2
        assert "no key to check the tree heads with" in done.stderr

    def test_keygen(self, tmp_path: Path) -> None:
        lines = run(tmp_path / "smsgate.db", "audit", "keygen").stdout.splitlines()
        key = lines[-1].removeprefix("SMSGATE_AUDIT_SIGNING_KEY=")
        public = run(tmp_path / "x.db", "audit", "public-key", environment={
            "SMSGATE_AUDIT_SIGNING_KEY": key})  # fmt: skip
        assert public.stdout.split()[0] == lines[1].split()[2]


def created_key_id(stdout: str) -> str:
    """The key id in the "created key <id> for …" line of ``keys create`` or ``keys rotate``."""
    line = next(line for line in stdout.splitlines() if line.startswith("created key "))
    return line.split()[2]


def keys_of(database: Path) -> dict[str, tuple[str, str | None]]:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT id, secret_hash, revoked_at FROM api_keys").fetchall()
    db.close()
    return {row[0]: (row[1], row[2]) for row in rows}


class TestKeyLifecycle:
    """keys list, rotate and revoke, as an operator runs them; every change audited."""

    def test_list_rotate_revoke(self, tmp_path: Path) -> None:
        database = tmp_path / "smsgate.db"
        run(database, "creditors", "create", "acme", "--name", "A", "--signature", "安信金融")
        created = run(database, "keys", "create", "--creditor", "acme", "--roles", "admin")
        old = created_key_id(created.stdout)
        listed = run(database, "keys", "list", "--creditor", "acme")
        assert listed.stdout.splitlines()[-1] == f"{old} admin live, never used"

        rotated = run(database, "keys", "rotate", old, "--grace", "3600")
        assert rotated.returncode == 0, rotated.stderr
        new, token = created_key_id(rotated.stdout), rotated.stdout.splitlines()[-1]
        assert token.startswith("sgk_")
        stored = keys_of(database)
        assert set(stored) == {old, new}
        assert stored[new] == (hash_secret(token), None)
        assert stored[old][1] is not None  # scheduled an hour ahead
        again = run(database, "keys", "rotate", old)
        assert (again.returncode, again.stderr) == (1, "smsgate: this key is already rotated\n")

        for _ in range(2):  # the operator may revoke the last admin key; twice changes nothing
            revoked = run(database, "keys", "revoke", new)
            assert revoked.returncode == 0, revoked.stderr
            assert f"key {new} of acme revoked at " in revoked.stdout
        listing = run(database, "keys", "list", "--creditor", "acme").stdout
        assert f"{old} admin revoked from " in listing
        assert f"{new} admin revoked " in listing
        assert token not in listing
        verify = run(database, "audit", "verify")
        # creditor, key created, key rotated, successor created, successor revoked (once)
        assert "intact: tree size 5," in verify.stdout

    def test_person_is_listed_and_kept_by_rotation(self, tmp_path: Path) -> None:
        database = tmp_path / "smsgate.db"
        run(database, "creditors", "create", "acme", "--name", "A", "--signature", "安信金融")
        created = run(
            database, "keys", "create", "--creditor", "acme", "--roles", "reviewer",
            "--person", "  Li   Wei ",
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        old = created_key_id(created.stdout)
        new = created_key_id(run(database, "keys", "rotate", old, "--grace", "60").stdout)
        listing = run(database, "keys", "list", "--creditor", "acme").stdout.splitlines()
        assert listing[0].startswith(f"{old} reviewer for 'Li Wei' revoked from ")
        assert listing[1] == f"{new} reviewer for 'Li Wei' live, never used"
        with sqlite3.connect(database) as db:
            chains = dict(db.execute("SELECT id, chain_id FROM api_keys"))
        assert chains == {old: old, new: old}

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            pytest.param(("keys", "revoke", "key_unknown"), "key not found", id="revoke-unknown"),
            pytest.param(("keys", "rotate", "key_unknown"), "key not found", id="rotate-unknown"),
            pytest.param(
                ("keys", "rotate", "key_unknown", "--grace", "604801"),
                "grace period is 0 to 604800 seconds",
                id="grace-too-long",
            ),
            pytest.param(
                ("keys", "list", "--creditor", "nobody"), "no creditor", id="list-unknown-creditor"
            ),
        ],
    )
    def test_bad_targets_are_clear_errors(
        self, tmp_path: Path, args: tuple[str, ...], message: str
    ) -> None:
        done = run(tmp_path / "smsgate.db", *args)
        assert done.returncode == 1
        assert done.stderr.startswith("smsgate: ")
        assert message in done.stderr
        assert "Traceback" not in done.stderr


class TestStopConfirmation:
    """creditors confirmation --text / --off: a scanned, fixed-wording text, or none."""

    def _creditor(self, database: Path) -> None:
        assert run(database, "migrate").returncode == 0
        created = run(database, "creditors", "create", "acme", "--name", "安信消费金融",
                      "--signature", "安信消费金融")  # fmt: skip
        assert created.returncode == 0, created.stderr

    def _texts(self, database: Path) -> list[tuple[str, int]]:
        with sqlite3.connect(database) as db:
            sql = "SELECT creditor_id, template_version FROM stop_confirmation_texts"
            return [(row[0], row[1]) for row in db.execute(sql)]

    def test_set_then_off(self, tmp_path: Path) -> None:
        database = tmp_path / "smsgate.db"
        self._creditor(database)
        text = "【安信消费金融】退订成功，您将不再收到本机构的短信。"
        on = run(database, "creditors", "confirmation", "acme", "--text", text)
        assert on.returncode == 0, on.stderr
        assert "on" in on.stdout
        assert self._texts(database) == [("acme", 1)]
        again = run(database, "creditors", "confirmation", "acme", "--text", "退订成功。")
        assert again.returncode == 0, again.stderr
        assert self._texts(database) == [("acme", 2)]
        off = run(database, "creditors", "confirmation", "acme", "--off")
        assert off.returncode == 0, off.stderr
        assert self._texts(database) == []

    def test_a_blocked_text_is_refused(self, tmp_path: Path) -> None:
        database = tmp_path / "smsgate.db"
        self._creditor(database)
        refused = run(database, "creditors", "confirmation", "acme", "--text",
                      "退订成功。不还款就等着收法院传票")  # fmt: skip
        assert refused.returncode == 1
        assert "block" in refused.stderr
        assert self._texts(database) == []
