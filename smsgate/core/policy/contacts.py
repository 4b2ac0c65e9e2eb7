"""The facts a contact decision is made from: who, what, when, and what came before.

These are plain values so that the storage layer can build them from rows and
tests can build them by hand. Phone numbers arrive already validated as E.164
by the HTTP edge and are compared as given; time zone names are checked when a
decision needs them (``UnknownTimeZone``).

Opt-outs are part of the request and deliberately have no default: a caller
that forgot to look them up must not be told the recipient may be contacted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from smsgate.core.audience import Audience
from smsgate.core.policy.local_time import require_aware


class Channel(StrEnum):
    """How a contact was made; SMS and recorded calls count alike against caps."""

    SMS = "sms"
    CALL = "call"


@dataclass(frozen=True, slots=True)
class Recipient:
    """The person a message is for, as the sender described them.

    ``timezone`` is the sender's claim of a geographic IANA zone; it is
    checked against the zones the number may be in and never narrows them
    (``zones``). ``None``: judged in the number's zones, or in the profile's
    default zone if the number cannot be placed. ``tags`` select blackout
    windows (``student`` …).
    """

    phone: str
    debtor_id: str
    role: Audience
    timezone: str | None = None
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Contact:
    """One earlier (or already scheduled) SMS or recorded call for a debtor."""

    at: datetime
    debtor_id: str
    phone: str
    channel: Channel
    role: Audience

    def __post_init__(self) -> None:
        require_aware(self.at, "Contact.at")


@dataclass(frozen=True, slots=True)
class ContactStatus:
    """What the do-not-contact records say about the recipient's phone.

    ``opted_out``: the phone asked this creditor to stop (退订, TD, STOP, or the
    opt-out API). ``third_party_refused``: a third party at this phone refused
    further contact, which stops all contact with the phone for good.
    ``detached``: the phone's holder replied that it is not this debtor's
    number (wrong number); it is no longer contacted for this debtor.
    """

    opted_out: bool
    third_party_refused: bool = False
    detached: bool = False


@dataclass(frozen=True, slots=True)
class ContactRequest:
    """A wish to send one message from a template of ``audience`` to ``recipient``.

    ``send_at`` is when the sender wants it to go (``None``: now).
    """

    recipient: Recipient
    audience: Audience
    status: ContactStatus
    send_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.send_at is not None:
            require_aware(self.send_at, "ContactRequest.send_at")

    def send_time(self, now: datetime) -> datetime:
        """The earliest instant (UTC) the message could go: ``send_at``, never before ``now``.

        Pass this to ``history_window`` so storage fetches the history ``decide``
        will use.
        """
        require_aware(now, "now")
        if self.send_at is None or self.send_at < now:
            return now.astimezone(UTC)
        return self.send_at.astimezone(UTC)
