"""Where the shipped data lives: the wordlists and the UI's page templates.

An installed wheel carries them inside the package (``smsgate/_data/``, see
pyproject.toml); a checkout (editable install, tests, ``make run``) reads the
repository's top-level ``wordlists/`` and ``templates/`` folders.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """The directory of shipped data ``name`` (``"wordlists"`` or ``"templates"``).

    Raises ``FileNotFoundError`` naming both places looked in.
    """
    candidates = (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no {name} directory in {' or '.join(map(str, candidates))}")
