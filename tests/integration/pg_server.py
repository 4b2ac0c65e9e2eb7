"""A throwaway PostgreSQL server for the tests: started once per session, a schema per test.

``postgres_server`` runs ``initdb`` in a temporary folder and starts
``postgres`` on a free 127.0.0.1 port (TCP only, no Unix socket), with
``fsync`` on as in production. Each test gets a fresh, empty schema of its
own (``search_path`` in the URL), which the first store opened on it
migrates exactly as on a new database, and which is dropped when the test
ends; the server stops and its folder is removed at the end of the session.

The API tests need a migrated database rather than a new one: they borrow
one of ``migrated`` schemas, which is emptied back to what migrating gave
when the test ends (``migrated_schemas``: 20 ms, against 0.1-0.4 s to
create, migrate and drop a schema).

Why schemas and not a database per test copied from a migrated template:
``CREATE DATABASE … TEMPLATE`` copies the whole catalog through the WAL and
``DROP DATABASE`` forces a checkpoint, which together cost two to three
times what creating, migrating and dropping a schema does (measured here:
~1.7 s against ~0.7 s per test on a loaded 2-core machine). Isolation is the
same for everything the store does; only advisory locks are per database,
and tests run one at a time.

PostgreSQL refuses to run as root. Under root (CI, containers) the server
runs as the ``postgres`` account the Debian package creates, or ``nobody``,
by dropping privileges in the child process (``subprocess.Popen(user=…)``),
so the pid we hold is the server's own and stopping it needs no wrapper.

The binaries are looked up in ``SMSGATE_PG_BINDIR``, then on ``PATH``, then
in Debian's ``/usr/lib/postgresql/<version>/bin`` (newest first). If there
are none the tests that need the server fail with the command to install
them: a silent skip would let CI pass without ever testing PostgreSQL.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import IO, Any, TypeVar

import asyncpg
import pytest

from .local import free_port
from .migrated_schemas import MigratedSchemas

INSTALL_HINT = (
    "the postgres tests need PostgreSQL's server binaries (initdb, postgres): "
    "apt-get install -y postgresql  (or set SMSGATE_PG_BINDIR to their folder)"
)
SUPERUSER = "smsgate"
DATABASE = "smsgate_tests"
#: Where ``tests/conftest.py`` leaves an API test's PostgreSQL URL for ``start_gateway``.
DATABASE_URL_FILE = "database-url"
START_TIMEOUT_S = 30.0
T = TypeVar("T")
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
    "fsync": "on",
    "max_connections": "300",
    "shared_buffers": "64MB",
    "log_min_messages": "warning",
}


def server_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``postgres``, if any is installed."""
    candidates: list[Path] = []
    if configured := os.environ.get("SMSGATE_PG_BINDIR"):
        candidates.append(Path(configured))
    if on_path := shutil.which("initdb"):
        candidates.append(Path(on_path).resolve().parent)
    debian = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(debian, key=lambda path: _version(path.parent.name), reverse=True)
    needed = ("initdb", "postgres")
    return next((c for c in candidates if all((c / name).is_file() for name in needed)), None)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


class AdminConnection:
    """One connection for creating and dropping test schemas, on a thread of its own.

    The tests' event loops come and go with each test, so this connection
    lives on a private loop in a daemon thread and is driven synchronously.
    """

    def __init__(self, dsn: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._connection = self._wait(asyncpg.connect(dsn))

    def execute(self, statement: str) -> None:
        """Run ``statement``; raises asyncpg's errors."""
        self._wait(self._connection.execute(statement))

    def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        """The rows of ``query``; raises asyncpg's errors."""
        return self._wait(self._connection.fetch(query, *args))

    def run(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` on this connection's loop (a store opened there, say) and wait for it."""
        self._wait(work)

    def close(self) -> None:
        """Close the connection and stop the thread."""
        try:
            self._wait(self._connection.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()

    def _wait(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=60)


@dataclass(frozen=True)
class PostgresServer:
    """A running server with a database the tests take fresh schemas of."""

    bindir: Path
    port: int
    admin: AdminConnection
    _names: Iterator[int]

    @cached_property
    def migrated(self) -> MigratedSchemas:
        """Migrated schemas lent to a test at a time (``migrated_schemas``), made on first use."""
        admin = self.admin
        return MigratedSchemas(admin.execute, admin.fetch, admin.run, self.url, self._names)

    def url(self, schema: str | None = None, database: str = DATABASE) -> str:
        """The ``SMSGATE_DATABASE_URL`` of ``database``, or of one ``schema`` in it."""
        base = f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"
        return base if schema is None else f"{base}?search_path={schema}"

    @contextmanager
    def fresh_database(self) -> Iterator[str]:
        """A new, empty schema of its own; its URL. Dropped, with all in it, afterwards.

        The URL sets ``search_path``, so every store opened with it sees only
        that schema, which it migrates as on a new database.
        """
        name = f"test_{next(self._names)}"
        self.admin.execute(f"CREATE SCHEMA {name}")
        try:
            yield self.url(name)
        finally:
            self.admin.execute(f"DROP SCHEMA {name} CASCADE")


def _run_as() -> dict[str, object]:
    """``Popen`` arguments that drop root for an unprivileged account; none if not root."""
    if os.geteuid() != 0:
        return {}
    for name in ("postgres", "nobody"):
        try:
            account = pwd.getpwnam(name)
        except KeyError:
            continue
        return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    raise RuntimeError("running as root, and neither a 'postgres' nor a 'nobody' account exists")


def _init_cluster(bindir: Path, datadir: Path, run_as: dict[str, object]) -> None:
    command = [
        str(bindir / "initdb"), "-D", str(datadir), "-U", SUPERUSER, "--auth=trust",
        "-E", "UTF8", "--no-locale", "--no-sync",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False, **run_as)
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed: {done.stderr.strip()}")


def _start(
    bindir: Path, datadir: Path, port: int, run_as: dict[str, object], log: IO[bytes]
) -> subprocess.Popen[bytes]:
    options = [arg for name, value in SETTINGS.items() for arg in ("-c", f"{name}={value}")]
    return subprocess.Popen(
        [str(bindir / "postgres"), "-D", str(datadir), "-p", str(port), *options],
        stdout=log, stderr=subprocess.STDOUT, **run_as,
    )  # fmt: skip


def _connect_when_ready(port: int, process: subprocess.Popen[bytes], root: Path) -> AdminConnection:
    deadline = time.monotonic() + START_TIMEOUT_S
    dsn = f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres"
    while True:
        if process.poll() is not None:
            log = (root / "server.log").read_text(errors="replace")
            raise RuntimeError(f"postgres exited with {process.returncode}:\n{log[-2000:]}")
        try:
            admin = AdminConnection(dsn)
            break
        except (OSError, asyncpg.PostgresError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    admin.execute(f"CREATE DATABASE {DATABASE}")
    admin.close()
    return AdminConnection(f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{DATABASE}")


@contextmanager
def running_server() -> Iterator[PostgresServer]:
    """Start a server with a migrated template database; stop it and remove its files after."""
    bindir = server_binaries()
    if bindir is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    run_as = _run_as()
    root = Path(tempfile.mkdtemp(prefix="smsgate-pg-"))
    root.chmod(0o711)  # the server's account must reach its data folder inside
    datadir = root / "data"
    datadir.mkdir(mode=0o700)
    if run_as:
        os.chown(datadir, run_as["user"], run_as["group"])  # type: ignore[arg-type]
    try:
        _init_cluster(bindir, datadir, run_as)
        with (root / "server.log").open("wb") as log:
            port = free_port()
            process = _start(bindir, datadir, port, run_as, log)
            try:
                admin = _connect_when_ready(port, process, root)
                try:
                    yield PostgresServer(bindir, port, admin, itertools.count(1))
                finally:
                    admin.close()
            finally:
                _stop(process)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)  # "fast" shutdown: roll back sessions, stop at once
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One server for the whole session; fails (never skips) without PostgreSQL installed."""
    with running_server() as server:
        yield server
