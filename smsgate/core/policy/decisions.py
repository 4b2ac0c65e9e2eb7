"""What the contact policy answers: allow, defer to a later instant, or refuse.

The reason codes are part of the HTTP contract (DESIGN.md) and the audit
trail, so they are stable strings; the ``reason`` texts are English sentences
written for a compliance reviewer and may be reworded. Every instant in a
decision is in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeAlias


class PolicyCode(StrEnum):
    """Which contact rule refused or moved a message; the strings are part of the HTTP contract.

    The use cases' ``RefusalCode`` (``smsgate.service.refusals``) takes these
    members' values as its own, so each string is spelled here only.
    """

    OPTED_OUT = "opted_out"
    AUDIENCE_MISMATCH = "audience_mismatch"
    QUIET_HOURS = "quiet_hours"
    CONTACT_LIMIT = "contact_limit"
    TIMEZONE_MISMATCH = "timezone_mismatch"


class OnQuietHours(StrEnum):
    """What the sender wants when the send time falls in quiet hours or a blackout."""

    DEFER = "defer"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class Allow:
    """The message may go at ``send_at``."""

    send_at: datetime


@dataclass(frozen=True, slots=True)
class Defer:
    """The message may not go at the requested time but may at ``until``.

    ``until`` is the first allowed instant at or after the requested time on a
    day whose contact cap still has room; ``code`` says what moved it.
    """

    until: datetime
    reason: str
    code: PolicyCode = PolicyCode.QUIET_HOURS


@dataclass(frozen=True, slots=True)
class Refuse:
    """The message must not go as requested.

    ``retry_at`` is the first instant at which the same request would be
    allowed if nothing else changes, or ``None`` if it never will be (an
    opt-out) or no such instant lies within the profile's look-ahead.
    """

    code: PolicyCode
    reason: str
    retry_at: datetime | None = None


Decision: TypeAlias = Allow | Defer | Refuse
