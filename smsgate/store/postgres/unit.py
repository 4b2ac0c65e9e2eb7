"""The PostgreSQL unit of work: every repository, sharing one session (one transaction)."""

from __future__ import annotations

from smsgate.store.postgres.attempts import PostgresAttemptLog
from smsgate.store.postgres.audit import PostgresAuditLog
from smsgate.store.postgres.callbacks import PostgresReceiptLog, PostgresReplyLog
from smsgate.store.postgres.confirmations import PostgresConfirmations
from smsgate.store.postgres.messages import (
    PostgresContactLedger,
    PostgresMessages,
    PostgresOutbox,
)
from smsgate.store.postgres.reporting import PostgresReporting
from smsgate.store.postgres.session import Session
from smsgate.store.postgres.templates import PostgresTemplates
from smsgate.store.postgres.tenants import (
    PostgresApiKeys,
    PostgresCreditors,
    PostgresDetachments,
    PostgresIdempotency,
    PostgresOptOuts,
)
from smsgate.store.postgres.ui_sessions import PostgresUiSessions
from smsgate.store.postgres.webhooks import PostgresWebhooks


class PostgresUnitOfWork:
    """``UnitOfWork`` on PostgreSQL; built by ``PostgresStore.transaction()`` and ``read()``.

    Repositories are built on first use: most requests touch two or three.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def creditors(self) -> PostgresCreditors:
        return PostgresCreditors(self._session)

    @property
    def api_keys(self) -> PostgresApiKeys:
        return PostgresApiKeys(self._session)

    @property
    def templates(self) -> PostgresTemplates:
        return PostgresTemplates(self._session)

    @property
    def messages(self) -> PostgresMessages:
        return PostgresMessages(self._session)

    @property
    def outbox(self) -> PostgresOutbox:
        return PostgresOutbox(self._session)

    @property
    def attempts(self) -> PostgresAttemptLog:
        return PostgresAttemptLog(self._session)

    @property
    def receipts(self) -> PostgresReceiptLog:
        return PostgresReceiptLog(self._session)

    @property
    def replies(self) -> PostgresReplyLog:
        return PostgresReplyLog(self._session)

    @property
    def contacts(self) -> PostgresContactLedger:
        return PostgresContactLedger(self._session)

    @property
    def opt_outs(self) -> PostgresOptOuts:
        return PostgresOptOuts(self._session)

    @property
    def detachments(self) -> PostgresDetachments:
        return PostgresDetachments(self._session)

    @property
    def confirmations(self) -> PostgresConfirmations:
        return PostgresConfirmations(self._session)

    @property
    def idempotency(self) -> PostgresIdempotency:
        return PostgresIdempotency(self._session)

    @property
    def audit(self) -> PostgresAuditLog:
        return PostgresAuditLog(self._session)

    @property
    def reporting(self) -> PostgresReporting:
        return PostgresReporting(self._session)

    @property
    def webhooks(self) -> PostgresWebhooks:
        return PostgresWebhooks(self._session)

    @property
    def ui_sessions(self) -> PostgresUiSessions:
        return PostgresUiSessions(self._session)
