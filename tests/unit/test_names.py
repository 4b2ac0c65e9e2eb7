"""One name per thing: no two modules under ``smsgate/`` define a public class of the same name.

Two ``Outcome`` classes (a dispatch round's, a send's answer, a bulk UI
decision's), a ``ContactLedger`` that was a store port in one package and a
policy count in another, and a ``RefusalCode`` in both the policy core and
the services made every import a guess and every grep a list to sort. Each
thing now has the name of what it is, and this test keeps it so. Private
classes (``_Group``) are their module's own business and are not compared.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

import smsgate

#: Public class names that may be defined in more than one module, with why.
#: Empty: add a name only with a reason a reader of both modules would accept.
ALLOWED_TWINS: Mapping[str, str] = {}


def public_classes(source: str) -> list[str]:
    """The public classes ``source`` defines at its top level."""
    tree = ast.parse(source)
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_")
    ]


def twins(modules: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Class names defined by more than one of ``modules`` (name, source), with where."""
    where: defaultdict[str, list[str]] = defaultdict(list)
    for module, source in modules:
        for name in public_classes(source):
            where[name].append(module)
    return {name: sorted(found) for name, found in where.items() if len(found) > 1}


def package_sources() -> list[tuple[str, str]]:
    """Every module under ``smsgate/`` as (path relative to the package, source)."""
    root = Path(smsgate.__file__).parent
    return [
        (str(path.relative_to(root)), path.read_text(encoding="utf-8"))
        for path in sorted(root.rglob("*.py"))
    ]


class TestOneNamePerClass:
    """No public class name is defined in two modules of the package, save the allow-list."""

    def test_no_twins(self) -> None:
        found = twins(package_sources())
        assert {name: where for name, where in found.items() if name not in ALLOWED_TWINS} == {}

    def test_the_allow_list_is_still_needed(self) -> None:
        """An allowed twin that no longer exists is taken off the list."""
        assert set(ALLOWED_TWINS) <= set(twins(package_sources()))

    def test_the_package_is_read(self) -> None:
        """The walk sees the package's classes (a wrong root would pass ``test_no_twins``)."""
        classes = {name for _, source in package_sources() for name in public_classes(source)}
        assert {"DispatchOutcome", "SendAnswer", "CapLedger", "PolicyCode"} <= classes


class TestTheCheck:
    """``twins`` finds a name defined twice, and only top-level public classes count."""

    def test_a_twin_is_found(self) -> None:
        modules = [("a.py", "class Outcome:\n    pass\n"), ("b.py", "class Outcome: ...\n")]
        assert twins(modules) == {"Outcome": ["a.py", "b.py"]}

    @pytest.mark.parametrize(
        "second",
        [
            pytest.param("class _Outcome: ...\n", id="private"),
            pytest.param("class Report:\n    class Outcome: ...\n", id="nested"),
            pytest.param("def Outcome() -> None: ...\n", id="function"),
            pytest.param("class Outcomes: ...\n", id="other-name"),
        ],
    )
    def test_what_is_not_a_twin(self, second: str) -> None:
        assert twins([("a.py", "class Outcome: ...\n"), ("b.py", second)]) == {}
