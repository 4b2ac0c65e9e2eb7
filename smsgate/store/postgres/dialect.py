"""PostgreSQL's ``Dialect``: numbered placeholders, typed columns, row locks, a settled head.

Instants are ``timestamptz`` (microseconds, like ``smsgate.store.instants``);
asyncpg would take a naive datetime as UTC without a word, so every instant
goes through ``instant``, which refuses naive ones as the SQLite store does,
and comes back as an aware UTC datetime (the session's ``TimeZone`` is UTC).
Sets (key roles, tags, reply intents) are sorted ``text[]``. JSON columns are
``json``, not ``jsonb``: ``json`` keeps the text exactly as written, so a
replayed idempotent response, a variable schema's key order and an audit
entry's detail come back as they went in; the JSON text itself is written by
the same functions as SQLite's. ``IN`` lists are one array parameter
(``= ANY(…)``), so a list of any length is one prepared statement.
Concurrent writers skip each other's leased rows (``FOR UPDATE SKIP
LOCKED``), and the webhook worker reads only up to a settled head
(``horizon``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache

from smsgate.store.postgres.horizon import SETTLED_EVENTS, settled_head
from smsgate.store.sql.dialect import Dialect, JsonElements

# A quoted string or identifier (skipped: a ``?`` in it is text), or a placeholder.
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?(\d*)")


@lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """``sql`` with SQLite's ``?`` (in order) or ``?N`` placeholders as ``$N``.

    Raises ``ValueError`` for a statement that mixes the two kinds, which
    SQLite numbers in a way easy to get wrong.
    """
    count = 0
    kinds: set[bool] = set()

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        if not match.group(0).startswith("?"):
            return match.group(0)
        kinds.add(bool(match.group(1)))
        count += 1
        return f"${match.group(1) or count}"

    translated = _TOKEN.sub(replace, sql)
    if len(kinds) > 1:
        raise ValueError(f"a statement mixes ? and ?N placeholders: {sql}")
    return translated


def instant(moment: datetime) -> datetime:
    """``moment`` in UTC; raises ``ValueError`` if it is naive."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"the store keeps aware datetimes only, got naive {moment!r}")
    return moment.astimezone(UTC)


def sorted_list(items: Iterable[str]) -> list[str]:
    """A set of strings as a sorted list, so equal sets are equal arrays."""
    return sorted(items)


def _as_read(value: datetime) -> datetime:
    return value


def _any_of(column: str, values: Sequence[str]) -> tuple[str, tuple[object, ...]]:
    return f"{column} = ANY(?::text[])", (list(values),)


def _json_field(expr: str, key: str) -> str:
    return f"{expr}->>'{key}'"


def _json_elements(expr: str, alias: str) -> JsonElements:
    return JsonElements(f"json_array_elements({expr}) AS {alias}", alias)


POSTGRES = Dialect(
    name="postgresql",
    instant=instant,
    read_instant=_as_read,
    string_set=sorted_list,
    read_string_set=frozenset,
    any_of=_any_of,
    json_field=_json_field,
    json_elements=_json_elements,
    greatest="greatest",
    single_writer=False,
    event_head=settled_head,
    placeholders=numbered,
    skip_locked=" FOR UPDATE SKIP LOCKED",
    writes_in_with=True,
    settled_events=SETTLED_EVENTS,
)
