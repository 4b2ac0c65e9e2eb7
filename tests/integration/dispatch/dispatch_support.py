"""Builders for the dispatcher tests: a tenant, accepted messages, a settable clock."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from smsgate.core.audience import Audience
from smsgate.core.policy import Channel
from smsgate.core.scanner.findings import Verdict
from smsgate.core.sms import Encoding
from smsgate.store import (
    ApiKey,
    ContactRecord,
    Creditor,
    Message,
    MessageStatus,
    OutboxItem,
    Role,
    Store,
    Template,
    TemplateVersion,
    VersionStatus,
    new_id,
    parse_instant,
)

T0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
PHONE = "+8613800138000"
TEXT = "【安信消费金融】张三您好，您的账单1234.50元已逾期5天，请尽快还款。"


def at(minutes: float = 0, *, hours: float = 0) -> datetime:
    """``T0`` plus the given time."""
    return T0 + timedelta(minutes=minutes, hours=hours)


class Clock:
    """A clock the test sets; the dispatcher reads it as ``clock()``."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class Tenant:
    """One creditor on the default cn-shenzhen profile with an approved debtor template."""

    def __init__(self, creditor_id: str = "acme") -> None:
        self.creditor = Creditor(creditor_id, "安信消费金融", "安信消费金融", "cn-shenzhen", T0)
        self.author = ApiKey(new_id("key"), creditor_id, frozenset({Role.AUTHOR}), new_id("h"), T0)
        self.template = Template(new_id("tpl"), creditor_id, "overdue", Audience.DEBTOR, T0)

    async def save(self, store: Store) -> Tenant:
        version = TemplateVersion(
            self.template.id, 1, "{{ name }}您好", {}, VersionStatus.APPROVED,
            self.author.id, T0, "2024.05.1",
        )  # fmt: skip
        async with store.transaction() as tx:
            await tx.creditors.add(self.creditor)
            await tx.api_keys.add(self.author)
            await tx.templates.add(self.template)
            await tx.templates.add_version(version)
        return self

    def message(
        self, *, phone: str = PHONE, tags: Sequence[str] = (), **changes: object
    ) -> Message:
        fields: dict[str, Any] = {
            "id": new_id("msg"), "creditor_id": self.creditor.id,
            "template_id": self.template.id, "template_version": 1, "phone": phone,
            "debtor_id": "D-1001", "role": Audience.DEBTOR, "text": TEXT, "segments": 1,
            "encoding": Encoding.UCS2, "status": MessageStatus.QUEUED, "created_at": T0,
            "wordlist_version": "2024.05.1", "verdict": Verdict.PASS,
            "timezone": "Asia/Shanghai", "tags": frozenset(tags),
        }  # fmt: skip
        return Message(**{**fields, **changes})

    async def accept(
        self, store: Store, count: int = 1, *, due_at: datetime = T0, **changes: Any
    ) -> list[Message]:
        """Accept ``count`` messages as the API does: message, outbox item, ledger contact."""
        messages = [self.message(**changes) for _ in range(count)]
        async with store.transaction() as tx:
            for message in messages:
                await tx.messages.add(message)
                await tx.outbox.add(OutboxItem(message.id, due_at))
                await tx.contacts.record(
                    ContactRecord(
                        message.creditor_id, message.debtor_id, message.phone, message.role,
                        Channel.SMS, due_at, message.id,
                    )
                )  # fmt: skip
        return messages


async def statuses(store: Store, message_id: str) -> list[tuple[MessageStatus, str]]:
    """The message's status history as (status, detail) pairs."""
    async with store.read() as tx:
        return [(change.status, change.detail) for change in await tx.messages.history(message_id)]


async def status_of(store: Store, message_id: str) -> MessageStatus:
    async with store.read() as tx:
        message = await tx.messages.get(message_id, creditor_id=None)
    assert message is not None
    return message.status


def outbox_row(db_path: Path, message_id: str) -> OutboxItem | None:
    """The message's outbox row as it is on disk (read without claiming it), if any."""
    with closing(sqlite3.connect(db_path)) as db:
        row = db.execute(
            "SELECT due_at, attempts, lease_owner, lease_until FROM outbox WHERE message_id = ?",
            (message_id,),
        ).fetchone()
    if row is None:
        return None
    until = None if row[3] is None else parse_instant(row[3])
    return OutboxItem(message_id, parse_instant(row[0]), row[1], row[2], until)


def waiting_in_outbox(db_path: Path, message_id: str) -> OutboxItem:
    """The message's outbox row on disk; fails the test if the message left the outbox."""
    row = outbox_row(db_path, message_id)
    if row is None:
        pytest.fail(f"message {message_id} has no outbox row")
    return row
