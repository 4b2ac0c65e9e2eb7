"""Which database backends a test runs on: SQLite always, PostgreSQL where the test allows.

The store, dispatcher and API tests are written once against the ``Store``
Protocol and run on both backends: a test that uses a store (the
``database_url`` fixture, through ``store``/``open_more``) or lives in
``tests/integration/api`` is parametrised over ``backend`` with the ids
``sqlite`` and ``postgres``; the PostgreSQL cases carry the ``postgres``
marker, so ``-m "not postgres"`` leaves them out on a machine without it.

A test that asks for ``db_path`` reads or changes the SQLite file behind the
store's back (pragmas, WAL, hand-written SQL), and a module that sets
``SQLITE_ONLY = True`` tests the SQLite store's own machinery (group commit);
those run on SQLite only.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import structlog

from smsgate import wordlists
from smsgate.logs import configure_logging
from smsgate.store import open_store

from .built_scanners import BuiltScanners
from .integration.api.api_support import SQLITE_FILE
from .integration.api.shared_gateway import shared_gateway_settings, shared_gateways, shared_gw
from .integration.pg_server import DATABASE_URL_FILE, postgres_server
from .integration.security import log_hygiene

__all__ = [
    "backend",
    "built_scanners",
    "database_url",
    "gateway_database",
    "migrated_sqlite",
    "postgres_server",
    "shared_gateway_settings",
    "shared_gateways",
    "shared_gw",
]

SQLITE = pytest.param("sqlite", id="sqlite")
POSTGRES = pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)
API_TESTS = Path(__file__).parent / "integration" / "api"
#: The slow stage: still in every run, marked ``slow`` so ``-m "not slow"`` can leave it out.
SLOW_STAGE = tuple(Path(__file__).parent / "integration" / name for name in ("load", "faults"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    uses_store = "database_url" in metafunc.fixturenames
    if not uses_store and API_TESTS not in metafunc.definition.path.parents:
        return
    sqlite_only = "db_path" in metafunc.fixturenames or getattr(
        metafunc.module, "SQLITE_ONLY", False
    )
    metafunc.parametrize("backend", [SQLITE] if sqlite_only else [SQLITE, POSTGRES], indirect=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(stage in item.path.parents for stage in SLOW_STAGE):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def backend(request: pytest.FixtureRequest) -> str | None:
    """``sqlite`` or ``postgres`` for the tests parametrised above; ``None`` for the rest."""
    return getattr(request, "param", None)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of this test's own empty database: a SQLite file, or a fresh PostgreSQL database."""
    if backend == "postgres":
        with request.getfixturevalue("postgres_server").fresh_database() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'smsgate.db'}"


@pytest.fixture(autouse=True)
def gateway_database(request: pytest.FixtureRequest, backend: str | None) -> Iterator[None]:
    """For API tests: the empty, migrated database ``start_gateway(tmp_path)`` will open.

    On SQLite a copy of ``migrated_sqlite`` in the test's ``tmp_path``; on
    PostgreSQL a migrated schema lent for the test and emptied after it
    (``tests/integration/migrated_schemas.py``), whose URL travels in a file
    in ``tmp_path`` (``start_gateway`` is called by several fixtures, not all
    of them ours). A case on its module's shared gateway (marked
    ``shared_gateway``) needs neither.
    """
    shared = request.node.get_closest_marker("shared_gateway") is not None
    if API_TESTS not in request.path.parents or shared:
        yield
        return
    tmp_path: Path = request.getfixturevalue("tmp_path")
    if backend != "postgres":
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), tmp_path / SQLITE_FILE)
        yield
        return
    with request.getfixturevalue("postgres_server").migrated.lend() as url:
        (tmp_path / DATABASE_URL_FILE).write_text(url)
        yield


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database migrated by the store, which API tests copy instead of migrating.

    Copying the file takes half what creating and migrating one does (9 ms
    against 18 ms here); the copy is the same empty, migrated database. (On
    PostgreSQL copying, ``CREATE DATABASE … TEMPLATE``, costs more than
    migrating: there a migrated schema is emptied and lent again.) Migrated
    on a thread of its own, away from the event loop of the test that first
    asks for it.
    """
    path = tmp_path_factory.mktemp("migrated") / SQLITE_FILE
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _migrate(f"sqlite:///{path}")).result()
    assert not path.with_name(path.name + "-wal").exists()  # all of it is in the one file
    return path


async def _migrate(url: str) -> None:
    store = await open_store(url)
    await store.close()


@pytest.fixture(scope="session", autouse=True)
def built_scanners() -> Iterator[BuiltScanners]:
    """Every ``WordlistSource`` of the session reuses the scanner of an identical wordlist.

    Only the loader the gateway's ``WordlistSource`` calls is wrapped; a test
    that calls ``load_scanner`` itself still builds its own (``tests/built_scanners.py``).
    """
    reused = BuiltScanners(wordlists.load_scanner)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(wordlists, "load_scanner", reused)
        yield reused


# --- The log-hygiene check of the whole run (tests/integration/security/log_hygiene.py) ---
# Every structlog event goes through the production pipeline into the tap; what
# pytest captured of each test and the subprocess logs under the session's tmp
# directory are added; at the end any key, secret, full phone or body fails the run.
_HYGIENE_FINDINGS = pytest.StashKey[list[log_hygiene.Finding]]()


def _install_log_tap() -> None:
    if structlog.get_config()["logger_factory"].__dict__.get("_file") is not log_hygiene.TAP:
        configure_logging("json", log_hygiene.TAP)


def pytest_configure(config: pytest.Config) -> None:
    _install_log_tap()


@pytest.fixture(autouse=True)
def log_tap(request: pytest.FixtureRequest) -> Iterator[None]:
    """Attribute this test's log lines to it (re-installing the tap if a test replaced it)."""
    _install_log_tap()
    log_hygiene.TAP.current = request.node.nodeid
    yield
    log_hygiene.TAP.secrets |= log_hygiene.secrets_in_environment()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    captured = "\n".join((report.capstdout, report.capstderr)).splitlines()
    log_hygiene.TAP.feed(report.nodeid, captured)
    log_hygiene.TAP.feed(report.nodeid, report.caplog.splitlines(), only_events=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    tap = log_hygiene.TAP
    secrets = tap.secrets | log_hygiene.secrets_in_environment()
    secrets |= log_hygiene.secrets_in_test_modules(Path(__file__).parent)
    lines = list(tap.lines)
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is not None and factory._basetemp is not None:
        lines += log_hygiene.log_files(factory.getbasetemp())
    findings = log_hygiene.scan(lines, secrets)
    session.config.stash[_HYGIENE_FINDINGS] = findings
    if findings and session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    findings = config.stash.get(_HYGIENE_FINDINGS, None)
    if findings == []:
        terminalreporter.line(f"log hygiene: {len(log_hygiene.TAP.lines)} log lines scanned, clean")
    if findings:
        terminalreporter.section("log hygiene: secrets, phones or bodies in log lines", red=True)
        for finding in findings[:200]:
            terminalreporter.line(str(finding))
        terminalreporter.line(f"{len(findings)} leaking log line(s); the run fails.")
