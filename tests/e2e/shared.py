"""The UI tests' seeded world (``tests/integration/web/web_support.py``), loaded by its path.

``tests/`` is not a package, so no relative import reaches from ``e2e`` into
``integration``; loading the one module by path lets the browser tests run
against exactly the data the HTTP-level UI tests use, instead of a copy that
would drift. The module imports only ``smsgate`` and the standard library.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

_NAME = "smsgate_ui_test_world"
_PATH = Path(__file__).resolve().parents[1] / "integration" / "web" / "web_support.py"


def _load() -> ModuleType:
    if _NAME in sys.modules:
        return sys.modules[_NAME]
    spec = importlib.util.spec_from_file_location(_NAME, _PATH)
    assert spec is not None, f"cannot load {_PATH}"
    assert spec.loader is not None, f"cannot load {_PATH}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[_NAME] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


web_support = _load()
UiWorld = web_support.UiWorld
start_ui = web_support.start_ui
csrf_of = web_support.csrf_of
