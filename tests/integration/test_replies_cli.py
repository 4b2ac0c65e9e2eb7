"""``smsgate replies classify`` as compliance runs it: stdin and stdout.

The classifying cases (``classify_jsonl``) run the command in-process
(``run_command``); the error line, the errors and the human reports run a
real process.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .in_process import run_command

SMSGATE = [sys.executable, "-m", "smsgate.cli", "replies", "classify"]


def run(*args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*SMSGATE, *args], input=stdin, capture_output=True, text=True, check=check, timeout=60
    )


def classify_jsonl(*texts: str, extra: tuple[str, ...] = ()) -> list[dict]:
    stdin = "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts)
    done = run_command("replies", "classify", "--jsonl", *extra, stdin=stdin)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


class TestJsonl:
    """One line per input, in order, with the contract's keys and spans into the original."""

    def test_issue_examples_in_order(self) -> None:
        texts = ["别发了", "请停止发送", "不要再给我发短信了", "Stop texting me", "好的我明天还"]
        results = classify_jsonl(*texts)
        assert [r["intents"] for r in results] == [["stop"]] * 4 + [[]]
        assert results[4] == {"intents": [], "matches": []}

    @pytest.mark.parametrize(
        ("text", "intent", "start", "end"),
        [
            pytest.param("请 停 止 發 送！", "stop", 2, 9, id="spaced-traditional"),
            pytest.param("【acme金融】退订", "stop", 8, 10, id="quoted-signature"),
            pytest.param("这不是他的号码", "wrong_party", 1, 7, id="wrong-party"),
            pytest.param("😡他的事跟我没关系", "third_party_refusal", 1, 9, id="third-party"),
            pytest.param("我去银保监会", "complaint", 2, 6, id="complaint"),
        ],
    )
    def test_match_shape_and_span(self, text: str, intent: str, start: int, end: int) -> None:
        (line,) = classify_jsonl(text)
        assert set(line) == {"intents", "matches"}
        (match,) = line["matches"]
        assert set(match) == {"intent", "start", "end", "matched_text"}
        assert (match["intent"], match["start"], match["end"]) == (intent, start, end)
        assert match["matched_text"] == text[start:end]

    def test_several_intents_in_contract_order(self) -> None:
        (line,) = classify_jsonl("投诉！打错了，退订")
        assert line["intents"] == ["stop", "wrong_party", "complaint"]

    def test_bad_line_yields_an_error_line_in_place(self) -> None:
        done = run("--jsonl", stdin='not json\n{"text": 5}\n{"text": "TD"}\n')
        lines = [json.loads(line) for line in done.stdout.splitlines()]
        assert [line.get("error") for line in lines] == ["invalid_json", "invalid_request", None]
        assert lines[2]["intents"] == ["stop"]


class TestRulesUnderTest:
    """Compliance tries an edited rule file before publishing it."""

    def test_rules_file_is_used(self, tmp_path: Path) -> None:
        rules = tmp_path / "replies.toml"
        rules.write_text('[stop]\nphrases = ["够了"]\n', encoding="utf-8")
        results = classify_jsonl("够了！", "退订", extra=("--rules", str(rules)))
        assert [r["intents"] for r in results] == [["stop"], []]

    def test_wordlists_dir_without_the_file_uses_the_shipped_rules(self, tmp_path: Path) -> None:
        (line,) = classify_jsonl("别发了", extra=("--wordlists", str(tmp_path)))
        assert line["intents"] == ["stop"]

    def test_malformed_rules_are_a_clear_error(self, tmp_path: Path) -> None:
        rules = tmp_path / "replies.toml"
        rules.write_text('[stop]\nphrasse = ["x"]\n', encoding="utf-8")
        done = run("x", "--rules", str(rules), check=False)
        assert done.returncode == 2
        assert "cannot load rules" in done.stderr
        assert "phrasse" in done.stderr

    def test_text_and_jsonl_together_is_a_usage_error(self) -> None:
        done = run("x", "--jsonl", stdin="", check=False)
        assert done.returncode == 2


class TestHumanReport:
    """``smsgate replies classify TEXT`` prints a readable report."""

    def test_report_marks_the_match(self) -> None:
        out = run("【acme金融】请 停 止 發 送！").stdout
        assert out.startswith("intents: stop")
        assert "⟦停 止 發 送⟧" in out
        assert "acme金融" in out

    def test_ordinary_reply(self) -> None:
        assert run("能分期吗").stdout.startswith("intents: none")


class TestLazyImport:
    """Loading the command module pulls in neither the classifier nor the web stack."""

    def test_module_import_is_light(self) -> None:
        code = (
            "import sys, smsgate.commands.replies as r; "
            "print(sorted(m for m in ('ahocorasick_rs', 'aiohttp', 'smsgate.core.replies', "
            "'smsgate.wordlists') if m in sys.modules))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        )
        assert done.stdout.strip() == "[]"
