"""The allow-list: harmless readings of phrases that hold a term, and only those.

上门服务 (home service) holds the review term 上门 (a visit), and so does
就上门服务 ("then we come to your door"). An allow-listed phrase therefore
suppresses a term inside it only as its exact harmless reading:

- not when one of its threat cues stands right before or after it with
  nothing but separators between them (``not-after=就,派人`` on the phrase's
  line in ``allow.txt``: 就上门服务, 派人上门回收; ``not-before=欠款``:
  上门回收欠款); a clause break (，。) parts a cue from the phrase;
- not when another finding overlaps it or touches it (你等着上门维修: the
  threat beside a harmless phrase makes it a threat too, so the longer,
  overlapping reading wins over the allow-list); clause breaks part them too.

The automaton runs only for a text that already has a candidate finding, so
clean text pays nothing. Word segmentation (#15) can later narrow a reading
further by adding a check to :meth:`AllowList.occurrences`.
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick_rs

from smsgate.core.scanner.folding import CLAUSE_BREAKS, CharacterFolding, FoldedText
from smsgate.core.scanner.wordlist import AllowedPhrase

#: A span in folded text, end exclusive.
Span = tuple[int, int]


class AllowList:
    """The folded allow-listed phrases of one wordlist, with their threat cues."""

    def __init__(self, entries: Iterable[AllowedPhrase], folding: CharacterFolding) -> None:
        cues: dict[str, tuple[set[str], set[str]]] = {}
        for entry in entries:
            phrase = folding.fold_term(entry.phrase)
            if not phrase:
                continue
            after, before = cues.setdefault(phrase, (set(), set()))
            after.update(c for c in map(folding.fold_term, entry.not_after) if c)
            before.update(c for c in map(folding.fold_term, entry.not_before) if c)
        self._phrases = list(cues)
        self._cues = [(tuple(after), tuple(before)) for after, before in cues.values()]
        self._automaton = ahocorasick_rs.AhoCorasick(self._phrases) if self._phrases else None

    def occurrences(self, folded: FoldedText) -> list[Span]:
        """Where an allowed phrase stands in its harmless reading: same gap rules as
        terms (so every fold agrees), and no threat cue right before or after it."""
        if self._automaton is None:
            return []
        text = folded.folded
        return [
            (start, end)
            for index, start, end in self._automaton.find_matches_as_indexes(text, overlapping=True)
            if folded.gaps_allowed(start, end, spaced_out=False)
            and not self._cued(folded, index, start, end)
        ]

    def _cued(self, folded: FoldedText, index: int, start: int, end: int) -> bool:
        after, before = self._cues[index]
        text = folded.folded
        return any(
            text.endswith(cue, 0, start) and _joined(folded, start - len(cue), start + 1)
            for cue in after
        ) or any(
            text.startswith(cue, end) and _joined(folded, end - 1, end + len(cue)) for cue in before
        )


def _joined(folded: FoldedText, start: int, end: int) -> bool:
    """Whether folded characters ``[start, end)`` run on without a clause break.

    The quick fold keeps clause breaks as characters and the full fold drops
    them into gaps; asking both ways keeps every fold of a text in agreement.
    """
    return not any(CLAUSE_BREAKS.intersection(gap) for gap in folded.gaps(start, end))


def unsuppressed(folded: FoldedText, candidates: list[Span], occurrences: list[Span]) -> list[bool]:
    """For each candidate span, whether it still counts given the allowed occurrences.

    A candidate wholly inside a live occurrence is suppressed; an occurrence
    that a counting candidate overlaps or touches is no longer harmless, which
    frees the candidates inside it, and so on until nothing changes.
    """
    live = list(occurrences)
    while True:
        counts = [not any(a <= s and e <= b for a, b in live) for s, e in candidates]
        free = [span for span, counted in zip(candidates, counts, strict=True) if counted]
        still = [o for o in live if not any(_touch(folded, span, o) for span in free)]
        if len(still) == len(live):
            return counts
        live = still


def _touch(folded: FoldedText, one: Span, other: Span) -> bool:
    """Whether two spans overlap, or meet with nothing but separators between them."""
    (s, e), (a, b) = one, other
    if s < b and a < e:
        return True
    return (e == a and _joined(folded, e - 1, e + 1)) or (s == b and _joined(folded, b - 1, b + 1))
