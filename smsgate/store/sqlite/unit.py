"""The SQLite unit of work: every repository, sharing one session (one transaction)."""

from __future__ import annotations

from smsgate.store.sqlite.attempts import SqliteAttemptLog
from smsgate.store.sqlite.audit import SqliteAuditLog
from smsgate.store.sqlite.callbacks import SqliteReceiptLog, SqliteReplyLog
from smsgate.store.sqlite.confirmations import SqliteConfirmations
from smsgate.store.sqlite.messages import SqliteContactLedger, SqliteMessages, SqliteOutbox
from smsgate.store.sqlite.reporting import SqliteReporting
from smsgate.store.sqlite.session import Session
from smsgate.store.sqlite.templates import SqliteTemplates
from smsgate.store.sqlite.tenants import (
    SqliteApiKeys,
    SqliteCreditors,
    SqliteDetachments,
    SqliteIdempotency,
    SqliteOptOuts,
)
from smsgate.store.sqlite.ui_sessions import SqliteUiSessions
from smsgate.store.sqlite.webhooks import SqliteWebhooks


class SqliteUnitOfWork:
    """``UnitOfWork`` on SQLite; built by ``SqliteStore.transaction()`` and ``read()``.

    Repositories are built on first use: most requests touch two or three.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def creditors(self) -> SqliteCreditors:
        return SqliteCreditors(self._session)

    @property
    def api_keys(self) -> SqliteApiKeys:
        return SqliteApiKeys(self._session)

    @property
    def templates(self) -> SqliteTemplates:
        return SqliteTemplates(self._session)

    @property
    def messages(self) -> SqliteMessages:
        return SqliteMessages(self._session)

    @property
    def outbox(self) -> SqliteOutbox:
        return SqliteOutbox(self._session)

    @property
    def attempts(self) -> SqliteAttemptLog:
        return SqliteAttemptLog(self._session)

    @property
    def receipts(self) -> SqliteReceiptLog:
        return SqliteReceiptLog(self._session)

    @property
    def replies(self) -> SqliteReplyLog:
        return SqliteReplyLog(self._session)

    @property
    def contacts(self) -> SqliteContactLedger:
        return SqliteContactLedger(self._session)

    @property
    def opt_outs(self) -> SqliteOptOuts:
        return SqliteOptOuts(self._session)

    @property
    def detachments(self) -> SqliteDetachments:
        return SqliteDetachments(self._session)

    @property
    def confirmations(self) -> SqliteConfirmations:
        return SqliteConfirmations(self._session)

    @property
    def idempotency(self) -> SqliteIdempotency:
        return SqliteIdempotency(self._session)

    @property
    def audit(self) -> SqliteAuditLog:
        return SqliteAuditLog(self._session)

    @property
    def reporting(self) -> SqliteReporting:
        return SqliteReporting(self._session)

    @property
    def webhooks(self) -> SqliteWebhooks:
        return SqliteWebhooks(self._session)

    @property
    def ui_sessions(self) -> SqliteUiSessions:
        return SqliteUiSessions(self._session)
