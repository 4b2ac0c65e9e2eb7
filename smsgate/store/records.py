"""The records the gateway keeps: plain frozen values, one per row kind.

Repositories take and return these and nothing else, so the HTTP layer, the
dispatcher and the CLI never see a database row. They hold only what the
database holds; rendering, scanning and policy decisions happen in the core
before a record is built. JSON-valued fields (lint, findings, variable
schemas, audit details) are kept as parsed JSON so the store stays ignorant of
the scanner's and linter's internals; the API turns them into contract JSON.

Every instant is an aware datetime; the store refuses naive ones (see
``instants``). Ids are a short prefix plus 128 random bits, url-safe, so they
can be shown, logged and put in URLs without revealing counts or order.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeAlias

from smsgate.core.audience import Audience
from smsgate.core.lifecycle import MessageStatus as MessageStatus  # re-exported: records use it
from smsgate.core.policy.contacts import Channel
from smsgate.core.scanner.findings import Verdict
from smsgate.core.sms import Encoding

JsonValue: TypeAlias = (
    "Mapping[str, JsonValue] | Sequence[JsonValue] | str | int | float | bool | None"
)
JsonObject: TypeAlias = Mapping[str, JsonValue]
JsonList: TypeAlias = Sequence[JsonValue]

KEY_PREFIX = "key"
TEMPLATE_PREFIX = "tpl"
MESSAGE_PREFIX = "msg"
#: A creditor id is a short slug chosen by the operator (``acme``), used in URLs and logs.
CREDITOR_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


def new_id(prefix: str) -> str:
    """A fresh id such as ``msg_3q2-Xb…``: ``prefix``, ``_`` and 22 url-safe random characters."""
    return f"{prefix}_{secrets.token_urlsafe(16)}"


class Role(StrEnum):
    """What an API key may do; a key has one or more roles within its creditor."""

    SENDER = "sender"
    AUTHOR = "author"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class VersionStatus(StrEnum):
    """Where a template version is in its review: draft -> submitted -> approved | rejected."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETIRED = "retired"


class ReviewDecision(StrEnum):
    """What a reviewer decided about a submitted version."""

    APPROVE = "approve"
    REJECT = "reject"


class OptOutKind(StrEnum):
    """Why a phone must not be contacted."""

    OPT_OUT = "opt_out"
    THIRD_PARTY_REFUSAL = "third_party_refusal"
    DO_NOT_CONTACT = "do_not_contact"


class OptOutSource(StrEnum):
    """Who recorded an opt-out: the API, an inbound reply (MO), or the compliance UI."""

    API = "api"
    MO = "mo"
    UI = "ui"


@dataclass(frozen=True, slots=True)
class Creditor:
    """A tenant: the lender whose debts are collected and whose name signs the texts."""

    id: str
    name: str
    signature: str
    profile_name: str
    created_at: datetime
    profile_overrides: JsonObject = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not CREDITOR_ID.fullmatch(self.id):
            raise ValueError(f"a creditor id is a lower-case slug like 'acme', got {self.id!r}")


def normalise_person(label: str) -> str:
    """A person label as the four-eyes rule compares it: NFKC, case-folded, spaces collapsed.

    So "Li Wei", "li  wei" and the full-width "Ｌｉ Ｗｅｉ" are one person: a
    second spelling of one's own name must not pass for a second reviewer.
    """
    return " ".join(unicodedata.normalize("NFKC", label).casefold().split())


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key of one creditor. Only a hash of its secret is kept; the secret is shown once.

    ``revoked_at`` in the future is a scheduled revocation (a rotated key's
    grace period): the key works until that instant, and not from it on.
    ``last_used_at`` is when a request last presented it, recorded at most
    about once a minute (see ``smsgate.api.keys.KeyUsage``).

    Who stands behind the key, for the four-eyes rule
    (``smsgate.service.four_eyes``): ``person`` names the human it is for
    (None for keys from before persons were recorded); ``chain_id`` is the
    id of the first key of its rotation chain (given as "", it becomes the
    key's own id: it was not rotated from another); ``minted_by`` is the id of the key whose
    request created it, which saw its token (None: the operator's CLI).
    """

    id: str
    creditor_id: str
    roles: frozenset[Role]
    secret_hash: str
    created_at: datetime
    label: str = ""
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    person: str | None = None
    chain_id: str = ""
    minted_by: str | None = None

    def __post_init__(self) -> None:
        if not self.roles:
            raise ValueError("an API key needs at least one role")
        if not self.chain_id:  # the first key of its chain
            object.__setattr__(self, "chain_id", self.id)

    @property
    def person_key(self) -> str | None:
        """The person label as compared: see :func:`normalise_person`."""
        return None if self.person is None else normalise_person(self.person)

    def live_at(self, at: datetime) -> bool:
        """Whether the key works at ``at``: not revoked, or revoked only later."""
        return self.revoked_at is None or self.revoked_at > at

    def may(self, role: Role, at: datetime | None = None) -> bool:
        """Whether the key is live at ``at`` (default: now) and has ``role``."""
        return self.live_at(datetime.now(UTC) if at is None else at) and role in self.roles


@dataclass(frozen=True, slots=True)
class Template:
    """A named message template of a creditor; its text lives in its versions."""

    id: str
    creditor_id: str
    name: str
    audience: Audience
    created_at: datetime
    retired_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TemplateVersion:
    """One version of a template's body, with what the linter and scanner said about it."""

    template_id: str
    version: int
    body: str
    variables: JsonObject
    status: VersionStatus
    author_key_id: str
    created_at: datetime
    wordlist_version: str
    lint: JsonList = ()
    findings: JsonList = ()

    def __post_init__(self) -> None:
        if self.version < 1:
            raise ValueError(f"template versions count from 1, got {self.version}")
        # Hold top-level JSON arrays as tuples, whatever sequence was given, so
        # a record read back equals the record stored.
        object.__setattr__(self, "lint", tuple(self.lint))
        object.__setattr__(self, "findings", tuple(self.findings))


@dataclass(frozen=True, slots=True)
class Review:
    """A reviewer's decision on one template version, with the wordlist version they saw."""

    template_id: str
    version: int
    reviewer_key_id: str
    decision: ReviewDecision
    reason: str
    at: datetime
    wordlist_version: str


@dataclass(frozen=True, slots=True)
class TemplateDetail:
    """A template with all its versions (oldest first) and its review history."""

    template: Template
    versions: tuple[TemplateVersion, ...]
    reviews: tuple[Review, ...]


@dataclass(frozen=True, slots=True)
class Message:
    """An accepted message: the exact text, the template version it came from, and its verdict.

    ``send_at`` is the earliest instant it may go (``None``: as soon as possible).
    """

    id: str
    creditor_id: str
    template_id: str
    template_version: int
    phone: str
    debtor_id: str
    role: Audience
    text: str
    segments: int
    encoding: Encoding
    status: MessageStatus
    created_at: datetime
    wordlist_version: str
    verdict: Verdict
    timezone: str | None = None
    tags: frozenset[str] = frozenset()
    send_at: datetime | None = None
    findings: JsonList = ()

    def __post_init__(self) -> None:
        if self.segments < 1:
            raise ValueError(f"a message has at least one segment, got {self.segments}")
        object.__setattr__(self, "tags", frozenset(self.tags))
        object.__setattr__(self, "findings", tuple(self.findings))


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One step of a message's status history."""

    message_id: str
    status: MessageStatus
    at: datetime
    detail: str = ""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A message waiting to be handed to a carrier, and which dispatcher holds it until when."""

    message_id: str
    due_at: datetime
    attempts: int = 0
    lease_owner: str | None = None
    lease_until: datetime | None = None


class AttemptOutcome(StrEnum):
    """How one hand-over of a message to a carrier ended.

    ``unknown``: the request may have reached the carrier but no answer came
    (or the dispatcher died mid-send), so resending could deliver it twice.
    """

    SENT = "sent"
    RETRYABLE = "retryable"
    PERMANENT = "permanent"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class SendAttempt:
    """One hand-over of a message to a carrier; ``outcome`` is ``None`` while it is under way.

    ``client_reference`` (``{message_id}-{attempt}``) is what carriers that
    deduplicate see, so it must stay the same for the same attempt.
    ``carrier_message_id`` is the carrier's id for it, which delivery reports quote.
    """

    message_id: str
    attempt: int
    carrier: str
    client_reference: str
    started_at: datetime
    outcome: AttemptOutcome | None = None
    finished_at: datetime | None = None
    carrier_message_id: str | None = None
    error_code: str = ""
    detail: str = ""

    def __post_init__(self) -> None:
        if self.attempt < 1:
            raise ValueError(f"send attempts count from 1, got {self.attempt}")


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """One entry of the contact ledger: an SMS or a recorded call that counts against caps.

    ``message_id`` is ``None`` for calls recorded through ``POST /v1/contacts``.
    """

    creditor_id: str
    debtor_id: str
    phone: str
    role: Audience
    channel: Channel
    at: datetime
    message_id: str | None = None


@dataclass(frozen=True, slots=True)
class OptOut:
    """A do-not-contact record of a phone for one creditor; active until ``removed_at``."""

    creditor_id: str
    phone: str
    kind: OptOutKind
    source: OptOutSource
    at: datetime
    reason: str = ""
    removed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DetachedPhone:
    """A phone detached from one debtor: its holder replied "wrong number" (不是本人, 打错了).

    The phone is no longer contacted *for that debtor* (another debtor's own
    number stays reachable); ``reply_id`` is the reply that said so.
    """

    creditor_id: str
    debtor_id: str
    phone: str
    at: datetime
    reply_id: str = ""


@dataclass(frozen=True, slots=True)
class StopConfirmationText:
    """A creditor's one confirmation text per stop (退订成功…), set by the operator.

    The text is the approved ``template_version`` of ``template_id``, a
    template the operator's command creates (fixed wording, scanned clean);
    a creditor without this record sends no confirmations (the default).
    """

    creditor_id: str
    template_id: str
    template_version: int
    set_at: datetime


@dataclass(frozen=True, slots=True)
class StopConfirmation:
    """The one confirmation sent for one opt-out: (creditor, phone, opted_out_at) is its key.

    ``opted_out_at`` is the ``at`` of the ``opt_out`` it confirms: the
    dispatcher lets ``message_id`` through that opt-out alone, and only
    within ``CONFIRMATION_VALIDITY`` of ``at``. ``reply_id`` is the stop.
    """

    creditor_id: str
    phone: str
    opted_out_at: datetime
    reply_id: str
    message_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """The first response to a request with an ``Idempotency-Key``, replayed on a retry."""

    creditor_id: str
    key: str
    request_hash: str
    response_status: int
    response_body: JsonValue
    at: datetime
