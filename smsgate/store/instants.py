"""How instants are written down: fixed-width ISO-8601 text in UTC.

Every timestamp the store keeps is an aware datetime converted to UTC and
written as ``2024-05-01T08:00:00.000000Z``: always microseconds, always ``Z``.
Text rather than integer microseconds because operators read these rows with
the ``sqlite3`` shell and compliance exports them to CSV; the fixed width
makes text order equal time order, so range queries and indexes work on the
text itself. The audit hash chain hashes this same text, so the format is part
of the chain and must never change for existing entries.

Naive datetimes are refused: a wall-clock time without a zone cannot be placed
on the contact ledger, whose caps are counted in the recipient's local day.
"""

from __future__ import annotations

from datetime import UTC, datetime

INSTANT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_instant(moment: datetime) -> str:
    """``moment`` in UTC as fixed-width ISO-8601 text; raises ``ValueError`` if naive."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"the store keeps aware datetimes only, got naive {moment!r}")
    return moment.astimezone(UTC).strftime(INSTANT_FORMAT)


def format_optional(moment: datetime | None) -> str | None:
    """``format_instant`` that passes ``None`` through (an instant not reached yet)."""
    return None if moment is None else format_instant(moment)


def parse_instant(text: str) -> datetime:
    """The aware UTC datetime that ``format_instant`` wrote as ``text``."""
    return datetime.strptime(text, INSTANT_FORMAT).replace(tzinfo=UTC)


def parse_optional(text: str | None) -> datetime | None:
    """``parse_instant`` that passes ``None`` through."""
    return None if text is None else parse_instant(text)


def utc_now() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)
