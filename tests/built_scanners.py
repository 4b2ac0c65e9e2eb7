"""Scanners built once per wordlist content, so a test's gateway does not rebuild the automata.

Building a :class:`~smsgate.core.scanner.scanner.Scanner` (two Aho-Corasick
automata per audience, the homophone spellings) takes 0.3-0.9 s, which was
most of what starting a gateway for a test cost. A scanner is immutable
once built and depends only on the wordlist's files and the process-wide
folding and lexicon, so one built from the same bytes is the same scanner.
:class:`BuiltScanners` keys on a digest of those bytes (the manifest and
every ``*.txt``, with their relative paths): a test that edits a wordlist
gets a new scanner exactly as the gateway would, and a broken wordlist
still raises on every load (errors are never remembered).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from smsgate.core.scanner.scanner import Scanner
from smsgate.wordlists import MANIFEST, shipped_wordlists


class BuiltScanners:
    """A drop-in for ``smsgate.wordlists.load_scanner`` that reuses scanners of equal wordlists."""

    def __init__(self, build: Callable[[Path | None], Scanner]) -> None:
        self._build = build
        self._built: dict[bytes, Scanner] = {}

    def __call__(self, directory: Path | None = None) -> Scanner:
        key = wordlist_digest(directory or shipped_wordlists())
        if key is None:  # unreadable: let the real loader raise its own error
            return self._build(directory)
        if key not in self._built:
            self._built[key] = self._build(directory)
        return self._built[key]


def wordlist_digest(directory: Path) -> bytes | None:
    """A digest of every file ``load_wordlist`` reads in ``directory``; ``None`` if one fails."""
    digest = hashlib.blake2b()
    try:
        for path in sorted([directory / MANIFEST, *directory.rglob("*.txt")]):
            content = path.read_bytes()
            digest.update(f"{path.relative_to(directory).as_posix()}\0{len(content)}\0".encode())
            digest.update(content)
    except OSError:
        return None
    return digest.digest()
