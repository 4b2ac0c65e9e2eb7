"""The one place where asyncpg's exceptions become the store's.

PostgreSQL names the rule a row broke: a SQLSTATE (``23505`` unique,
``23503`` foreign key) and, for constraints, the constraint's name. The
schema names every constraint that stands for a domain rule, so the name
selects the exception; our triggers raise their own SQLSTATEs. Connection
trouble of any kind (refused, reset, shut down, no such database, bad
credentials) is ``StoreUnavailable``, which readiness reports; waits that ran
out (``lock_timeout``, a deadlock PostgreSQL broke) are ``StoreBusy``.
"""

from __future__ import annotations

import asyncpg

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

#: SQLSTATEs our triggers raise (class "SG" is ours; PostgreSQL uses none starting so).
APPEND_ONLY_STATE = "SG001"
FOUR_EYES_STATE = "SG002"
APPEND_ONLY_MESSAGE = "audit log is append-only"
FOUR_EYES_MESSAGE = "four_eyes: a reviewer cannot review a version they authored"

#: What the driver raises; every call into asyncpg catches these and calls ``translate``.
DRIVER_ERRORS = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,  # e.g. the connection was closed under us
    asyncpg.InternalClientError,  # e.g. a connection the server ended while it sat in the pool
    OSError,
    TimeoutError,
)

_UNIQUE_RULES: dict[str, tuple[type[StoreError], str]] = {
    "templates_name_per_creditor": (
        DuplicateName,
        "the creditor already has a template of this name",
    ),
    "template_versions_pkey": (DuplicateVersion, "the template already has this version"),
    "idempotency_keys_pkey": (
        IdempotencyKeyExists,
        "the creditor already used this Idempotency-Key",
    ),
    "opt_outs_active": (OptOutExists, "the phone already has an active opt-out of this kind"),
}
_BUSY_STATES = {
    "40001": "a concurrent transaction conflicted with this one",
    "40P01": "a deadlock between transactions was broken by aborting this one",
    "55P03": "a lock stayed held by another transaction past lock_timeout",
    "57014": "the statement was cancelled (statement timeout)",
}
# Connection exceptions, insufficient resources, operator intervention (shutdown),
# invalid authorisation, no such database.
_UNAVAILABLE_CLASSES = ("08", "53", "57P", "28", "3D")


def translate(error: BaseException) -> StoreError:
    """The ``StoreError`` that says in the domain's words what ``error`` means."""
    if isinstance(error, asyncpg.PostgresError):
        return _from_server(error)
    return StoreUnavailable(f"the database cannot be reached: {error or type(error).__name__}")


def _from_server(error: asyncpg.PostgresError) -> StoreError:
    state = error.sqlstate
    if state == "23505":
        name = getattr(error, "constraint_name", None) or ""
        kind, text = _UNIQUE_RULES.get(name, (AlreadyExists, f"already stored ({name})"))
        return kind(text)
    if state == "23503":
        return UnknownReference("the record refers to a row that does not exist")
    if state == APPEND_ONLY_STATE:
        return AppendOnlyViolation("audit entries cannot be changed or deleted")
    if state == FOUR_EYES_STATE:
        return FourEyesViolation("a reviewer cannot review a version they authored")
    if state == "25006":
        return ReadOnlyTransaction("writes need Store.transaction(), not Store.read()")
    if state in _BUSY_STATES:
        return StoreBusy(f"{_BUSY_STATES[state]}: {error}")
    if state.startswith(_UNAVAILABLE_CLASSES):
        return StoreUnavailable(f"the database cannot be used: {error}")
    return StoreError(f"database error ({state}): {error}")
