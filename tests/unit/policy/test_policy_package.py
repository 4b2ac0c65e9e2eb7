"""The policy package's public surface, and its promise to be pure and clock-free."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import smsgate.core.policy as policy

SOURCES = sorted(Path(policy.__file__).parent.glob("*.py"))
CLOCK_METHODS = {"now", "utcnow", "today"}  # datetime.now(), date.today() …
TIME_FUNCTIONS = {"time", "time_ns", "monotonic", "perf_counter"}  # time.time() …


def tree_of(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def reads_the_clock(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    owner = node.func.value
    from_time_module = isinstance(owner, ast.Name) and owner.id == "time"
    return node.func.attr in CLOCK_METHODS or (
        from_time_module and node.func.attr in TIME_FUNCTIONS
    )


class TestPublicSurface:
    """``__all__`` names are unique, importable, and include every name the contract needs."""

    def test_all_names_resolve(self) -> None:
        assert len(set(policy.__all__)) == len(policy.__all__)
        for name in policy.__all__:
            assert getattr(policy, name) is not None, name

    def test_contract_names_are_exported(self) -> None:
        expected = {
            "Allow",
            "Defer",
            "Refuse",
            "Decision",
            "PolicyCode",
            "OnQuietHours",
            "PolicyProfile",
            "ProfileError",
            "UnknownTimeZone",
            "Recipient",
            "Contact",
            "ContactStatus",
            "ContactRequest",
            "decide",
            "history_window",
            "profile_from_config",
        }
        assert expected <= set(policy.__all__)


PURE_LIBRARIES = frozenset({"phonenumbers"})


class TestPurity:
    """Policy modules import only the standard library, the core and pure data libraries.

    libphonenumber is data and functions over it (``zones`` derives a number's
    time zones from it); it reads no clock, network or database.
    """

    def test_imports_only_stdlib_and_core(self) -> None:
        offenders = set()
        for path in SOURCES:
            for node in ast.walk(tree_of(path)):
                modules = []
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    modules = [node.module]
                for module in modules:
                    top = module.split(".")[0]
                    allowed = (
                        top in sys.stdlib_module_names
                        or top in PURE_LIBRARIES
                        or module.startswith("smsgate.core")
                    )
                    if not allowed:
                        offenders.add(f"{path.name}: {module}")
        assert not offenders

    def test_never_reads_the_clock(self) -> None:
        offenders = {
            f"{path.name}: {ast.unparse(node)}"
            for path in SOURCES
            for node in ast.walk(tree_of(path))
            if reads_the_clock(node)
        }
        assert not offenders
