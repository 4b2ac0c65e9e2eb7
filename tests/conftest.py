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

from collections.abc import Iterator
from pathlib import Path

import pytest

from .integration.pg_server import DATABASE_URL_FILE, postgres_server

__all__ = ["backend", "database_url", "gateway_database", "postgres_server"]

SQLITE = pytest.param("sqlite", id="sqlite")
POSTGRES = pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)
API_TESTS = Path(__file__).parent / "integration" / "api"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    uses_store = "database_url" in metafunc.fixturenames
    if not uses_store and API_TESTS not in metafunc.definition.path.parents:
        return
    sqlite_only = "db_path" in metafunc.fixturenames or getattr(
        metafunc.module, "SQLITE_ONLY", False
    )
    metafunc.parametrize("backend", [SQLITE] if sqlite_only else [SQLITE, POSTGRES], indirect=True)


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
def gateway_database(request: pytest.FixtureRequest, backend: str | None) -> None:
    """For API tests on PostgreSQL: a fresh database, whose URL ``start_gateway`` will open.

    ``start_gateway(tmp_path)`` is called by several fixtures, not all of
    them ours, so the URL travels in a file in the test's ``tmp_path``.
    """
    if backend == "postgres" and API_TESTS in request.path.parents:
        tmp_path: Path = request.getfixturevalue("tmp_path")
        (tmp_path / DATABASE_URL_FILE).write_text(request.getfixturevalue("database_url"))
