"""Latin reads of a text: pinyin syllable by syllable, and leetspeak.

Both need an ASCII letter beside a digit or a leet sign in the text as written
(``gong1an1``, ``公an1``, ``p0lice``); the scanner finds that with three byte
searches and only then asks for these reads. Each read makes another folded
text of the same original, judged by the scanner's plain pass (the ``judge``
given), and keeps only the findings the read adds: pinyin a character written
as its syllable or a tone number hid, and Latin terms that leetspeak spells.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable

from smsgate.core.scanner.findings import Evasion, Finding, ScanResult
from smsgate.core.scanner.folding import CharacterFolding, FoldedText
from smsgate.core.scanner.matching import AudienceMatcher

#: Leetspeak (``p0lice``, ``j@il``, ``k1ll``) is read only inside a token that
#: mixes at least two ASCII letters with leet characters, and only Latin terms
#: count there: ``1,000``, ``9:30`` and ``RMB500`` stay numbers.
_LEET_TOKEN = re.compile(r"[A-Za-z0-9@$!|]{3,}")
_LEET_TABLES = (
    str.maketrans("0134578@$!|", "oieastbasil"),
    str.maketrans("1!|", "lli"),
)
_MIN_LEET_LETTERS = 2

_TONES = frozenset("12345")
_TONE_NUMBER = re.compile(r"(?<=[a-z])[1-5](?![0-9])")


#: The scanner's plain pass over one folded text.
Judge = Callable[[FoldedText, AudienceMatcher], ScanResult]


class LatinReads:
    """The pinyin and leetspeak reads for one wordlist (its character→syllable table)."""

    def __init__(self, folding: CharacterFolding, syllables: dict[str, str], judge: Judge) -> None:
        self._folding = folding
        self._syllables = syllables
        self._syllable_map = str.maketrans(syllables)
        self._judge = judge

    def findings(self, text: str, matcher: AudienceMatcher) -> list[Finding]:
        """What the reads find in ``text`` beyond its plain pass; spans index ``text``."""
        return [*self._pinyin(text, matcher), *self._leet(text, matcher)]

    def _pinyin(self, text: str, matcher: AudienceMatcher) -> list[Finding]:
        """The pinyin findings of ``text`` read syllable by syllable.

        The read drops tone numbers (``gong1an1``) and writes each Chinese
        character of the table built with the wordlist as its syllable
        (``公an`` -> ``gongan``, ``失信bei执行人``); every folded character keeps
        its original index, so spans index ``text``. A finding of the read
        counts only if its spelling holds an ASCII letter (all-Chinese matches
        are the plain pass's) and every character written as a syllable is
        one of the term's own: another with the same sound (宫an) is a
        homophone, not pinyin.
        """
        # A cheap look first (two C-level translations and one automaton pass):
        # the careful read, a Python loop that keeps every origin, runs only
        # when a pinyin pattern matches the syllable form at all.
        rough = self._folding.fold(text).folded.translate(self._syllable_map)
        rough = _TONE_NUMBER.sub("", rough)
        pinyin = matcher.pinyin_patterns
        if not any(index in pinyin for index, _, _ in matcher.hits(rough)):
            return []
        read = self._syllable_read(text)
        if read is None:
            return []
        folded, converted = read
        extra = []
        for finding in self._judge(folded, matcher).findings:
            if finding.evasion is not Evasion.PINYIN:
                continue
            written = range(finding.start, finding.end)
            own = all(
                self._folding.canonical(text[i]) in finding.term for i in written if i in converted
            )
            if own and any(_ascii_letter(text[i]) for i in written):
                end = finding.end
                if end < len(text) and text[end] in _TONES and _ascii_letter(text[end - 1]):
                    end += 1  # the last syllable's tone number is part of the spelling
                extra.append(
                    dataclasses.replace(finding, end=end, matched_text=text[finding.start : end])
                )
        return extra

    def _syllable_read(self, text: str) -> tuple[FoldedText, set[int]] | None:
        canonical = self._folding.canonical
        syllables = self._syllables
        pieces: list[str] = []
        origins: list[int] = []
        converted: set[int] = set()
        last = len(text) - 1
        for index, char in enumerate(text):
            piece = canonical(char)
            syllable = syllables.get(piece)
            if syllable is not None:
                piece = syllable
                converted.add(index)
            elif (
                char in _TONES
                and index > 0
                and _ascii_letter(text[index - 1])
                and not (index < last and text[index + 1].isdigit())
            ):
                piece = ""
            pieces.append(piece)
            origins.extend([index] * len(piece))
        folded = "".join(pieces)
        if folded == self._folding.fold(text).folded:
            return None
        return FoldedText(text, folded, lambda: origins), converted

    def _leet(self, text: str, matcher: AudienceMatcher) -> list[Finding]:
        """The Latin terms that leetspeak spells in ``text`` (``p0lice``).

        Each leet character is one letter, so the substituted text has the
        same length and its spans index ``text``; only findings whose span
        holds a substituted character are new.
        """
        extra: list[Finding] = []
        for table in _LEET_TABLES:
            read = _LEET_TOKEN.sub(functools.partial(_leet_token, table=table), text)
            if read == text:
                continue
            for finding in self._judge(self._folding.fold(read), matcher).findings:
                written = text[finding.start : finding.end]
                if finding.term.isascii() and written != read[finding.start : finding.end]:
                    extra.append(
                        dataclasses.replace(finding, matched_text=written, evasion=Evasion.LEET)
                    )
        return extra


def _ascii_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _leet_token(match: re.Match[str], table: dict[int, int]) -> str:
    """A token read as leetspeak, if it mixes letters and leet characters."""
    token = match[0]
    read = token.translate(table)
    letters = sum(char.isalpha() for char in token)
    return read if letters >= _MIN_LEET_LETTERS and read != token else token
