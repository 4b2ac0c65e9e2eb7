"""Fuzzing the sensitive-term scanner and ``smsgate scan --jsonl`` on hostile Unicode.

``Scanner.scan`` promises never to raise for any ``str`` and that every
finding's span indexes the original text (``Finding``'s docstring); the scan
CLI promises one JSON line out per line in, with an error object in place of
a line it cannot read (``commands/scan.py``). The fixed fixture wordlist of
``tests/unit/scanner`` gives exact terms; the shipped lists give realism.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from hypothesis import assume, given
from hypothesis import strategies as st

from smsgate.commands.scan import scan_lines
from smsgate.core.audience import Audience
from smsgate.core.scanner import ScanResult, Severity, Verdict
from smsgate.core.scanner.scanner import Scanner
from smsgate.wordlists import default_folding, load_scanner, load_wordlist

from .support import FUZZ, hostile_text, texts

FIXTURE_WORDLIST = Path(__file__).parents[1] / "scanner" / "fixture_wordlist"
FIXTURE = Scanner(load_wordlist(FIXTURE_WORDLIST), default_folding())
SHIPPED = load_scanner()
FOLDING = default_folding()

# Chinese terms of the fixture list (Latin ones have word-boundary rules of their own).
CHINESE_TERMS = {"公安": Severity.BLOCK, "派出所": Severity.BLOCK, "传票": Severity.BLOCK}
CHINESE_TERMS |= {"法院": Severity.BLOCK, "起诉": Severity.REVIEW, "立案": Severity.REVIEW}
BLOCK_TERMS = sorted(term for term, severity in CHINESE_TERMS.items() if severity is Severity.BLOCK)
ALLOWED = FIXTURE.wordlist.allowed_phrases
# Evasion separators: invisible, spaces, symbols, emoji, combining marks, bidi marks.
# Clause breaks (，。) are left out: they bridge only under a rule of their own.
EVASIONS = ["\u200b", "\u200c", "\u200d", "\ufeff", " ", "\u3000", "*", ".", "-", "\n"]
EVASIONS += ["😀", "👨\u200d👩\u200d👧", "\u0301", "\u200f", "\u202e", "\u00ad", "\t", "·"]
_RANK = {Verdict.PASS: 0, Verdict.REVIEW: 1, Verdict.BLOCK: 2}
_SEVERITY_RANK = {Severity.REVIEW: 1, Severity.BLOCK: 2}


def assert_spans_index(text: str, result: ScanResult) -> None:
    for finding in result.findings:
        assert 0 <= finding.start < finding.end <= len(text)
        assert text[finding.start : finding.end] == finding.matched_text
    assert result.verdict is Verdict.of(result.findings)


def folded(text: str) -> str:
    return FOLDING.fold(text).folded


class TestScanNeverFails:
    """Any text scans without an exception, with spans that index the text exactly."""

    @FUZZ
    @given(texts, st.sampled_from(Audience))
    def test_shipped_lists(self, text: str, audience: Audience) -> None:
        """Promise: ``scan`` never raises; spans are in ``0..len(text)``, non-empty, exact."""
        assert_spans_index(text, SHIPPED.scan(text, audience))

    @FUZZ
    @given(texts, st.sampled_from(Audience))
    def test_fixture_lists_and_every_fold_agree(self, text: str, audience: Audience) -> None:
        """Promise: the quick fold and the full table find the same (folding.py)."""
        result = FIXTURE.scan(text, audience)
        assert_spans_index(text, result)
        assert result == FIXTURE.scan_folded(FOLDING.fold(text), audience)


class TestEvasions:
    """A known term spelled with evasion separators is still found, its span covering them."""

    @FUZZ
    @given(
        hostile_text,
        st.sampled_from(sorted(CHINESE_TERMS)),
        st.lists(st.lists(st.sampled_from(EVASIONS), max_size=3).map("".join), min_size=2),
        hostile_text,
    )
    def test_separated_term_is_found(
        self, before: str, term: str, gaps: list[str], after: str
    ) -> None:
        """Promise: a finding at least as severe covers the whole evasive spelling."""
        spelled = term[0] + "".join(gap + char for gap, char in zip(gaps, term[1:], strict=False))
        # An allow-listed phrase formed with the context legitimately hides the term.
        assume(not any(folded(p) in folded(before + spelled + after) for p in ALLOWED))
        text = before + spelled + after
        start, end = len(before), len(before) + len(spelled)
        covering = [
            f
            for f in FIXTURE.scan(text).findings
            if f.start <= start
            and end <= f.end
            and _SEVERITY_RANK[f.severity] >= _SEVERITY_RANK[CHINESE_TERMS[term]]
        ]
        assert covering, (term, spelled)
        assert any(f.term == term and (f.start, f.end) == (start, end) for f in covering) or any(
            len(f.term) > len(term) for f in covering
        )


class TestAllowList:
    """An allow-listed phrase in harmless context never becomes a block."""

    @FUZZ
    @given(hostile_text, st.sampled_from(ALLOWED), hostile_text)
    def test_allowed_phrase_in_clean_context(self, before: str, phrase: str, after: str) -> None:
        """Promise: with clean context on both sides, the phrase adds no finding inside it."""
        assume(FIXTURE.scan(before).verdict is Verdict.PASS)
        assume(FIXTURE.scan(after).verdict is Verdict.PASS)
        text = before + phrase + after
        result = FIXTURE.scan(text)
        inside = range(len(before), len(before) + len(phrase) + 1)
        assert not [f for f in result.findings if f.start in inside and f.end in inside]
        assert result.verdict is not Verdict.BLOCK


class TestVerdictIsMonotone:
    """Adding a block term to a text never lowers its verdict."""

    @FUZZ
    @given(texts, st.sampled_from(BLOCK_TERMS), st.sampled_from(Audience))
    def test_appended_or_prepended(self, text: str, term: str, audience: Audience) -> None:
        """Promise: a block term at either end of any text makes the verdict ``block``."""
        assert FIXTURE.scan(text + term, audience).verdict is Verdict.BLOCK
        assert FIXTURE.scan(term + text, audience).verdict is Verdict.BLOCK

    @FUZZ
    @given(hostile_text, st.sampled_from(BLOCK_TERMS), st.data())
    def test_inserted_anywhere(self, text: str, term: str, data: st.DataObject) -> None:
        """Promise: inserted anywhere it is ``block``, unless an allowed phrase hides the term."""
        at = data.draw(st.integers(0, len(text)))
        longer = text[:at] + term + text[at:]
        before, after = FIXTURE.scan(text).verdict, FIXTURE.scan(longer).verdict
        if any(folded(phrase) in folded(longer) for phrase in ALLOWED):
            return
        assert after is Verdict.BLOCK
        assert _RANK[after] >= _RANK[before]


def json_lines() -> st.SearchStrategy[str]:
    """Input lines of the scan CLI: good requests, bad ones, and arbitrary text (no newline)."""
    request = st.fixed_dictionaries(
        {"text": hostile_text}, optional={"audience": st.sampled_from(["debtor", "x", 3])}
    ).map(lambda item: json.dumps(item, ensure_ascii=False))
    wrong = st.sampled_from(['{"text": 1}', "[]", "null", '"text"', "{", "", '{"txt": "a"}'])
    return st.one_of(request, wrong, hostile_text).map(lambda line: line.replace("\n", " "))


class TestScanCli:
    """``smsgate scan --jsonl`` answers every line, in order, and never stops."""

    @FUZZ
    @given(st.lists(json_lines(), max_size=8))
    def test_one_json_object_out_per_line_in(self, lines: list[str]) -> None:
        """Promise: one JSON object per line: a result, or an error for an unreadable line."""
        out = io.StringIO()
        given_lines = io.StringIO("".join(line + "\n" for line in lines), newline="\n")
        scan_lines(FIXTURE, given_lines, out, Audience.DEBTOR)
        answers = [json.loads(answer) for answer in out.getvalue().split("\n")[:-1]]
        assert len(answers) == len(lines)
        for line, answer in zip(lines, answers, strict=True):
            assert set(answer) in ({"verdict", "matches"}, {"error", "detail"})
            if "verdict" in answer:
                text = json.loads(line)["text"]
                for match in answer["matches"]:
                    assert text[match["start"] : match["end"]] == match["matched_text"]

    def test_output_is_encodable_utf8(self) -> None:
        """Promise: every output line can be written to a UTF-8 stdout."""
        out = io.StringIO()
        scan_lines(FIXTURE, io.StringIO('{"text": "公\\ud800安"}\n'), out, Audience.DEBTOR)
        out.getvalue().encode("utf-8")
