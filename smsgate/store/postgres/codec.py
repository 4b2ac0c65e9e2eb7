"""How record values are handed to asyncpg and read back.

Instants are ``timestamptz`` (microseconds, like ``smsgate.store.instants``);
asyncpg would take a naive datetime as UTC without a word, so every instant
goes through ``instant``, which refuses naive ones as the SQLite store does.
Sets (key roles, tags, reply intents) are sorted ``text[]``. JSON columns are
``json``, not ``jsonb``: ``json`` keeps the text exactly as written, so a
replayed idempotent response, a variable schema's key order and an audit
entry's detail come back as they went in; the JSON text itself is written by
the same functions as SQLite's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from smsgate.store.sqlite.codec import dump_json, load_json

__all__ = ["dump_json", "instant", "load_json", "optional_instant", "sorted_list"]


def instant(moment: datetime) -> datetime:
    """``moment`` in UTC; raises ``ValueError`` if it is naive."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"the store keeps aware datetimes only, got naive {moment!r}")
    return moment.astimezone(UTC)


def optional_instant(moment: datetime | None) -> datetime | None:
    """``instant`` that passes ``None`` through (an instant not reached yet)."""
    return None if moment is None else instant(moment)


def sorted_list(items: Iterable[str]) -> list[str]:
    """A set of strings as a sorted list, so equal sets are equal arrays."""
    return sorted(items)
