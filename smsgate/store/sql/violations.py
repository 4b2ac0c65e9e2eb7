"""The rules the schema enforces, and the store error each one's violation becomes.

Both databases hold the same rules (a template name once per creditor, a
version once per template, an Idempotency-Key once per creditor, one active
opt-out per phone and kind, references that exist, an append-only audit
log, four eyes on reviews) and report a violation in their own terms:
SQLite by extended error code and the columns of the unique index,
PostgreSQL by SQLSTATE and constraint name. Each ``translate`` maps its
terms to a ``UniquenessRule`` or to one of the functions below, so the errors callers
see, and their texts, are written once. The triggers' texts are here too:
both schemas RAISE with exactly these.
"""

from __future__ import annotations

from enum import StrEnum

from smsgate.store.errors import (
    AlreadyExists,
    AppendOnlyViolation,
    DuplicateName,
    DuplicateVersion,
    FourEyesViolation,
    IdempotencyKeyExists,
    OptOutExists,
    ReadOnlyTransaction,
    StoreError,
    UnknownReference,
)

#: What the audit log's triggers RAISE with.
APPEND_ONLY_MESSAGE = "audit log is append-only"
#: What the reviews' trigger RAISEs with.
FOUR_EYES_MESSAGE = "four_eyes: a reviewer cannot review a version they authored"


class UniquenessRule(StrEnum):
    """A uniqueness rule of the domain, whichever index or constraint holds it."""

    TEMPLATE_NAME = "template_name"
    TEMPLATE_VERSION = "template_version"
    IDEMPOTENCY_KEY = "idempotency_key"
    ACTIVE_OPT_OUT = "active_opt_out"


_DUPLICATES: dict[UniquenessRule, tuple[type[StoreError], str]] = {
    UniquenessRule.TEMPLATE_NAME: (
        DuplicateName,
        "the creditor already has a template of this name",
    ),
    UniquenessRule.TEMPLATE_VERSION: (DuplicateVersion, "the template already has this version"),
    UniquenessRule.IDEMPOTENCY_KEY: (
        IdempotencyKeyExists,
        "the creditor already used this Idempotency-Key",
    ),
    UniquenessRule.ACTIVE_OPT_OUT: (
        OptOutExists,
        "the phone already has an active opt-out of this kind",
    ),
}


def duplicate(rule: UniquenessRule | None, where: str) -> StoreError:
    """A row broke ``rule`` (``None``: a uniqueness with no domain name, at ``where``)."""
    if rule is None:
        return AlreadyExists(f"already stored ({where})")
    kind, text = _DUPLICATES[rule]
    return kind(text)


def unknown_reference() -> UnknownReference:
    """A row referred to one that does not exist."""
    return UnknownReference("the record refers to a row that does not exist")


def append_only() -> AppendOnlyViolation:
    """Someone tried to change or delete an audit entry."""
    return AppendOnlyViolation("audit entries cannot be changed or deleted")


def four_eyes() -> FourEyesViolation:
    """A version's author tried to review it."""
    return FourEyesViolation("a reviewer cannot review a version they authored")


def read_only() -> ReadOnlyTransaction:
    """A read unit of work tried to write."""
    return ReadOnlyTransaction("writes need Store.transaction(), not Store.read()")
