"""Issue #15 item 3: a term formed across two ordinary words, or inside a place name or the
creditor's own name, is no finding; a real occurrence still is.

Fresh examples besides the issue's own; jieba's dictionary as the gateway loads it.
"""

from __future__ import annotations

import pytest

from smsgate.core.audience import Audience
from smsgate.core.scanner import Severity, Verdict
from smsgate.core.scanner.boundaries import FrequencyLexicon, Lexicon, Reading, read_match
from smsgate.core.scanner.scanner import Scanner
from smsgate.wordlists import default_folding, default_lexicon, load_scanner

SCANNER = load_scanner()


def terms(text: str, **options: object) -> list[tuple[str, str]]:
    return [(f.term, f.severity.value) for f in SCANNER.scan(text, **options).findings]  # type: ignore[arg-type]


class TestAcrossTwoWords:
    """The dictionary reads two ordinary words where the term would straddle their boundary."""

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("家畜生病请及时就医", id="issue-jiachu-shengbing"),
            pytest.param("建立案卷后通知您", id="issue-jianli-anjuan"),
            pytest.param("网上流传票证信息请勿轻信", id="issue-liuchuan-piaozheng"),
            pytest.param("请勿轻信网络流传的虚假信息", id="liuchuan-de"),
            pytest.param("办公安排已调整", id="bangong-anpai"),
            pytest.param("员工安全培训于周五举行", id="yuangong-anquan"),
            pytest.param("攻坚安排如下", id="gongjian-anpai"),
        ],
    )
    def test_passes(self, text: str) -> None:
        assert SCANNER.scan(text).verdict is Verdict.PASS, terms(text)

    @pytest.mark.parametrize(
        ("text", "term"),
        [
            pytest.param("请立即到派出所说明情况", "派出所", id="paichusuo"),
            pytest.param("你这个畜生", "畜生", id="chusheng"),
            pytest.param("收到法院传票请签收", "传票", id="chuanpiao"),
            pytest.param("他是公安", "公安", id="gongan-alone"),
            pytest.param("请到公安局说明情况", "公安局", id="gonganju"),
            pytest.param("派出所有关人员将上门", "派出所", id="paichusuo-youguan"),
        ],
    )
    def test_real_occurrences_still_block(self, text: str, term: str) -> None:
        assert (term, "block") in terms(text)


class TestAmbiguous:
    """Where the dictionary reads both ways about as well, a person decides (review)."""

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("总部派出所有督导到场", id="issue-paichu-suoyou"),
            pytest.param("派出所有人在等你", id="the-threat-reads-the-same"),
        ],
    )
    def test_held_for_review(self, text: str) -> None:
        result = SCANNER.scan(text)
        assert result.verdict is Verdict.REVIEW
        assert [(f.term, f.severity) for f in result.findings] == [("派出所", Severity.REVIEW)]


class TestPlaceNames:
    """A term followed by a place-name suffix names a county or a street."""

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("湖北省公安县营业部", id="gongan-county"),
            pytest.param("公安路营业厅今日休息", id="gongan-road"),
            pytest.param("请到公安街网点办理", id="gongan-street"),
        ],
    )
    def test_passes(self, text: str) -> None:
        assert SCANNER.scan(text).verdict is Verdict.PASS, terms(text)

    def test_the_police_of_that_county_are_still_found(self) -> None:
        assert "公安局" in {term for term, _ in terms("公安县公安局已受理")}


class TestSpacesAreReadToo:
    """A spaced match is read without its spaces: 家畜 生病 is still two words, 派 出 所 one."""

    def test_a_space_at_the_word_boundary_passes(self) -> None:
        assert terms("家畜 生病，请带去兽医站") == []

    @pytest.mark.parametrize(
        ("text", "term"),
        [
            pytest.param("请到派 出 所说明情况", "派出所", id="paichusuo"),
            pytest.param("你这个畜 生", "畜生", id="chusheng"),
        ],
    )
    def test_spaced_terms_still_block(self, text: str, term: str) -> None:
        assert (term, "block") in terms(text)

    def test_the_window_stops_at_a_clause_break(self) -> None:
        # 畜生。病 is an insult and a new clause, not 生病.
        assert ("畜生", "block") in terms("你这个畜生。病了也别找我")


class TestOwnName:
    """The creditor's registered name and signature never trigger a finding."""

    NAME = "Police and Fire Federal Credit Union"

    def test_own_name_passes(self) -> None:
        text = f"{self.NAME}: your payment of $120 is 30 days overdue."
        assert SCANNER.scan(text).verdict is Verdict.BLOCK
        assert SCANNER.scan(text, own_names=(self.NAME,)).verdict is Verdict.PASS

    def test_the_term_outside_the_name_still_counts(self) -> None:
        text = f"{self.NAME}: pay now or we call the police."
        result = SCANNER.scan(text, own_names=(self.NAME,))
        assert [(f.term, f.start) for f in result.findings] == [("police", text.rindex("police"))]

    def test_signature_spelled_with_other_width_and_case(self) -> None:
        text = "【ＰＯＬＩＣＥ ＡＮＤ ＦＩＲＥ ＦＣＵ】您的账单已逾期"
        assert SCANNER.scan(text).verdict is Verdict.BLOCK
        assert SCANNER.scan(text, own_names=("Police and Fire FCU",)).verdict is Verdict.PASS

    def test_chinese_name(self) -> None:
        text = "【公安县农商银行】您的贷款已逾期，请到派出所说明"
        own = ("公安县农商银行",)
        assert [f.term for f in SCANNER.scan(text, own_names=own).findings] == ["派出所"]

    def test_third_party_audience_too(self) -> None:
        text = f"{self.NAME} asks you to pass on a call-back request."
        own = (self.NAME,)
        assert SCANNER.scan(text, Audience.THIRD_PARTY, own_names=own).verdict is Verdict.PASS


class TestLexiconIsLazy:
    """A clean text never loads the dictionary: the fast path stays as it was."""

    def test_loaded_on_first_candidate(self) -> None:
        calls: list[int] = []

        def lexicon() -> Lexicon:
            calls.append(1)
            return default_lexicon()

        scanner = Scanner(SCANNER.wordlist, default_folding(), lexicon)
        scanner.scan("您好，您的账单已逾期3天，请尽快还款。")
        assert calls == []
        scanner.scan("家畜生病")
        assert calls


class TestReading:
    """The two readings on a hand-made dictionary, so the arithmetic is visible."""

    LEXICON = FrequencyLexicon.of({"家畜": 400, "生病": 400, "畜生": 400, "家": 1000, "病": 500})

    def test_ordinary_wins(self) -> None:
        assert read_match("家畜生病", 1, 3, self.LEXICON) is Reading.ORDINARY

    def test_no_crossing_word(self) -> None:
        assert read_match("你畜生", 1, 3, self.LEXICON) is Reading.TERM

    def test_a_longer_word_around_the_match_is_not_a_crossing(self) -> None:
        lexicon = FrequencyLexicon.of({"公安局": 500, "公安": 2000, "局": 300})
        assert read_match("公安局", 0, 2, lexicon) is Reading.TERM
