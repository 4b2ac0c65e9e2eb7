"""Request and response bodies of the send path and of held-message review, as msgspec Structs.

Upstream collection systems build against these shapes and the OpenAPI
document takes its schemas from them, so they are declared once here. Request
models refuse unknown fields; phones and time zones stay plain strings here
and are checked by the route before the service sees them, so the problem can
name the field (``recipient.phone``). Names are prefixed (``Message…``,
``Held…``) because OpenAPI component names are global across route modules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

from smsgate.api.bodies import DebtorId, RequestModel, RequiredReason, Variables
from smsgate.core.audience import Audience
from smsgate.core.policy import OnQuietHours
from smsgate.core.scanner import Verdict
from smsgate.core.sms import Encoding
from smsgate.store import Message, MessageStatus, StatusChange

Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")]
IdempotencyKey = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=r"^[!-~]+$")]


class MessageRecipient(RequestModel):
    """Who the message is for: phone (E.164), the debtor it concerns, and their role."""

    phone: Annotated[str, msgspec.Meta(max_length=40, description="E.164, e.g. +8613800138000")]
    debtor_id: DebtorId
    role: Audience
    timezone: (
        Annotated[
            str,
            msgspec.Meta(
                max_length=64,
                description="a geographic IANA zone the number may be in, e.g. Asia/Shanghai",
            ),
        ]
        | None
    ) = None
    tags: Annotated[list[Tag], msgspec.Meta(max_length=16, description="select blackouts")] = (
        msgspec.field(default_factory=list)
    )


class MessageRequest(RequestModel):
    """``POST /v1/messages``: render an approved template for one recipient."""

    template_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    recipient: MessageRecipient
    variables: Variables = msgspec.field(default_factory=dict)
    send_at: (
        Annotated[datetime, msgspec.Meta(tz=True, description="earliest instant, with offset")]
        | None
    ) = None
    on_quiet_hours: Annotated[
        OnQuietHours,
        msgspec.Meta(description="outside contact hours: defer to the next slot, or refuse"),
    ] = OnQuietHours.DEFER


class MessageBatchItem(MessageRequest):
    """One message of a batch, with its own optional idempotency key.

    An item's ``idempotency_key`` identifies it across requests (a single send
    or another batch's item with that key replays or conflicts); an item
    without one, in a batch sent with an ``Idempotency-Key``, is keyed
    ``<batch key>§<index>``.
    """

    idempotency_key: (
        Annotated[
            IdempotencyKey,
            msgspec.Meta(description="this item's own key, used as given (see the batch header)"),
        ]
        | None
    ) = None


class MessageBatch(RequestModel):
    """``POST /v1/messages:batch``: messages processed one by one, in order."""

    messages: list[MessageBatchItem]


class RawMessageBatch(RequestModel):
    """A batch whose items are decoded one by one, so one bad item fails alone."""

    messages: list[msgspec.Raw]


class MessageFinding(msgspec.Struct, kw_only=True):
    """A sensitive term found in the final text; ``start``/``end`` index that text."""

    term: str
    category: str
    severity: str
    start: int
    end: int
    matched_text: str
    #: How the term was disguised (plain, spaced, traditional, confusable, leet,
    #: pinyin, homophone, initials); findings stored before #15 read as plain.
    evasion: str = "plain"


class MessageAccepted(msgspec.Struct, kw_only=True):
    """The answer to an accepted message: queued, scheduled (deferred or later) or held.

    ``send_at`` is the instant it may go (``null`` for a held message sent as
    soon as it is released); ``findings`` are the review terms of a held one.
    """

    id: str
    status: MessageStatus
    segments: int
    encoding: Encoding
    send_at: datetime | None
    template_id: str
    template_version: int
    wordlist_version: str
    verdict: Verdict
    findings: list[MessageFinding]
    detail: str

    @classmethod
    def of(cls, message: Message, detail: str) -> MessageAccepted:
        """The answer for a message just stored; ``detail`` says why it was deferred or held."""
        return cls(
            id=message.id,
            status=message.status,
            segments=message.segments,
            encoding=message.encoding,
            send_at=message.send_at,
            template_id=message.template_id,
            template_version=message.template_version,
            wordlist_version=message.wordlist_version,
            verdict=message.verdict,
            findings=findings_of(message),
            detail=detail,
        )


class MessageStatusStep(msgspec.Struct, kw_only=True):
    """One step of a message's status history."""

    status: MessageStatus
    at: datetime
    detail: str


class MessageDetail(msgspec.Struct, kw_only=True):
    """A message as its sender sees it: the exact text, its version and its history."""

    id: str
    status: MessageStatus
    template_id: str
    template_version: int
    phone: str
    debtor_id: str
    role: Audience
    timezone: str | None
    tags: list[str]
    text: str
    segments: int
    encoding: Encoding
    verdict: Verdict
    wordlist_version: str
    findings: list[MessageFinding]
    created_at: datetime
    send_at: datetime | None
    history: list[MessageStatusStep]
    #: The stop reply this message confirms when it is a stop confirmation (tag
    #: ``stop_confirmation``; no contact booked for it), else null.
    confirms_reply: str | None = None

    @classmethod
    def of(
        cls, message: Message, history: list[StatusChange], confirms_reply: str | None = None
    ) -> MessageDetail:
        """The body of a stored message and its history."""
        return cls(
            confirms_reply=confirms_reply,
            id=message.id,
            status=message.status,
            template_id=message.template_id,
            template_version=message.template_version,
            phone=message.phone,
            debtor_id=message.debtor_id,
            role=message.role,
            timezone=message.timezone,
            tags=sorted(message.tags),
            text=message.text,
            segments=message.segments,
            encoding=message.encoding,
            verdict=message.verdict,
            wordlist_version=message.wordlist_version,
            findings=findings_of(message),
            created_at=message.created_at,
            send_at=message.send_at,
            history=[MessageStatusStep(status=s.status, at=s.at, detail=s.detail) for s in history],
        )


class HeldComplaint(msgspec.Struct, kw_only=True):
    """Why a message is held: the recipient's complaint (``/v1/replies`` has the reply)."""

    reply_id: str
    text: str
    received_at: datetime


class HeldMessage(msgspec.Struct, kw_only=True):
    """A message waiting for a reviewer; the phone is masked (reviewers judge the text).

    ``complaint`` is set when the phone complained (its do-not-contact flag is up).
    """

    id: str
    template_id: str
    template_version: int
    phone: str
    debtor_id: str
    role: Audience
    text: str
    findings: list[MessageFinding]
    wordlist_version: str
    created_at: datetime
    send_at: datetime | None
    complaint: HeldComplaint | None = None


class HeldMessages(msgspec.Struct, kw_only=True):
    """The creditor's held messages, oldest first."""

    held: list[HeldMessage]


class HeldReview(RequestModel):
    """``POST /v1/held/{id}/release`` and ``…/reject``: the reviewer's reason."""

    reason: RequiredReason


class HeldOutcome(msgspec.Struct, kw_only=True):
    """What a reviewer's decision did: the new status and, if released, when it may go."""

    id: str
    status: MessageStatus
    send_at: datetime | None
    detail: str


class MessageBatchResult(msgspec.Struct, kw_only=True):
    """One item's outcome: the HTTP status it would have had alone, and its body."""

    index: int
    status: int
    body: dict[str, Any]


class MessageBatchResults(msgspec.Struct, kw_only=True):
    """Per-item results, in the order of the request."""

    results: list[MessageBatchResult]


def findings_of(message: Message) -> list[MessageFinding]:
    """The findings stored on ``message`` as response bodies."""
    return msgspec.convert(list(message.findings), list[MessageFinding])
