"""Clauses: a text with a candidate is judged clause by clause, and recent clauses are kept.

A gateway's messages come from approved templates: the words around the
variables are the same in every message sent with one, so the careful work
on a candidate (word boundaries, the allow-list, the context reading, spans)
would be repeated for the same words thousands of times a day (#15 item 5).

Every judgement the scanner makes about a candidate stops at a clause break
(，。、；：！？), so a clause is judged the same alone as inside its text:

- a match may bridge a break only when the text has a single character
  between two breaks (派，出，所; :meth:`CharacterFolding.may_bridge_breaks`),
  and such a text is judged whole;
- the Latin word-edge look reads the character next to the match, and a
  clause break there reads as nothing, as the edge of a clause does;
- an allow-listed phrase's threat cues and the findings that touch it are
  parted by a clause break (:mod:`allowlist`), and so is the Chinese window
  a match is read in (:mod:`boundaries`);
- findings of two clauses never overlap, so neither covers the other.

So the findings of a text are those of its clauses, each moved by the
clause's offset, and :class:`ClauseFindings` keeps the findings of the
clauses seen lately (bounded, least recently used first out).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator

from smsgate.core.audience import Audience
from smsgate.core.scanner.findings import Finding
from smsgate.core.scanner.folding import CLAUSE_BREAKS

#: How many clauses are kept, and the longest one worth keeping (a clause of
#: a template is short; a long run without a break is judged every time).
CLAUSES_KEPT = 4096
LONGEST_KEPT = 160
#: How many placements of one clause's findings are kept with them.
OFFSETS_KEPT = 8

_BREAK = re.compile(f"[{''.join(sorted(CLAUSE_BREAKS))}]")

#: Judges one clause for one audience: its findings, offsets into the clause.
ClauseJudge = Callable[[str, Audience], tuple[Finding, ...]]


class ClauseFindings:
    """The findings of texts assembled from their clauses' findings, recent clauses kept."""

    def __init__(self, judge: ClauseJudge, kept: int = CLAUSES_KEPT) -> None:
        """``judge`` must be a pure function of its arguments: its answers are kept."""
        self._judge = judge
        self._kept = functools.lru_cache(maxsize=kept)(self._judged)

    def of(self, text: str, audience: Audience) -> list[Finding]:
        """The findings of ``text`` (which must not bridge a clause break), in order;
        offsets index ``text``."""
        findings: list[Finding] = []
        for offset, clause in clauses(text):
            judged = self._kept if len(clause) <= LONGEST_KEPT else self._judged
            findings.extend(judged(clause, audience).at(offset))
        return findings

    def _judged(self, clause: str, audience: Audience) -> _Judged:
        return _Judged(self._judge(clause, audience))


class _Judged:
    """One clause's findings, and the same placed at the few offsets the clause has
    stood at (a variable before it is a name of two to four characters, say)."""

    __slots__ = ("findings", "placed")

    def __init__(self, findings: tuple[Finding, ...]) -> None:
        self.findings = findings
        self.placed = {0: findings}

    def at(self, offset: int) -> tuple[Finding, ...]:
        """The findings moved ``offset`` code points on."""
        if not self.findings:
            return ()
        placed = self.placed.get(offset)
        if placed is None:
            placed = tuple(moved(finding, offset) for finding in self.findings)
            if len(self.placed) < OFFSETS_KEPT:
                self.placed[offset] = placed
        return placed


def clauses(text: str) -> Iterator[tuple[int, str]]:
    """The non-empty clauses of ``text`` and where each starts (breaks left out)."""
    offset = 0
    for clause in _BREAK.split(text):
        if clause:
            yield offset, clause
        offset += len(clause) + 1


def moved(finding: Finding, offset: int) -> Finding:
    """``finding`` with its span moved ``offset`` code points on."""
    return Finding(
        finding.term,
        finding.category,
        finding.severity,
        finding.start + offset,
        finding.end + offset,
        finding.matched_text,
        finding.evasion,
    )
