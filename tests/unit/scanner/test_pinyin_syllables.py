"""Issue #15 item 3: pinyin matched at the syllable level, from a table built with the wordlist.

Tone numbers, apostrophes, CamelCase and characters mixed with pinyin per
syllable all reach the same automaton; ordinary mixed text stays clean.
"""

from __future__ import annotations

import pytest

from smsgate.core.scanner.scanner import syllable_table
from smsgate.wordlists import default_folding, load_scanner

SCANNER = load_scanner()


def pinyin_findings(text: str) -> list[tuple[str, str]]:
    result = SCANNER.scan(text)
    for finding in result.findings:
        assert text[finding.start : finding.end] == finding.matched_text
    return [(f.term, f.matched_text) for f in result.findings if f.evasion.value == "pinyin"]


class TestSyllables:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("gong1an1", [("公安", "gong1an1")], id="issue-tone-numbers"),
            pytest.param(
                "马上去pai4chu1suo3报到", [("派出所", "pai4chu1suo3")], id="tones-in-text"
            ),
            pytest.param("jing3 cha2 tomorrow", [("警察", "jing3 cha2")], id="tones-spaced"),
            pytest.param("gong'an", [("公安", "gong'an")], id="issue-apostrophe"),
            pytest.param("pai'chu'suo", [("派出所", "pai'chu'suo")], id="apostrophes"),
            pytest.param("GongAn", [("公安", "GongAn")], id="issue-camel-case"),
            pytest.param("JingCha来了", [("警察", "JingCha")], id="camel-case-in-text"),
            pytest.param("公an", [("公安", "公an")], id="issue-char-then-pinyin"),
            pytest.param("gong安", [("公安", "gong安")], id="issue-pinyin-then-char"),
            pytest.param("派chu所来电", [("派出所", "派chu所")], id="sandwich"),
            pytest.param("jing察局", [("警察", "jing察")], id="jing-cha"),
            pytest.param("gōng1ān1", [("公安", "gōng1ān1")], id="marks-and-numbers"),
        ],
    )
    def test_found(self, text: str, expected: list[tuple[str, str]]) -> None:
        assert pinyin_findings(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("宫an", id="homophone-is-not-pinyin"),
            pytest.param("请打开APP账单页面查看", id="app"),
            pytest.param("尊敬的VIP会员，您的iPhone订单已发货", id="brand-words"),
            pytest.param("本期应还RMB500元，room4A", id="codes"),
            pytest.param("您好Gong先生，安排如下", id="a-surname"),
            pytest.param("Anne公司的账单", id="latin-name-beside-chinese"),
        ],
    )
    def test_ordinary_mixed_text_passes(self, text: str) -> None:
        assert SCANNER.scan(text).findings == ()


class TestTable:
    def test_built_from_the_pinyin_lists(self) -> None:
        table = syllable_table(SCANNER.wordlist, default_folding())
        assert table["公"] == "gong"
        assert table["派"] == "pai"
        assert table["所"] == "suo"

    def test_only_pinyin_spelled_terms_contribute(self) -> None:
        table = syllable_table(SCANNER.wordlist, default_folding())
        spelled = {
            char
            for term_list in SCANNER.wordlist.lists
            for term in term_list.terms
            if term_list.spelled_in_pinyin(term)
            for char in default_folding().fold_term(term)
        }
        assert set(table) <= spelled
        assert "押" not in table  # 扣押 is in a list without pinyin, and not a pinyin term


class TestPinyinTerms:
    """Court and lawsuit terms, in lists without pinyin, are matched in pinyin where it is
    unambiguous (``pinyin_terms`` in the manifest); an ambiguous one is not."""

    @pytest.mark.parametrize(
        ("text", "term"),
        [
            pytest.param("收到fayuan的通知了吗", "法院", id="fayuan"),
            pytest.param("we will start susong tomorrow", "诉讼", id="susong"),
            pytest.param("申请zhong4cai2", "仲裁", id="zhongcai-toned"),
            pytest.param("QiangZhiZhiXing", "强制执行", id="camel"),
            pytest.param("进入失信bei执行人名单", "失信被执行人", id="mixed"),
        ],
    )
    def test_found(self, text: str, term: str) -> None:
        assert (term, "review") in {(f.term, f.severity.value) for f in SCANNER.scan(text).findings}

    def test_ambiguous_pinyin_is_not_listed(self) -> None:
        # baoan is 报案 (report a case) but also 保安 (security guard), 宝安 (a district).
        assert SCANNER.scan("baoan在门口等你取快递").findings == ()

    def test_unknown_pinyin_term_is_an_error(self) -> None:
        from smsgate.core.scanner.wordlist import WordlistError, parse_wordlist

        manifest = (
            'version = "v"\n[[lists]]\nfile = "a.txt"\ncategory = "c"\n'
            'severity = "review"\npinyin_terms = ["法院"]\n'
        )
        with pytest.raises(WordlistError, match="pinyin_terms"):
            parse_wordlist(manifest, {"a.txt": "律师\n"})
