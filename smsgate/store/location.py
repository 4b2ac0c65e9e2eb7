"""Which database to open: ``SMSGATE_DATABASE_URL`` and the store it selects.

``sqlite:///relative/path.db`` (relative to the working directory) and
``sqlite:////absolute/path.db`` open the SQLite store; ``?synchronous=normal``
relaxes its durability (see ``smsgate.store.sqlite.store``).
``postgresql://…`` is recognised and refused until the PostgreSQL store
exists, so a deployment configured for it fails at start with a clear reason
instead of silently writing to a local file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from smsgate.store.errors import InvalidDatabaseUrl, UnsupportedDatabase
from smsgate.store.ports import Store
from smsgate.store.sqlite import SqliteSettings, Synchronous, open_sqlite_store

DATABASE_URL_VARIABLE = "SMSGATE_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///smsgate.db"
_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg", "postgresql+psycopg")


def database_url(environ: Mapping[str, str]) -> str:
    """The URL ``environ`` configures, or the default ``./smsgate.db``."""
    return environ.get(DATABASE_URL_VARIABLE) or DEFAULT_DATABASE_URL


async def open_store(url: str) -> Store:
    """Open and migrate the store ``url`` names.

    Raises ``InvalidDatabaseUrl`` for a URL we cannot read,
    ``UnsupportedDatabase`` for PostgreSQL (planned), ``StoreUnavailable`` if
    the database cannot be opened and ``SchemaTooNew`` if a newer smsgate
    migrated it.
    """
    return await open_sqlite_store(sqlite_settings(url))


def sqlite_settings(url: str) -> SqliteSettings:
    """The SQLite settings a ``sqlite:`` URL gives; raises as ``open_store`` does."""
    parts = urlsplit(url)
    if parts.scheme in _POSTGRES_SCHEMES:
        raise UnsupportedDatabase(
            "PostgreSQL support is planned but not implemented yet; "
            "use SMSGATE_DATABASE_URL=sqlite:///path/to/smsgate.db"
        )
    if parts.scheme != "sqlite" or parts.netloc or len(parts.path) < 2:
        raise InvalidDatabaseUrl(
            f"cannot open {url!r}: expected sqlite:///relative.db or sqlite:////absolute.db"
        )
    options = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    unknown = set(options) - {"synchronous"}
    if unknown:
        raise InvalidDatabaseUrl(f"unknown database URL options {sorted(unknown)} in {url!r}")
    try:
        synchronous = Synchronous(options.get("synchronous", Synchronous.FULL).lower())
    except ValueError:
        raise InvalidDatabaseUrl(f"synchronous must be full or normal in {url!r}") from None
    return SqliteSettings(Path(unquote(parts.path[1:])), synchronous)
