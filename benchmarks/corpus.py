"""Realistic collection SMS for benchmarks: deterministic, ~70 characters each.

Most messages are compliant reminders; some carry spaces, ASCII punctuation or
capitals, and about one in a hundred is a violation with an evasive spelling
(templates are approved, so only variables can smuggle terms in; 1% is a
pessimistic rate for a gateway's traffic).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

NAMES = ["张三", "李四", "王五", "赵敏", "陈晨", "刘洋", "周杰", "吴昊", "郑爽", "孙丽"]
PRODUCTS = ["信用卡", "消费贷", "分期乐", "现金贷", "车贷", "装修贷"]
CLEAN = [
    "{n}您好，您的{p}账单{a}元已逾期{d}天，请于今日内通过官方APP还款，如有疑问请致电客服热线4008001234，感谢配合。",
    "尊敬的{n}，您在本平台的借款{a}元将于{m}月{day}日到期，请确保绑定的还款账户余额充足，以免产生逾期费用，感谢您的配合。",
    "{n}先生/女士，您的{p}分期第{d}期应还{a}元，请及时处理以免影响个人信用记录，如已还款请忽略本短信，详询95555。",
    "{n}您好，您名下{p}欠款{a}元仍未结清，请尽快联系我们协商还款方案，客服热线021-12345678，工作日均可受理。",
    "温馨提示：{n}您的{p}还款日为{m}月{day}日，应还金额{a}元，可通过微信、支付宝或银行转账还款，如有疑问请联系客服。",
]
SPACED = [
    "{n} 您好: 您的{p}账单 {a} 元已逾期 {d} 天. 请于 {m}/{day} 前还款, 详询 400-800-1234 (工作日 9:00-18:00).",
    "Hi {n}，您的{p} (No.{d}) 应还 RMB {a}，请登录 APP 或拨打 95555 处理，谢谢！",
]
VIOLATING = [
    "{n}，你已涉嫌恶意透支，再不还款我们将移交公 安机关处理，传*票近日送达。",
    "{n}你个老赖，欠{a}元不还，小心我们爆你通讯录，通知你单位领导和家人。",
    "【派出所】{n}您好，您的{p}欠款已立案，请于{m}月{day}日前到gongan局说明情况。",
]


def messages(count: int, seed: int = 7) -> list[str]:
    """``count`` messages: about 84% clean, 15% spaced/Latin, 1% violating."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        roll = rng.random()
        pool = CLEAN if roll < 0.84 else SPACED if roll < 0.99 else VIOLATING
        template = rng.choice(pool)
        out.append(
            template.format(
                n=rng.choice(NAMES),
                p=rng.choice(PRODUCTS),
                a=f"{rng.randint(100, 99999)}.{rng.randint(0, 99):02d}",
                d=rng.randint(1, 120),
                m=rng.randint(1, 12),
                day=rng.randint(1, 28),
            )
        )
    return out


def synthetic_terms(count: int, seed: int = 11) -> list[str]:
    """``count`` distinct 2–4 character Chinese terms drawn from common characters."""
    rng = random.Random(seed)
    common = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    terms: set[str] = set()
    while len(terms) < count:
        terms.add("".join(rng.choice(common) for _ in range(rng.randint(2, 4))))
    return sorted(terms)


def occurring_terms(
    texts: list[str], count: int, avoid: Sequence[str] = (), seed: int = 13
) -> list[str]:
    """``count`` distinct 2–4 character Chinese substrings of ``texts`` that occur in
    none of ``avoid``: terms that match those texts only.

    The 20k-term case mixes these in (1% of its terms), so the full scan does
    its careful work (spans, de-duplication) on real findings rather than
    only rejecting clean text.
    """
    rng = random.Random(seed)
    elsewhere = "\n".join(avoid)
    terms: set[str] = set()
    for _ in range(200 * count):  # bounded: few texts may hold fewer such pieces
        if len(terms) >= count:
            break
        text = rng.choice(texts)
        length = rng.randint(2, 4)
        start = rng.randrange(max(1, len(text) - length))
        piece = text[start : start + length]
        chinese = all("\u4e00" <= char <= "\u9fff" for char in piece)
        if len(piece) == length and chinese and piece not in elsewhere:
            terms.add(piece)
    return sorted(terms)
