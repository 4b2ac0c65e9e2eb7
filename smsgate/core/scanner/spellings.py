"""The spellings a term is matched in: as written, in pinyin, as homophones, as initials.

Collectors who know a carrier filters 公安 write ``gongan`` or ``g.a.``; both are
findings. Latin spellings are where false alarms lurk (``ga`` is in many
words), so they carry rules a plain Chinese term does not:

- a pinyin spelling is produced only for all-Chinese terms and only when it
  has at least :data:`MIN_PINYIN_LETTERS` letters, and it must stand as a
  word of its own (no ASCII letter or digit directly before or after);
- initials are produced only for lists that opt in, must be spaced out with a
  separator between every letter (``g.a.``, ``G A``, never plain ``ga``), and
  are reported with ``review`` severity: a reviewer decides, nothing is
  blocked on two letters alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from pypinyin import Style, lazy_pinyin

from smsgate.core.audience import Audience
from smsgate.core.scanner.findings import Severity
from smsgate.core.scanner.homophones import homophone_variants
from smsgate.core.scanner.readings import pinyin_of, toneless_syllables
from smsgate.core.scanner.wordlist import TermList

MIN_PINYIN_LETTERS = 5
MIN_INITIALS = 2
MAX_MIXED_SYLLABLES = 6
#: A one-character term has no homophone worth the name: every character of its
#: sound would be one, most of them everyday words.
MIN_HOMOPHONE_CHARACTERS = 2


class SpellingKind(StrEnum):
    """How a pattern spells its term."""

    AS_WRITTEN = "as_written"
    PINYIN = "pinyin"
    INITIALS = "initials"
    HOMOPHONE = "homophone"


@dataclass(frozen=True, slots=True)
class Spelling:
    """One way of writing a term, with what a match of it means."""

    term: str
    category: str
    severity: Severity
    audiences: frozenset[Audience]
    kind: SpellingKind


def spellings_of(
    term_list: TermList, *, homophones: bool = False
) -> Iterator[tuple[str, Spelling]]:
    """Every ``(pattern, spelling)`` of every term of ``term_list``; patterns not yet folded.

    ``homophones`` adds the homophone spellings of the terms of a list that asks
    for them (see :mod:`homophones`), at ``review``: the scanner needs a
    dictionary to drop those that are ordinary words, so only a scanner with one
    asks.
    """
    for term in term_list.terms:
        yield term, _spelling(term_list, term, SpellingKind.AS_WRITTEN, term_list.severity)
        if not all_chinese(term):
            continue
        if term_list.spelled_in_pinyin(term):
            pinyin_spelling = _spelling(term_list, term, SpellingKind.PINYIN, term_list.severity)
            for pinyin in _pinyin_variants(term):
                if len(pinyin) >= MIN_PINYIN_LETTERS:
                    yield pinyin, pinyin_spelling
            for mixed in _mixed_variants(term):
                yield mixed, pinyin_spelling
        if homophones and term_list.homophones and len(term) >= MIN_HOMOPHONE_CHARACTERS:
            homophone = _spelling(term_list, term, SpellingKind.HOMOPHONE, Severity.REVIEW)
            for variant in homophone_variants(term):
                yield variant, homophone
        if term_list.initials and len(term) >= MIN_INITIALS:
            initials = "".join(lazy_pinyin(term, style=Style.FIRST_LETTER))
            yield initials, _spelling(term_list, term, SpellingKind.INITIALS, Severity.REVIEW)


def _spelling(term_list: TermList, term: str, kind: SpellingKind, severity: Severity) -> Spelling:
    return Spelling(term, term_list.category, severity, term_list.audiences, kind)


def _pinyin_variants(term: str) -> set[str]:
    # pypinyin writes ü as "v" (lv); people also type "u" or "ü" itself.
    plain = "".join(pinyin_of(term))
    return {plain, plain.replace("v", "u"), plain.replace("v", "ü")}


def _mixed_variants(term: str) -> set[str]:
    """The term with some syllables in pinyin, some as characters (``公an``, ``gong安``).

    Every mix is a pattern of the one automaton, so a mixed spelling costs a
    scan nothing extra; a character in the pattern anchors it, so no minimum
    letter count applies. Terms longer than :data:`MAX_MIXED_SYLLABLES`
    characters get none (2^n patterns).
    """
    if len(term) > MAX_MIXED_SYLLABLES:
        return set()
    syllables = toneless_syllables(term)
    count = len(term)
    return {
        "".join(syllables[i] if mask >> i & 1 else term[i] for i in range(count))
        for mask in range(1, (1 << count) - 1)
    }


def all_chinese(term: str) -> bool:
    """Whether every character of ``term`` is a CJK ideograph."""
    return all(map(is_chinese, term))


def is_chinese(char: str) -> bool:
    """Whether ``char`` is a CJK ideograph (the unified blocks and the astral planes)."""
    return "\u3400" <= char <= "\u9fff" or char >= "\U00020000"
