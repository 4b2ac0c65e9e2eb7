"""The contact rules, one callable each, applied in a fixed order.

The order is the order a compliance reviewer expects to read a refusal in:

1. ``opt-out``: a phone that opted out, or whose third party refused
   contact, is never contacted; nothing else matters.
2. ``audience``: a debtor gets debtor templates, a third party gets only
   ``third_party`` templates (a call-back request that never mentions the
   debt).
3. ``timezone``: a supplied time zone must be one the number may be in
   (``zones``); otherwise the label is wrong and nothing it implies is judged.
4. ``contact-hours``: only inside the local contact hours and outside the
   recipient's tag blackouts, in every zone the number may be in; the sender
   chooses to defer or to be refused.
5. ``contact-cap``: the debtor's (or the third party's phone's) cap, and for
   a debtor also the cap on debtor contacts to the phone (any ``debtor_id``).

A rule returns ``None`` to let the message through to the next rule, or the
decision that stops it. Deferral looks ahead day by day for the first
allowed instant on a day whose cap still has room, so a deferred message never
lands on a day that is already full.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from smsgate.core.audience import Audience
from smsgate.core.policy.caps import CapLedgers
from smsgate.core.policy.contacts import ContactRequest
from smsgate.core.policy.decisions import Decision, Defer, OnQuietHours, PolicyCode, Refuse
from smsgate.core.policy.hours import EveryZoneHours
from smsgate.core.policy.local_time import days_between, local_date
from smsgate.core.policy.zones import RecipientZones


@dataclass(frozen=True, slots=True)
class Situation:
    """Everything the rules look at for one request, with the time zones resolved.

    ``hours`` are judged in every zone of ``zones``; dates are the calendar zone's.
    """

    request: ContactRequest
    zones: RecipientZones
    hours: EveryZoneHours
    ledger: CapLedgers
    send_time: datetime
    lookahead_days: int
    on_quiet_hours: OnQuietHours

    @property
    def send_day(self) -> date:
        """The recipient's local date at the send time."""
        return local_date(self.send_time, self.hours.zone)

    def next_slot(self, *, within_cap: bool = True) -> datetime | None:
        """The first allowed instant at or after the send time, or ``None``.

        Looks at the send day and ``lookahead_days`` days after it; with
        ``within_cap`` it skips days on which one more contact would break the cap.
        """
        last_day = self.send_day + timedelta(days=self.lookahead_days)
        for day in days_between(self.send_day, last_day):
            if within_cap and not self.ledger.has_room_on(day):
                continue
            for span in self.hours.open_spans(day):
                if span.end > self.send_time:
                    return max(span.start, self.send_time)
        return None

    def local(self, instant: datetime) -> str:
        """``instant`` as the recipient's clock shows it, for reasons."""
        return f"{instant.astimezone(self.hours.zone):%Y-%m-%d %H:%M} {self.hours.zone.key}"


@dataclass(frozen=True, slots=True)
class Rule:
    """A named contact rule with the code it refuses with and what it means."""

    name: str
    code: PolicyCode
    description: str
    check: Callable[[Situation], Decision | None]

    def __call__(self, situation: Situation) -> Decision | None:
        return self.check(situation)


def refuse_opted_out(situation: Situation) -> Decision | None:
    """Refuse any phone that opted out, whose third party refused, or detached from the debtor."""
    status = situation.request.status
    if status.third_party_refused:
        reason = "a third party at this phone refused contact; the phone is never contacted again"
        return Refuse(PolicyCode.OPTED_OUT, reason)
    if status.opted_out:
        return Refuse(PolicyCode.OPTED_OUT, "this phone opted out of messages from the creditor")
    if status.detached:
        reason = (
            "wrong number: the phone's holder replied it is not this debtor's number; "
            "it is no longer contacted for this debtor"
        )
        return Refuse(PolicyCode.OPTED_OUT, reason)
    return None


def refuse_audience_mismatch(situation: Situation) -> Decision | None:
    """Refuse a template written for the other audience than the recipient's role."""
    role, audience = situation.request.recipient.role, situation.request.audience
    if role == audience:
        return None
    if role == Audience.THIRD_PARTY:
        reason = (
            "a third party may only receive third_party templates (a call-back request "
            f"that never mentions the debt); this template is for {audience}"
        )
    else:
        reason = f"a debtor must receive debtor templates; this template is for {audience}"
    return Refuse(PolicyCode.AUDIENCE_MISMATCH, reason)


def refuse_zone_mismatch(situation: Situation) -> Decision | None:
    """Refuse a supplied time zone that the number is not in: the label is wrong."""
    zones = situation.zones
    if not zones.mismatch:
        return None
    if not zones.of_number:
        return Refuse(
            PolicyCode.TIMEZONE_MISMATCH,
            f"recipient.timezone {zones.supplied} is not a geographic time zone; omit it "
            "or give the IANA name of a place",
        )
    known = ", ".join(zones.of_number[:5]) + (" …" if len(zones.of_number) > 5 else "")
    reason = (
        f"recipient.timezone {zones.supplied} is not a time zone this number may be in "
        f"(its zones: {known}); omit it or give one of those"
    )
    return Refuse(PolicyCode.TIMEZONE_MISMATCH, reason)


def keep_contact_hours(situation: Situation) -> Decision | None:
    """Defer or refuse a send time outside the contact hours or inside a blackout."""
    if situation.hours.is_open(situation.send_time):
        return None
    closed = situation.hours.why_closed(situation.send_time)
    slot = situation.next_slot()
    if situation.on_quiet_hours == OnQuietHours.REJECT:
        return Refuse(PolicyCode.QUIET_HOURS, closed, retry_at=slot)
    if slot is None:
        return _nowhere_to_defer(situation, closed)
    return Defer(slot, f"{closed}; deferred to {situation.local(slot)}{_skipped(situation, slot)}")


def keep_contact_cap(situation: Situation) -> Decision | None:
    """Refuse a message that would exceed the recipient's contact cap."""
    day = situation.send_day
    if situation.ledger.has_room_on(day):
        return None
    reason = f"contact limit reached: {situation.ledger.why_full(day)}"
    return Refuse(PolicyCode.CONTACT_LIMIT, reason, retry_at=situation.next_slot())


def _nowhere_to_defer(situation: Situation, closed: str) -> Refuse:
    horizon = f"the next {situation.lookahead_days} days"
    if situation.next_slot(within_cap=False) is None:
        return Refuse(PolicyCode.QUIET_HOURS, f"{closed}; no allowed hours in {horizon}")
    reason = f"{closed}; every day with allowed hours in {horizon} has reached its contact limit"
    return Refuse(PolicyCode.CONTACT_LIMIT, reason)


def _skipped(situation: Situation, slot: datetime) -> str:
    """Why the deferral passes over days that have allowed hours but a full cap."""
    first_open = situation.next_slot(within_cap=False)
    zone = situation.hours.zone
    if first_open is None or local_date(first_open, zone) == local_date(slot, zone):
        return ""
    full_day = local_date(first_open, zone)
    return f", passing over {full_day.isoformat()}: {situation.ledger.why_full(full_day)}"


#: The rules in the order they are applied; the first to object decides.
RULES: tuple[Rule, ...] = (
    Rule(
        "opt-out",
        PolicyCode.OPTED_OUT,
        "A phone that opted out, or whose third party refused contact, is never contacted.",
        refuse_opted_out,
    ),
    Rule(
        "audience",
        PolicyCode.AUDIENCE_MISMATCH,
        "The template's audience must match the recipient's role (debtor or third party).",
        refuse_audience_mismatch,
    ),
    Rule(
        "timezone",
        PolicyCode.TIMEZONE_MISMATCH,
        "A supplied time zone must be one of the zones the phone number may be in.",
        refuse_zone_mismatch,
    ),
    Rule(
        "contact-hours",
        PolicyCode.QUIET_HOURS,
        "Contact only within the local contact hours and outside the recipient's blackouts, "
        "in every time zone the phone number may be in.",
        keep_contact_hours,
    ),
    Rule(
        "contact-cap",
        PolicyCode.CONTACT_LIMIT,
        "At most the profile's number of contacts per debtor and per debtor's phone, "
        "or per third-party phone.",
        keep_contact_cap,
    ),
)
