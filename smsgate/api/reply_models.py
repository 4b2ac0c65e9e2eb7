"""JSON bodies of the replies routes: what recipients answered, as stored."""

from __future__ import annotations

from datetime import datetime

import msgspec

from smsgate.store import InboundReply, ReplyIntent


class ReplyBody(msgspec.Struct, kw_only=True):
    """One reply (MO); ``message_id`` is the message it was matched to."""

    id: str
    carrier: str
    phone: str
    text: str
    received_at: datetime
    intents: list[ReplyIntent]
    message_id: str | None

    @classmethod
    def of(cls, reply: InboundReply) -> ReplyBody:
        """The body of a stored reply."""
        return cls(
            id=reply.id,
            carrier=reply.carrier,
            phone=reply.phone,
            text=reply.text,
            received_at=reply.received_at,
            intents=sorted(reply.intents),
            message_id=reply.message_id,
        )


class ReplyList(msgspec.Struct, kw_only=True):
    """The creditor's replies, newest first."""

    replies: list[ReplyBody]


class CallbackAccepted(msgspec.Struct, kw_only=True):
    """Documents the success answer; each carrier gets the body it expects instead."""

    ok: bool = True
