"""``smsgate creditors webhook``: configures, audits and prints the derived secret once."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from smsgate.cli import main

from ..audit_support import AUDIT_ENVIRONMENT
from .webhook_support import MASTER, secret_of

URL = "https://hooks.example.com/smsgate/acme"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database with creditor ``acme``, and the environment of an operator's shell."""
    path = tmp_path / "smsgate.db"
    monkeypatch.setenv("SMSGATE_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("SMSGATE_WEBHOOK_SECRET", MASTER.decode())
    for name, value in AUDIT_ENVIRONMENT.items():  # audit verify checks the tree with it
        monkeypatch.setenv(name, value)
    assert main(["creditors", "create", "acme", "--name", "A", "--signature", "安信金融"]) == 0
    return path


def audit_rows(path: Path) -> list[tuple[str, str, dict[str, object]]]:
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT action, subject, detail FROM audit_log ORDER BY seq").fetchall()
    return [(action, subject, json.loads(detail)) for action, subject, detail in rows]


def webhook_rows(path: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT creditor_id, url FROM webhooks").fetchall()


class TestConfigure:
    """Setting and removing a webhook is stored, audited, and tells the operator the secret."""

    def test_configure_prints_the_secret_last_and_audits(
        self, database: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        capsys.readouterr()
        assert main(["creditors", "webhook", "acme", "--url", URL]) == 0

        printed = capsys.readouterr().out.splitlines()
        assert printed[-1] == secret_of("acme")
        assert MASTER.decode() not in "\n".join(printed)
        assert webhook_rows(database) == [("acme", URL)]
        assert audit_rows(database)[-1] == (
            "webhook.configured", "acme", {"url": URL, "previous_url": None},
        )  # fmt: skip
        with closing(sqlite3.connect(database)) as db:
            stored = " ".join(
                str(value) for row in db.execute("SELECT * FROM webhooks") for value in row
            )
        assert secret_of("acme") not in stored

    def test_remove_is_audited_and_a_second_remove_fails(
        self, database: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        main(["creditors", "webhook", "acme", "--url", URL])
        assert main(["creditors", "webhook", "acme", "--remove"]) == 0
        assert webhook_rows(database) == []
        action, subject, detail = audit_rows(database)[-1]
        assert (action, subject, detail["url"]) == ("webhook.removed", "acme", URL)
        assert main(["creditors", "webhook", "acme", "--remove"]) == 1
        assert "acme has no webhook" in capsys.readouterr().err
        assert main(["audit", "verify"]) == 0

    def test_the_installed_command_prints_the_secret_on_its_last_line(self, database: Path) -> None:
        env = {**os.environ}  # monkeypatched: the database and the master secret
        done = subprocess.run(
            [sys.executable, "-m", "smsgate.cli", "creditors", "webhook", "acme", "--url", URL],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == secret_of("acme")


class TestRefusals:
    """Bad input is a one-line error and changes nothing."""

    def test_missing_master_secret_is_refused_before_anything_is_written(
        self, database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.delenv("SMSGATE_WEBHOOK_SECRET")
        assert main(["creditors", "webhook", "acme", "--url", URL]) == 1
        error = capsys.readouterr().err
        assert error.startswith("smsgate: SMSGATE_WEBHOOK_SECRET is not set")
        assert webhook_rows(database) == []

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            pytest.param(("acme", "--url", "http://hooks.example.com/x"), "https", id="plain-http"),
            pytest.param(
                ("acme", "--url", "https://user:pw@hooks.example.com/x"), "password", id="userinfo"
            ),
            pytest.param(("acme", "--url", "ftp://hooks.example.com/x"), "https", id="ftp"),
            pytest.param(("nobody", "--url", URL), "no creditor 'nobody'", id="unknown-creditor"),
        ],
    )
    def test_bad_input_is_a_clear_error(
        self, database: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
        message: str,
    ) -> None:  # fmt: skip
        capsys.readouterr()
        assert main(["creditors", "webhook", *args]) == 1
        error = capsys.readouterr().err
        assert error.startswith("smsgate: ")
        assert message in error
        assert webhook_rows(database) == []


class TestTargets:
    """The command refuses a non-public receiver unless the operator's settings allow it."""

    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            pytest.param("http://127.0.0.1:8080/hook", "loopback", id="127.0.0.1"),
            pytest.param("https://10.0.0.1/hook", "private", id="10.0.0.1"),
            pytest.param("https://169.254.169.254/latest/meta-data", "link-local", id="metadata"),
            pytest.param("http://[::1]:9000/hook", "loopback", id="[::1]"),
            pytest.param("http://localhost:8080/hook", "loopback", id="localhost"),
        ],
    )
    def test_refused_without_the_allow_list(
        self, database: Path, capsys: pytest.CaptureFixture[str], url: str, reason: str
    ) -> None:
        capsys.readouterr()
        assert main(["creditors", "webhook", "acme", "--url", url]) == 1
        error = capsys.readouterr().err
        assert error.startswith("smsgate: ")
        assert f"{reason} address" in error
        assert "SMSGATE_WEBHOOK_ALLOW_NETWORKS" in error
        assert webhook_rows(database) == []

    @pytest.mark.parametrize(
        ("variable", "value", "url"),
        [
            pytest.param(
                "SMSGATE_WEBHOOK_ALLOW_NETWORKS", "127.0.0.1/32,::1", "http://127.0.0.1:8080/h",
                id="network",
            ),
            pytest.param(
                "SMSGATE_WEBHOOK_ALLOW_HOSTS", "localhost", "http://localhost:8080/h", id="host"
            ),
        ],
    )  # fmt: skip
    def test_accepted_with_the_allow_list(
        self, database: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, url: str
    ) -> None:
        monkeypatch.setenv(variable, value)
        assert main(["creditors", "webhook", "acme", "--url", url]) == 0
        assert webhook_rows(database) == [("acme", url)]

    def test_a_bad_allow_list_is_a_clear_error(
        self, database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setenv("SMSGATE_WEBHOOK_ALLOW_NETWORKS", "not-a-network")
        capsys.readouterr()
        assert main(["creditors", "webhook", "acme", "--url", URL]) == 1
        assert "SMSGATE_WEBHOOK_ALLOW_NETWORKS" in capsys.readouterr().err
        assert webhook_rows(database) == []
