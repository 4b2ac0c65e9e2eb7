"""JSON as the store writes it, on both databases, and SQLite's sets of strings.

JSON goes in as compact UTF-8 text (Chinese stays readable in the ``sqlite3``
shell); PostgreSQL's ``json`` columns take and keep the same text. On SQLite,
sets (key roles, recipient tags) are sorted JSON arrays so equal sets are
equal text (PostgreSQL has ``text[]``, see ``smsgate.store.postgres.dialect``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from smsgate.store.records import JsonValue


def dump_json(value: JsonValue) -> str:
    """``value`` as compact JSON text, non-ASCII kept as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_sequence)


def load_json(text: str) -> Any:
    """The value ``dump_json`` wrote as ``text``."""
    return json.loads(text)


def dump_set(items: Iterable[str]) -> str:
    """A set of strings as a sorted JSON array."""
    return json.dumps(sorted(items), ensure_ascii=False, separators=(",", ":"))


def load_set(text: str) -> frozenset[str]:
    """The set ``dump_set`` wrote as ``text``."""
    return frozenset(json.loads(text))


def _sequence(value: object) -> object:
    # Records accept any Sequence or Mapping as JSON (tuples as defaults);
    # json only knows list and dict.
    if isinstance(value, tuple | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
