"""How terms read in pinyin, computed once per term: pypinyin is the slow part of a build.

A scanner build reads every term several times (its pinyin spellings, the mixed
ones, its homophones, the syllable table), and a process builds a scanner per
wordlist version; pypinyin reads a term in about 0.2 ms, so the readings are
kept (a term's pinyin never changes).
"""

from __future__ import annotations

from functools import cache

from pypinyin import Style, lazy_pinyin


@cache
def pinyin_of(term: str) -> tuple[str, ...]:
    """The toneless syllables of ``term`` as pypinyin writes them (ü as ``v``: ``lv``),
    read as a whole, so a polyphonic character gets the reading it has in the term."""
    return tuple(lazy_pinyin(term, style=Style.NORMAL))


def toneless_syllables(term: str) -> tuple[str, ...]:
    """The syllables of ``term`` as people type them without a ü key (``lu``)."""
    return tuple(syllable.replace("v", "u") for syllable in pinyin_of(term))
