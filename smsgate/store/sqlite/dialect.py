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

from smsgate.store.instants import format_instant, parse_instant
from smsgate.store.sql.codec import dump_set, load_set
from smsgate.store.sql.dialect import Dialect, JsonElements, Session


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
    instant=format_instant,
    read_instant=parse_instant,
    string_set=dump_set,
    read_string_set=load_set,
    any_of=_any_of,
    json_field=_json_field,
    json_elements=_json_elements,
    greatest="max",
    single_writer=True,
    event_head=_newest_event,
)
