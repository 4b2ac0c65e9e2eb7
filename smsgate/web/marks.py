"""Texts cut into pieces a page can mark up: findings highlighted in place, and a diff.

Pure functions, no HTML: the page templates wrap each piece in ``<mark>``,
``<ins>`` or ``<del>`` and Jinja escapes the text, so a body containing
markup is shown as typed and can never inject any. Findings are the scan
contract's dicts (``start``/``end`` are code-point offsets into the text
shown), so the same code highlights a template body, a held message and the
scratch box.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of text; ``finding`` (1-based number and the finding) if the run is one."""

    text: str
    number: int | None = None
    finding: Mapping[str, Any] | None = None


def findings_in_order(findings: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The findings by position, as the page numbers them."""
    return sorted(findings, key=lambda f: (int(f["start"]), int(f["end"])))


def highlighted(text: str, findings: Iterable[Mapping[str, Any]]) -> list[Piece]:
    """``text`` as plain pieces and finding pieces, numbered as :func:`findings_in_order`.

    A finding whose span overlaps an earlier one, or lies outside the text
    (a stale finding of another text), is left unmarked rather than mangling
    the text; its number is still used, so the table and the marks agree.
    """
    pieces: list[Piece] = []
    cursor = 0
    for number, finding in enumerate(findings_in_order(findings), start=1):
        start, end = int(finding["start"]), int(finding["end"])
        if start < cursor or end > len(text) or start >= end:
            continue
        if start > cursor:
            pieces.append(Piece(text[cursor:start]))
        pieces.append(Piece(text[start:end], number, finding))
        cursor = end
    if cursor < len(text):
        pieces.append(Piece(text[cursor:]))
    return pieces


@dataclass(frozen=True, slots=True)
class Change:
    """A run of a character diff: ``same``, ``added`` or ``removed``."""

    kind: str
    text: str


def character_diff(old: str, new: str) -> list[Change]:
    """What changed from ``old`` to ``new``, character by character (Chinese has no words)."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    changes: list[Change] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            changes.append(Change("same", new[j1:j2]))
            continue
        if i2 > i1:
            changes.append(Change("removed", old[i1:i2]))
        if j2 > j1:
            changes.append(Change("added", new[j1:j2]))
    return changes


def changed(changes: Sequence[Change]) -> bool:
    """Whether a diff holds any change."""
    return any(change.kind != "same" for change in changes)
