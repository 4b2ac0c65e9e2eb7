"""The contact decision, and the slice of contact history it needs.

Storage and the decision must agree on which history matters, or a cap could
be judged on a partial count. So the same module answers both questions:
``history_window`` says which contacts to fetch for a send time, and
``decide`` looks at no day outside it. The window covers the recipient's
local send day, the ``lookahead_days`` days a message may be deferred into
(a message deferred to tomorrow 08:00 competes with what is already booked
for tomorrow), and, for caps over several days, the days before and after
that share a period with any of those days.

Nothing here reads the clock: ``now`` is an argument, so every decision can
be replayed exactly for an audit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from smsgate.core.policy.caps import CapLedger, CapLedgers, CapScope
from smsgate.core.policy.contacts import Contact, ContactRequest, Recipient
from smsgate.core.policy.decisions import Allow, Decision, OnQuietHours
from smsgate.core.policy.hours import EveryZoneHours
from smsgate.core.policy.local_time import earliest_instant, latest_instant, local_date
from smsgate.core.policy.profiles import PolicyProfile
from smsgate.core.policy.rules import RULES, Situation
from smsgate.core.policy.zones import RecipientZones, recipient_zones

_MIDNIGHT = time(0)


def history_window(
    profile: PolicyProfile, recipient: Recipient, when: datetime
) -> tuple[datetime, datetime]:
    """The span ``[start, end)`` in UTC of the contacts a decision at ``when`` needs.

    ``when`` is the request's ``send_time(now)``. Storage should return every
    contact with ``start <= at < end`` that counts for the recipient: for a
    debtor, debtor contacts with the same ``debtor_id`` on any phone and debtor
    contacts to the same phone with any ``debtor_id`` (the phone cap); for a
    third party, every contact to that phone. Fetching more does no harm.
    Raises ``UnknownTimeZone`` for a recipient's unknown time zone. Days are
    counted in the recipient's calendar zone (``zones.RecipientZones``).
    """
    zone = _zones(profile, recipient).calendar
    period = profile.cap_days_for(recipient.role)
    send_day = local_date(when, zone)
    first = send_day - timedelta(days=period - 1)
    after_last = send_day + timedelta(days=profile.lookahead_days + period)
    # The latest midnight: on a zone that repeats midnight, contacts dated the
    # day before can lie after its first occurrence.
    return earliest_instant(first, _MIDNIGHT, zone), latest_instant(after_last, _MIDNIGHT, zone)


def decide(
    request: ContactRequest,
    profile: PolicyProfile,
    history: Iterable[Contact],
    now: datetime,
    on_quiet_hours: OnQuietHours | Literal["defer", "reject"],
) -> Decision:
    """Whether, and when, ``request`` may be sent under ``profile``.

    ``history`` holds the contacts inside ``history_window`` (already made or
    already scheduled). Returns ``Allow`` at the send time, ``Defer`` to the
    first allowed instant when the send time is in quiet hours and the sender
    asked to defer, or ``Refuse`` with the code of the first rule that objects
    (see ``rules.RULES``). Raises ``UnknownTimeZone`` for a recipient's time
    zone that the tz database lacks and ``ValueError`` for naive datetimes.
    The contact hours are judged in every zone the recipient's number may be
    in (``zones``); a supplied zone that is not one of them is refused.
    """
    recipient = request.recipient
    zones = _zones(profile, recipient)
    blackouts = profile.blackouts_for(recipient.tags)
    situation = Situation(
        request=request,
        zones=zones,
        hours=EveryZoneHours.of(profile.contact_hours, blackouts, zones.every),
        ledger=_ledgers(profile, recipient, history, zones.calendar),
        send_time=request.send_time(now),
        lookahead_days=profile.lookahead_days,
        on_quiet_hours=OnQuietHours(on_quiet_hours),
    )
    for rule in RULES:
        decision = rule(situation)
        if decision is not None:
            return decision
    return Allow(situation.send_time)


def _zones(profile: PolicyProfile, recipient: Recipient) -> RecipientZones:
    return recipient_zones(recipient.phone, recipient.timezone, profile.default_timezone)


def _ledgers(
    profile: PolicyProfile, recipient: Recipient, history: Iterable[Contact], zone: ZoneInfo
) -> CapLedgers:
    """The recipient's own ledger and, for a debtor, the ledger of the debtor's phone."""
    contacts = tuple(history)
    own = CapLedger.of(recipient, profile.cap_for(recipient.role), contacts, zone)
    phone_cap = profile.phone_cap_for(recipient.role)
    if phone_cap is None:
        return CapLedgers((own,))
    phone = CapLedger.of(recipient, phone_cap, contacts, zone, CapScope.PHONE)
    return CapLedgers((own, phone))
