"""What the rest of the gateway may ask of storage: small repository Protocols and a unit of work.

Callers depend on these Protocols only; ``open_store`` picks the
implementation from the database URL. Nothing here names SQLite: a
PostgreSQL implementation provides the same methods and callers do not change.

Every repository belongs to a unit of work, and every method is a coroutine
that runs inside it::

    async with store.transaction() as tx:
        history = await tx.contacts.of_debtor(creditor, debtor, start, end)
        ...  # decide with the core
        await tx.messages.add(message)
        await tx.outbox.add(OutboxItem(message.id, due_at))
        await tx.contacts.record(contact)
        await tx.audit.append(event)

A write transaction commits when the block ends normally and rolls back when
it raises, and write transactions are serialised: one that reads the ledger
and then inserts can never interleave with another doing the same, which is
what keeps contact caps exact. Do not open a transaction inside another one
in the same task: the inner one waits for the outer forever.

A statement that fails (a unique violation, say) spoils its unit of work:
on PostgreSQL every later statement of the unit raises too, so a block must
not catch a store error and carry on writing; let it end the unit (nothing
is committed) and start a new one.

Lookups of tenant-owned objects take the creditor, so a key of creditor A
asking for creditor B's template or message gets ``None`` (the API's 404).
Methods raise the ``smsgate.store.errors`` family, never driver errors.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from smsgate.core.audit_tree import Subtree, TreeHead
from smsgate.store.audit import AuditEntry, AuditEvent, TreeCheckpoint
from smsgate.store.callback_records import DeliveryReceipt, InboundReply
from smsgate.store.records import (
    ApiKey,
    AttemptOutcome,
    ContactRecord,
    Creditor,
    DetachedPhone,
    IdempotencyRecord,
    Message,
    MessageStatus,
    OptOut,
    OptOutKind,
    OutboxItem,
    Review,
    SendAttempt,
    StatusChange,
    StopConfirmation,
    StopConfirmationText,
    Template,
    TemplateDetail,
    TemplateVersion,
    VersionStatus,
)
from smsgate.store.reporting import ReportingQueries
from smsgate.store.ui_sessions import UiSessionRepository
from smsgate.store.webhooks import WebhookRepository


class CreditorRepository(Protocol):
    """The tenants."""

    async def add(self, creditor: Creditor) -> None:
        """Store a new creditor; raises ``AlreadyExists`` for a taken id."""
        ...

    async def get(self, creditor_id: str) -> Creditor | None:
        """The creditor with this id, if any."""
        ...

    async def all(self) -> list[Creditor]:
        """Every creditor, by id."""
        ...

    async def update(self, creditor: Creditor) -> None:
        """Replace name, signature and profile; raises ``NotFound``."""
        ...


class ApiKeyRepository(Protocol):
    """API keys, looked up by the hash of the secret a request presents."""

    async def add(self, key: ApiKey) -> None:
        """Store a new key; raises ``AlreadyExists`` or ``UnknownReference`` (no such creditor)."""
        ...

    async def get(self, key_id: str) -> ApiKey | None:
        """The key with this id, revoked or not."""
        ...

    async def by_secret_hash(self, secret_hash: str) -> ApiKey | None:
        """The key whose secret hashes to ``secret_hash``, revoked or not."""
        ...

    async def of_creditor(self, creditor_id: str) -> list[ApiKey]:
        """The creditor's keys, oldest first."""
        ...

    async def revoke(self, key_id: str, at: datetime) -> bool:
        """Set the key's ``revoked_at`` to ``at`` (now, or a future instant: a scheduled
        revocation); ``False`` if it is unknown or already revoked at or before ``at``.

        A scheduled revocation can be brought forward, never pushed back.
        """
        ...

    async def mark_used(self, key_id: str, at: datetime) -> None:
        """Record that the key was used at ``at``; never moves ``last_used_at`` backwards."""
        ...


class TemplateRepository(Protocol):
    """Templates, their versions and the reviews of those versions."""

    async def add(self, template: Template) -> None:
        """Store a new template; raises ``DuplicateName`` for a name the creditor already uses."""
        ...

    async def get(self, creditor_id: str, template_id: str) -> Template | None:
        """The creditor's template with this id; ``None`` for another creditor's."""
        ...

    async def by_name(self, creditor_id: str, name: str) -> Template | None:
        """The creditor's template of this name."""
        ...

    async def retire(self, template_id: str, at: datetime) -> None:
        """Mark the template retired; raises ``NotFound``."""
        ...

    async def add_version(self, version: TemplateVersion) -> None:
        """Store a new version; raises ``DuplicateVersion`` or ``UnknownReference``."""
        ...

    async def versions(self, template_id: str) -> list[TemplateVersion]:
        """All versions of the template, oldest first (the last one is the newest)."""
        ...

    async def get_version(self, template_id: str, version: int) -> TemplateVersion | None:
        """One version of the template."""
        ...

    async def set_version_status(
        self, template_id: str, version: int, status: VersionStatus
    ) -> None:
        """Move a version to ``status``; raises ``NotFound``. The caller checks the lifecycle."""
        ...

    async def latest_approved(self, creditor_id: str, template_id: str) -> TemplateVersion | None:
        """The highest approved version of the creditor's live (not retired) template."""
        ...

    async def add_review(self, review: Review) -> None:
        """Store a review; raises ``FourEyesViolation`` if the reviewer authored the version."""
        ...

    async def detail(self, creditor_id: str, template_id: str) -> TemplateDetail | None:
        """The creditor's template with its versions and reviews."""
        ...

    async def of_creditor(
        self, creditor_id: str, *, include_retired: bool = False
    ) -> list[TemplateDetail]:
        """The creditor's templates, by name, each with versions and reviews."""
        ...


class MessageRepository(Protocol):
    """Accepted messages and their status history."""

    async def add(self, message: Message) -> None:
        """Store a message and the first step of its history (its status at ``created_at``)."""
        ...

    async def get(self, message_id: str, *, creditor_id: str | None) -> Message | None:
        """The message; ``creditor_id=None`` reads across tenants (the dispatcher only)."""
        ...

    async def set_status(
        self, message_id: str, status: MessageStatus, at: datetime, detail: str = ""
    ) -> None:
        """Move the message to ``status`` and append it to the history.

        Only a move of the lifecycle table (``smsgate.core.lifecycle``) lands;
        raises ``IllegalMove`` (with the status found) for any other, including
        one that lost a race to another writer, and ``NotFound`` without a message.
        """
        ...

    async def history(self, message_id: str) -> list[StatusChange]:
        """The message's status changes, oldest first."""
        ...

    async def held(self, creditor_id: str, *, limit: int = 100) -> list[Message]:
        """The creditor's messages waiting for a reviewer, oldest first."""
        ...

    async def count_by_status(self, creditor_id: str | None = None) -> dict[MessageStatus, int]:
        """How many messages are in each status (every status present, zeros included)."""
        ...

    async def recent_to_phone(self, phone: str, since: datetime, limit: int = 20) -> list[Message]:
        """Messages handed to a carrier for ``phone`` created at or after ``since``, newest first.

        Across creditors: a reply (MO) names only the phone, and this is how
        the gateway finds which creditor it answers. Only messages that went
        out (sending, sent, delivered, failed, unknown) count.
        """
        ...

    async def of_recipient(
        self,
        creditor_id: str,
        *,
        debtor_id: str | None = None,
        phone: str | None = None,
        limit: int = 10_000,
    ) -> list[Message]:
        """The creditor's messages to ``phone`` (if given) else for ``debtor_id``, any status,
        oldest first (evidence packs)."""
        ...

    async def pending_to_phone(self, creditor_id: str, phone: str) -> list[Message]:
        """The creditor's messages to ``phone`` not yet handed over (queued, scheduled, held)."""
        ...

    async def pending_of_template(self, creditor_id: str, template_id: str) -> list[Message]:
        """The creditor's messages of the template not yet handed over (queued, scheduled, held).

        Retiring a template settles them, as a stop reply settles a phone's.
        """
        ...

    async def set_send_at(self, message_id: str, send_at: datetime) -> None:
        """Record the instant the message may now go (a release); raises ``NotFound``."""
        ...


class OutboxRepository(Protocol):
    """Messages waiting for a dispatcher, handed out under time-limited leases.

    A dispatcher claims due items, sends them, then completes (sent) or
    releases (retry later) each one. If it dies, its leases run out and the
    items become claimable again, so a message may be sent twice after a crash
    but is never lost; ``attempts`` counts claims so a poison message shows.
    """

    async def add(self, item: OutboxItem) -> None:
        """Queue a message; raises ``AlreadyExists`` if it is queued already."""
        ...

    async def claim_due(
        self, now: datetime, owner: str, lease: timedelta, limit: int
    ) -> list[OutboxItem]:
        """Lease up to ``limit`` items due by ``now`` that nobody holds, earliest first."""
        ...

    async def renew(self, message_id: str, owner: str, now: datetime, lease: timedelta) -> bool:
        """Extend ``owner``'s unexpired lease to ``now + lease``; ``False`` if it was lost.

        A dispatcher renews right before handing a message to a carrier, so the
        send never runs on a lease that another dispatcher could take over.
        """
        ...

    async def release(self, message_id: str, owner: str, due_at: datetime) -> bool:
        """Give back ``owner``'s lease, due again at ``due_at``; ``False`` if the lease was lost."""
        ...

    async def complete(self, message_id: str, owner: str) -> bool:
        """Remove ``owner``'s leased item (handed over); ``False`` if the lease was lost."""
        ...

    async def depth(self) -> int:
        """How many items are waiting, leased or not (the queue-depth metric)."""
        ...

    async def discard(self, message_id: str) -> bool:
        """Remove the item whoever holds it (the message will not go); ``False`` if absent.

        A dispatcher holding its lease then fails to renew it and skips the
        message, which is why a message may be discarded only while its
        status is not ``sending``.
        """
        ...


class ContactLedger(Protocol):
    """Every SMS and recorded call that counts against contact caps."""

    async def record(self, contact: ContactRecord) -> None:
        """Add a contact; raises ``UnknownReference`` for an unknown creditor or message."""
        ...

    async def of_debtor(
        self, creditor_id: str, debtor_id: str, start: datetime, end: datetime
    ) -> list[ContactRecord]:
        """The contacts of the creditor's debtor, any phone, with ``start <= at < end``."""
        ...

    async def of_phone(
        self, creditor_id: str, phone: str, start: datetime, end: datetime
    ) -> list[ContactRecord]:
        """The creditor's contacts with this phone, any role, with ``start <= at < end``."""
        ...

    async def of_debtor_or_phone(
        self, creditor_id: str, debtor_id: str, phone: str, start: datetime, end: datetime
    ) -> list[ContactRecord]:
        """The creditor's contacts of the debtor (any phone) or with the phone (any debtor
        id, any role), each once, with ``start <= at < end``: what a debtor's caps count."""
        ...

    async def of_message(self, message_id: str) -> ContactRecord | None:
        """The booking of a message, if it has one."""
        ...

    async def move(self, message_id: str, at: datetime) -> int:
        """Move a message's booking to ``at`` (its send moved); how many entries moved."""
        ...

    async def withdraw(self, message_id: str) -> int:
        """Remove the contacts of a message that will never go (a rejected held message)."""
        ...

    async def hold_phone(self, creditor_id: str, phone: str) -> None:
        """In a write unit, wait for the creditor's phone lock and hold it to the end.

        The lock the phone's opt-out reads and its bookings take: a unit that
        changes a pending message's rows takes it first (see ``booking.withdraw``).
        """
        ...


class AttemptLog(Protocol):
    """Each hand-over of a message to a carrier, started before the call and finished after."""

    async def start(self, attempt: SendAttempt) -> None:
        """Record an attempt under way; raises ``AlreadyExists`` or ``UnknownReference``."""
        ...

    async def finish(
        self,
        message_id: str,
        attempt: int,
        outcome: AttemptOutcome,
        at: datetime,
        *,
        carrier_message_id: str | None = None,
        error_code: str = "",
        detail: str = "",
    ) -> None:
        """Record how an attempt ended; raises ``NotFound`` for an unknown attempt.

        May be called again on an attempt finished ``unknown``, to record what
        reconciliation (the carrier's status query) found out.
        """
        ...

    async def of_message(self, message_id: str) -> list[SendAttempt]:
        """The message's attempts, first to last."""
        ...

    async def by_carrier_message_id(
        self, carrier: str, carrier_message_id: str
    ) -> SendAttempt | None:
        """The latest attempt the carrier knows by this id (delivery reports quote it)."""
        ...


class ReceiptLog(Protocol):
    """Delivery reports as received, matched or not."""

    async def add(self, receipt: DeliveryReceipt) -> bool:
        """Store a receipt; ``False`` (and nothing stored) if its ``dedupe_key`` is known."""
        ...

    async def of_message(self, message_id: str) -> list[DeliveryReceipt]:
        """The receipts matched to the message, oldest first."""
        ...

    async def unmatched(self, limit: int = 100) -> list[DeliveryReceipt]:
        """Receipts no attempt matched, newest first (an operator's worry list)."""
        ...


class ReplyLog(Protocol):
    """Inbound replies (MO) as received, with the creditor they were matched to."""

    async def add(self, reply: InboundReply) -> bool:
        """Store a reply; ``False`` (and nothing stored) if its ``dedupe_key`` is known."""
        ...

    async def of_creditor(
        self, creditor_id: str, *, phone: str | None = None, limit: int = 100
    ) -> list[InboundReply]:
        """The creditor's replies, newest first; only ``phone``'s if given."""
        ...

    async def unattributed(self, limit: int = 100) -> list[InboundReply]:
        """Replies no creditor could be matched to, newest first."""
        ...


class DetachmentRepository(Protocol):
    """Phones detached from a debtor by a wrong-number reply; kept for good (evidence)."""

    async def add(self, detached: DetachedPhone) -> bool:
        """Record a detachment; ``False`` if that (creditor, debtor, phone) is detached already."""
        ...

    async def is_detached(self, creditor_id: str, debtor_id: str, phone: str) -> bool:
        """Whether ``phone`` was detached from the creditor's ``debtor_id``."""
        ...


class ConfirmationRepository(Protocol):
    """Stop confirmations: each creditor's text, and the one message sent per opt-out."""

    async def text_of(self, creditor_id: str) -> StopConfirmationText | None:
        """The creditor's confirmation text; ``None``: confirmations are off."""
        ...

    async def set_text(self, text: StopConfirmationText) -> None:
        """Turn confirmations on with ``text`` (replacing an earlier one)."""
        ...

    async def clear_text(self, creditor_id: str) -> bool:
        """Turn confirmations off; ``False`` if they were off."""
        ...

    async def add(self, confirmation: StopConfirmation) -> bool:
        """Claim the opt-out's one confirmation; ``False`` if it was claimed already."""
        ...

    async def of_message(self, message_id: str) -> StopConfirmation | None:
        """The confirmation this message is, if it is one."""
        ...

    async def of_replies(self, reply_ids: Sequence[str]) -> dict[str, StopConfirmation]:
        """The confirmations the given stop replies caused, by reply id."""
        ...


class OptOutRepository(Protocol):
    """The do-not-contact list of each creditor."""

    async def add(self, opt_out: OptOut) -> None:
        """Record an opt-out; raises ``OptOutExists`` if one of that kind is active."""
        ...

    async def active(self, creditor_id: str, phone: str) -> list[OptOut]:
        """The phone's active opt-outs for the creditor (empty: may be contacted)."""
        ...

    async def of_creditor(self, creditor_id: str) -> list[OptOut]:
        """The creditor's active opt-outs, newest first."""
        ...

    async def remove(self, creditor_id: str, phone: str, kind: OptOutKind, at: datetime) -> bool:
        """End the active opt-out of this kind; ``False`` if there was none."""
        ...


class IdempotencyStore(Protocol):
    """First responses to requests carrying an ``Idempotency-Key``, per creditor."""

    async def get(self, creditor_id: str, key: str) -> IdempotencyRecord | None:
        """The stored response for the key, if any."""
        ...

    async def put(self, record: IdempotencyRecord) -> None:
        """Store a response; raises ``IdempotencyKeyExists`` if the key was used."""
        ...

    async def forget_before(self, at: datetime) -> int:
        """Drop records older than ``at``; returns how many."""
        ...


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Which audit entries to list: every given field must match; ``start <= at < end``."""

    creditor_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    actor: str | None = None
    action: str | None = None
    subject: str | None = None
    after_seq: int = 0
    limit: int = 1000


class AuditLog(Protocol):
    """The append-only record of every decision: the leaves of the audit tree."""

    async def append(self, event: AuditEvent) -> AuditEntry:
        """Store ``event`` as a new leaf (not yet in the tree) in this unit; takes no lock."""
        ...

    async def entries(self, query: AuditQuery) -> list[AuditEntry]:
        """Matching entries in ``seq`` order, at most ``query.limit``; page with ``after_seq``."""
        ...

    async def about(self, creditor_id: str, subjects: Collection[str]) -> list[AuditEntry]:
        """The creditor's entries whose subject is one of ``subjects``, in ``seq`` order."""
        ...

    async def leaves(self, start: int, end: int) -> list[AuditEntry]:
        """The entries at tree positions ``start <= leaf_index < end``, by position."""
        ...

    async def checkpoint(self) -> TreeCheckpoint | None:
        """The tree's last verification result, ``None`` before the first run."""
        ...

    async def save_checkpoint(self, checkpoint: TreeCheckpoint) -> None:
        """Record a verification result; an incremental run never clears a recorded fault."""
        ...


class AuditTree(Protocol):
    """The audit tree's positions, stored perfect subtrees and signed heads (the sequencer's)."""

    async def lead(self) -> bool:
        """Become the sequencer for this write unit; ``False`` if another instance is."""
        ...

    async def latest_head(self) -> TreeHead | None:
        """The signed head of the largest tree, ``None`` before the first."""
        ...

    async def head(self, size: int) -> TreeHead | None:
        """The signed head of the tree of ``size`` leaves, if one was signed."""
        ...

    async def heads(self, after_size: int, through_size: int, limit: int) -> list[TreeHead]:
        """Signed heads with ``after_size < size <= through_size``, smallest first."""
        ...

    async def pending(self, limit: int) -> list[tuple[int, bytes]]:
        """``(seq, leaf hash)`` of up to ``limit`` entries not yet in the tree, by ``seq``."""
        ...

    async def place(self, seqs: Sequence[int], first_index: int) -> None:
        """Give the entries ``seqs`` the positions ``first_index``, ``+1`` …; raises
        ``Conflict`` (the unit must roll back) if one already has a position."""
        ...

    async def nodes(self, subtrees: Collection[Subtree]) -> dict[Subtree, bytes]:
        """The stored hashes of those of ``subtrees`` that are stored."""
        ...

    async def leaf_nodes(self, start: int, end: int) -> dict[int, bytes]:
        """The leaf hashes the sequencer integrated at positions ``[start, end)``, by position."""
        ...

    async def add_nodes(self, nodes: Sequence[tuple[Subtree, bytes]]) -> None:
        """Store completed perfect subtrees; raises ``AlreadyExists`` for a stored one."""
        ...

    async def add_head(self, head: TreeHead) -> None:
        """Store a signed head; raises ``AlreadyExists`` for a size already signed."""
        ...


class UnitOfWork(Protocol):
    """The repositories of one transaction; see the module docstring."""

    @property
    def creditors(self) -> CreditorRepository: ...
    @property
    def api_keys(self) -> ApiKeyRepository: ...
    @property
    def templates(self) -> TemplateRepository: ...
    @property
    def messages(self) -> MessageRepository: ...
    @property
    def outbox(self) -> OutboxRepository: ...
    @property
    def attempts(self) -> AttemptLog: ...
    @property
    def receipts(self) -> ReceiptLog: ...
    @property
    def replies(self) -> ReplyLog: ...
    @property
    def contacts(self) -> ContactLedger: ...
    @property
    def opt_outs(self) -> OptOutRepository: ...
    @property
    def detachments(self) -> DetachmentRepository: ...
    @property
    def confirmations(self) -> ConfirmationRepository: ...
    @property
    def idempotency(self) -> IdempotencyStore: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def audit_tree(self) -> AuditTree: ...
    @property
    def reporting(self) -> ReportingQueries: ...
    @property
    def webhooks(self) -> WebhookRepository: ...
    @property
    def ui_sessions(self) -> UiSessionRepository: ...


class Store(Protocol):
    """An open database: the source of units of work."""

    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """A write transaction, serialised with every other; commits unless the block raises."""
        ...

    def read(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """A read-only snapshot, concurrent with others; writes raise ``ReadOnlyTransaction``."""
        ...

    async def migrate(self) -> int:
        """Apply pending migrations (idempotent; ``open_store`` already did); the schema version."""
        ...

    async def ping(self) -> None:
        """Raise ``StoreUnavailable`` unless the database answers (readiness)."""
        ...

    async def close(self) -> None:
        """Close every connection; the store is unusable afterwards."""
        ...
