"""What the shared repositories need from a database: a ``Dialect`` and a ``Session``.

The repositories of ``smsgate.store.sql`` are written once, in SQLite's
spelling (``?`` placeholders, or ``?1``, ``?2`` … where a value is used
twice; never both in one statement), and ask the dialect for the little that
differs between SQLite and PostgreSQL: how an instant, a set of strings and
JSON go into a column and come back, the ``IN`` list, the JSON accessors of
the reporting queries, ``greatest``, ``FOR UPDATE SKIP LOCKED``, whether a
``WITH`` may hold an ``INSERT`` or ``UPDATE``, and how the webhook worker
finds the newest event it may deliver. Everything else is the same text on
both: ``ON CONFLICT … DO UPDATE``/``DO NOTHING`` with ``excluded``,
``RETURNING``, ``LIMIT``, ``NULLS FIRST``, ``count(DISTINCT …)``, and
booleans, which both drivers take as Python ``bool`` (SQLite stores 1/0,
``TRUE`` compares equal to both). A ``Session`` runs the statements on the
unit of work's connection, translating placeholders, and serialises the
read-then-write rules with ``lock`` where writers run concurrently.

Why our own thin layer and not SQLAlchemy Core. Core would give the SQL
builder and the placeholder translation, and it is well kept; but its async
SQLite path (``sqlite+aiosqlite``) runs every statement on a worker thread
and hands the result back through the event loop, and our SQLite store is
fast exactly because it does not: statements, savepoints and a read's
BEGIN/ROLLBACK run inline on the loop, and only BEGIN IMMEDIATE, COMMIT,
migrations and whole-table scans go to a thread (``sqlite.session``,
``sqlite.group_commit``). Measured here (``benchmarks/hop_bench.py``,
Python 3.11, SQLite 3.40, 2 shared cores): a primary-key SELECT takes
~10-14 µs inline and ~56-78 µs through ``run_in_executor`` (the hop aiosqlite
makes, with its own queue on top), 5-7 times as long. A send issues ~10
statements; ``benchmarks/api_bench.py`` went from ~170 to ~315 accepted
messages/s when they moved inline off such hops, and to ~480-500 with group
commit, which a hop per statement would undo as well. Core's sync engine
could be driven inline, but then we would keep our own session, threading
and group commit anyway and use Core only to print SQL we can write
directly; the statements here are few and fixed. So: one ``Dialect`` of
under twenty names per database, and the SQL written out, once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from smsgate.store.records import JsonValue
from smsgate.store.sql.codec import dump_json, load_json

T = TypeVar("T")
#: Statement parameters, in placeholder order.
Params = Sequence[object]


class Row(Protocol):
    """A result row, by column name or position (``sqlite3.Row``, ``asyncpg.Record``)."""

    def __getitem__(self, key: Any, /) -> Any: ...


class Session(Protocol):
    """The statements of one unit of work on one connection; raises ``StoreError``s only."""

    @property
    def dialect(self) -> Dialect:
        """How the database behind this session spells what differs."""
        ...

    async def rows(self, sql: str, params: Params = ()) -> Sequence[Row]:
        """Every row ``sql`` selects (or returns)."""
        ...

    async def row(self, sql: str, params: Params = ()) -> Row | None:
        """The first row ``sql`` selects, if any."""
        ...

    async def value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row ``sql`` selects."""
        ...

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; how many rows it changed."""
        ...

    async def scan(self, sql: str, params: Params, consume: Callable[[Iterable[Row]], T]) -> T:
        """``consume`` the rows of a long read (SQLite: on a thread, off the event loop)."""
        ...

    async def lock(self, *parts: str) -> None:
        """In a write unit, hold the lock named by ``parts`` until the unit ends.

        A no-op where write units are serialised anyway (SQLite's single writer).
        """
        ...

    async def try_lock(self, *parts: str) -> bool:
        """In a write unit, take the lock named by ``parts`` if it is free; whether it was.

        Held until the unit ends. ``True`` where write units are serialised anyway.
        """
        ...


@dataclass(frozen=True, slots=True)
class JsonElements:
    """How to range over a JSON array column: the FROM item and the element's expression."""

    table: str
    element: str


def as_written(sql: str) -> str:
    """The SQL as the repositories wrote it (SQLite's spelling)."""
    return sql


@dataclass(frozen=True, slots=True)
class Dialect:
    """Everything the shared SQL leaves to the database; one instance per database.

    Fields with defaults default to "nothing to add": the SQL as written, the
    shared JSON text, no row locks to skip, no writes inside ``WITH``, and
    every event settled.
    """

    name: str
    #: How an instant goes into a column (refusing naive datetimes) and comes back.
    instant: Callable[[datetime], object]
    read_instant: Callable[[Any], datetime]
    #: How a set of strings goes into a column (sorted, so equal sets are equal) and back.
    string_set: Callable[[Iterable[str]], object]
    read_string_set: Callable[[Any], frozenset[str]]
    #: ``column IN (…)`` for a list of text values, and its parameters.
    any_of: Callable[[str, Sequence[str]], tuple[str, tuple[object, ...]]]
    #: ``expr``'s text field ``key`` (``json_extract`` / ``->>``).
    json_field: Callable[[str, str], str]
    #: The elements of the JSON array ``expr``, named ``alias``.
    json_elements: Callable[[str, str], JsonElements]
    #: The larger of two values (SQLite's two-argument ``max``).
    greatest: str
    #: Whether one writer at a time is all there is (SQLite): then ``Session.lock`` is a
    #: no-op, and reads made only to know what to lock are skipped.
    single_writer: bool
    #: The newest ``message_events`` id the webhook worker may deliver up to.
    event_head: Callable[[Session], Awaitable[int]]
    #: SQLite's placeholders (``?``, ``?N``) in the database's own spelling.
    placeholders: Callable[[str], str] = as_written
    json: Callable[[JsonValue], object] = dump_json
    read_json: Callable[[Any], Any] = load_json
    #: Appended to a sub-select picking rows to lease: skip rows another writer holds.
    skip_locked: str = ""
    #: Whether a ``WITH`` may hold INSERT/UPDATE (one round trip for two writes).
    writes_in_with: bool = False
    #: A condition on ``e.id`` keeping only events below that head ("" if all are).
    settled_events: str = ""

    def optional_instant(self, moment: datetime | None) -> object:
        """``instant`` that passes ``None`` through (an instant not reached yet)."""
        return None if moment is None else self.instant(moment)

    def read_optional_instant(self, value: Any) -> datetime | None:
        """``read_instant`` that passes ``None`` through."""
        return None if value is None else self.read_instant(value)
