"""The one place where sqlite3's exceptions become the store's.

SQLite reports which rule a row broke by extended error code and, for
uniqueness, by the columns in the message ("UNIQUE constraint failed:
templates.creditor_id, templates.name"). The columns name the domain rule, so
they select the exception; any other sqlite3 error becomes a plain
``StoreError`` carrying the original as its cause.
"""

from __future__ import annotations

import sqlite3

from smsgate.store.errors import StoreBusy, StoreError, StoreUnavailable
from smsgate.store.sql import violations
from smsgate.store.sql.violations import APPEND_ONLY_MESSAGE, FOUR_EYES_MESSAGE, UniquenessRule

__all__ = ["APPEND_ONLY_MESSAGE", "FOUR_EYES_MESSAGE", "translate"]

_UNIQUE_PREFIX = "UNIQUE constraint failed: "
#: The columns SQLite names for each rule's unique index.
_UNIQUE_RULES = {
    "templates.creditor_id, templates.name": UniquenessRule.TEMPLATE_NAME,
    "template_versions.template_id, template_versions.version": UniquenessRule.TEMPLATE_VERSION,
    "idempotency_keys.creditor_id, idempotency_keys.key": UniquenessRule.IDEMPOTENCY_KEY,
    "opt_outs.creditor_id, opt_outs.phone, opt_outs.kind": UniquenessRule.ACTIVE_OPT_OUT,
}


def translate(error: sqlite3.Error) -> StoreError:
    """The ``StoreError`` that says in the domain's words what ``error`` means."""
    code = getattr(error, "sqlite_errorname", "")
    message = str(error)
    if code in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"):
        return _uniqueness(message)
    if code == "SQLITE_CONSTRAINT_FOREIGNKEY":
        return violations.unknown_reference()
    if code == "SQLITE_CONSTRAINT_TRIGGER":
        return _trigger(message)
    if code.startswith("SQLITE_READONLY"):
        return violations.read_only()
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreBusy(f"the database stayed locked by another writer: {message}")
    if code.startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_NOTADB")):
        return StoreUnavailable(f"the database cannot be used: {message}")
    return StoreError(f"database error: {message}")


def _uniqueness(message: str) -> StoreError:
    columns = message.removeprefix(_UNIQUE_PREFIX)
    return violations.duplicate(_UNIQUE_RULES.get(columns), columns)


def _trigger(message: str) -> StoreError:
    if message == APPEND_ONLY_MESSAGE:
        return violations.append_only()
    if message == FOUR_EYES_MESSAGE:
        return violations.four_eyes()
    return StoreError(f"refused by the database: {message}")
