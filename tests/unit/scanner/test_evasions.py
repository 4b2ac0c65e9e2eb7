"""Issue #15 item 1: the evasions folding reads by Unicode's own data, and what a finding says.

Each family has fresh examples besides the issue's own. The shipped lists and
the process-wide folding are used, as the gateway and ``smsgate scan`` do.
"""

from __future__ import annotations

import pytest

from smsgate.core.scanner import Evasion
from smsgate.core.scanner.folding import CharacterFolding
from smsgate.core.scanner.scanner import Scanner
from smsgate.wordlists import default_folding, load_scanner, unicode_data_version

SCANNER = load_scanner()


def found(text: str, scanner: Scanner = SCANNER) -> list[tuple[str, str, str]]:
    """(term, matched_text, evasion) of every finding, checking the span contract on the way."""
    result = scanner.scan(text)
    for finding in result.findings:
        assert text[finding.start : finding.end] == finding.matched_text
    return [(f.term, f.matched_text, f.evasion.value) for f in result.findings]


class TestInvisibleLetters:
    """Default-ignorable code points, the Hangul fillers (category Lo) among them, are gaps."""

    @pytest.mark.parametrize(
        ("text", "term", "matched"),
        [
            pytest.param("请到公\u3164安局", "公安局", "公\u3164安局", id="issue-U+3164"),
            pytest.param("派\u115f出所通知", "派出所", "派\u115f出所", id="issue-U+115F"),
            pytest.param("法\u1160院传票已发", "法院", "法\u1160院", id="U+1160"),
            pytest.param("检\uffa0察官来电", "检察官", "检\uffa0察官", id="U+FFA0"),
            pytest.param("公\u034f安", "公安", "公\u034f安", id="combining-grapheme-joiner"),
            pytest.param("警\U000e0041察", "警察", "警\U000e0041察", id="tag-letter"),
            pytest.param("ja\u3164il time", "jail", "ja\u3164il", id="latin-with-filler"),
        ],
    )
    def test_found_spaced(self, text: str, term: str, matched: str) -> None:
        assert (term, matched, "spaced") in found(text)


class TestConfusables:
    """UTS #39 prototypes for Latin terms and pinyin; NFKC for fancy-font letters."""

    @pytest.mark.parametrize(
        ("text", "term", "evasion"),
        [
            pytest.param("the p\u03bflice know", "police", "confusable", id="issue-greek-omicron"),
            pytest.param("you'll be \u0430rr\u0435sted", "arrested", "confusable", id="issue-cyr"),
            pytest.param("sh\u0435riff on the way", "sheriff", "confusable", id="cyrillic-ie"),
            pytest.param("\u0455heriff visit", "sheriff", "confusable", id="cyrillic-dze"),
            pytest.param("go to pr\u0456s\u043en", "prison", "confusable", id="cyrillic-i-o"),
            pytest.param(
                "\U0001d429\U0001d428\U0001d425\U0001d422\U0001d41c\U0001d41e now",
                "police",
                "confusable",
                id="math-bold",
            ),
            pytest.param(
                "\U0001d5c3\U0001d5ba\U0001d5c2\U0001d5c5 soon",
                "jail",
                "confusable",
                id="math-sans",
            ),
            pytest.param("ｐｏｌｉｃｅ", "police", "confusable", id="full-width"),
            pytest.param("j\u0456ngcha lai", "警察", "pinyin", id="issue-pinyin-cyr-i"),
            pytest.param("\u0261ongan", "公安", "pinyin", id="issue-script-g"),
            pytest.param("p\u0430ichusu\u03bf", "派出所", "pinyin", id="pinyin-cyr-a-greek-o"),
        ],
    )
    def test_found(self, text: str, term: str, evasion: str) -> None:
        assert term in {t for t, _, e in found(text) if e == evasion}, found(text)


class TestTonedPinyin:
    """Diacritics are stripped, so pinyin typed with tone marks meets the toneless patterns."""

    @pytest.mark.parametrize(
        ("text", "term"),
        [
            pytest.param("gōng ān", "公安", id="issue"),
            pytest.param("qǐng lái pài chū suǒ", "派出所", id="paichusuo"),
            pytest.param("jǐngchá", "警察", id="jingcha"),
            pytest.param("GŌNGĀN", "公安", id="capitals"),
            pytest.param("go\u0304ng a\u0304n", "公安", id="combining-macron"),
        ],
    )
    def test_found_as_pinyin(self, text: str, term: str) -> None:
        assert term in {t for t, _, e in found(text) if e == "pinyin"}, found(text)


class TestLeetspeak:
    """Leet spellings of Latin terms, read only inside a token mixing letters and leet signs."""

    @pytest.mark.parametrize(
        ("text", "term", "matched"),
        [
            pytest.param("the p0lice are coming", "police", "p0lice", id="issue-p0lice"),
            pytest.param("you will go to j@il", "jail", "j@il", id="issue-j@il"),
            pytest.param("straight to pr1s0n", "prison", "pr1s0n", id="pr1s0n"),
            pytest.param("$heriff at your door", "sheriff", "$heriff", id="dollar"),
            pytest.param("ARR3STED TODAY", "arrested", "ARR3STED", id="capitals"),
        ],
    )
    def test_found(self, text: str, term: str, matched: str) -> None:
        assert (term, matched, "leet") in found(text)

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("Pay $1,000.50 by 9:30am, ref A1B2C3", id="money-time-ref"),
            pytest.param("Your 2nd reminder: 4G plan B2B invoice #7731", id="ordinals"),
            pytest.param("Email j0hn@example.com or call 800-555-0100", id="email"),
            pytest.param("Balance RMB500, 3 days left, room 4A", id="codes"),
        ],
    )
    def test_ordinary_numbers_pass(self, text: str) -> None:
        assert found(text) == []


class TestEvasionKind:
    """Every finding says how its term was written; the scan JSON carries it."""

    @pytest.mark.parametrize(
        ("text", "evasion"),
        [
            pytest.param("请到派出所", "plain", id="plain"),
            pytest.param("POLICE", "plain", id="case-is-plain"),
            pytest.param("请到派-出-所", "spaced", id="spaced"),
            pytest.param("傳票已發出", "traditional", id="traditional"),
            pytest.param("paichusuo", "pinyin", id="pinyin"),
            pytest.param("p.c.s.", "initials", id="initials"),
        ],
    )
    def test_kind(self, text: str, evasion: str) -> None:
        result = SCANNER.scan(text)
        assert result.findings, text
        assert result.findings[0].evasion.value == evasion
        assert result.to_dict()["matches"][0]["evasion"] == evasion  # type: ignore[index]

    def test_enum_names_the_issue_kinds(self) -> None:
        wanted = {"plain", "spaced", "traditional", "confusable", "pinyin", "homophone"}
        assert wanted | {"initials", "leet"} == {kind.value for kind in Evasion}


class TestUnicodeDataVersion:
    """The Unicode data the folding was built from is part of the version findings record."""

    def test_recorded(self) -> None:
        data = unicode_data_version()
        assert "regex-" in data
        assert "confusable-homoglyphs-" in data
        assert default_folding().data_version == data
        assert SCANNER.unicode_data == data
        wordlist_version = SCANNER.wordlist.version
        assert SCANNER.version.startswith(wordlist_version + "+u")
        assert SCANNER.scan("你好").wordlist_version == SCANNER.version

    def test_other_data_is_another_version(self) -> None:
        bare = Scanner(SCANNER.wordlist, CharacterFolding({}))
        assert bare.version == SCANNER.wordlist.version != SCANNER.version


class TestFoldingStaysCompatible:
    """The public folding names keep their meaning (the replies classifier uses them)."""

    def test_fold_term(self) -> None:
        fold = default_folding().fold_term
        assert fold("退 订") == "退订"
        assert fold("ＴＤ") == "td"
        assert fold("退\u3164订") == "退订"
        assert fold("gōng") == "gong"

    def test_chinese_keeps_its_identity(self) -> None:
        # UTS #39 pairs 〇 with O and 丨 with bars; CJK is deliberately left alone.
        assert default_folding().fold_term("二〇二六年丨") == "二〇二六年丨"
