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
* contact caps are NOT re-checked. The cap was reserved at acceptance: the
  message's own contact was booked in the ledger then, so it is already
  counted. Deciding again with the ledger would count the message against
  itself (the third of three allowed contacts would look like a fourth) and
  refuse a message the cap rightly admitted. So the history passed to
  ``decide`` is empty, which turns the cap rule into a no-op;
* the audience cannot change (a template's audience and a message's role are
  fixed), so the message's role is passed as the audience.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from smsgate.core.policy import (
    ContactRequest,
    ContactStatus,
    Decision,
    OnQuietHours,
    Recipient,
    decide,
    profile_from_config,
)
from smsgate.store import Creditor, Message, OptOut, OptOutKind


def recheck(
    message: Message, creditor: Creditor, opt_outs: Iterable[OptOut], now: datetime
) -> Decision:
    """``Allow`` now, ``Defer`` to the next allowed instant, or ``Refuse`` (an opt-out).

    ``opt_outs`` are the phone's active opt-outs for the creditor. Raises
    ``PolicyError`` for a creditor's broken profile or an unknown time zone.
    """
    profile = profile_from_config(creditor.profile_name, creditor.profile_overrides)
    recipient = Recipient(
        phone=message.phone,
        debtor_id=message.debtor_id,
        role=message.role,
        timezone=message.timezone,
        tags=message.tags,
    )
    request = ContactRequest(recipient, message.role, contact_status(opt_outs))
    return decide(request, profile, (), now, OnQuietHours.DEFER)


def contact_status(opt_outs: Iterable[OptOut]) -> ContactStatus:
    """What the active opt-outs of a phone say; any kind stops automatic sending.

    A do-not-contact flag (a complaint) counts as an opt-out here: sending
    anyway is the one mistake the gateway must never make.
    """
    kinds = {opt_out.kind for opt_out in opt_outs}
    return ContactStatus(
        opted_out=bool(kinds & {OptOutKind.OPT_OUT, OptOutKind.DO_NOT_CONTACT}),
        third_party_refused=OptOutKind.THIRD_PARTY_REFUSAL in kinds,
    )
