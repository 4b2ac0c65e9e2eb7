"""The reply rule file: its keys, typos, gap patterns, the legacy format, and strict refusals."""

from __future__ import annotations

import pytest

from smsgate.core.replies import Intent, InvalidReplyRules, ReplyClassifier, parse_reply_rules
from smsgate.wordlists import default_folding

FOLDING = default_folding()
FOLD = FOLDING.fold_term


def classifier(text: str) -> ReplyClassifier:
    return ReplyClassifier(parse_reply_rules(text, FOLD), FOLDING)


class TestRuleFile:
    """Each key does what the file's header says."""

    def test_exact_needs_the_whole_reply(self) -> None:
        rules = classifier('[stop]\nexact = ["N"]\n')
        assert rules.intents("n") == {Intent.STOP}
        assert rules.intents("No") == frozenset()

    def test_legacy_opt_out_and_contains_still_read(self) -> None:
        rules = classifier('[opt_out]\ncontains = ["退订"]\nexact = ["TD"]\n')
        assert rules.intents("请退订") == {Intent.STOP}
        assert rules.intents("td") == {Intent.STOP}

    def test_typo_expands_every_word_holding_the_spelling(self) -> None:
        rules = classifier('[typos]\n"推订" = "退订"\n[stop]\nphrases = ["我要退订"]\n')
        assert rules.intents("我要推订") == {Intent.STOP}
        assert rules.intents("推订") == frozenset()

    def test_pattern_gap_is_bounded_by_the_setting(self) -> None:
        text = '[settings]\ngap = 2\n[stop]\npatterns = ["别…发"]\n'
        rules = classifier(text)
        assert rules.intents("别给我发") == {Intent.STOP}
        assert rules.intents("别再给我发") == frozenset()

    def test_unless_drops_only_overlapping_matches(self) -> None:
        rules = classifier('[stop]\nphrases = ["不要发"]\nunless = ["不是不要"]\n')
        assert rules.intents("不是不要发") == frozenset()
        assert rules.intents("不是不要发，不要发了") == {Intent.STOP}

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            pytest.param('[stop]\nphrasse = ["x"]\n', "unknown key", id="misspelt-key"),
            pytest.param('[halt]\nexact = ["x"]\n', "unknown intent", id="unknown-intent"),
            pytest.param('[stop]\nexact = "TD"\n', "array of strings", id="not-a-list"),
            pytest.param('[stop]\nexact = ["！"]\n', "fold to nothing", id="empty-after-fold"),
            pytest.param('[stop]\npatterns = ["别发"]\n', "both sides", id="pattern-no-gap"),
            pytest.param('[stop]\npatterns = ["…发"]\n', "both sides", id="pattern-open"),
            pytest.param('[settings]\ngap = "4"\n', "integer", id="gap-not-int"),
            pytest.param("[settings]\ngapp = 4\n", "unknown key", id="settings-key"),
            pytest.param('[typos]\n"推订" = 3\n', "typos", id="typo-not-string"),
            pytest.param("stop = 3\n", "must be a table", id="not-a-table"),
            pytest.param("[stop\n", "not valid TOML", id="bad-toml"),
        ],
    )
    def test_refused(self, text: str, message: str) -> None:
        with pytest.raises(InvalidReplyRules, match=message):
            parse_reply_rules(text, FOLD)
