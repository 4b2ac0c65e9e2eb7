"""Reading a recipient's reply (MO): stop, wrong number, leave me out, or a complaint.

People do not answer with keywords: 别发了, 请停止发送, 不是本人, 我不认识他,
我要去银保监会投诉, Stop texting me. The rules are data (``wordlists/replies.toml``,
parsed by :mod:`.rules`); :mod:`.classifier` folds a reply as the scanner does
and reports each intent with its span in the original text.

A stop must take effect the moment it arrives, and a complaint must put a
person in the loop before anything else goes to that phone; the service layer
(:mod:`smsgate.service.replies`) does both.
"""

from smsgate.core.replies.classifier import Classification, ReplyClassifier, ReplyMatch
from smsgate.core.replies.rules import (
    GAP,
    Intent,
    IntentRule,
    InvalidReplyRules,
    ReplyRules,
    parse_reply_rules,
)

__all__ = [
    "GAP",
    "Classification",
    "Intent",
    "IntentRule",
    "InvalidReplyRules",
    "ReplyClassifier",
    "ReplyMatch",
    "ReplyRules",
    "parse_reply_rules",
]
