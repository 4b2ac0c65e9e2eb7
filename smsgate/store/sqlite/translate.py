"""The one place where sqlite3's exceptions become the store's.

SQLite reports which rule a row broke by extended error code and, for
uniqueness, by the columns in the message ("UNIQUE constraint failed:
templates.creditor_id, templates.name"). The columns name the domain rule, so
they select the exception; any other sqlite3 error becomes a plain
``StoreError`` carrying the original as its cause.
"""

from __future__ import annotations

import sqlite3

from smsgate.store.errors import (
    AlreadyExists,
    AppendOnlyViolation,
    DuplicateName,
    DuplicateVersion,
    FourEyesViolation,
    IdempotencyKeyExists,
    OptOutExists,
    ReadOnlyTransaction,
    StoreBusy,
    StoreError,
    StoreUnavailable,
    UnknownReference,
)

#: Messages our triggers RAISE with; the schema uses these exact texts.
APPEND_ONLY_MESSAGE = "audit log is append-only"
FOUR_EYES_MESSAGE = "four_eyes: a reviewer cannot review a version they authored"

_UNIQUE_PREFIX = "UNIQUE constraint failed: "
_UNIQUE_RULES: dict[str, tuple[type[StoreError], str]] = {
    "templates.creditor_id, templates.name": (
        DuplicateName,
        "the creditor already has a template of this name",
    ),
    "template_versions.template_id, template_versions.version": (
        DuplicateVersion,
        "the template already has this version",
    ),
    "idempotency_keys.creditor_id, idempotency_keys.key": (
        IdempotencyKeyExists,
        "the creditor already used this Idempotency-Key",
    ),
    "opt_outs.creditor_id, opt_outs.phone, opt_outs.kind": (
        OptOutExists,
        "the phone already has an active opt-out of this kind",
    ),
}


def translate(error: sqlite3.Error) -> StoreError:
    """The ``StoreError`` that says in the domain's words what ``error`` means."""
    code = getattr(error, "sqlite_errorname", "")
    message = str(error)
    if code in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"):
        return _uniqueness(message)
    if code == "SQLITE_CONSTRAINT_FOREIGNKEY":
        return UnknownReference("the record refers to a row that does not exist")
    if code == "SQLITE_CONSTRAINT_TRIGGER":
        return _trigger(message)
    if code.startswith("SQLITE_READONLY"):
        return ReadOnlyTransaction("writes need Store.transaction(), not Store.read()")
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreBusy(f"the database stayed locked by another writer: {message}")
    if code.startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_NOTADB")):
        return StoreUnavailable(f"the database cannot be used: {message}")
    return StoreError(f"database error: {message}")


def _uniqueness(message: str) -> StoreError:
    columns = message.removeprefix(_UNIQUE_PREFIX)
    kind, text = _UNIQUE_RULES.get(columns, (AlreadyExists, f"already stored ({columns})"))
    return kind(text)


def _trigger(message: str) -> StoreError:
    if message == APPEND_ONLY_MESSAGE:
        return AppendOnlyViolation("audit entries cannot be changed or deleted")
    if message == FOUR_EYES_MESSAGE:
        return FourEyesViolation("a reviewer cannot review a version they authored")
    return StoreError(f"refused by the database: {message}")
