"""The shipped wordlists against the fixtures of realistic messages in tests/data."""

from pathlib import Path

import pytest

from smsgate.core.audience import Audience
from smsgate.core.scanner import Verdict
from smsgate.core.scanner.scanner import Scanner
from smsgate.wordlists import load_wordlist, shipped_wordlists

DATA = Path(__file__).parents[2] / "data"


def lines(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def cases(name: str) -> list[pytest.ParameterSet]:
    rows = [line.split("\t") for line in lines(name)]
    return [
        pytest.param(term, category, text, id=f"{i}-{term}")
        for i, (term, category, text) in enumerate(rows)
    ]


class TestShippedLists:
    """The shipped lists are well formed and documented."""

    def test_every_list_has_terms_and_a_source(self) -> None:
        wordlist = load_wordlist(shipped_wordlists())
        assert wordlist.lists
        for term_list in wordlist.lists:
            assert term_list.terms, term_list.file
            assert term_list.source, term_list.file

    def test_every_allowed_phrase_contains_a_term(self, shipped_scanner: Scanner) -> None:
        # An allow-list entry that holds no term is dead weight, or a typo.
        wordlist = shipped_scanner.wordlist
        terms = {t for term_list in wordlist.lists for t in term_list.terms}
        for phrase in wordlist.allowed_phrases:
            assert any(term in phrase for term in terms), phrase


class TestHarmless:
    """Legitimate messages pass."""

    @pytest.mark.parametrize("text", lines("harmless_debtor_zh.txt"))
    def test_debtor_messages_pass(self, shipped_scanner: Scanner, text: str) -> None:
        result = shipped_scanner.scan(text, Audience.DEBTOR)
        assert result.verdict is Verdict.PASS, result.findings

    @pytest.mark.parametrize("text", lines("harmless_en.txt"))
    def test_english_messages_pass(self, shipped_scanner: Scanner, text: str) -> None:
        result = shipped_scanner.scan(text, Audience.DEBTOR)
        assert result.verdict is Verdict.PASS, result.findings

    @pytest.mark.parametrize("text", lines("harmless_third_party_zh.txt"))
    def test_third_party_messages_pass(self, shipped_scanner: Scanner, text: str) -> None:
        result = shipped_scanner.scan(text, Audience.THIRD_PARTY)
        assert result.verdict is Verdict.PASS, result.findings


class TestViolating:
    """Violating messages are caught with the expected term and category."""

    @pytest.mark.parametrize(
        ("term", "category", "text"), cases("violating_zh.tsv") + cases("violating_en.tsv")
    )
    def test_caught(self, shipped_scanner: Scanner, term: str, category: str, text: str) -> None:
        audience = Audience.THIRD_PARTY if category == "third_party_disclosure" else Audience.DEBTOR
        found = {(f.term, f.category) for f in shipped_scanner.scan(text, audience).findings}
        assert (term, category) in found

    def test_third_party_lists_do_not_apply_to_debtors(self, shipped_scanner: Scanner) -> None:
        text = "您的账单已逾期，请尽快还款。"
        assert shipped_scanner.scan(text, Audience.DEBTOR).verdict is Verdict.PASS
        assert shipped_scanner.scan(text, Audience.THIRD_PARTY).verdict is Verdict.BLOCK
