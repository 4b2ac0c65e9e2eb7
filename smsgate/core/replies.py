"""Reading a recipient's reply (MO): does it ask to stop, or is it a complaint?

Chinese carriers and the MIIT rules make 退订/TD the universal "stop"; people
also answer "T", "N", "STOP", "不要再发了" or "退訂" in traditional script.
A stop must take effect the moment it arrives, and a complaint (投诉, 骚扰,
报警, 12378 — the banking regulator's hotline) must put a person in the loop
before anything else goes to that phone.

Rules are data (``ReplyKeywords``, loaded from ``wordlists/replies.toml``):

- ``exact`` keywords match when they are the *whole* reply once folded, so
  the short codes ``T`` and ``N`` never fire inside ordinary words
  ("NO, I will pay tomorrow" is not a stop);
- ``contains`` keywords match anywhere in the folded reply.

Folding is the scanner's (width, case, traditional script, separators), so
``退 訂！`` and ``ｔｄ`` match like ``退订`` and ``TD``. Both intents can
hold at once ("骚扰！退订" is a stop and a complaint).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Fold = Callable[[str], str]


class Intent(StrEnum):
    """What a reply asks for."""

    OPT_OUT = "opt_out"
    COMPLAINT = "complaint"


class InvalidReplyRules(ValueError):
    """The reply keyword file is malformed; the message names the key."""


@dataclass(frozen=True, slots=True)
class KeywordRule:
    """When a reply carries one intent: it equals an ``exact`` keyword or holds a ``contains`` one.

    Keywords are stored folded, as replies are compared folded.
    """

    exact: frozenset[str] = frozenset()
    contains: tuple[str, ...] = ()

    def matches(self, folded_reply: str) -> bool:
        """Whether the folded reply carries this intent."""
        if folded_reply in self.exact:
            return True
        return any(keyword in folded_reply for keyword in self.contains)


@dataclass(frozen=True, slots=True)
class ReplyKeywords:
    """The keyword rule of each intent, and the folding replies and keywords share."""

    rules: Mapping[Intent, KeywordRule]
    fold: Fold

    def intents(self, reply: str) -> frozenset[Intent]:
        """Every intent the reply carries (empty for an ordinary answer)."""
        folded = self.fold(reply)
        if not folded:
            return frozenset()
        return frozenset(intent for intent, rule in self.rules.items() if rule.matches(folded))


def parse_reply_keywords(text: str, fold: Fold) -> ReplyKeywords:
    """The rules of a ``replies.toml`` document; raises ``InvalidReplyRules``.

    Each intent is a table (``[opt_out]``, ``[complaint]``) with optional
    ``exact`` and ``contains`` string arrays; unknown tables or keys are
    errors, since a misspelt ``contians`` would silently drop every stop word.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidReplyRules(f"not valid TOML: {error}") from None
    unknown = sorted(set(document) - {intent.value for intent in Intent})
    if unknown:
        raise InvalidReplyRules(f"unknown intent(s) {', '.join(unknown)}")
    rules = {
        Intent(name): _rule(name, table, fold) for name, table in document.items()
    }  # fmt: skip
    return ReplyKeywords(rules, fold)


def _rule(name: str, table: Any, fold: Fold) -> KeywordRule:
    if not isinstance(table, dict):
        raise InvalidReplyRules(f"[{name}] must be a table")
    unknown = sorted(set(table) - {"exact", "contains"})
    if unknown:
        raise InvalidReplyRules(f"[{name}] has unknown key(s) {', '.join(unknown)}")
    exact = _folded(name, "exact", table.get("exact", []), fold)
    contains = _folded(name, "contains", table.get("contains", []), fold)
    return KeywordRule(frozenset(exact), tuple(dict.fromkeys(contains)))


def _folded(name: str, key: str, words: Any, fold: Fold) -> list[str]:
    if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
        raise InvalidReplyRules(f"[{name}].{key} must be an array of strings")
    folded = [fold(word) for word in words]
    empty = [word for word, result in zip(words, folded, strict=True) if not result]
    if empty:
        raise InvalidReplyRules(f"[{name}].{key} has keywords that fold to nothing: {empty!r}")
    return folded


def intents_of(replies: Iterable[str], keywords: ReplyKeywords) -> list[frozenset[Intent]]:
    """The intents of several replies, in order (a convenience for batch callbacks)."""
    return [keywords.intents(reply) for reply in replies]
