"""What carriers told us back, as stored: delivery receipts and inbound replies.

Carriers send duplicates (a DLR retried because our 200 got lost, an MO
pushed twice), so each record carries a ``dedupe_key`` the database keeps
unique: storing a duplicate is a no-op the caller can see, and acting on it
twice (two opt-out audits, a second status change) never happens.

Unknown ids are stored too (``message_id`` ``None``): an operator must be able
to see that a carrier reports on messages we cannot match, which usually
means a misconfigured callback URL shared between two gateways.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

RECEIPT_PREFIX = "dlr"
REPLY_PREFIX = "mo"


class ReceiptState(StrEnum):
    """A carrier's statement about a sent message (mirrors the adapters' ``DeliveryState``)."""

    ACCEPTED = "accepted"
    DELIVERED = "delivered"
    FAILED = "failed"


class ReplyIntent(StrEnum):
    """What a recipient's reply asks for, as the reply rules read it (values as in the API).

    Replies stored before the intents were widened hold ``"opt_out"``; it is
    read as :attr:`STOP` (mapped on read, not migrated: the stored rows stay
    as written, and the API shows ``stop`` for both).
    """

    STOP = "stop"
    WRONG_PARTY = "wrong_party"
    THIRD_PARTY_REFUSAL = "third_party_refusal"
    COMPLAINT = "complaint"

    @classmethod
    def _missing_(cls, value: object) -> ReplyIntent | None:
        return cls.STOP if value == "opt_out" else None


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """One delivery report as received; ``message_id`` is ``None`` when no attempt matched."""

    id: str
    carrier: str
    state: ReceiptState
    received_at: datetime
    dedupe_key: str
    carrier_message_id: str | None = None
    client_reference: str | None = None
    message_id: str | None = None
    attempt: int | None = None
    creditor_id: str | None = None
    error_code: str = ""
    description: str = ""
    reported_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class InboundReply:
    """One reply a recipient sent (MO), with the creditor and message it was matched to.

    ``creditor_id`` is ``None`` when no creditor texted this phone recently
    through this carrier: such a reply is kept for an operator but changes
    nothing. ``intents`` is what the keyword rules found (opt-out, complaint).
    """

    id: str
    carrier: str
    phone: str
    text: str
    received_at: datetime
    dedupe_key: str
    intents: frozenset[ReplyIntent] = frozenset()
    creditor_id: str | None = None
    message_id: str | None = None
    carrier_message_id: str | None = None
    signature: str = ""
    extension: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "intents", frozenset(self.intents))
