"""The exceptions of the storage layer, the only ones its callers need to know.

Database drivers raise their own errors (``sqlite3.IntegrityError``, later
asyncpg's); each implementation translates them at one boundary into this
family, so the HTTP layer maps a ``DuplicateName`` to 409 without knowing
which database said so. The tree::

    StoreError
    ├── StoreUnavailable          the database cannot be opened or reached
    │   └── StoreBusy             another writer held the lock past the timeout
    │       └── UnitAborted       the database aborted the unit for a concurrent one: run it again
    ├── InvalidDatabaseUrl        (also ValueError) a URL we cannot read
    ├── UnsupportedDatabase       (also NotImplementedError) e.g. postgresql:// for now
    ├── SchemaTooNew              the file was migrated by a newer smsgate
    ├── BrokenAuditChain          the old hash chain failed its check before the tree migration
    ├── TransactionClosed         a unit of work used after its block ended
    ├── ReadOnlyTransaction       a write attempted inside ``Store.read()``
    ├── NotFound                  (also LookupError) an update of a missing row
    ├── UnknownReference          a row refers to one that does not exist
    ├── FourEyesViolation         a reviewer approving a version they authored
    ├── AppendOnlyViolation       an update or delete of an audit entry
    └── Conflict                  a uniqueness rule of the domain was broken
        ├── AlreadyExists         the same id twice
        ├── DuplicateName         a template name twice for one creditor
        ├── DuplicateVersion      a template version number twice
        ├── IdempotencyKeyExists  an Idempotency-Key twice for one creditor
        └── OptOutExists          the same active opt-out twice
"""

from __future__ import annotations


class StoreError(Exception):
    """Anything the storage layer refuses or fails to do."""


class StoreUnavailable(StoreError):
    """The database cannot be opened or reached; readiness should report it."""


class StoreBusy(StoreUnavailable):
    """Another writer held the database lock for longer than the busy timeout."""


class UnitAborted(StoreBusy):
    """The database aborted the unit of work to let a concurrent one through.

    PostgreSQL breaks a deadlock (``40P01``) or a serialization failure
    (``40001``) by rolling one transaction back whole: nothing of it was
    kept, so running the unit again is safe, and usually goes through once
    the other unit committed (``smsgate.store.retries``). SQLite's single
    writer never raises it.
    """


class InvalidDatabaseUrl(StoreError, ValueError):
    """A database URL that names no database we know how to open."""


class UnsupportedDatabase(StoreError, NotImplementedError):
    """A database that is planned but not implemented yet (PostgreSQL)."""


class SchemaTooNew(StoreError):
    """The database has migrations this version of smsgate does not know.

    Running an older binary against a newer schema could write rows the newer
    code misreads, so the store refuses to open instead.
    """


class BrokenAuditChain(StoreError):
    """The audit log's old hash chain failed verification, so it was not migrated to the tree.

    ``seq`` is the first bad entry and ``fault`` why; nothing was changed. An
    operator who accepts the break reruns the migration with
    ``smsgate migrate --accept-broken-chain SEQ`` (that very ``seq``).
    """

    def __init__(self, seq: int, fault: str) -> None:
        super().__init__(
            f"the audit log's hash chain is broken at seq {seq} ({fault}): the migration to the "
            f"Merkle tree stopped and changed nothing; to migrate the entries as they are, run "
            f"`smsgate migrate --accept-broken-chain {seq}`"
        )
        self.seq = seq
        self.fault = fault


class TransactionClosed(StoreError):
    """A repository of a unit of work was used after its ``async with`` block ended."""


class ReadOnlyTransaction(StoreError):
    """A write was attempted inside ``Store.read()``; use ``Store.transaction()``."""


class NotFound(StoreError, LookupError):
    """The row to change does not exist (or belongs to another creditor)."""


class UnknownReference(StoreError):
    """A row refers to a creditor, key, template version or message that does not exist."""


class FourEyesViolation(StoreError):
    """A review by the key that authored the version; the database refuses it too."""


class AppendOnlyViolation(StoreError):
    """An attempt to update or delete an audit entry."""


class Conflict(StoreError):
    """A uniqueness rule of the domain was broken; the HTTP layer answers 409."""


class AlreadyExists(Conflict):
    """A record with the same identity is already stored."""


class DuplicateName(Conflict):
    """The creditor already has a template of this name."""


class DuplicateVersion(Conflict):
    """The template already has this version number."""


class IdempotencyKeyExists(Conflict):
    """The creditor already used this Idempotency-Key; read the stored response."""


class OptOutExists(Conflict):
    """The phone already has an active opt-out of this kind for the creditor."""
