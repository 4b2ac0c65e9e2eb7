"""The one confirmation text per stop (退订成功…), for a creditor that turned it on.

A stop (``smsgate.service.replies``) that opts a phone out for a creditor
with a confirmation text (``smsgate creditors confirmation``) queues one
message with that text to the phone, in the transaction that adds the
opt-out. It is claimed first in ``stop_confirmations`` under the opt-out's
key (creditor, phone, the opt-out's instant): a second 退订 while the
opt-out stands, or a replayed MO, finds the claim and queues nothing.

It is not a collection contact: it gets no contact booking, so it neither
counts against the caps nor is held back by them. The dispatcher sends it
through the opt-out it confirms, and through nothing else
(``smsgate.dispatch.recheck.recheck_confirmation``): not through a later
complaint or refusal, and not after ``CONFIRMATION_VALIDITY``. Quiet hours do
not hold it either: it answers the recipient's own message of a moment ago,
and MIIT expects the confirmation of a 退订 at once.
"""

from __future__ import annotations

from datetime import datetime

from smsgate.core.scanner import Verdict
from smsgate.core.sms import measure, sign
from smsgate.store import (
    MESSAGE_PREFIX,
    AuditAction,
    AuditEvent,
    InboundReply,
    Message,
    MessageStatus,
    OptOut,
    OutboxItem,
    StopConfirmation,
    UnitOfWork,
    format_instant,
    new_id,
)

#: The tag a confirmation carries, so its sender sees what it is (the dispatcher
#: does not trust tags: it looks the message up in ``stop_confirmations``).
CONFIRMATION_TAG = "stop_confirmation"


async def queue_confirmation(
    tx: UnitOfWork,
    reply: InboundReply,
    answered: Message,
    opt_out: OptOut,
    actor: str,
    now: datetime,
) -> str | None:
    """Queue the creditor's confirmation of ``opt_out``; its message id, or ``None``.

    ``None`` when the creditor has no confirmation text or this opt-out was
    confirmed already.
    """
    creditor_id = answered.creditor_id
    setting = await tx.confirmations.text_of(creditor_id)
    if setting is None:
        return None
    message_id = new_id(MESSAGE_PREFIX)
    claim = StopConfirmation(creditor_id, reply.phone, opt_out.at, reply.id, message_id, now)
    if not await tx.confirmations.add(claim):
        return None
    creditor = await tx.creditors.get(creditor_id)
    version = await tx.templates.get_version(setting.template_id, setting.template_version)
    if creditor is None or version is None:  # foreign keys make this unreachable
        raise LookupError(f"the confirmation text of {creditor_id} is missing")
    text = sign(version.body, creditor.signature)
    measured = measure(text)
    message = Message(
        id=message_id, creditor_id=creditor_id, template_id=setting.template_id,
        template_version=setting.template_version, phone=reply.phone,
        debtor_id=answered.debtor_id, role=answered.role, text=text,
        segments=measured.segments, encoding=measured.encoding, status=MessageStatus.QUEUED,
        created_at=now, wordlist_version=version.wordlist_version, verdict=Verdict.PASS,
        timezone=answered.timezone, tags=frozenset({CONFIRMATION_TAG}),
    )  # fmt: skip
    await tx.messages.add(message)
    await tx.outbox.add(OutboxItem(message_id, now))
    detail = {"reply": reply.id, "opted_out_at": format_instant(opt_out.at)}
    await tx.audit.append(
        AuditEvent(now, creditor_id, actor, AuditAction.STOP_CONFIRMATION_QUEUED, message_id,
                   detail)
    )  # fmt: skip
    return message_id
