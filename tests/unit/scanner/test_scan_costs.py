"""Issue #15 item 5: what a scan costs, counted rather than timed.

A clean text is settled by one automaton pass over its quick fold: no regex,
no fold in code points. A text with a candidate is judged clause by clause,
and a template's words are judged once however many messages carry them;
the clauses kept are bounded. Findings stay exactly those of the whole table
(the property tests of ``test_scanner.py`` hold every fold to it; the cases
here aim at what the automaton's probes must catch).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.core.audience import Audience
from smsgate.core.scanner import Finding, Severity
from smsgate.core.scanner.boundaries import FrequencyLexicon, Lexicon
from smsgate.core.scanner.clauses import LONGEST_KEPT, ClauseFindings, clauses
from smsgate.core.scanner.folding import CLAUSE_BREAKS, CharacterFolding, FoldedText
from smsgate.core.scanner.scanner import Scanner
from smsgate.wordlists import default_folding, load_wordlist

FIXTURE_WORDLIST = Path(__file__).parent / "fixture_wordlist"
SCANNER = Scanner(load_wordlist(FIXTURE_WORDLIST), default_folding())
DICTIONARY = FrequencyLexicon.of({"派出所": 900, "说明": 800, "情况": 800, "请到": 50})

CLEAN = [
    "张三您好，您的信用卡账单1234.50元已逾期5天，请于今日内通过官方APP还款，感谢配合。",
    "尊敬的李四，您的借款300.00元将于3月15日到期，请确保还款账户余额充足。",
    "Hi 王五，您的消费贷 (No.18) 应还 RMB 2000.00，请登录 APP 或拨打 95555 处理，谢谢！",
    "温馨提示：您的还款日为12月1日，可通过微信、支付宝或银行转账还款，如有疑问请联系客服。",
]


class CountingFolding(CharacterFolding):
    """The default folding (its built tables shared), counting its per-text work."""

    def __init__(self, inner: CharacterFolding) -> None:
        self.__dict__.update(inner.__dict__)
        self.calls: Counter[str] = Counter()

    def fold(self, text: str) -> FoldedText:
        self.calls["fold"] += 1
        return super().fold(text)

    def quick_fold(self, text: str, encoded: bytes | None = None) -> bytes | None:
        self.calls["quick_fold"] += 1
        return super().quick_fold(text, encoded)

    def quick_bytes(self, text: str, encoded: bytes) -> bytes | None:
        self.calls["quick_bytes"] += 1
        return super().quick_bytes(text, encoded)

    def quick_folded_text(self, text: str) -> FoldedText:
        self.calls["quick_folded_text"] += 1
        return super().quick_folded_text(text)

    def may_bridge_breaks(self, text: str) -> bool:
        self.calls["may_bridge_breaks"] += 1
        return super().may_bridge_breaks(text)


class CountingLexicon:
    """A lexicon loader that counts how often a context reading asks for it."""

    def __init__(self) -> None:
        self.asked = 0

    def __call__(self) -> Lexicon:
        self.asked += 1
        return DICTIONARY


@pytest.fixture(scope="module")
def folding() -> CountingFolding:
    return CountingFolding(default_folding())


@pytest.fixture
def lexicon() -> CountingLexicon:
    return CountingLexicon()


@pytest.fixture
def scanner(folding: CountingFolding, lexicon: CountingLexicon) -> Scanner:
    folding.calls.clear()
    return Scanner(load_wordlist(FIXTURE_WORDLIST), folding, lexicon)


class TestCleanText:
    """A clean text costs one automaton pass: no regex, no fold in code points."""

    @pytest.mark.parametrize(
        "text", [pytest.param(t, id=f"clean-{i}") for i, t in enumerate(CLEAN)]
    )
    def test_clean_text_takes_no_folding_step(
        self, scanner: Scanner, folding: CountingFolding, text: str
    ) -> None:
        assert not scanner.scan(text, Audience.DEBTOR).findings
        assert folding.calls == Counter()

    def test_two_breaks_in_a_row_only_cost_the_bridge_test(
        self, scanner: Scanner, folding: CountingFolding
    ) -> None:
        """A probe without a term (！！) is settled by the bridge test, unfolded."""
        assert not scanner.scan("请尽快还款！！谢谢").findings
        assert folding.calls == Counter({"quick_bytes": 1, "may_bridge_breaks": 1})


class TestTemplateWords:
    """The words of a template are judged once, not once per message sent with it."""

    NAMES = ("张三", "欧阳娜娜", "李", "司马相如", "王五", "赵敏", "陈晨", "刘洋")

    def test_a_clause_is_read_in_context_once(
        self, scanner: Scanner, lexicon: CountingLexicon
    ) -> None:
        for name in self.NAMES * 5:
            text = f"{name}您好，请到派出所说明情况，谢谢。"
            (finding,) = scanner.scan(text).findings
            start = text.index("派出所")
            assert (finding.term, finding.start, finding.end) == ("派出所", start, start + 3)
            assert finding.matched_text == "派出所"
        assert lexicon.asked == 1

    def test_findings_of_kept_clauses_move_with_their_offset(self, scanner: Scanner) -> None:
        first = scanner.scan("请到派 出 所，gongan局").findings
        again = scanner.scan("张三：请到派 出 所，gongan局").findings
        assert [(f.term, f.start + 3, f.end + 3, f.evasion) for f in first] == [
            (f.term, f.start, f.end, f.evasion) for f in again
        ]
        assert [f.term for f in again] == ["派出所", "公安局"]

    def test_a_threat_cue_in_another_clause_is_parted_from_its_phrase(
        self, shipped_scanner: Scanner
    ) -> None:
        """The allow-list's cue (就上门服务) counts in its clause, never from the one before."""
        for text in ("我们就上门服务", "好的，我们就 上门服务"):
            (finding,) = shipped_scanner.scan(text).findings
            assert (finding.term, finding.start) == ("上门", text.index("上门"))
        assert not shipped_scanner.scan("我们就，上门服务").findings


class TestKeptClauses:
    """The clauses kept are bounded, least recently used first out."""

    def judge(self, judged: list[str]) -> ClauseFindings:
        def one(clause: str, audience: Audience) -> tuple[Finding, ...]:
            judged.append(clause)
            return (Finding("x", "c", Severity.REVIEW, 0, 1, clause[0]),)

        return ClauseFindings(one, kept=2)

    def test_least_recently_used_goes_first(self) -> None:
        judged: list[str] = []
        by_clause = self.judge(judged)
        for text in ["甲", "乙", "甲", "丙", "甲", "乙"]:
            by_clause.of(text, Audience.DEBTOR)
        assert judged == ["甲", "乙", "丙", "乙"]

    def test_a_long_clause_is_never_kept(self) -> None:
        judged: list[str] = []
        by_clause = self.judge(judged)
        long = "长" * (LONGEST_KEPT + 1)
        for _ in range(3):
            by_clause.of(long, Audience.DEBTOR)
        assert len(judged) == 3

    def test_clauses_and_their_offsets(self) -> None:
        text = "甲，，乙丙。丁！"
        assert list(clauses(text)) == [(0, "甲"), (3, "乙丙"), (6, "丁")]
        assert all(text[at : at + len(clause)] == clause for at, clause in clauses(text))


#: Pieces of texts where clause-by-clause judging would go wrong if a rule reached
#: across a break: terms, allow-listed phrases and their cues, two ordinary words
#: that spell a term, pinyin with its word edges, separators and breaks.
_TERMS_AND_WORDS = ["派出所", "公安", "局", "办公安全", "成立案例库", "立案", "就", "上门服务"]
_TERMS_AND_WORDS += ["派人", "家畜", "生病", "建立", "案卷", "傳票", "gongan", "gong", "an", "g.a."]
_PIECES = st.sampled_from(
    [*_TERMS_AND_WORDS, "x", "您好", *sorted(CLAUSE_BREAKS), " ", "*", "\u200b", "\u3000", "【"]
)


class TestClauseByClause:
    """A text judged clause by clause gets exactly the findings of the whole text."""

    @given(st.lists(_PIECES, max_size=14).map("".join), st.sampled_from(Audience))
    def test_the_same_findings_as_the_whole_table(
        self, shipped_scanner: Scanner, text: str, audience: Audience
    ) -> None:
        whole = shipped_scanner.scan_folded(default_folding().fold(text), audience)
        assert shipped_scanner.scan(text, audience) == whole


_BREAK = st.sampled_from(sorted(CLAUSE_BREAKS))
_ASCII_GAP = st.text(alphabet=" .*-", max_size=2)
_FILLER = st.text(alphabet="您好请的账单元天月日还款时间", max_size=6)


class TestProbes:
    """What the quick fold cannot settle reaches the whole table, and is found as it finds it."""

    @given(
        _FILLER,
        st.sampled_from(["派出所", "公安局", "gongan", "传票"]),
        st.lists(st.tuples(st.lists(_BREAK, min_size=1, max_size=3), _ASCII_GAP), min_size=5),
        _FILLER,
    )
    def test_a_term_bridging_clause_breaks(
        self, before: str, term: str, gaps: list[tuple[list[str], str]], after: str
    ) -> None:
        spelled = term[0] + "".join(
            space + "".join(breaks) + char
            for (breaks, space), char in zip(gaps, term[1:], strict=False)
        )
        text = before + spelled + after
        result = SCANNER.scan(text)
        assert result == SCANNER.scan_folded(default_folding().fold(text))
        if len(term) >= 3:
            assert any(
                f.start <= len(before) and len(before + spelled) <= f.end for f in result.findings
            )

    @given(st.sampled_from(sorted(default_folding().table_needed)), _FILLER)
    def test_a_character_only_the_table_folds(self, char: str, filler: str) -> None:
        for text in (f"请到派{char}出所{filler}", f"{filler}{char}，请到派出所", f"gong{char}an局"):
            assert SCANNER.scan(text) == SCANNER.scan_folded(default_folding().fold(text))
