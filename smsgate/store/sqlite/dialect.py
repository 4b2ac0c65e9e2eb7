"""SQLite's ``Dialect``: the spelling the shared SQL is written in, and text columns.

SQLite has no instant, array or JSON types: instants are the fixed-width
UTC text of ``smsgate.store.instants`` (text order is time order), sets and
JSON are compact JSON text (``smsgate.store.sql.codec``). Write units are
serialised by the single writer (``BEGIN IMMEDIATE``), so nothing needs
``SKIP LOCKED`` or locks of its own, and every committed event id is final:
the webhook worker may deliver up to the newest one.
"""

from __future__ import annotations

from collections.abc import Sequence

from smsgate.store.instants import format_instant, format_optional, parse_instant, parse_optional
from smsgate.store.sql.codec import dump_json, dump_set, load_json, load_set
from smsgate.store.sql.dialect import Dialect, JsonElements, Session


def _same(sql: str) -> str:
    return sql


def _any_of(column: str, values: Sequence[str]) -> tuple[str, tuple[object, ...]]:
    return f"{column} IN ({', '.join('?' * len(values))})", tuple(values)


def _json_field(expr: str, key: str) -> str:
    return f"json_extract({expr}, '$.{key}')"


def _json_elements(expr: str, alias: str) -> JsonElements:
    return JsonElements(f"json_each({expr}) AS {alias}", f"{alias}.value")


async def _newest_event(session: Session) -> int:
    return int(await session.value("SELECT coalesce(max(id), 0) FROM message_events"))


SQLITE = Dialect(
    name="sqlite",
    placeholders=_same,
    instant=format_instant,
    optional_instant=format_optional,
    read_instant=parse_instant,
    read_optional_instant=parse_optional,
    string_set=dump_set,
    read_string_set=load_set,
    json=dump_json,
    read_json=load_json,
    any_of=_any_of,
    json_field=_json_field,
    json_elements=_json_elements,
    single_writer=True,
    greatest="max",
    skip_locked="",
    writes_in_with=False,
    event_head=_newest_event,
    settled_events="",
)
