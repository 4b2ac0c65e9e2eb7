"""A PostgreSQL server of one test's own, which the test may stop and start again.

The session-wide server of ``pg_server`` is shared by every PostgreSQL
test, so stopping it would break the others; the outage test runs its own,
built from the same pieces (``initdb`` in a temporary folder, TCP on a free
127.0.0.1 port, privileges dropped under root). ``stop()`` is ``pg_ctl stop
-m fast`` done by hand (SIGINT: sessions are rolled back and ended at once,
clients see their connection close), or ``-m immediate`` (SIGQUIT: a crash,
WAL replayed at the next start); ``start()`` runs the server again on
the same folder and port, as an operator restarting it would.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

from ..local import free_port
from ..pg_server import (
    DATABASE,
    INSTALL_HINT,
    SUPERUSER,
    _connect_when_ready,
    _init_cluster,
    _run_as,
    _start,
    _stop,
    server_binaries,
)

START_TIMEOUT_S = 30.0


class RestartableServer:
    """A server on a fixed folder and port; ``stop()`` and ``start()`` as often as needed."""

    def __init__(self, bindir: Path, root: Path, port: int, log: IO[bytes]) -> None:
        self.port = port
        self._bindir = bindir
        self._root = root
        self._log = log
        self._run_as = _run_as()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The ``SMSGATE_DATABASE_URL`` of the test database."""
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def initialise(self) -> None:
        """``initdb``, start, and create the test database (the first start only)."""
        datadir = self._root / "data"
        datadir.mkdir(mode=0o700)
        if self._run_as:
            shutil.chown(datadir, self._run_as["user"], self._run_as["group"])  # type: ignore[arg-type]
        _init_cluster(self._bindir, datadir, self._run_as)
        self._process = _start(self._bindir, datadir, self.port, self._run_as, self._log)
        _connect_when_ready(self.port, self._process, self._root).close()

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop -m fast`` (sessions rolled back and closed) or ``-m immediate``.

        Immediate is a crash as far as the data is concerned: the server
        quits without a checkpoint and replays its WAL when started again,
        so whatever it acknowledged before must still be there.
        """
        if self._process is None:
            return
        if mode == "immediate":
            self._process.send_signal(signal.SIGQUIT)
            self._process.wait(timeout=30)
        else:
            _stop(self._process)
        self._process = None

    def start(self) -> None:
        """Run the server again on the same folder and port; returns once it accepts TCP."""
        assert self._process is None, "the server is already running"
        datadir = self._root / "data"
        self._process = _start(self._bindir, datadir, self.port, self._run_as, self._log)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _accepts(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"postgres did not start again:\n{self.log_tail()}", pytrace=False)
            time.sleep(0.05)

    def log_tail(self) -> str:
        """The end of the server's log, for failure messages."""
        return (self._root / "server.log").read_text(errors="replace")[-3000:]


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def restartable_server() -> Iterator[RestartableServer]:
    """A fresh server with the test database; stopped and removed afterwards."""
    bindir = server_binaries()
    if bindir is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    root = Path(tempfile.mkdtemp(prefix="smsgate-pg-fault-"))
    root.chmod(0o711)  # the server's account must reach its data folder inside
    try:
        with (root / "server.log").open("wb") as log:
            server = RestartableServer(bindir, root, free_port(), log)
            try:
                server.initialise()
                yield server
            finally:
                server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
