"""The allow-list suppresses only the exact harmless reading of a phrase (#13 item 8).

上门服务 is allow-listed because it is harmless on its own; 就上门服务 ("then we
come to your door") and 派人上门回收欠款 are threats that hold the same phrase.
"""

import pytest

from smsgate.core.scanner import Verdict
from smsgate.core.scanner.scanner import Scanner
from smsgate.core.scanner.wordlist import AllowedPhrase, WordlistError, parse_allowed
from smsgate.wordlists import default_folding, load_wordlist

from .conftest import FIXTURE_WORDLIST


def terms(scanner: Scanner, text: str) -> list[tuple[str, int, int]]:
    return [(f.term, f.start, f.end) for f in scanner.scan(text).findings]


class TestThreatBesideAnAllowedPhrase:
    """A threat cue or a finding next to an allowed phrase makes the term inside count."""

    @pytest.mark.parametrize(
        ("text", "span"),
        [
            pytest.param("再不还款，我们就上门服务", (8, 10), id="issue-就上门服务"),
            pytest.param("明天派人上门回收欠款", (4, 6), id="issue-派人上门回收欠款"),
            pytest.param("下周安排人上门维修你家门锁", (5, 7), id="安排人-before"),
            pytest.param("今晚直接 上门·安装", (5, 7), id="直接-across-separators"),
            pytest.param("我司将上门回收款项", (3, 5), id="款项-after"),
            pytest.param("逾期就要上门服务了", (4, 6), id="就要-before"),
            pytest.param("你等着上门维修吧", (3, 5), id="another-finding-touches"),
        ],
    )
    def test_held_for_review(self, shipped_scanner: Scanner, text: str, span: tuple) -> None:
        result = shipped_scanner.scan(text)
        assert result.verdict is Verdict.REVIEW, result.findings
        assert ("上门", *span) in terms(shipped_scanner, text)
        assert shipped_scanner.scan_folded(default_folding().fold(text)) == result

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("本店提供免费上门服务，欢迎预约", id="plain-phrase"),
            pytest.param("旧家电上门回收，电话预约", id="回收-without-a-debt"),
            pytest.param("快递员明天上门取件，请保持电话畅通", id="cue-not-adjacent"),
            pytest.param("如需要上门服务请致电客服", id="需要-is-no-cue"),
            pytest.param("师傅会上门安装，请留意来电", id="会-is-no-cue"),
            pytest.param("上门回收旧手机，欠款请在APP还清", id="debt-word-not-adjacent"),
            pytest.param("可预约上门回收。欠款请在APP还清", id="a-clause-break-parts-the-cue"),
        ],
    )
    def test_harmless_readings_pass(self, shipped_scanner: Scanner, text: str) -> None:
        result = shipped_scanner.scan(text)
        assert result.verdict is Verdict.PASS, result.findings


class TestTouchingFindings:
    """On the fixture list: a finding overlapping or touching an allowed phrase frees its term."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("公安办公安全", [("公安", 0, 2), ("公安", 3, 5)], id="term-before"),
            pytest.param("成立案例库起诉", [("立案", 1, 3), ("起诉", 5, 7)], id="term-after"),
            pytest.param("起诉 成立案例库", [("起诉", 0, 2), ("立案", 4, 6)], id="across-a-space"),
        ],
    )
    def test_term_inside_counts(self, scanner: Scanner, text: str, expected: list) -> None:
        assert terms(scanner, text) == expected

    def test_a_term_further_away_leaves_the_phrase_harmless(self, scanner: Scanner) -> None:
        assert terms(scanner, "起诉，另外我们成立案例库") == [("起诉", 0, 2)]

    def test_cues_come_from_the_allow_file(self, tmp_path) -> None:
        words = tmp_path / "words"
        words.mkdir()
        for path in FIXTURE_WORDLIST.rglob("*"):
            target = words / path.relative_to(FIXTURE_WORDLIST)
            if path.is_dir():
                target.mkdir(exist_ok=True)
            else:
                target.write_bytes(path.read_bytes())
        (words / "allow.txt").write_text("办公安全  not-after=找 not-before=局\n", "utf-8")
        cued = Scanner(load_wordlist(words), default_folding())
        assert terms(cued, "请参加办公安全培训") == []
        assert terms(cued, "请找办公安全培训") == [("公安", 3, 5)]
        assert terms(cued, "请参加办公安全局") == [("公安", 4, 6)]


class TestParse:
    """Allow files: a phrase a line, optionally with its threat cues."""

    def test_phrases_and_cues(self) -> None:
        text = "# head\n上门服务  not-after=就,派人 not-before=欠款\n办公安全 # 公安\n"
        assert parse_allowed(text) == (
            AllowedPhrase("上门服务", ("就", "派人"), ("欠款",)),
            AllowedPhrase("办公安全"),
        )

    def test_a_phrase_listed_twice_has_every_cue(self) -> None:
        text = "上门回收 not-after=派人\n上门回收 not-before=欠款\n上门回收 not-after=就,派人\n"
        assert parse_allowed(text) == (AllowedPhrase("上门回收", ("派人", "就"), ("欠款",)),)

    def test_phrases_may_hold_spaces(self) -> None:
        assert parse_allowed("police academy not-before=raid\n") == (
            AllowedPhrase("police academy", (), ("raid",)),
        )

    @pytest.mark.parametrize(
        "line",
        [
            pytest.param("not-after=就", id="cues-without-a-phrase"),
            pytest.param("上门服务 not-after=就 extra", id="text-after-cues"),
            pytest.param("上门服务 not-around=就", id="unknown-key"),
        ],
    )
    def test_errors_name_the_line(self, line: str) -> None:
        with pytest.raises(WordlistError, match=r"allow\.txt:2"):
            parse_allowed("办公安全\n" + line)
