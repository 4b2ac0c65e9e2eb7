"""JSON bodies of the replies routes: what recipients answered, as stored."""

from __future__ import annotations

from datetime import datetime

import msgspec

from smsgate.store import InboundReply, ReplyIntent

#: What the gateway did for each intent of an attributed reply (``smsgate.service.replies``).
ACTIONS: dict[ReplyIntent, str] = {
    ReplyIntent.STOP: "opted_out",
    ReplyIntent.WRONG_PARTY: "detached_from_debtor",
    ReplyIntent.THIRD_PARTY_REFUSAL: "third_party_refused",
    ReplyIntent.COMPLAINT: "do_not_contact_and_held",
}
#: The action of a stop the creditor's confirmation text answered (one per opt-out).
CONFIRMATION_SENT = "confirmation_sent"


class ReplyBody(msgspec.Struct, kw_only=True):
    """One reply (MO); ``message_id`` is the message it was matched to.

    ``intents`` in the contract's order; ``actions`` what the gateway did for
    them (none for an unattributed reply), ``confirmation_sent`` among them
    when this stop queued the creditor's confirmation text. ``text`` is empty for a copy of a
    reply that named no creditor and acted for several (the words withheld).
    """

    id: str
    carrier: str
    phone: str
    text: str
    received_at: datetime
    intents: list[ReplyIntent]
    actions: list[str]
    message_id: str | None

    @classmethod
    def of(cls, reply: InboundReply, *, confirmation_sent: bool = False) -> ReplyBody:
        """The body of a stored reply."""
        actions = [
            ACTIONS[intent] for intent in ReplyIntent
            if intent in reply.intents and reply.creditor_id is not None
        ]  # fmt: skip
        return cls(
            id=reply.id,
            carrier=reply.carrier,
            phone=reply.phone,
            text=reply.text,
            received_at=reply.received_at,
            intents=[intent for intent in ReplyIntent if intent in reply.intents],
            actions=[*actions, CONFIRMATION_SENT] if confirmation_sent else actions,
            message_id=reply.message_id,
        )  # fmt: skip


class ReplyList(msgspec.Struct, kw_only=True):
    """The creditor's replies, newest first."""

    replies: list[ReplyBody]


class CallbackAccepted(msgspec.Struct, kw_only=True):
    """Documents the success answer; each carrier gets the body it expects instead."""

    ok: bool = True
