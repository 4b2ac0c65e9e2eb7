"""A small disk the tests can fill and free again: a tmpfs mounted for one test.

Why a tmpfs and not ``RLIMIT_FSIZE``: a full file system is what a real
outage looks like to SQLite (``ENOSPC`` on any file, the WAL and its
``-shm`` included, ``SQLITE_FULL``), it hits every process using the
database at once (``serve`` and ``dispatch``), and freeing space is just
deleting the filler, with no need to reach into a process's limits. A size
limit instead fails only writes that grow one process's files past a size
(``EFBIG``), which SQLite reports as a different I/O error.

Mounting needs root (or ``CAP_SYS_ADMIN``); without it the test fails with
the reason, it is never skipped. The mount is removed when the test ends,
whatever happened (lazily, should a process still hold a file open).
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

DISK_MB = 16
CHUNK = 1 << 20


@contextmanager
def mounted_tmpfs(folder: Path, megabytes: int = DISK_MB) -> Iterator[Path]:
    """``folder`` with a tmpfs of ``megabytes`` mounted on it, unmounted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    command = ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0755", "tmpfs", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.fail(
            "the disk-full tests mount a small tmpfs and need root or CAP_SYS_ADMIN; "
            f"`{' '.join(command)}` failed: {done.stderr.strip()}",
            pytrace=False,
        )
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, check=False)


class Filler:
    """A file that takes every free byte of its file system until ``free()``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = 0

    def fill(self, leave: int = 0) -> int:
        """Write until the file system is full (``ENOSPC``), or only ``leave`` bytes are free."""
        with self.path.open("ab") as out:
            if leave:
                stats = os.statvfs(self.path)
                self.size += os.write(out.fileno(), bytes(stats.f_bavail * stats.f_frsize - leave))
                return self.size
            for chunk in (CHUNK, 4096, 512):
                self.size += _write_until_full(out.fileno(), chunk)
        return self.size

    def free(self) -> None:
        """Delete the filler: the space is free again at once."""
        self.path.unlink(missing_ok=True)
        self.size = 0


def _write_until_full(fd: int, chunk: int) -> int:
    written = 0
    block = b"\0" * chunk
    while True:
        try:
            count = os.write(fd, block)
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
            return written
        written += count
        if count < chunk:
            return written


def truncate_wal(db_path: Path) -> None:
    """Checkpoint the WAL into the database and truncate it, so that any write grows it again.

    SQLite reuses WAL space it already has; a WAL cut to nothing before the
    disk is filled makes the first write after the fill need new space.
    """
    with closing(sqlite3.connect(db_path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
