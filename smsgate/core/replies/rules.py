"""The reply rule file (``wordlists/replies.toml``): what each intent's words are, as data.

Compliance staff extend the phrases without code, so the format is small and
strict. One table per intent (``[stop]``, ``[wrong_party]``,
``[third_party_refusal]``, ``[complaint]``), each with optional string arrays:

- ``exact``: the whole reply, once folded and without a quoted 【签名】, must
  be this (short codes ``T``, ``N``, ``TD`` never fire inside words);
- ``phrases``: may appear anywhere (``别发了``, ``stop texting``);
- ``patterns``: phrases with gaps, written with ``…`` (``别…发``): the parts
  in order, at most ``gap`` folded characters apart, never across a clause
  break (``别着急，发工资就还`` is not a stop);
- ``unless``: negation and look-alike cues; a match of the intent that
  overlaps one is dropped (``不是不要发``, ``don't stop``).

``[typos]`` maps a misspelling common in voice input to the spelling it stands
for (``推订 = "退订"``): every rule word holding the right spelling also matches
with the typo. ``[settings] gap`` bounds the gaps (default 4).

Unknown tables or keys are errors, since a misspelt ``phrasse`` would
silently drop every stop word. The older format (``[opt_out]``,
``contains``) is still read, as ``[stop]`` and ``phrases``, so an agency's own
file keeps working.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

Fold = Callable[[str], str]

#: How a gap is written inside a pattern.
GAP = "…"

DEFAULT_GAP = 4

_LEGACY_TABLES = {"opt_out": "stop"}
_LEGACY_KEYS = {"contains": "phrases"}
_RULE_KEYS = frozenset({"exact", "phrases", "patterns", "unless"})


class Intent(StrEnum):
    """What a reply asks for; the values are the CLI and API contract (DESIGN.md)."""

    STOP = "stop"
    WRONG_PARTY = "wrong_party"
    THIRD_PARTY_REFUSAL = "third_party_refusal"
    COMPLAINT = "complaint"


class InvalidReplyRules(ValueError):
    """The reply rule file is malformed; the message names the table and key."""


@dataclass(frozen=True, slots=True)
class IntentRule:
    """The folded words of one intent; a pattern is its parts, in order."""

    exact: frozenset[str] = frozenset()
    phrases: tuple[str, ...] = ()
    patterns: tuple[tuple[str, ...], ...] = ()
    unless: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReplyRules:
    """Every intent's rule, folded, with typos already expanded into the words."""

    rules: Mapping[Intent, IntentRule]
    gap: int = DEFAULT_GAP
    typos: Mapping[str, str] = field(default_factory=dict)


def parse_reply_rules(text: str, fold: Fold) -> ReplyRules:
    """The rules of a ``replies.toml`` document, folded; raises ``InvalidReplyRules``."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidReplyRules(f"not valid TOML: {error}") from None
    settings = _table("settings", document.pop("settings", {}))
    typos = _typos(document.pop("typos", {}), fold)
    gap = _gap(settings)
    names = {_LEGACY_TABLES.get(name, name): name for name in document}
    unknown = sorted(name for name in names if name not in set(Intent))
    if unknown:
        raise InvalidReplyRules(f"unknown intent(s) {', '.join(unknown)}")
    rules = {
        Intent(name): _rule(source, document[source], fold, typos) for name, source in names.items()
    }
    return ReplyRules(rules, gap, typos)


def _table(name: str, table: Any) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise InvalidReplyRules(f"[{name}] must be a table")
    return table


def _gap(settings: dict[str, Any]) -> int:
    unknown = sorted(set(settings) - {"gap"})
    if unknown:
        raise InvalidReplyRules(f"[settings] has unknown key(s) {', '.join(unknown)}")
    gap = settings.get("gap", DEFAULT_GAP)
    if not isinstance(gap, int) or isinstance(gap, bool) or not 0 <= gap <= 20:
        raise InvalidReplyRules("[settings].gap must be an integer from 0 to 20")
    return gap


def _typos(table: Any, fold: Fold) -> dict[str, str]:
    typos: dict[str, str] = {}
    for typo, meant in _table("typos", table).items():
        if not isinstance(meant, str) or not fold(typo) or not fold(meant):
            raise InvalidReplyRules(f"[typos] {typo!r} must map to a word that folds to something")
        typos[fold(typo)] = fold(meant)
    return typos


def _rule(name: str, table: Any, fold: Fold, typos: Mapping[str, str]) -> IntentRule:
    table = {_LEGACY_KEYS.get(key, key): value for key, value in _table(name, table).items()}
    unknown = sorted(set(table) - _RULE_KEYS)
    if unknown:
        raise InvalidReplyRules(f"[{name}] has unknown key(s) {', '.join(unknown)}")

    def words(key: str) -> list[str]:
        return _with_typos(_folded(name, key, table.get(key, []), fold), typos)

    patterns = [
        tuple(part for part in pattern.split(GAP))
        for pattern in _with_typos(_folded_patterns(name, table.get("patterns", []), fold), typos)
    ]
    return IntentRule(
        exact=frozenset(words("exact")),
        phrases=tuple(words("phrases")),
        patterns=tuple(dict.fromkeys(patterns)),
        unless=tuple(words("unless")),
    )


def _strings(name: str, key: str, words: Any) -> list[str]:
    if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
        raise InvalidReplyRules(f"[{name}].{key} must be an array of strings")
    return words


def _folded(name: str, key: str, words: Any, fold: Fold) -> list[str]:
    folded = [fold(word) for word in _strings(name, key, words)]
    empty = [word for word, result in zip(words, folded, strict=True) if not result]
    if empty:
        raise InvalidReplyRules(f"[{name}].{key} has words that fold to nothing: {empty!r}")
    return folded


def _folded_patterns(name: str, patterns: Any, fold: Fold) -> list[str]:
    """Each pattern with its parts folded (``…`` itself would fold away)."""
    folded = []
    for pattern in _strings(name, "patterns", patterns):
        parts = [fold(part) for part in pattern.split(GAP)]
        if len(parts) < 2 or not all(parts):
            raise InvalidReplyRules(
                f"[{name}].patterns: {pattern!r} needs words on both sides of every {GAP}"
            )
        folded.append(GAP.join(parts))
    return folded


def _with_typos(words: list[str], typos: Mapping[str, str]) -> list[str]:
    """The words, plus each word with one right spelling replaced by its typo."""
    out = list(words)
    for word in words:
        for typo, meant in typos.items():
            if meant in word:
                out.append(word.replace(meant, typo))
    return list(dict.fromkeys(out))
