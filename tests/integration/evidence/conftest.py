"""A fresh store (SQLite and PostgreSQL) with one debtor's audited history, for evidence packs."""

from __future__ import annotations

from ..store_fixtures import db_path, open_more, store

__all__ = ["db_path", "open_more", "store"]
