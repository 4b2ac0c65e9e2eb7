"""Reply classification throughput: replies per second in process, on a realistic mix.

A DLR/MO push must never wait on the classifier, so the bar is 5,000 replies
per second on one core. The corpus mixes what recipients send: mostly
ordinary answers (promises, questions, amounts, greetings), then stops,
wrong numbers, third-party refusals and complaints, in both languages and in
the noisy spellings the folding handles (spaces, full width, traditional
script, emoji, a quoted 【签名】, voice-input typos). Every round classifies
fresh string objects (CPython caches a string's UTF-8 form); the median of
the rounds counts, and the spread is printed beside it.
Ends with ``replies per second: N``.
"""

from __future__ import annotations

import random
import statistics
import sys
import time

from smsgate.wordlists import reply_classifier

REPLIES = 20_000
ROUNDS = 5
BAR = 5_000

ORDINARY = [
    "好的我明天还",
    "已还款",
    "能分期吗",
    "停车费是多少",
    "收到",
    "好的",
    "我下周一还1200元",
    "请问还款账号是多少",
    "工资发了就还",
    "别着急，发工资就还",
    "我不是不还，是没钱",
    "谢谢提醒",
    "能不能减免利息",
    "I'll stop by the branch",
    "OK, paying Friday",
    "What is the balance?",
    "Please don't stop sending reminders",
    "Tomorrow",
    "NO, I will pay tomorrow",
    "嗯嗯",
    "我已经转账了，请查收",
    "明天上午九点前还清",
    "可以延期几天吗",
    "👍",
    "在吗？",
]
STOPS = [
    "退订",
    "别发了",
    "请停止发送",
    "不要再给我发短信了",
    "Stop texting me",
    "TD",
    "T",
    "推订",
    "退 訂！",
    "ＳＴＯＰ",
    "【acme金融】退订",
    "别再给我发了😡",
    "unsubscribe",
    "N",
]
WRONG = ["不是本人", "打错了", "这不是他的号码", "wrong number", "這不是他的號碼", "号码错了"]
THIRD = ["我不认识他", "别再找我了", "他的事跟我没关系", "I don't know him", "与我无关"]
COMPLAINTS = ["投诉", "我要打12321", "我去银保监会告你们", "报警", "I will report you to the CFPB"]

MIX = [(ORDINARY, 70), (STOPS, 15), (WRONG, 5), (THIRD, 5), (COMPLAINTS, 5)]


def corpus(count: int, seed: int = 14) -> list[str]:
    """``count`` replies drawn from the mix, some with a signature, name or amount around them."""
    rng = random.Random(seed)
    pools = [pool for pool, weight in MIX for _ in range(weight)]
    texts = []
    for _ in range(count):
        text = rng.choice(rng.choice(pools))
        roll = rng.random()
        if roll < 0.1:
            text = f"【安信消费金融】{text}"
        elif roll < 0.2:
            text = f"{text} 张先生 {rng.randint(100, 99999)}元"
        elif roll < 0.25:
            text = " ".join(text)
        texts.append(text)
    return texts


def main() -> None:
    classifier = reply_classifier()
    texts = corpus(REPLIES)
    rates = []
    for _ in range(ROUNDS):
        batch = ["".join(list(text)) for text in texts]
        started = time.perf_counter()
        for text in batch:
            classifier.classify(text)
        rates.append(len(batch) / (time.perf_counter() - started))
    flagged = sum(bool(classifier.classify(t).intents) for t in texts)
    median = statistics.median(rates)
    print(
        f"{len(texts)} replies ({flagged} with an intent), median of {ROUNDS} rounds, "
        f"spread {min(rates):,.0f}-{max(rates):,.0f}/s"
    )
    print(f"replies per second: {median:.0f}")
    if median < BAR:
        print(f"below the bar of {BAR:,} replies per second", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
