"""The automata of one wordlist: every folded spelling of the lists for one audience.

Each :class:`AudienceMatcher` holds two ahocorasick-rs automata: one over
folded text for the careful work, and one over the UTF-8 of the quick fold,
which decides for most texts that nothing is there. Both are contiguous NFAs,
chosen by measurement (#15 item 5) on the benchmark's clean messages, whose
quick folds the ~66k patterns and probes below are searched in: 0.66 µs a
text (0.16 µs of it the call), a scanner of every audience in ~33 MB and
0.4 s. The DFA searched in 0.61 µs but took ~455 MB and 0.9 s a scanner; the
noncontiguous NFA 1.07 µs. The match kind is the standard one: overlapping
searches need it, and the leftmost kinds were no faster for the yes-or-no
question a clean text is asked.

The quick automaton also holds *probes* for what the quick fold cannot settle,
so that clean text needs no other test (two regex searches over every text
used to cost a third of a clean scan):

- every character that only the whole folding table folds
  (:attr:`CharacterFolding.table_needed`: traditional, full-width, look-alike
  and accented letters, non-ASCII separators, lone surrogates) and the byte
  the quick fold marks astral characters with;
- *bridge probes*: the quick fold keeps clause breaks in place, so a term
  spelled across them (派，出，所), which counts when a break stands in every
  gap, is not one of the patterns there; it must contain the first two
  characters of a term of three or more with one break between (派，出), or
  two breaks in a row (a gap holding several).

A probe sends the text to the careful path, which asks the folding what the
text needs (:meth:`CharacterFolding.quick_bytes`,
:meth:`CharacterFolding.may_bridge_breaks`) and judges it as before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

import ahocorasick_rs

from smsgate.core.audience import Audience
from smsgate.core.scanner.folding import CLAUSE_BREAKS, CLAUSE_BRIDGE_MIN_LENGTH, CharacterFolding
from smsgate.core.scanner.readings import toneless_syllables
from smsgate.core.scanner.spellings import Spelling, SpellingKind, all_chinese, spellings_of
from smsgate.core.scanner.wordlist import TermList, Wordlist

#: Every list with its folded patterns and what each spells.
SpelledLists = list[tuple[TermList, list[tuple[str, Spelling]]]]

#: A match: pattern index, start and end (code points or bytes, end exclusive).
Hit = tuple[int, int, int]

#: See the module docstring: the fastest implementation that stays small.
_IMPLEMENTATION = ahocorasick_rs.Implementation.ContiguousNFA


class AudienceMatcher:
    """The automata of every spelling that applies to one audience, on text and on UTF-8."""

    def __init__(
        self, spelled: SpelledLists, audience: Audience, table_probes: Iterable[bytes]
    ) -> None:
        """``table_probes`` (see :func:`table_probes`) join the quick automaton."""
        by_pattern: dict[str, dict[Spelling, None]] = defaultdict(dict)
        for term_list, spellings in spelled:
            if audience in term_list.audiences:
                for folded, spelling in spellings:
                    by_pattern[folded][spelling] = None
        # An automaton needs a pattern; NUL never survives folding, so it never matches.
        patterns = list(by_pattern) or ["\0"]
        #: What each pattern spells, by pattern index.
        self.spellings = [tuple(by_pattern.get(p, ())) for p in patterns]
        #: The indexes of patterns that spell a term in pinyin.
        self.pinyin_patterns = frozenset(
            index
            for index, spellings in enumerate(self.spellings)
            if any(spelling.kind is SpellingKind.PINYIN for spelling in spellings)
        )
        self._in_text = ahocorasick_rs.AhoCorasick(patterns, implementation=_IMPLEMENTATION)
        self._terms = len(patterns)
        quick = [p.encode() for p in [*patterns, *bridge_probes(patterns)]]
        self._in_quick = ahocorasick_rs.BytesAhoCorasick(
            [*quick, *table_probes], implementation=_IMPLEMENTATION
        )
        #: The one question a clean text is asked: do any patterns or probes occur in
        #: its quick fold (``bytes.translate`` of its UTF-8 by
        #: :attr:`CharacterFolding.quick_translation`)? A bound method, called inline.
        self.find_in_quick: Callable[[bytes], list[Hit]] = self._in_quick.find_matches_as_indexes

    def hits(self, folded: str) -> list[Hit]:
        """Every occurrence of a pattern in ``folded`` text, overlapping ones included."""
        return self._in_text.find_matches_as_indexes(folded, overlapping=True)

    def any_hit(self, folded: str) -> bool:
        """Whether any pattern occurs in ``folded`` text."""
        return bool(self._in_text.find_matches_as_indexes(folded))

    def term_in_quick(self, quick: bytes) -> bool:
        """Whether a pattern, not only a bridge probe, occurs in a quick fold."""
        terms = self._terms
        hits = self._in_quick.find_matches_as_indexes(quick, overlapping=True)
        return any(index < terms for index, _, _ in hits)


def table_probes(folding: CharacterFolding) -> list[bytes]:
    """What only the whole table folds, as the quick fold leaves it: each character
    of :attr:`CharacterFolding.table_needed` in UTF-8 (lone surrogates too), and the
    ``0xFF`` that marks an astral character."""
    needed = sorted(folding.table_needed)
    return [char.encode("utf-8", "surrogatepass") for char in needed] + [b"\xff"]


def bridge_probes(patterns: Iterable[str]) -> set[str]:
    """What a pattern spelled with a clause break in every gap contains in the quick
    fold (which drops ASCII separators and keeps breaks): its first two characters
    with one break between, or, where a gap holds several, two breaks in a row."""
    heads = {p[:2] for p in patterns if len(p) >= CLAUSE_BRIDGE_MIN_LENGTH}
    probes = {head[0] + brk + head[1] for head in heads for brk in CLAUSE_BREAKS}
    return probes | {one + two for one in CLAUSE_BREAKS for two in CLAUSE_BREAKS}


def spelled_lists(
    wordlist: Wordlist, folding: CharacterFolding, *, homophones: bool
) -> SpelledLists:
    """Every list with its folded patterns, spelled once for all audiences."""
    spelled = []
    for term_list in wordlist.lists:
        patterns = [
            (folded, spelling)
            for pattern, spelling in spellings_of(term_list, homophones=homophones)
            if (folded := folding.fold_term(pattern))
        ]
        spelled.append((term_list, patterns))
    return spelled


def syllable_table(wordlist: Wordlist, folding: CharacterFolding) -> dict[str, str]:
    """Each Chinese character of a pinyin-spelled term, and its toneless syllable.

    Built once per wordlist from pypinyin, reading each term as a whole (so a
    polyphonic character gets the reading it has in the term); where terms
    disagree, the first reading wins. Scanning then looks characters up,
    never runs pypinyin on a text.
    """
    table: dict[str, str] = {}
    for term_list in wordlist.lists:
        for term in term_list.terms:
            if not (term_list.spelled_in_pinyin(term) and all_chinese(term)):
                continue
            for char, syllable in zip(term, toneless_syllables(term), strict=True):
                table.setdefault(folding.canonical(char), syllable)
    return table
