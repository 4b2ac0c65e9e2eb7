"""The shipped reply rules: every intent in both languages, noisy spellings, and no false alarms."""

from __future__ import annotations

import pytest

from smsgate.core.replies import Intent
from smsgate.wordlists import reply_classifier

SHIPPED = reply_classifier()
STOP, WRONG, THIRD, COMPLAINT = (
    Intent.STOP, Intent.WRONG_PARTY, Intent.THIRD_PARTY_REFUSAL, Intent.COMPLAINT,
)  # fmt: skip


def case(text: str, *intents: Intent, id: str) -> object:
    return pytest.param(text, set(intents), id=id)


class TestStop:
    """Every way of saying stop stops; a stop by the branch does not."""

    @pytest.mark.parametrize(
        ("text", "intents"),
        [
            case("别发了", STOP, id="bie-fa-le"),
            case("请停止发送", STOP, id="stop-sending"),
            case("不要再给我发短信了", STOP, id="dont-send-me-again"),
            case("别再给我发了", STOP, id="gap-pattern"),
            case("退订", STOP, id="tuiding"),
            case("退 訂！", STOP, id="traditional-spaced"),
            case("別給我發了", STOP, id="traditional-pattern"),
            case("ｔｄ", STOP, id="full-width-td"),
            case("TD👍", STOP, id="emoji"),
            case("推订", STOP, id="voice-typo"),
            case("T", STOP, id="bare-t"),
            case("【acme金融】退订", STOP, id="quoted-signature"),
            case("【acme金融】T", STOP, id="signature-and-short-code"),
            case("Stop texting me", STOP, id="en-stop-texting"),
            case("ＳＴＯＰ", STOP, id="en-full-width"),
            case("Please stop sending me these", STOP, id="en-stop-sending"),
            case("Unsubscribe me please", STOP, id="en-unsubscribe"),
            case("我不是不还，别再发了", STOP, id="negation-elsewhere-still-stops"),
        ],
    )
    def test_positive(self, text: str, intents: set[Intent]) -> None:
        assert SHIPPED.intents(text) == intents

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("好的我明天还", id="will-pay"),
            pytest.param("已还款", id="paid"),
            pytest.param("能分期吗", id="instalments"),
            pytest.param("停车费", id="parking-fee"),
            pytest.param("我不是不还", id="bushi-buhuan"),
            pytest.param("不是不要发，晚点发", id="negated-dont-send"),
            pytest.param("别着急，发工资就还", id="clause-break"),
            pytest.param("别担心发工资了就还", id="unless-payday"),
            pytest.param("别忘了发账号给我", id="send-me-the-account"),
            pytest.param("I'll stop by the branch", id="en-stop-by"),
            pytest.param("Please don't stop sending reminders", id="en-dont-stop"),
            pytest.param("NO, I will pay tomorrow", id="n-inside-words"),
            pytest.param("Tomorrow", id="t-inside-word"),
            pytest.param("【退订宝】您好我明天还", id="stop-word-inside-signature"),
            pytest.param("  ，。 ", id="only-punctuation"),
        ],
    )
    def test_negative_and_near_miss(self, text: str) -> None:
        assert STOP not in SHIPPED.intents(text)


class TestWrongParty:
    """A wrong number is read as one; "not that I won't pay" is not."""

    @pytest.mark.parametrize(
        ("text", "intents"),
        [
            case("不是本人", WRONG, id="not-me"),
            case("打错了", WRONG, id="wrong-dial"),
            case("这不是他的号码", WRONG, id="not-his-number"),
            case("這不是他的號碼", WRONG, id="traditional"),
            case("不是 本 任", WRONG, id="typo-spaced"),
            case("wrong number", WRONG, id="en-wrong-number"),
            case("Sorry, this is not his number", WRONG, id="en-not-his-number"),
        ],
    )
    def test_positive(self, text: str, intents: set[Intent]) -> None:
        assert SHIPPED.intents(text) == intents

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("不是我不还，是没钱", id="not-that-i-wont-pay"),
            pytest.param("我是本人，明天还", id="it-is-me"),
            pytest.param("号码没错，我下周还", id="number-right"),
            pytest.param("I cannot give you my number", id="en-number-far"),
            pytest.param("The number is right, I will pay", id="en-near-miss"),
        ],
    )
    def test_negative_and_near_miss(self, text: str) -> None:
        assert WRONG not in SHIPPED.intents(text)


class TestThirdPartyRefusal:
    """A third party refusing to help is heard; a debtor talking about a friend is not."""

    @pytest.mark.parametrize(
        ("text", "intents"),
        [
            case("我不认识他", THIRD, id="dont-know-him"),
            case("别再找我了", THIRD, id="stop-looking-for-me"),
            case("別再找我了😡", THIRD, id="traditional-emoji"),
            case("他的事跟我没关系", THIRD, id="none-of-my-business"),
            case("他的事跟我一点都没关系", THIRD, id="gap-pattern"),
            case("I don't know him", THIRD, id="en-dont-know-him"),
            case("don't contact me about him", STOP, THIRD, id="en-about-him"),
        ],
    )
    def test_positive(self, text: str, intents: set[Intent]) -> None:
        assert SHIPPED.intents(text) == intents

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("我认识他，会转告", id="knows-him"),
            pytest.param("有关系的话请说明", id="relation-question"),
            pytest.param("我找了他，他说明天还", id="looked-for-him"),
            pytest.param("I know him, I will tell him", id="en-knows-him"),
        ],
    )
    def test_negative_and_near_miss(self, text: str) -> None:
        assert THIRD not in SHIPPED.intents(text)


class TestComplaint:
    """Regulators, hotlines, police and lawyers bring a human; a promise not to does not."""

    @pytest.mark.parametrize(
        ("text", "intents"),
        [
            case("投诉", COMPLAINT, id="complain"),
            case("我要打12321", COMPLAINT, id="hotline-12321"),
            case("别发了，再发我就打12378", STOP, COMPLAINT, id="hotline-and-stop"),
            case("我去银保监会告你们", COMPLAINT, id="regulator"),
            case("銀保監會", COMPLAINT, id="traditional"),
            case("报警", COMPLAINT, id="police"),
            case("我会找律师", COMPLAINT, id="lawyer"),
            case("我要投素你们", COMPLAINT, id="voice-typo"),
            case("骚扰！退订", STOP, COMPLAINT, id="both"),
            case("I will report you to the CFPB", COMPLAINT, id="en-cfpb"),
            case("This is harassment", COMPLAINT, id="en-harassment"),
        ],
    )
    def test_positive(self, text: str, intents: set[Intent]) -> None:
        assert SHIPPED.intents(text) == intents

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("我不会投诉的，下周还", id="wont-complain"),
            pytest.param("我明天还1100元", id="amount"),
            pytest.param("好的", id="ok"),
            pytest.param("I'm not complaining, I'll pay Friday", id="en-not-complaining"),
        ],
    )
    def test_negative_and_near_miss(self, text: str) -> None:
        assert COMPLAINT not in SHIPPED.intents(text)


class TestSpans:
    """Matches are code-point offsets into the original reply, and the order is the contract's."""

    @pytest.mark.parametrize(
        ("text", "start", "end"),
        [
            pytest.param("请停止发送", 1, 5, id="plain"),
            pytest.param("请 停 止 發 送！", 2, 9, id="spaced-traditional"),
            pytest.param("【acme金融】退订", 8, 10, id="after-signature"),
            pytest.param("😡😡别发了", 2, 5, id="after-emoji"),
        ],
    )
    def test_span_in_original(self, text: str, start: int, end: int) -> None:
        (match,) = SHIPPED.classify(text).matches
        assert (match.start, match.end) == (start, end)
        assert match.matched_text == text[start:end]

    def test_intents_in_contract_order_and_signature_kept(self) -> None:
        result = SHIPPED.classify("【acme金融】投诉！打错了，退订")
        assert result.intents == (STOP, WRONG, COMPLAINT)
        assert result.signatures == ("acme金融",)
        assert [m.start for m in result.matches] == sorted(m.start for m in result.matches)
