"""Classifying a reply: which intents it carries, and where in the original text it says so.

The reply is folded with the scanner's folding (width, case, traditional
script, spaces, punctuation, emoji), so ``別 發 了！``, ``ＳＴＯＰ`` and
``退訂😡`` read like ``别发了``, ``stop`` and ``退订``; every span maps back to
code-point offsets in the original text through :class:`FoldedText`.

One Aho-Corasick automaton holds every phrase, pattern part and negation cue
of every intent, so a reply is folded once and searched once, however many
words compliance adds; the per-reply work is a dictionary lookup for the
exact codes and a walk over the (few) hits. No segmentation (jieba, pypinyin)
runs per reply: the phrase lists and gap patterns cover the ways people say
these things, and a segmenter would cost more than the whole classification
while adding nothing a listed phrase does not catch.

A quoted 【签名】 is the creditor's name, not the recipient's words: nothing
inside it counts, and an exact code still matches beside it
(``【acme金融】退订`` is ``退订``). The signatures are returned, for attribution.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

import ahocorasick_rs

from smsgate.core.replies.rules import Intent, IntentRule, ReplyRules
from smsgate.core.scanner.folding import CLAUSE_BREAKS, CharacterFolding, FoldedText

#: A quoted signature as recipients copy it back: 【…】, or [ ] / 〖〗 look-alikes.
_SIGNATURE = re.compile(r"[【〖\[]([^【】〖〗\[\]]{1,24})[】〗\]]")

_INTENT_ORDER = {intent: index for index, intent in enumerate(Intent)}


class _Role(Enum):
    PHRASE = "phrase"
    PART = "part"
    UNLESS = "unless"


@dataclass(frozen=True, slots=True)
class ReplyMatch:
    """Where one intent was read: code-point offsets into the original reply."""

    intent: Intent
    start: int
    end: int
    matched_text: str


@dataclass(frozen=True, slots=True)
class Classification:
    """A reply's intents (contract order), the matches behind them, and its quoted signatures."""

    intents: tuple[Intent, ...]
    matches: tuple[ReplyMatch, ...]
    signatures: tuple[str, ...] = ()


_Hit = tuple[int, int]  # folded [start, end)


class ReplyClassifier:
    """Rules compiled into one automaton; immutable and cheap to share across requests."""

    def __init__(self, rules: ReplyRules, folding: CharacterFolding) -> None:
        self.rules = rules
        self._folding = folding
        literals: dict[str, list[tuple[_Role, Intent, int]]] = {}
        for intent, rule in rules.rules.items():
            for word in rule.phrases:
                literals.setdefault(word, []).append((_Role.PHRASE, intent, 0))
            for word in rule.unless:
                literals.setdefault(word, []).append((_Role.UNLESS, intent, 0))
            for index, pattern in enumerate(rule.patterns):
                for part in set(pattern):
                    literals.setdefault(part, []).append((_Role.PART, intent, index))
        self._words = list(literals)
        self._roles = [literals[word] for word in self._words]
        self._automaton = ahocorasick_rs.AhoCorasick(self._words) if self._words else None

    def classify(self, text: str) -> Classification:
        """Every intent ``text`` carries (empty for an ordinary reply), with its spans."""
        folded = self._folding.fold(text)
        if not folded.folded:
            return Classification((), ())
        quoted = [(m.start(), m.end()) for m in _SIGNATURE.finditer(text)]
        signatures = tuple(m.group(1).strip() for m in _SIGNATURE.finditer(text))
        hits = self._hits(folded)
        matches: list[ReplyMatch] = []
        for intent, rule in self.rules.rules.items():
            spans = self._spans(folded, intent, rule, hits)
            exact = _exact(folded, rule, quoted)
            if exact is not None:
                spans.append(exact)
            unless = hits.get((_Role.UNLESS, intent, 0), [])
            for start, end in _outermost(spans):
                if any(start < u_end and u_start < end for u_start, u_end in unless):
                    continue
                o_start, o_end = folded.original_span(start, end)
                if any(q_start <= o_start and o_end <= q_end for q_start, q_end in quoted):
                    continue
                matches.append(ReplyMatch(intent, o_start, o_end, text[o_start:o_end]))
        matches.sort(key=lambda m: (m.start, _INTENT_ORDER[m.intent], m.end))
        intents = tuple(sorted({m.intent for m in matches}, key=_INTENT_ORDER.__getitem__))
        return Classification(intents, tuple(matches), signatures)

    def intents(self, text: str) -> frozenset[Intent]:
        """Just the intents of ``text``."""
        return frozenset(self.classify(text).intents)

    def _hits(self, folded: FoldedText) -> dict[tuple[_Role, Intent, int], list[_Hit]]:
        """Every literal found in the folded text, keyed by what it is a word of."""
        found: dict[tuple[_Role, Intent, int], list[_Hit]] = {}
        if self._automaton is None:
            return found
        for index, start, end in self._automaton.find_matches_as_indexes(
            folded.folded, overlapping=True
        ):
            if not folded.gaps_allowed(start, end, spaced_out=False):
                continue
            for role, intent, pattern in self._roles[index]:
                key = (role, intent, pattern if role is _Role.PART else 0)
                found.setdefault(key, []).append((start, end))
        return found

    def _spans(
        self,
        folded: FoldedText,
        intent: Intent,
        rule: IntentRule,
        hits: dict[tuple[_Role, Intent, int], list[_Hit]],
    ) -> list[_Hit]:
        spans = list(hits.get((_Role.PHRASE, intent, 0), []))
        for index, pattern in enumerate(rule.patterns):
            parts = hits.get((_Role.PART, intent, index))
            if parts:
                spans.extend(self._pattern_spans(folded, pattern, parts))
        return spans

    def _pattern_spans(
        self, folded: FoldedText, pattern: tuple[str, ...], hits: list[_Hit]
    ) -> Iterable[_Hit]:
        """Spans where the pattern's parts follow each other within the gap, in one clause."""
        text = folded.folded
        by_part = {part: [h for h in hits if text[h[0] : h[1]] == part] for part in pattern}
        for first_start, first_end in by_part[pattern[0]]:
            end = first_end
            for part in pattern[1:]:
                follow = [
                    h
                    for h in by_part[part]
                    if end <= h[0] <= end + self.rules.gap and self._one_clause(folded, end, h[0])
                ]
                if not follow:
                    break
                end = follow[0][1]
            else:
                yield first_start, end

    @staticmethod
    def _one_clause(folded: FoldedText, end: int, start: int) -> bool:
        """Whether the original text between folded ``end`` and ``start`` has no clause break."""
        origins = folded.origins
        if origins is None:
            between = folded.original[end:start]
        else:
            between = folded.original[origins[end - 1] + 1 : origins[start]]
        return not CLAUSE_BREAKS.intersection(between) and "\n" not in between


def _exact(folded: FoldedText, rule: IntentRule, quoted: list[tuple[int, int]]) -> _Hit | None:
    """The folded span of the reply if, without its quoted signatures, it is an exact code."""
    if not rule.exact:
        return None
    if not quoted:
        return (0, len(folded.folded)) if folded.folded in rule.exact else None
    origins = folded.origins or list(range(len(folded.folded)))
    kept = [
        i
        for i, origin in enumerate(origins)
        if not any(q_start <= origin < q_end for q_start, q_end in quoted)
    ]
    if not kept or kept[-1] - kept[0] + 1 != len(kept):
        return None
    body = folded.folded[kept[0] : kept[-1] + 1]
    return (kept[0], kept[-1] + 1) if body in rule.exact else None


def _outermost(spans: list[_Hit]) -> list[_Hit]:
    """The spans not inside another one (``别再发`` inside ``别再发了`` is one match)."""
    unique = sorted(set(spans), key=lambda s: (s[0], -s[1]))
    kept: list[_Hit] = []
    for start, end in unique:
        if not any(k_start <= start and end <= k_end for k_start, k_end in kept):
            kept.append((start, end))
    return kept
