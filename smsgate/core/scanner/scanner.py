"""The scanner: one Aho-Corasick automaton per wordlist version, matched on folded text.

A scan folds the text (see :mod:`folding`), runs the automaton once with
overlapping matches, and only for a text with a candidate match does the
careful work: audience filter, word boundaries for Latin spellings, the
clause-break rule, the allow-list, and mapping spans back to the original.
Clean text, the vast majority, costs one regex search, one ``lower()`` and one
automaton pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import ahocorasick_rs

from smsgate.core.audience import Audience
from smsgate.core.scanner.allowlist import AllowList, unsuppressed
from smsgate.core.scanner.findings import Finding, ScanResult, Severity, Verdict
from smsgate.core.scanner.folding import CharacterFolding, FoldedText
from smsgate.core.scanner.spellings import Spelling, SpellingKind, spellings_of
from smsgate.core.scanner.wordlist import Wordlist

_SEVERITY_RANK = {Severity.REVIEW: 1, Severity.BLOCK: 2}
_Candidate = tuple[int, int, Spelling]


class Scanner:
    """Scans texts against one :class:`Wordlist`; immutable, safe to share between tasks."""

    def __init__(self, wordlist: Wordlist, folding: CharacterFolding) -> None:
        self._wordlist = wordlist
        self._folding = folding
        self._matchers = {
            audience: _AudienceMatcher(wordlist, folding, audience) for audience in Audience
        }
        self._allow = AllowList(wordlist.allowed, folding)
        self._clean = ScanResult(Verdict.PASS, (), wordlist.version)

    @property
    def version(self) -> str:
        """The wordlist version this scanner matches."""
        return self._wordlist.version

    @property
    def wordlist(self) -> Wordlist:
        """The wordlist this scanner was built from (for the UI's term browser)."""
        return self._wordlist

    def scan(self, text: str, audience: Audience = Audience.DEBTOR) -> ScanResult:
        """Scan ``text`` with the lists that apply to ``audience``.

        Findings are ordered by position; spans are code-point offsets into
        ``text``. Never raises for any ``str``.
        """
        folding = self._folding
        matcher = self._matchers[audience]
        quick = folding.quick_fold(text)
        if quick is not None:
            if not matcher.in_bytes.find_matches_as_indexes(quick, overlapping=True):
                return self._clean
            folded = folding.quick_folded_text(text)  # a candidate: now work in code points
        else:
            folded = folding.fold(text)
        return self._judge(folded, matcher)

    def scan_folded(self, folded: FoldedText, audience: Audience = Audience.DEBTOR) -> ScanResult:
        """Scan an already folded text (tests use it to hold every fold to the same result)."""
        return self._judge(folded, self._matchers[audience])

    def _judge(self, folded: FoldedText, matcher: _AudienceMatcher) -> ScanResult:
        hits = matcher.in_text.find_matches_as_indexes(folded.folded, overlapping=True)
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
        findings = _outermost(self._finding(folded, candidate) for candidate in candidates)
        return ScanResult(Verdict.of(findings), findings, self.version)

    def _stands_alone(self, folded: FoldedText, start: int, end: int, spelling: Spelling) -> bool:
        """Whether a match is a real occurrence: gaps bridgeable, Latin edges on word bounds."""
        spaced_out = spelling.kind is SpellingKind.INITIALS
        if not folded.gaps_allowed(start, end, spaced_out=spaced_out):
            return False
        first, last = folded.original_span(start, end)
        original = folded.original
        before = self._folding.canonical(original[first - 1])[-1:] if first > 0 else ""
        after = self._folding.canonical(original[last])[:1] if last < len(original) else ""
        text = folded.folded
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

    @staticmethod
    def _finding(folded: FoldedText, candidate: _Candidate) -> Finding:
        start, end, spelling = candidate
        first, last = folded.original_span(start, end)
        return Finding(
            term=spelling.term,
            category=spelling.category,
            severity=spelling.severity,
            start=first,
            end=last,
            matched_text=folded.original[first:last],
        )


class _AudienceMatcher:
    """The automata of every spelling that applies to one audience, on text and on UTF-8."""

    def __init__(self, wordlist: Wordlist, folding: CharacterFolding, audience: Audience) -> None:
        by_pattern: dict[str, list[Spelling]] = defaultdict(list)
        for term_list in wordlist.lists:
            if audience not in term_list.audiences:
                continue
            for pattern, spelling in spellings_of(term_list):
                folded = folding.fold_term(pattern)
                if folded and spelling not in by_pattern[folded]:
                    by_pattern[folded].append(spelling)
        # An automaton needs a pattern; NUL never survives folding, so it never matches.
        patterns = list(by_pattern) or ["\0"]
        self.spellings = [tuple(by_pattern.get(p, ())) for p in patterns]
        self.in_text = ahocorasick_rs.AhoCorasick(patterns)
        self.in_bytes = ahocorasick_rs.BytesAhoCorasick([p.encode() for p in patterns])


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
    finding at least as severe already covers (公安 inside 公安局)."""
    ordered = sorted(
        set(findings), key=lambda f: (f.start, -f.end, -_SEVERITY_RANK[f.severity], f.term)
    )
    kept: list[Finding] = []
    for finding in ordered:
        if not any(_covers(outer, finding) for outer in kept):
            kept.append(finding)
    return tuple(kept)


def _covers(outer: Finding, inner: Finding) -> bool:
    return (
        outer.start <= inner.start
        and inner.end <= outer.end
        and _SEVERITY_RANK[outer.severity] >= _SEVERITY_RANK[inner.severity]
    )
