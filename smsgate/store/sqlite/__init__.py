"""The SQLite implementation of the store: the default, one file, no server.

Callers use ``smsgate.store.open_store``; this package is imported only when a
``sqlite:`` URL is opened.
"""

from smsgate.store.sqlite.store import SqliteSettings, SqliteStore, Synchronous, open_sqlite_store

__all__ = ["SqliteSettings", "SqliteStore", "Synchronous", "open_sqlite_store"]
