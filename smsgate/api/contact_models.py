"""Request and response bodies of the contact-ledger and opt-out routes.

Requests are strict (unknown fields refused, aware instants only, bounded
strings) so that a typo never turns into a silently different record; phone
numbers stay plain strings here and are checked by ``smsgate.service.phones``
before anything is stored. Responses mirror the
stored records without the creditor id, which the caller's key already fixes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from smsgate.api.bodies import DebtorId, RequestModel, RequiredReason
from smsgate.core.audience import Audience
from smsgate.core.policy.contacts import Channel
from smsgate.store import ContactRecord, OptOut, OptOutKind, OptOutSource

Phone = Annotated[str, msgspec.Meta(max_length=40, description="E.164 with +, e.g. +8613800138000")]
AwareInstant = Annotated[datetime, msgspec.Meta(tz=True)]
OptionalReason = Annotated[str, msgspec.Meta(max_length=500)]


class NewContact(RequestModel):
    """A call made outside the gateway, to be counted against the contact caps."""

    debtor_id: DebtorId
    phone: Phone
    role: Audience
    channel: Annotated[
        Channel, msgspec.Meta(description="only 'call': the gateway records SMS itself")
    ] = Channel.CALL
    at: Annotated[
        AwareInstant | None,
        msgspec.Meta(description="when the call was made; default now; at most 7 days ago"),
    ] = None


class ContactBody(msgspec.Struct, kw_only=True):
    """A recorded contact as the ledger holds it."""

    debtor_id: str
    phone: str
    role: Audience
    channel: Channel
    at: datetime

    @classmethod
    def of(cls, record: ContactRecord) -> ContactBody:
        """The body of a ledger record."""
        return cls(
            debtor_id=record.debtor_id,
            phone=record.phone,
            role=record.role,
            channel=record.channel,
            at=record.at,
        )


class NewOptOut(RequestModel):
    """A phone the creditor must no longer contact, and why."""

    phone: Phone
    kind: OptOutKind = OptOutKind.OPT_OUT
    reason: OptionalReason = ""


class OptOutRemoval(RequestModel):
    """Why an active opt-out is lifted: required, because it re-enables contact."""

    reason: RequiredReason


class OptOutBody(msgspec.Struct, kw_only=True):
    """An opt-out record; ``removed_at`` is set only in the answer to its removal."""

    phone: str
    kind: OptOutKind
    source: OptOutSource
    reason: str
    at: datetime
    removed_at: datetime | None = None

    @classmethod
    def of(cls, opt_out: OptOut) -> OptOutBody:
        """The body of a stored opt-out."""
        return cls(
            phone=opt_out.phone,
            kind=opt_out.kind,
            source=opt_out.source,
            reason=opt_out.reason,
            at=opt_out.at,
            removed_at=opt_out.removed_at,
        )


class OptOutList(msgspec.Struct, kw_only=True):
    """The creditor's active opt-outs, newest first."""

    opt_outs: list[OptOutBody]
