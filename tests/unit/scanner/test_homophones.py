"""Issue #15 item 2: homophones (谐音字) are findings of their own kind, ordinary words are not.

Fresh examples besides the issue's own; the shipped lists and jieba's dictionary,
as the gateway and ``smsgate scan`` use them.
"""

from __future__ import annotations

import pytest

from smsgate.core.scanner import Evasion, Severity, Verdict
from smsgate.core.scanner.homophones import common_characters, homophone_variants, sound_alikes
from smsgate.core.scanner.scanner import Scanner
from smsgate.wordlists import default_folding, default_lexicon, load_scanner

SCANNER = load_scanner()


def homophones(text: str) -> list[tuple[str, str, str]]:
    """(term, matched_text, severity) of every homophone finding, spans checked on the way."""
    result = SCANNER.scan(text)
    for finding in result.findings:
        assert text[finding.start : finding.end] == finding.matched_text
    return [
        (f.term, f.matched_text, f.severity.value)
        for f in result.findings
        if f.evasion is Evasion.HOMOPHONE
    ]


class TestFound:
    """One character swapped for a common one of the same sound reads as the term."""

    @pytest.mark.parametrize(
        ("text", "term", "matched"),
        [
            pytest.param("请到公按局说明情况", "公安局", "公按局", id="gong-an-ju"),
            pytest.param("派出锁已经备案", "派出所", "派出锁", id="pai-chu-suo"),
            pytest.param("检查院已介入调查", "检察院", "检查院", id="jian-cha-yuan"),
            pytest.param("警茶会上门找你", "警察", "警茶", id="jing-cha"),
            pytest.param("你的案件已被立按", "立案", "立按", id="li-an"),
            pytest.param("我们会起素你", "起诉", "起素", id="qi-su"),
            pytest.param("准备坐劳吧", "坐牢", "坐劳", id="zuo-lao-rare-dictionary-entry"),
            pytest.param("等着被逮补吧", "逮捕", "逮补", id="dai-bu"),
            pytest.param("小心被拘溜", "拘留", "拘溜", id="ju-liu"),
            pytest.param("等着吃官丝吧", "吃官司", "吃官丝", id="chi-guan-si"),
            pytest.param("你涉闲诈骗", "涉嫌", "涉闲", id="she-xian"),
        ],
    )
    def test_homophone(self, text: str, term: str, matched: str) -> None:
        assert (term, matched, "review") in homophones(text)

    def test_a_homophone_of_a_block_term_is_held_not_blocked(self) -> None:
        result = SCANNER.scan("请到派出锁说明情况")
        assert result.verdict is Verdict.REVIEW
        assert all(f.severity is Severity.REVIEW for f in result.findings)

    def test_the_term_itself_is_no_homophone(self) -> None:
        result = SCANNER.scan("请到派出所说明情况")
        assert [f.evasion for f in result.findings] == [Evasion.PLAIN]
        assert result.verdict is Verdict.BLOCK


class TestOrdinaryWords:
    """A spelling that is, or lies inside, a counted dictionary word is no homophone."""

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("这是一桩公案", id="gongan-a-case"),
            pytest.param("不拘一格降人才", id="inside-an-idiom"),
            pytest.param("老莱子娱亲的故事", id="inside-a-name"),
            pytest.param("发件人：张三", id="sender"),
            pytest.param("请联系寄件人取件", id="sender-of-a-parcel"),
            pytest.param("施工安全第一", id="across-two-words"),
        ],
    )
    def test_passes(self, text: str) -> None:
        assert homophones(text) == []

    def test_no_counted_dictionary_word_is_a_homophone(self) -> None:
        """Each of jieba's counted words of two or more characters, scanned alone."""
        lexicon = default_lexicon()
        words = [w for w, n in lexicon.frequencies.items() if len(w) > 1 and n >= 20]
        assert len(words) > 50_000
        flagged = [w for w in words if homophones(w)]
        assert flagged == []


class TestPhraseListsDoNotOptIn:
    """Only lists with ``homophones = true`` get homophone spellings (通讯录 is a phrase)."""

    def test_misleading_phrase(self) -> None:
        assert homophones("你已被列入黑名担") == []

    def test_manifest(self) -> None:
        opted = {tl.file for tl in SCANNER.wordlist.lists if tl.homophones}
        assert "zh/impersonation_core.txt" in opted
        assert "zh/contact_exposure.txt" not in opted


class TestWithoutADictionary:
    """A scanner built without a dictionary cannot tell words apart, so it finds none."""

    def test_none(self) -> None:
        bare = Scanner(SCANNER.wordlist, default_folding())
        assert bare.scan("请到派出锁说明情况").findings == ()


class TestVariants:
    """The variants come from GB 2312 level 1 and pypinyin, one swap each."""

    def test_common_characters_are_level_one(self) -> None:
        chars = common_characters()
        assert len(chars) == 3755
        assert "公" in chars
        assert "龘" not in chars

    def test_one_swap_per_variant(self) -> None:
        for variant in homophone_variants("派出所"):
            assert sum(a != b for a, b in zip(variant, "派出所", strict=True)) == 1

    def test_same_sound(self) -> None:
        assert {"公按", "攻安", "工安"} <= homophone_variants("公安")
        assert "公安" not in homophone_variants("公安")
        assert all("gong" in sound for sound, chars in sound_alikes().items() if "宫" in chars)
