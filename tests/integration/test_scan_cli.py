"""``smsgate scan``: stdin and stdout (the DESIGN.md contract).

The scanning cases run the command in-process (``run_command``); the error
line, the human report and the missing-wordlists error run a real process,
as a user does.
"""

import json
import subprocess
import sys

import pytest

from .in_process import run_command

SMSGATE = [sys.executable, "-m", "smsgate.cli"]


def scan_jsonl(*texts: str, extra: list[str] | None = None) -> list[dict]:
    stdin = "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts)
    done = run_command("scan", "--jsonl", *(extra or []), stdin=stdin)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


class TestJsonl:
    """One result line per input line, in order, spans into the original text."""

    @pytest.mark.parametrize(
        ("text", "start", "end", "evasion"),
        [
            pytest.param("请到派出所说明情况", 2, 5, "plain", id="plain"),
            pytest.param("请到派 出 所说明情况", 2, 7, "spaced", id="spaces"),
            pytest.param("请到派*出*所说明情况", 2, 7, "spaced", id="asterisks"),
            pytest.param("请到派\u3000出\u3000所说明情况", 2, 7, "spaced", id="full-width-space"),
            pytest.param("請到派出所說明情況", 2, 5, "plain", id="traditional-around"),
            pytest.param("请到派\u3164出所说明情况", 2, 6, "spaced", id="hangul-filler"),
            pytest.param("请到paichusuo说明", 2, 11, "pinyin", id="pinyin"),
        ],
    )
    def test_acceptance_examples(self, text: str, start: int, end: int, evasion: str) -> None:
        (line,) = scan_jsonl(text)
        assert line["verdict"] == "block"
        match = next(m for m in line["matches"] if m["term"] == "派出所")
        assert (match["start"], match["end"]) == (start, end)
        assert match["matched_text"] == text[start:end]
        # The contract's fields, plus the #15 addition saying how the term was written.
        contract = {"term", "category", "severity", "start", "end", "matched_text"}
        assert set(match) == contract | {"evasion"}
        assert match["evasion"] == evasion

    def test_harmless_phrase_passes_and_order_is_kept(self) -> None:
        results = scan_jsonl("办公安全培训", "请到派出所", "您好")
        assert [r["verdict"] for r in results] == ["pass", "block", "pass"]
        assert results[0]["matches"] == []

    def test_an_allowed_phrase_hides_no_threat_beside_it(self) -> None:
        # #13 item 8: 上门服务 is harmless, 就上门服务 / 派人上门回收欠款 are not.
        texts = ["本店提供免费上门服务", "不还钱就上门服务", "明天派 人上门回收欠款"]
        results = scan_jsonl(*texts)
        assert [r["verdict"] for r in results] == ["pass", "review", "review"]
        spans = [[(m["term"], m["start"], m["end"]) for m in r["matches"]] for r in results]
        assert spans[1:] == [[("上门", 4, 6)], [("上门", 5, 7)]]

    def test_bad_line_yields_an_error_line_in_place(self) -> None:
        done = subprocess.run(
            [*SMSGATE, "scan", "--jsonl"],
            input='not json\n{"text": 5}\n{"text": "公安"}\n',
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        lines = [json.loads(line) for line in done.stdout.splitlines()]
        assert [line.get("error") for line in lines] == ["invalid_json", "invalid_request", None]
        assert lines[2]["verdict"] == "block"


class TestPrecision:
    """#15: homophones, ordinary words and the creditor's own name, through the CLI."""

    def test_homophone_and_ordinary_words(self) -> None:
        homophone, straddle, place = scan_jsonl(
            "请到派出锁说明", "建立案卷后通知您", "公安县营业部"
        )
        assert homophone["verdict"] == "review"
        assert [(m["term"], m["evasion"]) for m in homophone["matches"]] == [
            ("派出所", "homophone")
        ]
        assert (straddle["verdict"], place["verdict"]) == ("pass", "pass")

    def test_own_name(self) -> None:
        text = "Police and Fire FCU: payment overdue"
        (alone,) = scan_jsonl(text)
        (own,) = scan_jsonl(text, extra=["--own-name", "Police and Fire FCU"])
        assert (alone["verdict"], own["verdict"]) == ("block", "pass")


class TestHumanReport:
    """``smsgate scan TEXT`` prints a readable report."""

    def test_report_marks_the_finding(self) -> None:
        done = subprocess.run(
            [*SMSGATE, "scan", "请到派 出 所"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert done.stdout.startswith("verdict: block")
        assert "⟦派 出 所⟧" in done.stdout
        assert "written spaced" in done.stdout

    def test_missing_wordlists_is_a_clear_error(self, tmp_path) -> None:
        done = subprocess.run(
            [*SMSGATE, "scan", "x", "--wordlists", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert "cannot load wordlists" in done.stderr
