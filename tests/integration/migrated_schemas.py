"""Migrated PostgreSQL schemas handed to one test at a time, emptied back to new between tests.

A test of the API on PostgreSQL needs what a new, migrated database holds,
not a database nobody used before: creating a schema, migrating it and
dropping it again costs 0.1-0.4 s a test (most of what those tests cost),
and copying a migrated database (``CREATE DATABASE … TEMPLATE``) costs more
(``pg_server``'s docstring). Emptying a migrated schema costs 20 ms: so the
schema a test used is put back to exactly what migrating gave, and the next
test gets it.

What "exactly" means, and how it is checked:

- every table is emptied with its triggers off (the audit log refuses
  DELETE to anyone else), and the tables the migrations fill
  (``schema_migrations``, ``webhook_horizon``) are filled again from a
  pristine migrated schema that no test ever touches;
- every sequence starts again at its first value;
- the schema's shape (tables, columns and their types, indexes,
  constraints, triggers and whether they are enabled, functions and their
  bodies) is compared with the pristine one before a schema is handed out
  again; a test that changed it (dropped a trigger to tamper, say) leaves
  its schema to be dropped, and the next test gets a newly migrated one.

The store tests keep fresh, never-migrated schemas (``database_url``):
they test migrating itself.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

from smsgate.store import open_store

#: The schema migrated once and only read: what a reset schema is made equal to.
PRISTINE = "migrated_pristine"
#: Longer than any lock a finished test may still hold while its connections close.
RESET_LOCK_TIMEOUT = "10s"
_SHAPE = """
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = $1)
SELECT md5(coalesce(string_agg(replace(part, $1 || '.', ''), ',' ORDER BY part), ''))
FROM (
    SELECT relname || ':' || relkind::text FROM pg_class WHERE relnamespace = (SELECT oid FROM ns)
    UNION ALL
    SELECT c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
           || ':' || a.attnotnull::text
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    WHERE c.relnamespace = (SELECT oid FROM ns) AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT c.relname || '!' || coalesce(k.conname || ':' || t.tgfoid::regproc::text, t.tgname)
           || ':' || t.tgenabled::text  -- a foreign key's triggers are named by oid: by key here
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    LEFT JOIN pg_constraint k ON k.oid = t.tgconstraint AND t.tgisinternal
    WHERE c.relnamespace = (SELECT oid FROM ns)
    UNION ALL
    SELECT conname || ':' || pg_get_constraintdef(oid) FROM pg_constraint
    WHERE connamespace = (SELECT oid FROM ns)
    UNION ALL
    SELECT proname || ':' || md5(prosrc) FROM pg_proc WHERE pronamespace = (SELECT oid FROM ns)
) AS shape(part)
"""

Fetch = Callable[..., list[Any]]
Run = Callable[[Coroutine[Any, Any, None]], None]


class MigratedSchemas:
    """Schemas migrated by the store, lent to one test at a time and emptied when returned."""

    def __init__(
        self,
        execute: Callable[[str], None],
        fetch: Fetch,
        run: Run,
        url_of: Callable[[str], str],
        names: Iterator[int],
    ) -> None:
        self._execute, self._fetch, self._run = execute, fetch, run
        self._url_of, self._names = url_of, names
        self._free: list[str] = []
        self._migrate(PRISTINE)
        self._shape = self._shape_of(PRISTINE)
        self._reset = self._reset_statement()

    @contextmanager
    def lend(self) -> Iterator[str]:
        """A migrated schema holding nothing a test wrote; its URL, for the block."""
        schema = self._free.pop() if self._free else self._new()
        try:
            yield self._url_of(schema)
        finally:
            self._give_back(schema)

    def _new(self) -> str:
        schema = f"migrated_{next(self._names)}"
        self._migrate(schema)
        return schema

    def _migrate(self, schema: str) -> None:
        self._execute(f"CREATE SCHEMA {schema}")
        self._run(_open_and_close(self._url_of(schema)))

    def _give_back(self, schema: str) -> None:
        if self._shape_of(schema) != self._shape:
            self._execute(f"DROP SCHEMA {schema} CASCADE")
            return
        self._execute(self._reset.format(schema=schema))
        self._free.append(schema)

    def _shape_of(self, schema: str) -> str:
        return str(self._fetch(_SHAPE, schema)[0][0])

    def _reset_statement(self) -> str:
        """One transaction emptying ``{schema}`` back to what migrating it gave."""
        tables = [row[0] for row in self._fetch(_TABLES, PRISTINE)]
        sequences = [row[0] for row in self._fetch(_SEQUENCES, PRISTINE)]
        filled = [table for table in tables if self._fetch(_ANY_ROW.format(table=table))]
        steps = [
            "BEGIN",
            f"SET LOCAL lock_timeout = '{RESET_LOCK_TIMEOUT}'",
            "SET LOCAL session_replication_role = replica",  # triggers off, as for a restore
            *(f'DELETE FROM {{schema}}."{table}"' for table in tables),
            *(f'ALTER SEQUENCE {{schema}}."{sequence}" RESTART' for sequence in sequences),
            *(
                f'INSERT INTO {{schema}}."{table}" OVERRIDING SYSTEM VALUE '
                f'SELECT * FROM {PRISTINE}."{table}"'
                for table in filled
            ),
            "COMMIT",
        ]
        return ";\n".join(steps)


_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename"
_SEQUENCES = "SELECT sequencename FROM pg_sequences WHERE schemaname = $1 ORDER BY sequencename"
_ANY_ROW = f'SELECT 1 FROM {PRISTINE}."{{table}}" LIMIT 1'


async def _open_and_close(url: str) -> None:
    store = await open_store(url)  # migrates the schema the URL's search_path names
    await store.close()
