"""Recording calls in the contact ledger, so that caps count SMS and calls together.

The daily cap (3 contacts per debtor in ``cn-shenzhen``) covers calls made by
the creditor's own call centre, which the gateway never sees; upstream systems
report them here. Only calls: an SMS enters the ledger in the same
transaction that accepts it, so recording one here would count it twice.

When a call may be recorded is bounded on both sides:

* not in the future beyond :data:`MAX_CLOCK_SKEW` (five minutes of drift
  between the call system's clock and ours): a call that has not happened
  would take a cap slot of a day that has not begun;
* not older than :data:`MAX_AGE` (seven days, the longest cap window of any
  profile, ``us-reg-f``'s 7-in-7): an older call cannot change any decision
  still to be made, and accepting it would let a late import quietly rewrite
  the history that past decisions were made against.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from smsgate.core.policy.contacts import Channel
from smsgate.logs import mask_phone
from smsgate.service.refusals import invalid_request
from smsgate.store import AuditEvent, ContactRecord, Store, format_instant

#: How far ahead of our clock a reported call may be (clock drift, not scheduling).
MAX_CLOCK_SKEW = timedelta(minutes=5)
#: How far back a call may be reported: the longest cap window of any profile.
MAX_AGE = timedelta(days=7)
#: The audit action of a recorded call (the audit log accepts names beyond ``AuditAction``).
CONTACT_RECORDED = "contact.recorded"

log = structlog.get_logger(__name__)


def check_recordable(contact: ContactRecord, now: datetime) -> None:
    """Refuse a contact this route must not record.

    Raises an ``invalid_request`` :class:`~smsgate.service.refusals.Refusal`
    for an SMS, a call in the future (beyond the skew) or older than
    :data:`MAX_AGE`.
    """
    if contact.channel != Channel.CALL:
        raise invalid_request(
            "channel must be 'call': the gateway records every SMS it accepts itself"
        )
    if contact.at > now + MAX_CLOCK_SKEW:
        raise invalid_request("at is in the future: record a call once it has been made")
    if contact.at < now - MAX_AGE:
        raise invalid_request(
            f"at is more than {MAX_AGE.days} days ago: too old to count against any cap"
        )


async def record_contact(
    store: Store, contact: ContactRecord, actor: str, now: datetime
) -> ContactRecord:
    """Add ``contact`` to the ledger and audit it; returns the stored record.

    Raises what :func:`check_recordable` raises.
    """
    check_recordable(contact, now)
    async with store.transaction() as tx:
        await tx.contacts.record(contact)
        await tx.audit.append(_audit_event(contact, actor, now))
    log.info(
        "contact_recorded",
        creditor=contact.creditor_id,
        kind=contact.channel.value,
        role=contact.role.value,
        phone=mask_phone(contact.phone),
        actor=actor,
    )
    return contact


def _audit_event(contact: ContactRecord, actor: str, now: datetime) -> AuditEvent:
    return AuditEvent(
        at=now,
        creditor_id=contact.creditor_id,
        actor=actor,
        action=CONTACT_RECORDED,
        subject=contact.debtor_id,
        detail={
            "phone": contact.phone,
            "role": contact.role.value,
            "channel": contact.channel.value,
            "contact_at": format_instant(contact.at),
        },
    )
