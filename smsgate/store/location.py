"""Which database to open: ``SMSGATE_DATABASE_URL`` and the store it selects.

``sqlite:///relative/path.db`` (relative to the working directory) and
``sqlite:////absolute/path.db`` open the SQLite store; ``?synchronous=normal``
relaxes its durability (see ``smsgate.store.sqlite.store``).
``postgresql://user:password@host:5432/database`` (also ``postgres://`` and
the SQLAlchemy spellings ``postgresql+asyncpg://``, ``postgresql+psycopg://``)
opens the PostgreSQL store; libpq's query options (``?sslmode=require``) pass
through, and ``?pool_size=N`` sets how many connections one process keeps.
A password may also come from ``PGPASSWORD`` or ``~/.pgpass``, which keeps it
out of the URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from smsgate.store.errors import InvalidDatabaseUrl
from smsgate.store.ports import Store
from smsgate.store.sql.schema import MigrationOptions
from smsgate.store.sqlite import SqliteSettings, Synchronous, open_sqlite_store

if TYPE_CHECKING:  # imported when a postgresql URL is opened: asyncpg loads only then
    from smsgate.store.postgres import PostgresSettings

DATABASE_URL_VARIABLE = "SMSGATE_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///smsgate.db"
_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg", "postgresql+psycopg")


def database_url(environ: Mapping[str, str]) -> str:
    """The URL ``environ`` configures, or the default ``./smsgate.db``."""
    return environ.get(DATABASE_URL_VARIABLE) or DEFAULT_DATABASE_URL


async def open_store(url: str, migration: MigrationOptions | None = None) -> Store:
    """Open and migrate the store ``url`` names (``migration``: an operator's decisions).

    Raises ``InvalidDatabaseUrl`` for a URL we cannot read,
    ``StoreUnavailable`` if the database cannot be opened or reached and
    ``SchemaTooNew`` if a newer smsgate migrated it, ``BrokenAuditChain``
    if the audit tree's migration found the old chain broken.
    """
    options = migration or MigrationOptions()
    if urlsplit(url).scheme in _POSTGRES_SCHEMES:
        from smsgate.store.postgres import open_postgres_store

        return await open_postgres_store(replace(postgres_settings(url), migration=options))
    return await open_sqlite_store(replace(sqlite_settings(url), migration=options))


def sqlite_settings(url: str) -> SqliteSettings:
    """The SQLite settings a ``sqlite:`` URL gives; raises as ``open_store`` does."""
    parts = urlsplit(url)
    if parts.scheme != "sqlite" or parts.netloc or len(parts.path) < 2:
        raise InvalidDatabaseUrl(
            f"cannot open {url!r}: expected sqlite:///relative.db, sqlite:////absolute.db"
            " or postgresql://user@host:5432/database"
        )
    options = dict(parse_qsl(parts.query))
    unknown = set(options) - {"synchronous"}
    if unknown:
        raise InvalidDatabaseUrl(f"unknown database URL options {sorted(unknown)} in {url!r}")
    try:
        synchronous = Synchronous(options.get("synchronous", Synchronous.FULL).lower())
    except ValueError:
        raise InvalidDatabaseUrl(f"synchronous must be full or normal in {url!r}") from None
    return SqliteSettings(Path(unquote(parts.path[1:])), synchronous)


def postgres_settings(url: str) -> PostgresSettings:
    """The PostgreSQL settings a ``postgresql:`` URL gives; raises ``InvalidDatabaseUrl``."""
    from smsgate.store.postgres import PostgresSettings

    parts = urlsplit(url)
    if parts.scheme not in _POSTGRES_SCHEMES or len(parts.path) < 2:
        raise InvalidDatabaseUrl(
            f"cannot open {_redacted(url)!r}: expected postgresql://user@host:5432/database"
        )
    options = parse_qsl(parts.query)
    pool_size = [value for name, value in options if name == "pool_size"]
    passed_on = urlencode([(name, value) for name, value in options if name != "pool_size"])
    dsn = urlunsplit(("postgresql", parts.netloc, parts.path, passed_on, ""))
    try:
        if not pool_size:
            return PostgresSettings(dsn)
        return PostgresSettings(dsn, pool_size=int(pool_size[-1]))
    except ValueError:
        raise InvalidDatabaseUrl(
            f"pool_size must be a whole number >= 1, got {pool_size}"
        ) from None


def _redacted(url: str) -> str:
    """``url`` with any password replaced, fit for an error message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
