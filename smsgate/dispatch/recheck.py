"""The send-time re-check: may this accepted message still go out now?

Between acceptance and sending, time passes (a backlog, a retry, a
``send_at`` hours ahead) and facts change: the recipient may have opted out
(退订) or the send time may now fall in quiet hours. So the dispatcher asks
the core policy again, right before each hand-over, with what it knows *now*.

What is re-checked, and what deliberately is not:

* opt-outs and third-party refusals: read fresh from the store;
* contact hours and tag blackouts in every time zone the recipient's number
  may be in (derived from the phone again by ``decide``, so a stored
  ``timezone`` is checked, never trusted): at the dispatcher's ``now``;
  outside them the message is *deferred* to the next allowed instant, never
  refused (the sender accepted the message to go). A stored zone the number
  cannot be in (accepted before zones were checked) is refused
  ``timezone_mismatch``;
* contact caps are re-checked only when the send moves to another local
  day than its booking. The cap was reserved at acceptance: the message's
  own contact was booked in the ledger then, on the day it was to go. As
  long as it goes that day, it is already counted, and deciding again
  would count it against itself (the third of three allowed contacts would
  look like a fourth), so ``recheck`` passes an empty history, which turns
  the cap rule into a no-op. But a send the dispatcher moves (a backlog, an
  outage, a retry's backoff or open circuits carry a 20:59 message past
  21:00, and quiet hours defer it to 08:00 tomorrow) lands on a day whose
  contacts never counted it: ``recheck_moved`` judges that day's caps with
  the ledger *without the message's own booking*, as the send path would,
  and the dispatcher moves the booking with the send in the same
  transaction. A full day passes the message on to the first day with
  room within the profile's lookahead, or, with none, it is refused
  (``contact_limit``) and its booking withdrawn;
* the audience cannot change (a template's audience and a message's role are
  fixed), so the message's role is passed as the audience;
* a stop confirmation (``smsgate.service.confirmations``) is not a collection
  contact and skips the policy: ``recheck_confirmation`` lets it through the
  one opt-out it confirms, and through nothing else, within
  ``CONFIRMATION_VALIDITY`` of the stop.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from smsgate.core.policy import (
    Allow,
    Contact,
    ContactRequest,
    ContactStatus,
    Decision,
    Defer,
    OnQuietHours,
    PolicyCode,
    PolicyProfile,
    Recipient,
    Refuse,
    decide,
    history_window,
    profile_from_config,
    recipient_zones,
)
from smsgate.core.policy.local_time import local_date
from smsgate.service import booking
from smsgate.store import Creditor, Message, OptOut, OptOutKind, StopConfirmation


def recheck(
    message: Message, creditor: Creditor, opt_outs: Iterable[OptOut], now: datetime
) -> Decision:
    """``Allow`` now, ``Defer`` to the next allowed instant, or ``Refuse`` (an opt-out).

    ``opt_outs`` are the phone's active opt-outs for the creditor. Raises
    ``PolicyError`` for a creditor's broken profile or an unknown time zone.
    """
    profile = profile_from_config(creditor.profile_name, creditor.profile_overrides)
    request = ContactRequest(recipient_of(message), message.role, _contact_status(opt_outs))
    return decide(request, profile, (), now, OnQuietHours.DEFER)


def moved_day_window(
    message: Message, creditor: Creditor, booked_at: datetime, slot: datetime
) -> tuple[datetime, datetime] | None:
    """The ledger span ``recheck_moved`` needs when ``slot`` is on another local day than
    the booking at ``booked_at``; ``None`` when the send stays on its booked day.

    Raises ``PolicyError`` as ``recheck`` does.
    """
    profile = profile_from_config(creditor.profile_name, creditor.profile_overrides)
    zone = _calendar_zone(message, profile)
    if local_date(booked_at, zone) == local_date(slot, zone):
        return None
    return history_window(profile, recipient_of(message), slot)


def recheck_moved(
    message: Message,
    creditor: Creditor,
    opt_outs: Iterable[OptOut],
    slot: datetime,
    others: Iterable[Contact],
    now: datetime,
) -> Decision:
    """The caps' say on a send moved to ``slot``, an allowed instant on another local day.

    ``others`` are the ledger's contacts in ``moved_day_window`` *without* the
    message's own booking. ``Allow`` at ``slot`` if its day has room; a
    ``Defer`` (code ``contact_limit``) to the first allowed instant on a day
    with room within the lookahead; else ``Refuse`` with ``contact_limit``.
    Raises ``PolicyError`` as ``recheck`` does.
    """
    profile = profile_from_config(creditor.profile_name, creditor.profile_overrides)
    request = ContactRequest(recipient_of(message), message.role, _contact_status(opt_outs), slot)
    decision = decide(request, profile, others, now, OnQuietHours.DEFER)
    if not isinstance(decision, Refuse) or decision.code != PolicyCode.CONTACT_LIMIT:
        return decision
    if decision.retry_at is None:
        horizon = f"no day with room in the next {profile.lookahead_days} days"
        return Refuse(decision.code, f"{decision.reason}; {horizon}")
    zone = _calendar_zone(message, profile)
    moved = f"{decision.retry_at.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"
    return Defer(decision.retry_at, f"{decision.reason}; moved to {moved}", decision.code)


def _calendar_zone(message: Message, profile: PolicyProfile) -> ZoneInfo:
    """The zone whose local dates the caps count in, as ``decide`` chooses it."""
    return recipient_zones(message.phone, message.timezone, profile.default_timezone).calendar


def rechecked_slot(decision: Allow | Defer, now: datetime) -> datetime:
    """The instant a re-checked message goes: now, or when it was deferred to."""
    return now if isinstance(decision, Allow) else decision.until


def recipient_of(message: Message) -> Recipient:
    """The recipient as the message was accepted for."""
    return Recipient(
        phone=message.phone,
        debtor_id=message.debtor_id,
        role=message.role,
        timezone=message.timezone,
        tags=message.tags,
    )


def _contact_status(opt_outs: Iterable[OptOut]) -> ContactStatus:
    """What the active opt-outs of a phone say, as the send path reads them.

    The one reading of ``booking.contact_status``: any kind stops automatic
    sending, a do-not-contact flag (a complaint) included, since sending
    anyway is the one mistake the gateway must never make.
    """
    return booking.contact_status({opt_out.kind for opt_out in opt_outs})


#: How long after the stop a queued confirmation may still go; later it would
#: no longer read as the answer to the recipient's 退订, so it is refused.
CONFIRMATION_VALIDITY = timedelta(hours=24)


def recheck_confirmation(
    confirmation: StopConfirmation, opt_outs: Iterable[OptOut], now: datetime
) -> Refuse | None:
    """``None`` if the stop confirmation may go now, else why not (``opted_out``).

    It goes only while the opt-out it confirms (kind ``opt_out``, its instant
    the confirmation's key) is active, no other flag stands on the phone (a
    complaint or a third party's refusal stops it too), and within
    ``CONFIRMATION_VALIDITY`` of the stop. Quiet hours and caps do not apply:
    it answers the recipient's own message and is no contact.
    """
    if now - confirmation.at > CONFIRMATION_VALIDITY:
        hours = int(CONFIRMATION_VALIDITY.total_seconds() // 3600)
        return Refuse(PolicyCode.OPTED_OUT, f"a stop confirmation expires {hours} h after the stop")
    flags = list(opt_outs)
    confirmed = [
        flag for flag in flags
        if flag.kind == OptOutKind.OPT_OUT and flag.at == confirmation.opted_out_at
    ]  # fmt: skip
    if not confirmed:
        return Refuse(PolicyCode.OPTED_OUT, "the opt-out this confirmation answers was lifted")
    others = sorted({flag.kind.value for flag in flags if flag not in confirmed})
    if others:
        kinds = ", ".join(others)
        return Refuse(PolicyCode.OPTED_OUT, f"the phone has a {kinds} flag besides the opt-out")
    return None
