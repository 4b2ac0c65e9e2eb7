"""Running an ``smsgate`` command inside the test process, for tests of its logic.

Starting ``python -m smsgate.cli`` costs seconds (the interpreter, the
imports, the character folding); a test of what a command prints for an
input needs none of that. :func:`run_command` calls ``smsgate.cli.main``
with stdin, stdout and stderr swapped for strings (and, when given, variables
set in or taken out of the environment for the call) and answers as ``subprocess.run``
would, so a test reads the same ``returncode``, ``stdout`` and ``stderr``.
Each command keeps real-process tests too: the contract is that the process
works.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from subprocess import CompletedProcess

import pytest

from smsgate.cli import main


def run_command(
    *args: str, stdin: str = "", env: Mapping[str, str | None] | None = None
) -> CompletedProcess[str]:
    """``smsgate ARGS`` with ``stdin`` as its input and ``env`` applied to the environment for
    this call only (a ``None`` value unsets the variable); its exit status and what it wrote."""
    out, err = io.StringIO(), io.StringIO()
    with _environment(env or {}), _stdin(stdin), redirect_stdout(out), redirect_stderr(err):
        try:
            status = main(list(args))
        except SystemExit as exit_:  # argparse's usage errors
            status = exit_.code if isinstance(exit_.code, int) else 2
    return CompletedProcess(["smsgate", *args], status, out.getvalue(), err.getvalue())


@contextmanager
def _stdin(text: str) -> Iterator[None]:
    saved = sys.stdin
    sys.stdin = io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = saved


@contextmanager
def _environment(variables: Mapping[str, str | None]) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in variables.items():
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, value)
        yield
