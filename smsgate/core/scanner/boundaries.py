"""Word boundaries of Chinese text: whether a match is the term, or two ordinary words.

Chinese has no spaces, so 畜生 occurs in 家畜生病 (家畜 | 生病), 立案 in 建立案卷
(建立 | 案卷) and 传票 in 网上流传票证 (流传 | 票证), although no reader sees the
term there. Only a text that already holds a candidate match comes here (the
clean path never does), and only for a match written as plain or traditional
characters: a spaced-out or disguised term is deliberate, not an accident of
two neighbouring words.

The reading is jieba's own (a maximum-probability path over the dictionary's
word frequencies), asked two questions about a window of the text around the
match: how likely is the best segmentation that keeps the match as one word
(the *term reading*), and how likely is the best one in which a dictionary
word crosses either edge of the match (the *ordinary reading*)?

- No word crosses an edge, or the term reading is more likely by at least
  :data:`AMBIGUITY_NATS`: an occurrence.
- The ordinary reading is at least as likely: not an occurrence.
- In between the text is ambiguous to the dictionary (总部派出所有督导 reads
  派出所 | 有 almost as well as 派出 | 所有, and so does 派出所有人在等你, which
  *is* the threat): the finding stays, at ``review`` at most, so a person
  reads it instead of the carrier blocking it or the scanner waving it through.

A term followed by a place-name suffix (公安县, 公安路: a county and streets
carry that name) is a place, not an occurrence.

The dictionary is passed in (:class:`Lexicon`), so this module stays pure; the
shell loads jieba's ``dict.txt`` the first time a text needs it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

#: How much likelier (in natural log units; 3 is about 20 times) the term reading
#: must be than the best ordinary reading for the match to count without doubt.
AMBIGUITY_NATS = 3.0

#: A term's frequency when the dictionary lacks it (a pattern such as 爆通讯录):
#: a mid-range word's, so a missing entry neither hides nor invents a term.
TERM_FLOOR_FREQUENCY = 200

#: How often (in jieba's counts) a word occurs at least to count as a word that a
#: homophone spelling may coincide with (:func:`in_a_word`). jieba gives 3 to
#: entries it added without a corpus count, many of them misspellings (拉圾,
#: 下贱 as 下柬) or rarities (坐劳): those are no proof of an everyday word.
EVERYDAY_FREQUENCY = 5

#: Characters that end a place name: a term right before one names a place.
PLACE_SUFFIXES = frozenset("县市镇乡村路街巷")

#: How far the window reaches beyond the match on either side (jieba's longest
#: words are rarely longer than this).
WINDOW_REACH = 6


class Lexicon(Protocol):
    """Word frequencies of a Chinese dictionary (jieba's ``dict.txt``)."""

    @property
    def total(self) -> int:
        """The sum of all frequencies (the denominator of a word's probability)."""
        ...

    @property
    def longest(self) -> int:
        """The length of the longest word."""
        ...

    def frequency(self, word: str) -> int:
        """How often ``word`` occurs; 0 if it is not a word of the dictionary."""
        ...


class Reading(Enum):
    """What the dictionary makes of a match."""

    TERM = "term"
    AMBIGUOUS = "ambiguous"
    ORDINARY = "ordinary"


@dataclass(frozen=True, slots=True)
class FrequencyLexicon:
    """A :class:`Lexicon` over a frequency table (the shell builds it from jieba's file)."""

    frequencies: dict[str, int]
    total: int
    longest: int

    @classmethod
    def of(cls, frequencies: dict[str, int]) -> FrequencyLexicon:
        """The lexicon of ``frequencies`` (word -> count)."""
        total = sum(frequencies.values()) or 1
        return cls(frequencies, total, max(map(len, frequencies), default=1))

    def frequency(self, word: str) -> int:
        """How often ``word`` occurs; 0 if it is not in the table."""
        return self.frequencies.get(word, 0)


def read_match(window: str, start: int, end: int, lexicon: Lexicon) -> Reading:
    """How the dictionary reads ``window[start:end]`` in its context.

    ``window`` is Chinese text in canonical (simplified) characters around the
    match; ``start``/``end`` index it. Most real occurrences have no dictionary
    word across either edge, and are known as such from a few lookups; only the
    others pay for the two best paths.
    """
    if end < len(window) and window[end] in PLACE_SUFFIXES:
        return Reading.ORDINARY
    longest = min(lexicon.longest, WINDOW_REACH + end - start, len(window))
    crossing = [
        (i, j)
        for i, j in _crossing_spans(start, end, len(window), longest)
        if lexicon.frequency(window[i:j])
    ]
    if not crossing:
        return Reading.TERM
    paths = _Paths(window, lexicon, longest)
    term = paths.prefix[start] + paths.cost(window[start:end], is_term=True) + paths.suffix[end]
    ordinary = max(paths.prefix[i] + paths.cost(window[i:j]) + paths.suffix[j] for i, j in crossing)
    if term - ordinary >= AMBIGUITY_NATS:
        return Reading.TERM
    return Reading.ORDINARY if ordinary >= term else Reading.AMBIGUOUS


def _crossing_spans(start: int, end: int, size: int, longest: int) -> list[tuple[int, int]]:
    """The spans of words that would cross an edge of ``[start, end)``.

    Crossing means overlapping part of the match and part of its context
    (家畜 over 畜生's start); a word that holds the whole match (公安局 around
    公安) is the term in a longer word, not a crossing.
    """
    return [
        (i, j)
        for i in range(max(0, start - longest + 1), start)
        for j in range(start + 1, min(end, i + longest + 1))
    ] + [(i, j) for i in range(start + 1, end) for j in range(end + 1, min(size, i + longest) + 1)]


def in_a_word(window: str, start: int, lexicon: Lexicon, spelled: str) -> bool:
    """Whether ``spelled`` (at ``window[start:]``) is an everyday word or lies inside a word.

    For a homophone that settles it: 公案 is a word of its own, and 老莱子 (a
    name) and 发件人 (the sender) hold 老莱 and 件人, however much those sound
    like 老赖 and 贱人. As a word of its own the spelling must have been counted,
    at least :data:`EVERYDAY_FREQUENCY` in the dictionary: jieba's file also
    holds thousands of uncounted additions (坐劳, 拉圾), and an evader's spelling
    must not pass for a word because a word list once took it in.
    """
    if lexicon.frequency(spelled) >= EVERYDAY_FREQUENCY:
        return True
    end = start + len(spelled)
    longest = lexicon.longest
    return any(
        lexicon.frequency(window[i:j])
        for i in range(max(0, end - longest), start + 1)
        for j in range(end, min(len(window), i + longest) + 1)
        if j - i > len(spelled)
    )


class _Paths:
    """Best segmentation log-probabilities of every prefix and suffix of a window."""

    def __init__(self, window: str, lexicon: Lexicon, longest: int) -> None:
        self._lexicon = lexicon
        self._log_total = math.log(lexicon.total)
        size = len(window)
        cost = self.cost
        prefix = [0.0] + [-math.inf] * size
        for j in range(1, size + 1):
            prefix[j] = max(prefix[i] + cost(window[i:j]) for i in range(max(0, j - longest), j))
        suffix = [-math.inf] * size + [0.0]
        for i in range(size - 1, -1, -1):
            suffix[i] = max(
                cost(window[i:j]) + suffix[j] for j in range(i + 1, min(size, i + longest) + 1)
            )
        self.prefix = prefix
        self.suffix = suffix

    def cost(self, word: str, *, is_term: bool = False) -> float:
        """A word's log-probability; unknown single characters count once, like jieba's."""
        frequency = self._lexicon.frequency(word)
        if is_term:
            frequency = max(frequency, TERM_FLOOR_FREQUENCY)
        elif not frequency:
            if len(word) > 1:
                return -math.inf
            frequency = 1
        return math.log(frequency) - self._log_total
