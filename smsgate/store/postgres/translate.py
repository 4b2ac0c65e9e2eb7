"""The one place where asyncpg's exceptions become the store's.

PostgreSQL names the rule a row broke: a SQLSTATE (``23505`` unique,
``23503`` foreign key) and, for constraints, the constraint's name. The
schema names every constraint that stands for a domain rule, so the name
selects the exception; our triggers raise their own SQLSTATEs. Connection
trouble of any kind (refused, reset, shut down, no such database, bad
credentials) is ``StoreUnavailable``, which readiness reports; waits that ran
out (``lock_timeout``) are ``StoreBusy``, and a unit PostgreSQL aborted for a
concurrent one (a deadlock broken, a serialization failure) is its
``UnitAborted``, which may be run again.
"""

from __future__ import annotations

import asyncpg

from smsgate.store.errors import StoreBusy, StoreError, StoreUnavailable, UnitAborted
from smsgate.store.sql import violations
from smsgate.store.sql.violations import APPEND_ONLY_MESSAGE, FOUR_EYES_MESSAGE, UniquenessRule

__all__ = [
    "APPEND_ONLY_MESSAGE",
    "APPEND_ONLY_STATE",
    "DRIVER_ERRORS",
    "FOUR_EYES_MESSAGE",
    "FOUR_EYES_STATE",
    "translate",
]

#: SQLSTATEs our triggers raise (class "SG" is ours; PostgreSQL uses none starting so).
APPEND_ONLY_STATE = "SG001"
FOUR_EYES_STATE = "SG002"

#: What the driver raises; every call into asyncpg catches these and calls ``translate``.
DRIVER_ERRORS = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,  # e.g. the connection was closed under us
    asyncpg.InternalClientError,  # e.g. a connection the server ended while it sat in the pool
    OSError,
    TimeoutError,
)

#: The constraint that holds each rule.
_UNIQUE_RULES = {
    "templates_name_per_creditor": UniquenessRule.TEMPLATE_NAME,
    "template_versions_pkey": UniquenessRule.TEMPLATE_VERSION,
    "idempotency_keys_pkey": UniquenessRule.IDEMPOTENCY_KEY,
    "opt_outs_active": UniquenessRule.ACTIVE_OPT_OUT,
}
_ABORTED_STATES = {
    "40001": "a concurrent transaction conflicted with this one",
    "40P01": "a deadlock between transactions was broken by aborting this one",
}
_BUSY_STATES = {
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
        return violations.duplicate(_UNIQUE_RULES.get(name), name)
    if state == "23503":
        return violations.unknown_reference()
    if state == APPEND_ONLY_STATE:
        return violations.append_only()
    if state == FOUR_EYES_STATE:
        return violations.four_eyes()
    if state == "25006":
        return violations.read_only()
    if state in _ABORTED_STATES:
        return UnitAborted(f"{_ABORTED_STATES[state]}: {error}")
    if state in _BUSY_STATES:
        return StoreBusy(f"{_BUSY_STATES[state]}: {error}")
    if state.startswith(_UNAVAILABLE_CLASSES):
        return StoreUnavailable(f"the database cannot be used: {error}")
    return StoreError(f"database error ({state}): {error}")
