"""A separate process racing for the last contact slots: ``python cap_worker.py URL TPL N``.

Prints how many of its N attempts were accepted. Used by ``test_transactions``
to show that the cap holds across processes, not only across tasks.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta

from smsgate.core.audience import Audience
from smsgate.core.policy.contacts import Channel
from smsgate.core.scanner.findings import Verdict
from smsgate.core.sms import Encoding
from smsgate.store import (
    ContactRecord,
    Message,
    MessageStatus,
    OutboxItem,
    Store,
    new_id,
    open_store,
)

CAP = 3
T0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)


async def attempt(store: Store, template_id: str) -> bool:
    async with store.transaction() as tx:
        today = await tx.contacts.of_debtor("acme", "D-1001", T0, T0 + timedelta(days=1))
        if len(today) >= CAP:
            return False
        sent = Message(
            new_id("msg"), "acme", template_id, 1, "+8613800138000", "D-1001", Audience.DEBTOR,
            "text", 1, Encoding.UCS2, MessageStatus.QUEUED, T0, "w1", Verdict.PASS,
        )  # fmt: skip
        await tx.messages.add(sent)
        await tx.outbox.add(OutboxItem(sent.id, T0))
        await tx.contacts.record(
            ContactRecord("acme", "D-1001", sent.phone, Audience.DEBTOR, Channel.SMS, T0, sent.id)
        )
        return True


async def main(database_url: str, template_id: str, attempts: int) -> None:
    store = await open_store(database_url)
    try:
        results = await asyncio.gather(*(attempt(store, template_id) for _ in range(attempts)))
    finally:
        await store.close()
    print(sum(results))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
