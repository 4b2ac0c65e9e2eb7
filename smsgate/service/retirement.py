"""What retiring a template does to the messages it already queued: they are rejected.

Retiring is how a creditor or a reviewer withdraws a text, often because it
was found to be wrong. A message rendered from it and still waiting (queued,
scheduled for later, or held for a reviewer) must not go out afterwards, so
the retirement's own transaction settles them the way a stop reply settles
what waits for a phone (``replies``): each becomes ``rejected`` with the
reason ``template_retired``, leaves the outbox, gives back its contact slot,
and gets an audit entry. Held ones are rejected too rather than left for a
reviewer: no version serves, so the only decision left would be to reject.

The dispatcher's re-check and a reviewer's release refuse a version that no
longer serves as well (``store.version_serves``): whatever slips past this
settlement (a message accepted in a transaction that raced the retirement)
is stopped there.
"""

from __future__ import annotations

from datetime import datetime

from smsgate.service import booking
from smsgate.service.principals import Principal
from smsgate.store import TEMPLATE_RETIRED, AuditEvent, JsonValue, MessageStatus, UnitOfWork
from smsgate.store.audit import AuditAction


async def settle_retired(
    tx: UnitOfWork, actor: Principal, template_id: str, reason: str, now: datetime
) -> list[str]:
    """Reject the template's pending messages inside ``tx``; their ids, oldest first."""
    rejected = []
    detail = f"{TEMPLATE_RETIRED}: the template was retired ({reason})"
    pending = await tx.messages.pending_of_template(actor.creditor_id, template_id)
    # ``withdraw`` takes each message's phone lock; taken here first, in one
    # order, two retirements sharing phones never wait on each other in a circle.
    for phone in sorted({message.phone for message in pending}):
        await tx.contacts.hold_phone(actor.creditor_id, phone)
    for message in pending:
        if not await booking.withdraw(tx, message, MessageStatus.REJECTED, now, detail):
            continue  # moved on since it was read (``booking.withdraw``)
        facts: dict[str, JsonValue] = {
            "reason": TEMPLATE_RETIRED,
            "template_id": template_id,
            "template_version": message.template_version,
            "was": message.status.value,
        }
        event = AuditEvent(
            now, actor.creditor_id, actor.key_id, AuditAction.MESSAGE_REJECTED, message.id, facts
        )
        await tx.audit.append(event)
        rejected.append(message.id)
    return rejected
