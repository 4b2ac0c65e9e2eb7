"""The layers hold: use cases know no shell, and the operator's commands start without HTTP.

Beside ``test_core_is_pure``: ``smsgate/service/`` is what the API, the UI,
the CLI and the workers share, so it imports neither aiohttp nor a shell
(``smsgate.api``, ``smsgate.web``), not even inside a function or under
``TYPE_CHECKING``. And ``smsgate keys …`` (the whole CLI up to a chosen
command) must not load aiohttp: a process that never serves should not pay
for the HTTP stack.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import smsgate.service

SHELLS = ("aiohttp", "smsgate.api", "smsgate.web")


def imported_modules(source: str) -> set[str]:
    """Every module ``source`` imports anywhere, ``from smsgate import api`` as ``smsgate.api``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def shell_imports(source: str) -> set[str]:
    """The imports of ``source`` that reach a shell."""
    return {
        name
        for name in imported_modules(source)
        if any(name == shell or name.startswith(shell + ".") for shell in SHELLS)
    }


class TestServiceImports:
    """No module under smsgate/service imports aiohttp, the API or the UI."""

    def test_no_shell_imports(self) -> None:
        service = Path(smsgate.service.__file__).parent
        offenders = {
            f"{path.relative_to(service)}: {name}"
            for path in sorted(service.rglob("*.py"))
            for name in shell_imports(path.read_text(encoding="utf-8"))
        }
        assert not offenders

    @pytest.mark.parametrize(
        "source",
        [
            pytest.param("from smsgate.api.problems import Problem", id="from-module"),
            pytest.param("from smsgate import web", id="from-package"),
            pytest.param("import aiohttp.web", id="import"),
            pytest.param("def f():\n    from smsgate.api import app\n", id="in-function"),
            pytest.param(
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                "    from smsgate.api.operations import Call\n",
                id="type-checking",
            ),
        ],
    )
    def test_the_check_sees_every_spelling(self, source: str) -> None:
        assert shell_imports(source)

    def test_the_check_passes_what_services_may_import(self) -> None:
        source = "from smsgate.store import Store\nfrom smsgate.service.refusals import Refusal\n"
        assert not shell_imports(source)


def loads_aiohttp(code: str) -> bool:
    """Whether running ``code`` in a fresh interpreter leaves aiohttp imported."""
    probe = f"{code}\nimport sys\nprint('aiohttp' in sys.modules)\n"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip().splitlines()[-1] == "True"


KEYS_HELP = """
from smsgate.cli import main
try:
    main(["keys", "create", "--help"])
except SystemExit:
    pass
"""


class TestOperatorCommandsStartWithoutHttp:
    """The CLI, up to and including an admin command's help, never imports aiohttp."""

    @pytest.mark.parametrize(
        "code",
        [
            pytest.param("import smsgate.commands.admin", id="admin-commands"),
            pytest.param("import smsgate.cli; smsgate.cli.build_parser()", id="cli-parser"),
            pytest.param(KEYS_HELP, id="keys-create-help"),
            pytest.param("import smsgate.bootstrap", id="composition-root"),
        ],
    )
    def test_no_aiohttp(self, code: str) -> None:
        assert not loads_aiohttp(code)

    def test_serving_does_load_it(self) -> None:
        """The probe itself works: the app module does import aiohttp."""
        assert loads_aiohttp("import smsgate.api.app")
