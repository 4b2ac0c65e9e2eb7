"""One debtor's history, audited the way the gateway audits it, next to data that must stay out.

Creditor ``acme``'s debtor D-1001 gets a message that was sent (its
``message.accepted`` leaf written as the send path writes it), a refusal,
a 退订 reply (which opts the phone out) and a delivery report, through the
real reply and report services. Around it: acme's debtor D-2002 and
creditor ``beta``'s own debtor D-1001, each with an accepted message.
"""

from __future__ import annotations

from dataclasses import dataclass

from smsgate.carriers import DeliveryReport, DeliveryState, InboundSms
from smsgate.logs import mask_phone
from smsgate.service.receipts import take_report
from smsgate.service.replies import take_reply
from smsgate.store import AuditAction, AuditEvent, Message, Store
from smsgate.wordlists import reply_classifier

from ..dispatch.dispatch_support import PHONE, T0, Tenant, at
from ..feedback.feedback_support import sent

OTHER_PHONE = "+8613900139000"
BETA_PHONE = "+8613700137000"


@dataclass(frozen=True, slots=True)
class History:
    """What the scenario made: the debtor's message and the ones that must not show."""

    message: Message
    other_debtor: Message
    other_creditor: Message


async def accepted(store: Store, message: Message) -> None:
    """The ``message.accepted`` leaf the send path writes for ``message``."""
    detail = {
        "template_id": message.template_id, "debtor_id": message.debtor_id,
        "phone": mask_phone(message.phone), "role": message.role.value, "status": "queued",
        "template_version": message.template_version, "verdict": message.verdict.value,
        "wordlist_version": message.wordlist_version, "segments": message.segments,
    }  # fmt: skip
    event = AuditEvent(message.created_at, message.creditor_id, "key_sender",
                       AuditAction.MESSAGE_ACCEPTED, message.id, detail)  # fmt: skip
    async with store.transaction() as tx:
        await tx.audit.append(event)


async def history(store: Store) -> History:
    """The scenario of the module docstring."""
    acme, beta = await Tenant().save(store), await Tenant("beta").save(store)
    [message] = await sent(store, acme)
    [other_debtor] = await _sent_to(store, acme, debtor_id="D-2002", phone=OTHER_PHONE)
    [other_creditor] = await _sent_to(store, beta, debtor_id="D-1001", phone=BETA_PHONE)
    for each in (message, other_debtor, other_creditor):
        await accepted(store, each)
    refusal = AuditEvent(T0, "acme", "key_sender", AuditAction.MESSAGE_REFUSED, "debtor:D-1001",
                         {"debtor_id": "D-1001", "code": "quiet_hours"})  # fmt: skip
    async with store.transaction() as tx:
        await tx.audit.append(refusal)
    await take_reply(store, "fake", InboundSms(PHONE, "退订"), reply_classifier(), at(10))
    report = DeliveryReport(DeliveryState.DELIVERED, carrier_message_id=f"fake-{message.id}-1")
    await take_report(store, "fake", report, at(11))
    return History(message, other_debtor, other_creditor)


async def _sent_to(store: Store, tenant: Tenant, **changes: str) -> list[Message]:
    original = tenant.message

    def changed(**fields: object) -> Message:
        return original(**{**changes, **fields})

    tenant.message = changed  # type: ignore[method-assign]
    try:
        return await sent(store, tenant)
    finally:
        tenant.message = original  # type: ignore[method-assign]
