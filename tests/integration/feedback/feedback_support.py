"""Messages recorded as handed to a carrier, so reports and replies have something to match.

Written straight through the store (message, finished attempt, status), as
the dispatcher leaves them, so these tests do not depend on how it routes.
"""

from __future__ import annotations

from datetime import datetime

from smsgate.carriers import client_reference
from smsgate.store import AttemptOutcome, Message, MessageStatus, SendAttempt, Store

from ..dispatch.dispatch_support import T0, Tenant


async def sent(
    store: Store,
    tenant: Tenant,
    count: int = 1,
    *,
    carrier: str = "fake",
    created_at: datetime = T0,
) -> list[Message]:
    """``count`` messages sent through ``carrier`` (first attempt, carrier id ``fake-{ref}``)."""
    created = created_at
    messages = [tenant.message(created_at=created) for _ in range(count)]
    async with store.transaction() as tx:
        for message in messages:
            reference = client_reference(message.id, 1)
            await tx.messages.add(message)
            await tx.attempts.start(SendAttempt(message.id, 1, carrier, reference, created))
            await tx.messages.set_status(message.id, MessageStatus.SENDING, created, "attempt 1")
            await tx.attempts.finish(
                message.id, 1, AttemptOutcome.SENT, created,
                carrier_message_id=f"fake-{reference}",
            )  # fmt: skip
            await tx.messages.set_status(message.id, MessageStatus.SENT, created)
    return messages
