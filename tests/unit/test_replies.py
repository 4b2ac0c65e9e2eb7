"""Reply keywords: whole-reply codes, anywhere-phrases, folding, and a strict rule file."""

from __future__ import annotations

import pytest

from smsgate.core.replies import Intent, InvalidReplyRules, parse_reply_keywords
from smsgate.wordlists import default_folding, reply_keywords

FOLD = default_folding().fold_term
SHIPPED = reply_keywords()


class TestShippedKeywords:
    """The shipped rules stop on the usual words and stay quiet on ordinary answers."""

    @pytest.mark.parametrize(
        ("text", "intents"),
        [
            pytest.param("退订", {Intent.OPT_OUT}, id="tuiding"),
            pytest.param("退 訂！", {Intent.OPT_OUT}, id="traditional-spaced"),
            pytest.param("ｔｄ", {Intent.OPT_OUT}, id="full-width-td"),
            pytest.param("T", {Intent.OPT_OUT}, id="bare-t"),
            pytest.param("Unsubscribe me please", {Intent.OPT_OUT}, id="english-phrase"),
            pytest.param("骚扰！退订", {Intent.OPT_OUT, Intent.COMPLAINT}, id="both"),
            pytest.param("我要打12378投诉", {Intent.COMPLAINT}, id="hotline"),
            pytest.param("NO, I will pay tomorrow", set(), id="n-inside-words"),
            pytest.param("Tomorrow", set(), id="t-inside-word"),
            pytest.param("我明天还1100元", set(), id="amount"),
            pytest.param("好的", set(), id="ok"),
            pytest.param("  ，。 ", set(), id="only-punctuation"),
        ],
    )
    def test_intents(self, text: str, intents: set[Intent]) -> None:
        assert SHIPPED.intents(text) == intents


class TestRuleFile:
    """A malformed rule file is refused with the key named, never half-read."""

    def test_exact_needs_the_whole_reply(self) -> None:
        rules = parse_reply_keywords('[opt_out]\nexact = ["N"]\n', FOLD)
        assert rules.intents("n") == {Intent.OPT_OUT}
        assert rules.intents("No") == frozenset()

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            pytest.param('[opt_out]\ncontians = ["x"]\n', "unknown key", id="misspelt-key"),
            pytest.param('[stop]\nexact = ["x"]\n', "unknown intent", id="unknown-intent"),
            pytest.param('[opt_out]\nexact = "TD"\n', "array of strings", id="not-a-list"),
            pytest.param('[opt_out]\nexact = ["！"]\n', "fold to nothing", id="empty-after-fold"),
            pytest.param("opt_out = 3\n", "must be a table", id="not-a-table"),
            pytest.param("[opt_out\n", "not valid TOML", id="bad-toml"),
        ],
    )
    def test_refused(self, text: str, message: str) -> None:
        with pytest.raises(InvalidReplyRules, match=message):
            parse_reply_keywords(text, FOLD)
