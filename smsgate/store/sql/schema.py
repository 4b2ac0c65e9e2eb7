"""What a migration is, and which steps a database still needs: the same on both databases.

Each database keeps its own steps (``smsgate.store.sqlite.migrations``,
``smsgate.store.postgres.migrations``): one for one, same tables, keys,
indexes and rules, each in its database's types. Steps are numbered 1, 2, 3 …
and recorded in ``schema_migrations`` once applied; a database knowing a
version this code lacks was migrated by a newer smsgate and is refused.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from smsgate.store.errors import SchemaTooNew


@dataclass(frozen=True, slots=True)
class MigrationOptions:
    """What an operator decided for steps that may refuse to run.

    ``accept_broken_chain_at``: step 11 (the audit tree) verifies the old
    hash chain first and stops at a broken one; naming its first bad ``seq``
    here (``smsgate migrate --accept-broken-chain SEQ``) lets it convert the
    entries as they are, recording that in the log.
    """

    accept_broken_chain_at: int | None = None


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema: its version, what it does, and its SQL statements."""

    version: int
    name: str
    sql: str


def check_order(migrations: Sequence[Migration]) -> None:
    """Raise ``ValueError`` unless ``migrations`` are numbered 1, 2, 3 … in order."""
    versions = [step.version for step in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3 … in order, got {versions}")


def pending(migrations: Sequence[Migration], applied: Collection[int]) -> list[Migration]:
    """The steps of ``migrations`` not in ``applied``, in order.

    Raises ``SchemaTooNew`` if ``applied`` holds a version ``migrations`` lacks.
    """
    unknown = set(applied) - {step.version for step in migrations}
    if unknown:
        raise SchemaTooNew(f"the database has schema versions {sorted(unknown)} unknown here")
    return [step for step in migrations if step.version not in applied]


def latest(migrations: Sequence[Migration]) -> int:
    """The version a database has once every step of ``migrations`` is applied."""
    return max((step.version for step in migrations), default=0)
