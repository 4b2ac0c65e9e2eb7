"""The scanner on a small fixed wordlist: evasions, spans, allow-list, audiences, verdicts."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.core.audience import Audience
from smsgate.core.scanner import Severity, Verdict
from smsgate.core.scanner.scanner import Scanner
from smsgate.wordlists import default_folding, load_wordlist

FIXTURE_WORDLIST = Path(__file__).parent / "fixture_wordlist"

SEPARATORS = [" ", "\u3000", "\u200b", "\u200d", "*", ".", "-", "\n", "😀", "·", "/", "＊"]


def spans(scanner: Scanner, text: str, audience: Audience = Audience.DEBTOR) -> list[tuple]:
    return [(f.term, f.start, f.end) for f in scanner.scan(text, audience).findings]


class TestEvasions:
    """Evasive spellings are found, with the span covering the whole spelling as written."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("请到派出所说明情况", [("派出所", 2, 5)], id="plain"),
            pytest.param("请到派 出 所说明情况", [("派出所", 2, 7)], id="spaces"),
            pytest.param("请到派*出*所说明情况", [("派出所", 2, 7)], id="asterisks"),
            pytest.param("请到派\u3000出\u3000所", [("派出所", 2, 7)], id="ideographic-space"),
            pytest.param("请到派\u200b出\u200c所", [("派出所", 2, 7)], id="zero-width"),
            pytest.param("请到派😀出🔥所", [("派出所", 2, 7)], id="emoji"),
            pytest.param("请到派\n出\r\n所", [("派出所", 2, 8)], id="line-breaks"),
            pytest.param("请到派，出，所", [("派出所", 2, 7)], id="clause-breaks-every-gap"),
            pytest.param("收到傳票了吗", [("传票", 2, 4)], id="traditional"),
            pytest.param("去gongan局", [("公安局", 1, 8)], id="pinyin-mixed-syllables"),
            pytest.param("去 gong an 局", [("公安局", 2, 11)], id="pinyin-spaced"),
            pytest.param("ＧＯＮＧＡＮ", [("公安", 0, 6)], id="pinyin-full-width"),
            pytest.param("GongAn110", [("公安", 0, 6), ("110", 6, 9)], id="pinyin-then-digits"),
            pytest.param("找g.a.来", [("公安", 1, 4)], id="initials-spaced"),
            pytest.param("You will be  SUED!", [("you will be sued", 0, 17)], id="phrase"),
            pytest.param("a r r e s t", [("arrest", 0, 11)], id="latin-spaced"),
        ],
    )
    def test_finds(self, scanner: Scanner, text: str, expected: list[tuple]) -> None:
        assert spans(scanner, text) == expected

    def test_matched_text_is_the_original_spelling(self, scanner: Scanner) -> None:
        (finding,) = scanner.scan("请到派 出 所").findings
        assert finding.matched_text == "派 出 所"
        assert (finding.category, finding.severity) == ("impersonation", Severity.BLOCK)

    def test_initials_are_review_only(self, scanner: Scanner) -> None:
        result = scanner.scan("找g.a.来")
        assert result.verdict is Verdict.REVIEW


class TestNoFalseAlarms:
    """Ordinary words that contain a term, or Latin text, do not flag."""

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("请参加办公安全培训", id="allow-listed-办公安全"),
            pytest.param("我们成立案例库", id="allow-listed-成立案例库"),
            pytest.param("依照合同法，院方同意", id="clause-break-between-two-words"),
            pytest.param("为公，安全第一", id="two-char-term-across-a-comma"),
            pytest.param("ga", id="bare-initials"),
            pytest.param("Tanga", id="initials-inside-a-word"),
            pytest.param("xgongan", id="pinyin-inside-a-word"),
            pytest.param("the dragon gang", id="latin-words"),
            pytest.param("please see the jailbreak", id="latin-term-inside-a-word"),
            pytest.param("账单1100元", id="digits-inside-a-number"),
            pytest.param("您的账单已逾期5天", id="third-party-list-for-debtor"),
        ],
    )
    def test_passes(self, scanner: Scanner, text: str) -> None:
        assert scanner.scan(text).verdict is Verdict.PASS

    def test_allow_list_does_not_hide_a_term_beside_the_phrase(self, scanner: Scanner) -> None:
        assert spans(scanner, "办公安全由公安负责") == [("公安", 5, 7)]


class TestAudiences:
    """Lists apply only to the audiences the manifest names."""

    def test_third_party_list_applies_to_third_parties(self, scanner: Scanner) -> None:
        result = scanner.scan("您的家人欠款未还", Audience.THIRD_PARTY)
        assert [(f.term, f.category) for f in result.findings] == [
            ("欠款", "third_party_disclosure")
        ]

    def test_common_lists_apply_to_third_parties_too(self, scanner: Scanner) -> None:
        assert spans(scanner, "派出所", Audience.THIRD_PARTY) == [("派出所", 0, 3)]


class TestVerdict:
    """The verdict is the worst severity found; nested findings collapse to the outer one."""

    @pytest.mark.parametrize(
        ("text", "verdict"),
        [
            pytest.param("您好", Verdict.PASS, id="pass"),
            pytest.param("我们将起诉", Verdict.REVIEW, id="review"),
            pytest.param("我们将起诉并报公安", Verdict.BLOCK, id="block-wins"),
        ],
    )
    def test_verdict(self, scanner: Scanner, text: str, verdict: Verdict) -> None:
        assert scanner.scan(text).verdict is verdict

    def test_outer_term_covers_inner_term(self, scanner: Scanner) -> None:
        assert spans(scanner, "请到公安局") == [("公安局", 2, 5)]

    def test_result_records_the_wordlist_version(self, scanner: Scanner) -> None:
        assert scanner.scan("公安").wordlist_version.startswith("test-1+")
        assert scanner.scan("您好").wordlist_version == scanner.version

    def test_jsonl_shape(self, scanner: Scanner) -> None:
        assert scanner.scan("派 出所").to_dict() == {
            "verdict": "block",
            "matches": [
                {
                    "term": "派出所",
                    "category": "impersonation",
                    "severity": "block",
                    "start": 0,
                    "end": 4,
                    "matched_text": "派 出所",
                    "evasion": "spaced",
                }
            ],
        }


_SCANNER = Scanner(load_wordlist(FIXTURE_WORDLIST), default_folding())
_TERMS = ["公安", "派出所", "传票", "法院", "起诉"]
_FILLER = st.text(alphabet="您好请的账单元天月日还款时间我们你他", max_size=12)


class TestProperties:
    """Properties over generated texts."""

    @given(st.text())
    def test_never_raises_and_spans_index_the_text(self, text: str) -> None:
        for audience in Audience:
            for finding in _SCANNER.scan(text, audience).findings:
                assert text[finding.start : finding.end] == finding.matched_text
                assert 0 <= finding.start < finding.end <= len(text)

    @given(st.text())
    def test_quick_and_full_folds_give_the_same_result(self, text: str) -> None:
        folded = default_folding().fold(text)
        for audience in Audience:
            assert _SCANNER.scan(text, audience) == _SCANNER.scan_folded(folded, audience)

    @given(
        _FILLER,
        st.sampled_from(_TERMS),
        st.lists(st.sampled_from(SEPARATORS), min_size=4, max_size=4),
        _FILLER,
    )
    def test_a_spaced_out_term_is_found_where_it_was_put(
        self, before: str, term: str, gaps: list[str], after: str
    ) -> None:
        spelled = "".join(char + gap for char, gap in zip(term, gaps, strict=False))
        spelled = spelled[: spelled.rindex(term[-1]) + 1]
        text = before + spelled + after
        found = [(f.term, f.start, f.end) for f in _SCANNER.scan(text).findings]
        assert (term, len(before), len(before) + len(spelled)) in found

    @given(_FILLER, st.sampled_from(["办公安全", "成立案例库"]), _FILLER)
    def test_an_allowed_phrase_never_flags(self, before: str, phrase: str, after: str) -> None:
        text = before + phrase + after
        inside = range(len(before), len(before) + len(phrase) + 1)
        for finding in _SCANNER.scan(text).findings:
            assert not (finding.start in inside and finding.end in inside)
