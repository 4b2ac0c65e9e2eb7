"""The scanner: the automata of one wordlist version, matched on folded text.

A scan folds the text (see :mod:`folding`) and runs one automaton pass over
its quick fold (see :mod:`matching`); only for a text with a candidate match,
or a probe for what the quick fold cannot settle, does the careful work:
audience filter, word boundaries for Latin spellings, the clause-break rule,
the allow-list, the dictionary's reading, and mapping spans back to the
original, clause by clause, each clause's findings kept for the next message
that carries it (see :mod:`clauses`). Clean text, the vast majority, costs
one UTF-8 encoding, two ``bytes.translate`` calls, a memchr or two and one
ahocorasick-rs pass: 1.5-2.5x what raw ahocorasick-rs on the text costs in
the breakdown ``benchmarks/scan_bench.py`` prints.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable

import ahocorasick_rs

from smsgate.core.audience import Audience
from smsgate.core.scanner.allowlist import AllowList, unsuppressed
from smsgate.core.scanner.boundaries import (
    WINDOW_REACH,
    Lexicon,
    Reading,
    in_a_word,
    read_match,
)
from smsgate.core.scanner.clauses import ClauseFindings
from smsgate.core.scanner.findings import Evasion, Finding, ScanResult, Severity, Verdict
from smsgate.core.scanner.folding import CharacterFolding, FoldedText
from smsgate.core.scanner.latin import LatinReads
from smsgate.core.scanner.matching import (
    AudienceMatcher,
    spelled_lists,
    syllable_table,
    table_probes,
)
from smsgate.core.scanner.spellings import (
    Spelling,
    SpellingKind,
    all_chinese,
    is_chinese,
)
from smsgate.core.scanner.wordlist import Wordlist

_SEVERITY_RANK = {Severity.REVIEW: 1, Severity.BLOCK: 2}
_Candidate = tuple[int, int, Spelling]
_READINGS_KEPT = 4096
#: Spellings whose Chinese matches are read in context (pinyin and initials are Latin).
_READ_IN_CONTEXT = frozenset({SpellingKind.AS_WRITTEN, SpellingKind.HOMOPHONE})

#: Both leetspeak and pinyin tone numbers (``gong1an1``) need an ASCII letter
#: beside a digit or leet sign. One ``bytes.translate`` into classes (``a``
#: letter, ``1`` digit or sign, `` `` anything else), two one-byte searches
#: (``0x61 in``: a memchr; ``b"a" in`` would first try the operand as an int and
#: raise and clear a TypeError, ten times the cost) and, for the texts with both,
#: an ahocorasick-rs automaton for the two pairs (measured on the benchmark's
#: texts with both, a quarter of them: 0.30 µs a text, against 0.59 µs for two
#: two-byte ``in`` over a three-letter alphabet and 1.0 µs for a regex).
_CLASS_TABLE = bytes(
    0x61 if 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A else 0x31 if chr(c) in "0123456789@$!|" else 0x20
    for c in range(256)
)
_LETTER_BESIDE_DIGIT = ahocorasick_rs.BytesAhoCorasick([b"a1", b"1a"]).find_matches_as_indexes


class Scanner:
    """Scans texts against one :class:`Wordlist`; immutable, safe to share between tasks."""

    def __init__(
        self,
        wordlist: Wordlist,
        folding: CharacterFolding,
        lexicon: Callable[[], Lexicon] | None = None,
    ) -> None:
        """``lexicon`` (the shell's cached loader of jieba's dictionary) reads Chinese
        matches in context and drops homophones that are ordinary words; it is called
        only when a text first needs it. Without one, every match counts."""
        self._wordlist = wordlist
        self._folding = folding
        self._lexicon = lexicon
        #: Readings of windows seen lately: a template's words around a variable
        #: repeat in every message sent with it (bounded: cleared when full).
        self._readings: dict[tuple[str, int, int], Reading] = {}
        self._by_clause = ClauseFindings(self._judge_clause)
        self._quick_table, self._quick_dropped = folding.quick_translation
        spelled = spelled_lists(wordlist, folding, homophones=lexicon is not None)
        probes = table_probes(folding)
        self._matchers = {
            audience: AudienceMatcher(spelled, audience, probes) for audience in Audience
        }
        self._allow = AllowList(wordlist.allowed, folding)
        self._latin = LatinReads(folding, syllable_table(wordlist, folding), self._judge)
        self._version = _version(wordlist.version, folding.data_version)
        self._clean = ScanResult(Verdict.PASS, (), self._version)

    @property
    def version(self) -> str:
        """The wordlist version this scanner matches, with a digest of the Unicode data
        its folding was built from (:attr:`CharacterFolding.data_version`): new
        confusables or ignorables change what is found, so they make a new version."""
        return self._version

    @property
    def unicode_data(self) -> str:
        """Which Unicode data the folding came from, in full (package versions)."""
        return self._folding.data_version

    @property
    def wordlist(self) -> Wordlist:
        """The wordlist this scanner was built from (for the UI's term browser)."""
        return self._wordlist

    def scan(
        self, text: str, audience: Audience = Audience.DEBTOR, *, own_names: Iterable[str] = ()
    ) -> ScanResult:
        """Scan ``text`` with the lists that apply to ``audience``.

        ``own_names`` are the sending creditor's registered name and signature:
        a finding inside one of them is the creditor naming itself (a US credit
        union with "Police" in its name), never a finding. Findings are ordered
        by position; spans are code-point offsets into ``text``. Never raises
        for any ``str``.
        """
        # The clean path inline (most texts): a Python call costs about what a pass does.
        encoded = text.encode("utf-8", "surrogatepass")
        quick = encoded.translate(self._quick_table, self._quick_dropped)
        # Classes of the text as written: ``RMB 500`` and ``No.98`` have no letter
        # beside a digit (the quick fold would join them). A memchr rules out most
        # texts (no ASCII letter at all).
        classes = encoded.translate(_CLASS_TABLE)
        latin = 0x61 in classes and 0x31 in classes and bool(_LETTER_BESIDE_DIGIT(classes))
        matcher = self._matchers[audience]
        # One automaton pass over the quick fold finds the terms, and the probes for
        # what the quick fold cannot settle (see :mod:`matching`).
        if matcher.find_in_quick(quick):
            result = self._candidate_pass(text, encoded, quick, audience)
        elif not latin:
            return self._clean
        else:
            result = self._clean
        if latin and (extra := self._latin.findings(text, matcher)):
            findings = _outermost([*result.findings, *extra])
            result = ScanResult(Verdict.of(findings), findings, self._version)
        if not result.findings:
            return result
        return self._outside(text, result, own_names)

    def _outside(self, text: str, result: ScanResult, own_names: Iterable[str]) -> ScanResult:
        """``result`` without the findings that lie inside an occurrence of an own name."""
        names = {folded for name in own_names if (folded := self._folding.fold_term(name))}
        if not names:
            return result
        text_folded = self._folding.fold(text)
        spans = []
        for name in names:
            at = text_folded.folded.find(name)
            while at >= 0:
                spans.append(text_folded.original_span(at, at + len(name)))
                at = text_folded.folded.find(name, at + 1)
        findings = tuple(
            finding
            for finding in result.findings
            if not any(start <= finding.start and finding.end <= end for start, end in spans)
        )
        if len(findings) == len(result.findings):
            return result
        return ScanResult(Verdict.of(findings), findings, self.version)

    def _plain_pass(self, text: str, audience: Audience) -> ScanResult:
        """The findings of ``text`` through the whole folding table (it needs more than
        the quick fold): clause by clause, unless a match could bridge a clause break."""
        folding = self._folding
        folded = folding.fold(text)
        matcher = self._matchers[audience]
        if not matcher.any_hit(folded.folded):
            return self._clean
        if folding.may_bridge_breaks(text):
            return self._judge(folded, matcher)
        return self._judged_by_clause(text, audience)

    def _candidate_pass(
        self, text: str, encoded: bytes, quick: bytes, audience: Audience
    ) -> ScanResult:
        """The findings of ``text`` (UTF-8 ``encoded``, quick fold ``quick``), in which a
        pattern or a probe occurs (see :mod:`matching`): in code points, by clause."""
        folding = self._folding
        if folding.quick_bytes(text, encoded) is None:
            return self._plain_pass(text, audience)  # a character only the table folds
        if folding.may_bridge_breaks(text):
            return self._judge(folding.fold(text), self._matchers[audience])
        if not self._matchers[audience].term_in_quick(quick):
            return self._clean  # only a probe: two clause breaks in a row, say
        return self._judged_by_clause(text, audience)

    def _judged_by_clause(self, text: str, audience: Audience) -> ScanResult:
        """The plain pass over ``text`` (which bridges no clause break), assembled from
        its clauses' findings (see :mod:`clauses`)."""
        findings = self._by_clause.of(text, audience)
        if not findings:
            return self._clean
        return ScanResult(Verdict.of(findings), tuple(findings), self._version)

    def _judge_clause(self, clause: str, audience: Audience) -> tuple[Finding, ...]:
        """The findings of the plain pass over one clause (offsets into the clause)."""
        folding = self._folding
        # A clause holds no clause break, so it bridges none either.
        if folding.quick_bytes(clause, clause.encode("utf-8", "surrogatepass")) is None:
            folded = folding.fold(clause)
        else:
            folded = folding.quick_folded_text(clause)
        return self._judge(folded, self._matchers[audience]).findings

    def scan_folded(self, folded: FoldedText, audience: Audience = Audience.DEBTOR) -> ScanResult:
        """Scan an already folded text (tests use it to hold every fold to the same result)."""
        return self._judge(folded, self._matchers[audience])

    def _judge(self, folded: FoldedText, matcher: AudienceMatcher) -> ScanResult:
        hits = matcher.hits(folded.folded)
        if not hits:
            return self._clean
        candidates = [
            (start, end, spelling)
            for index, start, end in hits
            for spelling in matcher.spellings[index]
            if self._stands_alone(folded, start, end, spelling)
        ]
        candidates = self._without_allowed(folded, candidates)
        if not candidates:
            return self._clean
        findings = self._read_in_context(folded, candidates)
        if not findings:
            return self._clean
        return ScanResult(Verdict.of(findings), findings, self.version)

    def _read_in_context(
        self, folded: FoldedText, candidates: list[_Candidate]
    ) -> tuple[Finding, ...]:
        """The outermost findings, each as its context reads it.

        Only a finding that would be reported is read (公安 inside 公安机关 is
        not), outermost first; when a reading drops or demotes one, the findings
        it covered are looked at again, so nothing hides behind a dismissed match.
        """
        raw = {self._finding(folded, candidate): candidate for candidate in candidates}
        judged: dict[Finding, Finding | None] = {}
        while True:
            current = [judged.get(finding, finding) for finding in raw]
            kept = _outermost(finding for finding in current if finding is not None)
            fresh = [finding for finding in kept if finding in raw and finding not in judged]
            if not fresh:
                return kept
            changed = False
            for finding in fresh:
                read = judged[finding] = self._in_context(folded, raw[finding], finding)
                changed = changed or read is not finding
            if not changed:
                return kept

    def _in_context(
        self, folded: FoldedText, candidate: _Candidate, finding: Finding
    ) -> Finding | None:
        """The finding of a candidate as its context reads it (see :mod:`boundaries`):
        ``None`` where two ordinary words only happen to spell the term, at ``review``
        at most where the dictionary cannot tell.

        Chinese matches written plain, spaced or in traditional characters are read
        in the folded text, where 家畜 生病 and 家畜生病 are the same two words;
        look-alike letters are a deliberate disguise and are not read.
        """
        start, end, spelling = candidate
        if (
            self._lexicon is None
            or spelling.kind not in _READ_IN_CONTEXT
            or finding.evasion is Evasion.CONFUSABLE
            or not all_chinese(folded.folded[start:end])
        ):
            return finding
        window, first = _chinese_window(folded, start, end)
        lexicon = self._lexicon()
        spelled = folded.folded[start:end]
        if spelling.kind is SpellingKind.HOMOPHONE and in_a_word(window, first, lexicon, spelled):
            return None  # an everyday word that merely sounds like the term (公案, 老莱子)
        reading = self._reading(window, first, first + len(spelled), lexicon)
        if reading is Reading.ORDINARY:
            return None
        if reading is Reading.AMBIGUOUS and finding.severity is Severity.BLOCK:
            return dataclasses.replace(finding, severity=Severity.REVIEW)
        return finding

    def _reading(self, window: str, start: int, end: int, lexicon: Lexicon) -> Reading:
        key = (window, start, end)
        reading = self._readings.get(key)
        if reading is None:
            if len(self._readings) >= _READINGS_KEPT:
                self._readings.clear()
            reading = self._readings[key] = read_match(window, start, end, lexicon)
        return reading

    def _stands_alone(self, folded: FoldedText, start: int, end: int, spelling: Spelling) -> bool:
        """Whether a match is a real occurrence: gaps bridgeable, Latin edges on word bounds."""
        spaced_out = spelling.kind is SpellingKind.INITIALS
        if not folded.gaps_allowed(start, end, spaced_out=spaced_out):
            return False
        text = folded.folded
        if not (text[start].isascii() or text[end - 1].isascii()):
            return True  # Chinese edges never run on into a word (see _same_word)
        first, last = folded.original_span(start, end)
        original = folded.original
        before = self._folding.canonical(original[first - 1])[-1:] if first > 0 else ""
        after = self._folding.canonical(original[last])[:1] if last < len(original) else ""
        return not (_same_word(text[start], before) or _same_word(text[end - 1], after))

    def _without_allowed(
        self, folded: FoldedText, candidates: list[_Candidate]
    ) -> list[_Candidate]:
        """Drop candidates that only a harmless reading holds (办公安全 holds 公安),
        keeping any beside a threat cue or another finding (see :mod:`allowlist`)."""
        if not candidates:
            return candidates
        occurrences = self._allow.occurrences(folded)
        if not occurrences:
            return candidates
        counts = unsuppressed(folded, [(start, end) for start, end, _ in candidates], occurrences)
        return [candidate for candidate, counted in zip(candidates, counts, strict=True) if counted]

    def _finding(self, folded: FoldedText, candidate: _Candidate) -> Finding:
        start, end, spelling = candidate
        first, last = folded.original_span(start, end)
        return Finding(
            term=spelling.term,
            category=spelling.category,
            severity=spelling.severity,
            start=first,
            end=last,
            matched_text=folded.original[first:last],
            evasion=self._evasion(folded, candidate),
        )

    def _evasion(self, folded: FoldedText, candidate: _Candidate) -> Evasion:
        """The most telling disguise of a match (see :class:`Evasion`)."""
        start, end, spelling = candidate
        if spelling.kind is SpellingKind.PINYIN:
            return Evasion.PINYIN
        if spelling.kind is SpellingKind.INITIALS:
            return Evasion.INITIALS
        if spelling.kind is SpellingKind.HOMOPHONE:
            return Evasion.HOMOPHONE
        if folded.ascii_folded_only:
            return Evasion.SPACED if any(folded.gaps(start, end)) else Evasion.PLAIN
        first, last = folded.original_span(start, end)
        kinds = {self._folding.evasion_of(char) for char in folded.original[first:last]}
        if "confusable" in kinds:
            return Evasion.CONFUSABLE
        if "traditional" in kinds:
            return Evasion.TRADITIONAL
        if any(folded.gaps(start, end)):
            return Evasion.SPACED
        return Evasion.PLAIN


def _chinese_window(folded: FoldedText, start: int, end: int) -> tuple[str, int]:
    """The folded Chinese text around ``[start, end)`` (at most :data:`WINDOW_REACH`
    characters either side, never across a clause break), and where the match
    starts in it."""
    text = folded.folded
    breaks = folded.breaks_after()
    low = start
    while (
        low > max(0, start - WINDOW_REACH) and low - 1 not in breaks and is_chinese(text[low - 1])
    ):
        low -= 1
    high = end
    while (
        high < min(len(text), end + WINDOW_REACH)
        and high - 1 not in breaks
        and is_chinese(text[high])
    ):
        high += 1
    return text[low:high], start - low


def _version(wordlist_version: str, unicode_data: str) -> str:
    if not unicode_data:
        return wordlist_version
    return f"{wordlist_version}+u{hashlib.sha256(unicode_data.encode()).hexdigest()[:8]}"


def _same_word(edge: str, neighbour: str) -> bool:
    """Whether a Latin edge of a match runs on into its neighbour (``gongan`` in ``xgongan``).

    Letters continue letters and digits continue digits; Chinese characters
    have no word boundaries, so a Chinese edge never continues.
    """
    if not (edge.isascii() and neighbour.isascii()):
        return False
    return (edge.isalpha() and neighbour.isalpha()) or (edge.isdigit() and neighbour.isdigit())


def _outermost(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Findings in position order, without duplicates and without any finding that a
    finding at least as severe already covers (公安 inside 公安局): the longest term
    wins the span.

    One sweep in position order: every kept finding starts at or before the
    current one, so the current one is covered exactly when a kept finding of
    at least its severity reaches its end. Keeping the furthest end per
    severity rank makes that a constant-time test, O(n log n) in all (the old
    pairwise test was quadratic: a text with thousands of matches stalled).
    """
    ordered = sorted(
        set(findings),
        key=lambda f: (f.start, -f.end, -_SEVERITY_RANK[f.severity], f.term, f.category, f.evasion),
    )
    # reach[r]: the furthest end of a kept finding of rank >= r.
    reach = dict.fromkeys(_SEVERITY_RANK.values(), -1)
    kept: list[Finding] = []
    for finding in ordered:
        rank = _SEVERITY_RANK[finding.severity]
        if reach[rank] >= finding.end:
            continue
        kept.append(finding)
        for other in reach:
            if other <= rank:
                reach[other] = max(reach[other], finding.end)
    return tuple(kept)
