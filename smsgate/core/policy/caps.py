"""How often a recipient may be contacted, counted on the recipient's calendar.

A cap is "at most ``limit`` contacts in any ``days`` consecutive local
calendar days". One day is the Chinese industry rule (3 per debtor per day);
seven is Regulation F's "7-in-7", whose official commentary counts calendar
days: seven calls from Wednesday April 1 to Tuesday April 7 allow the next
one on Wednesday April 8 (12 CFR 1006, comment 14(b)(2)(i)-1.i). Counting
whole local dates also keeps a 23- or 25-hour DST day one day.

The ledger counts every contact it is given on its local date, including ones
scheduled later than the message being decided (a message deferred to
tomorrow 08:00 is tomorrow's contact). Adding one contact on a day must keep
*every* run of ``days`` days containing it within the limit, not only the run
ending that day, or a future booking could be pushed over the cap.

A debtor's contact must fit two ledgers (``CapLedgers``): the debtor's own,
over all of the debtor's phones, and the phone's, over every debtor id sent
to it (``CapScope.PHONE``), because a ``debtor_id`` is only what the client
says, while the phone is whom the text reaches.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from smsgate.core.audience import Audience
from smsgate.core.policy.contacts import Contact, Recipient
from smsgate.core.policy.errors import ProfileError
from smsgate.core.policy.local_time import days_between, local_date

#: The longest period a cap may span; a year keeps the counting cheap and sane.
MAX_CAP_DAYS = 366


@dataclass(frozen=True, slots=True)
class ContactCap:
    """At most ``limit`` contacts in any ``days`` consecutive local calendar days.

    ``limit`` 0 forbids contact altogether (a creditor that never texts third
    parties); ``days`` 1 means per local calendar day.
    """

    limit: int
    days: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 0:
            raise ProfileError(f"a contact limit must be a whole number ≥ 0, got {self.limit!r}")
        if isinstance(self.days, bool) or not isinstance(self.days, int):
            raise ProfileError(f"a cap period must be a whole number of days, got {self.days!r}")
        if not 1 <= self.days <= MAX_CAP_DAYS:
            raise ProfileError(f"a cap period must be 1 to {MAX_CAP_DAYS} days, got {self.days}")

    def __str__(self) -> str:
        if self.days == 1:
            return f"at most {_contacts(self.limit)} per local day"
        return f"at most {_contacts(self.limit)} in any {self.days} consecutive local days"


class CapScope(StrEnum):
    """Whose contacts a ledger counts."""

    #: The recipient's own: a debtor's on any phone, a third party's phone's in any role.
    RECIPIENT = "recipient"
    #: Every debtor contact to the debtor's phone, whatever ``debtor_id`` it named.
    PHONE = "phone"


@dataclass(frozen=True, slots=True)
class CapLedger:
    """The contacts that count against one recipient's cap, by local date.

    An in-memory count built from the history the store's ``ContactLedger``
    returned; that port holds every contact, this counts one cap's share of it.
    """

    cap: ContactCap
    per_day: Mapping[date, int]
    scope: CapScope = CapScope.RECIPIENT

    @classmethod
    def of(
        cls,
        recipient: Recipient,
        cap: ContactCap,
        history: Iterable[Contact],
        zone: ZoneInfo,
        scope: CapScope = CapScope.RECIPIENT,
    ) -> CapLedger:
        """Count the contacts of ``history`` that count for ``recipient`` in ``scope``.

        A debtor's cap counts debtor contacts with the same ``debtor_id`` on any
        phone; a third party's cap counts every contact to that phone, in
        whatever role it was made; a debtor's phone cap counts debtor contacts
        to the debtor's phone, whatever their ``debtor_id``.
        """
        counted = (contact for contact in history if _counts_for(recipient, contact, scope))
        return cls(cap, Counter(local_date(contact.at, zone) for contact in counted), scope)

    def has_room_on(self, day: date) -> bool:
        """Whether one more contact on ``day`` keeps every period within the limit."""
        return self.busiest_period(day)[1] < self.cap.limit

    def busiest_period(self, day: date) -> tuple[date, int]:
        """The first day and contact count of the fullest period containing ``day``."""
        length = self.cap.days
        first = day - timedelta(days=length - 1)
        span = days_between(first, day + timedelta(days=length - 1))
        daily = [self.per_day.get(each, 0) for each in span]
        running = sum(daily[:length])
        best_offset, best = 0, running
        for offset in range(1, length):
            running += daily[offset + length - 1] - daily[offset - 1]
            if running > best:
                best_offset, best = offset, running
        return first + timedelta(days=best_offset), best

    def why_full(self, day: date) -> str:
        """A reviewer-readable reason why no contact fits on ``day``."""
        start, count = self.busiest_period(day)
        whose = " to this phone (any debtor_id)" if self.scope == CapScope.PHONE else ""
        cap = f"{self.cap} per phone" if self.scope == CapScope.PHONE else str(self.cap)
        if self.cap.days == 1:
            return f"{_contacts(count)}{whose} already on {start.isoformat()}; {cap}"
        end = start + timedelta(days=self.cap.days - 1)
        return f"{_contacts(count)}{whose} already from {start} to {end}; {cap}"


@dataclass(frozen=True, slots=True)
class CapLedgers:
    """Every ledger one more contact must fit: a day has room only if it has room in all."""

    ledgers: tuple[CapLedger, ...]

    def has_room_on(self, day: date) -> bool:
        """Whether one more contact on ``day`` keeps every cap within its limit."""
        return all(ledger.has_room_on(day) for ledger in self.ledgers)

    def why_full(self, day: date) -> str:
        """A reviewer-readable reason naming the first cap (the recipient's own before the
        phone's) that has no room on ``day``."""
        full = (ledger for ledger in self.ledgers if not ledger.has_room_on(day))
        return next(full, self.ledgers[0]).why_full(day)


def _contacts(count: int) -> str:
    return f"{count} contact" if count == 1 else f"{count} contacts"


def _counts_for(recipient: Recipient, contact: Contact, scope: CapScope) -> bool:
    if recipient.role == Audience.THIRD_PARTY:
        return contact.phone == recipient.phone
    if contact.role != Audience.DEBTOR:
        return False
    if scope == CapScope.PHONE:
        return contact.phone == recipient.phone
    return contact.debtor_id == recipient.debtor_id
