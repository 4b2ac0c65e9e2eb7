"""Homophones (谐音字): a term written with another character of the same sound.

公按 for 公安, 派出锁 for 派出所, 法苑 for 法院: the most common evasion in Chinese
text, and one a Chinese reader plainly reads as the term. Each term matched in
pinyin also gets its homophone spellings as patterns of the one automaton, so
they cost a clean text nothing.

What counts as a homophone:

- one character of the term swapped for another with the same toneless
  syllable (tones differ in speech, but a reader of an evasive text hears past
  them); one swap only: with every character swapped (井查 for 警察) the text
  reads as a riddle, and the risk of an everyday phrase grows with each swap;
- the other character is a common one, from GB 2312's level 1 (the 3,755 most
  used characters, read from Python's own codec) with its most common reading
  from pypinyin's table: rare characters are not what evaders type;
- a spelling that is itself a dictionary word (公案, a "public case", sounds
  like 公安) is no homophone: the scanner drops it when it finds one, using
  the same dictionary as the word-boundary reading (:mod:`boundaries`).

A homophone finding has the term's category and one severity lower than the
term's list (``block`` -> ``review``): an evader's spelling, but also the one
finding that a typo or a name can produce by accident, so a person decides.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from functools import cache

from pypinyin.pinyin_dict import pinyin_dict

from smsgate.core.scanner.readings import toneless_syllables

#: GB 2312 level 1: lead bytes 0xB0-0xD7, trail bytes 0xA1-0xFE.
_LEVEL_ONE_LEADS = range(0xB0, 0xD8)
_TRAILS = range(0xA1, 0xFF)


def homophone_variants(term: str) -> set[str]:
    """Every spelling of ``term`` with one character swapped for a common homophone."""
    alikes = sound_alikes()
    syllables = toneless_syllables(term)
    variants: set[str] = set()
    for index, (char, syllable) in enumerate(zip(term, syllables, strict=True)):
        for other in alikes.get(syllable, ()):
            if other != char:
                variants.add(term[:index] + other + term[index + 1 :])
    return variants


@cache
def sound_alikes() -> Mapping[str, tuple[str, ...]]:
    """Each toneless syllable and the common characters whose usual reading it is."""
    by_syllable: dict[str, list[str]] = {}
    for char in common_characters():
        readings = pinyin_dict.get(ord(char))
        if readings:
            by_syllable.setdefault(toneless(readings.split(",")[0]), []).append(char)
    return {syllable: tuple(chars) for syllable, chars in by_syllable.items()}


def common_characters() -> list[str]:
    """GB 2312's level-1 characters, decoded by Python's ``gb2312`` codec."""
    chars = []
    for lead in _LEVEL_ONE_LEADS:
        for trail in _TRAILS:
            try:
                chars.append(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                continue  # the few unassigned slots at the end of a row
    return chars


def toneless(reading: str) -> str:
    """A toned pinyin syllable without its tone mark (``gōng`` -> ``gong``, ``lǜ`` -> ``lu``)."""
    decomposed = unicodedata.normalize("NFD", reading)
    return "".join(char for char in decomposed if not unicodedata.combining(char))
