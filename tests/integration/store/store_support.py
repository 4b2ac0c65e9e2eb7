"""Builders of valid records for the store tests, with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from smsgate.core.audience import Audience
from smsgate.core.policy.contacts import Channel
from smsgate.core.scanner.findings import Verdict
from smsgate.core.sms import Encoding
from smsgate.store import (
    ApiKey,
    ContactRecord,
    Creditor,
    Message,
    MessageStatus,
    Role,
    Store,
    Template,
    TemplateVersion,
    VersionStatus,
    new_id,
)

T0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
DEBTOR_PHONE = "+8613800138000"


def at(minutes: float) -> datetime:
    """``T0`` plus ``minutes``."""
    return T0 + timedelta(minutes=minutes)


def creditor(creditor_id: str = "acme") -> Creditor:
    return Creditor(
        id=creditor_id,
        name="安信消费金融",
        signature="安信消费金融",
        profile_name="cn-shenzhen",
        created_at=T0,
        profile_overrides={"caps": {"debtor": {"limit": 2}}},
    )


def api_key(creditor_id: str = "acme", *roles: Role, key_id: str | None = None) -> ApiKey:
    return ApiKey(
        id=key_id or new_id("key"),
        creditor_id=creditor_id,
        roles=frozenset(roles or (Role.AUTHOR,)),
        secret_hash=new_id("hash"),
        created_at=T0,
        label="tests",
    )


def template(creditor_id: str = "acme", name: str = "overdue-reminder") -> Template:
    return Template(new_id("tpl"), creditor_id, name, Audience.DEBTOR, T0)


def version(
    template_id: str,
    author_key_id: str,
    number: int = 1,
    status: VersionStatus = VersionStatus.DRAFT,
) -> TemplateVersion:
    return TemplateVersion(
        template_id=template_id,
        version=number,
        body="{{ name }}您好，您的账单{{ amount }}元已逾期{{ days }}天，请尽快还款。",
        variables={"name": {"type": "str", "max_length": 10}, "days": {"type": "int"}},
        status=status,
        author_key_id=author_key_id,
        created_at=at(number),
        wordlist_version="2024.05.1",
        lint=[{"code": "no_opt_out", "severity": "warning"}],
        findings=[],
    )


def message(
    creditor_id: str,
    template_id: str,
    debtor_id: str = "D-1001",
    status: MessageStatus = MessageStatus.QUEUED,
    created_at: datetime = T0,
) -> Message:
    return Message(
        id=new_id("msg"),
        creditor_id=creditor_id,
        template_id=template_id,
        template_version=1,
        phone=DEBTOR_PHONE,
        debtor_id=debtor_id,
        role=Audience.DEBTOR,
        text="【安信消费金融】张三您好，您的账单1234.50元已逾期5天，请尽快还款。",
        segments=1,
        encoding=Encoding.UCS2,
        status=status,
        created_at=created_at,
        wordlist_version="2024.05.1",
        verdict=Verdict.PASS,
        timezone="Asia/Shanghai",
        tags=frozenset({"student"}),
        send_at=None,
        findings=[],
    )


def contact(
    creditor_id: str = "acme",
    debtor_id: str = "D-1001",
    phone: str = DEBTOR_PHONE,
    when: datetime = T0,
    message_id: str | None = None,
) -> ContactRecord:
    return ContactRecord(
        creditor_id, debtor_id, phone, Audience.DEBTOR, Channel.SMS, when, message_id
    )


class Tenant:
    """One creditor with an author and a reviewer key and an approved template."""

    def __init__(self, creditor_id: str = "acme") -> None:
        self.creditor = creditor(creditor_id)
        self.author = api_key(creditor_id, Role.AUTHOR)
        self.reviewer = api_key(creditor_id, Role.REVIEWER, Role.SENDER)
        self.template = template(creditor_id)
        self.version = version(self.template.id, self.author.id, status=VersionStatus.APPROVED)

    async def save(self, store: Store) -> Tenant:
        async with store.transaction() as tx:
            await tx.creditors.add(self.creditor)
            await tx.api_keys.add(self.author)
            await tx.api_keys.add(self.reviewer)
            await tx.templates.add(self.template)
            await tx.templates.add_version(self.version)
        return self

    def message(self, debtor_id: str = "D-1001", **changes: object) -> Message:
        return message(self.creditor.id, self.template.id, debtor_id, **changes)  # type: ignore[arg-type]
