"""The unit of work: every repository, sharing one session (one transaction).

Built by each store's ``transaction()`` and ``read()`` on that database's
session; the repositories are the same on both databases.
"""

from __future__ import annotations

from smsgate.store.sql.attempts import SqlAttemptLog
from smsgate.store.sql.audit import SqlAuditLog
from smsgate.store.sql.audit_tree import SqlAuditTree
from smsgate.store.sql.callbacks import SqlReceiptLog, SqlReplyLog
from smsgate.store.sql.confirmations import SqlConfirmations
from smsgate.store.sql.contacts import SqlContactLedger
from smsgate.store.sql.dialect import Session
from smsgate.store.sql.messages import SqlMessages, SqlOutbox
from smsgate.store.sql.reporting import SqlReporting
from smsgate.store.sql.templates import SqlTemplates
from smsgate.store.sql.tenants import (
    SqlApiKeys,
    SqlCreditors,
    SqlDetachments,
    SqlIdempotency,
    SqlOptOuts,
)
from smsgate.store.sql.ui_sessions import SqlUiSessions
from smsgate.store.sql.webhooks import SqlWebhooks


class SqlUnitOfWork:
    """``UnitOfWork`` over one ``Session``.

    Repositories are built on first use: most requests touch two or three.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def creditors(self) -> SqlCreditors:
        return SqlCreditors(self._session)

    @property
    def api_keys(self) -> SqlApiKeys:
        return SqlApiKeys(self._session)

    @property
    def templates(self) -> SqlTemplates:
        return SqlTemplates(self._session)

    @property
    def messages(self) -> SqlMessages:
        return SqlMessages(self._session)

    @property
    def outbox(self) -> SqlOutbox:
        return SqlOutbox(self._session)

    @property
    def attempts(self) -> SqlAttemptLog:
        return SqlAttemptLog(self._session)

    @property
    def receipts(self) -> SqlReceiptLog:
        return SqlReceiptLog(self._session)

    @property
    def replies(self) -> SqlReplyLog:
        return SqlReplyLog(self._session)

    @property
    def contacts(self) -> SqlContactLedger:
        return SqlContactLedger(self._session)

    @property
    def opt_outs(self) -> SqlOptOuts:
        return SqlOptOuts(self._session)

    @property
    def detachments(self) -> SqlDetachments:
        return SqlDetachments(self._session)

    @property
    def confirmations(self) -> SqlConfirmations:
        return SqlConfirmations(self._session)

    @property
    def idempotency(self) -> SqlIdempotency:
        return SqlIdempotency(self._session)

    @property
    def audit(self) -> SqlAuditLog:
        return SqlAuditLog(self._session)

    @property
    def audit_tree(self) -> SqlAuditTree:
        return SqlAuditTree(self._session)

    @property
    def reporting(self) -> SqlReporting:
        return SqlReporting(self._session)

    @property
    def webhooks(self) -> SqlWebhooks:
        return SqlWebhooks(self._session)

    @property
    def ui_sessions(self) -> SqlUiSessions:
        return SqlUiSessions(self._session)
