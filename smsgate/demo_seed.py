"""The embedded demo: one creditor, its three keys and ready templates, for ``make run``.

A newcomer should send a first message within a minute of starting the
service, so the demo seeds what a real deployment builds over days: the
creditor 安信消费金融 (``acme``), an author, a reviewer and a sender key, two
templates that the author wrote and the reviewer approved (four-eyes holds
even here), and one template waiting for review, for the compliance UI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smsgate.core.audience import Audience
from smsgate.core.scanner.findings import TextScanner
from smsgate.core.templates import TemplateSource, lint
from smsgate.service import administration
from smsgate.store import (
    AuditEvent,
    Review,
    ReviewDecision,
    Role,
    Store,
    Template,
    TemplateVersion,
    VersionStatus,
    new_id,
)
from smsgate.store.audit import AuditAction
from smsgate.store.records import TEMPLATE_PREFIX

CREDITOR = "acme"
CREDITOR_NAME = "安信消费金融"


@dataclass(frozen=True, slots=True)
class DemoTemplate:
    """A template the demo seeds, and whether it is already approved."""

    name: str
    audience: Audience
    body: str
    variables: Mapping[str, Any]
    approved: bool


DEMO_TEMPLATES = (
    DemoTemplate(
        "overdue-reminder",
        Audience.DEBTOR,
        "{{ name }}您好，您的账单{{ amount|money }}已逾期{{ days }}天，"
        "请尽快通过官方APP还款，详询{{ hotline }}。",
        {
            "name": {"type": "str", "max_length": 10},
            "amount": {"type": "money"},
            "days": {"type": "int", "max": 3650},
            "hotline": {"type": "phone"},
        },
        approved=True,
    ),
    DemoTemplate(
        "callback-request",
        Audience.THIRD_PARTY,
        "您好，请转告{{ name }}尽快回电{{ hotline }}，谢谢。",
        {"name": {"type": "str", "max_length": 10}, "hotline": {"type": "phone"}},
        approved=True,
    ),
    DemoTemplate(
        "due-date-notice",
        Audience.DEBTOR,
        "{{ name }}您好，您的本期账单{{ amount|money }}将于{{ due|date }}到期，请按时还款。",
        {
            "name": {"type": "str", "max_length": 10},
            "amount": {"type": "money"},
            "due": {"type": "date"},
        },
        approved=False,
    ),
)


@dataclass(frozen=True, slots=True)
class DemoSetup:
    """What the demo printed banner shows: tokens and template ids."""

    author: str
    reviewer: str
    sender: str
    templates: Mapping[str, str]


DEMO_AUTHOR = "Demo Author"
DEMO_REVIEWER = "Demo Reviewer"


async def seed_demo(store: Store, scanner: TextScanner, at: datetime) -> DemoSetup:
    """Create the demo creditor, keys and templates in an empty database."""
    await administration.create_creditor(
        store, CREDITOR, name=CREDITOR_NAME, signature=CREDITOR_NAME, profile="cn-shenzhen", at=at
    )
    # Two people, so the seeded approvals (and the printed reviewer key) pass four-eyes.
    author_key, author = await administration.create_key(
        store, CREDITOR, [Role.AUTHOR], at=at, label="demo", person=DEMO_AUTHOR
    )
    reviewer_key, reviewer = await administration.create_key(
        store, CREDITOR, [Role.REVIEWER], at=at, label="demo", person=DEMO_REVIEWER
    )
    _, sender = await administration.create_key(store, CREDITOR, [Role.SENDER], at=at, label="demo")
    templates = {}
    for demo in DEMO_TEMPLATES:
        templates[demo.name] = await _seed_template(
            store, scanner, demo, author_key.id, reviewer_key.id, at
        )
    return DemoSetup(author, reviewer, sender, templates)


async def _seed_template(
    store: Store,
    scanner: TextScanner,
    demo: DemoTemplate,
    author_id: str,
    reviewer_id: str,
    at: datetime,
) -> str:
    report = lint(
        TemplateSource(demo.body, demo.audience, demo.variables),
        scanner,
        "cn-shenzhen",
        signature=CREDITOR_NAME,
        creditor_name=CREDITOR_NAME,
    )
    if not report.ok:
        raise ValueError(f"demo template {demo.name} does not lint: {report.issues}")
    template = Template(new_id(TEMPLATE_PREFIX), CREDITOR, demo.name, demo.audience, at)
    status = VersionStatus.APPROVED if demo.approved else VersionStatus.SUBMITTED
    version = TemplateVersion(
        template.id,
        1,
        demo.body,
        dict(demo.variables),
        status,
        author_id,
        at,
        scanner.version,
        [issue.to_dict() for issue in report.issues],
        [finding.to_dict() for finding in report.findings],
    )
    async with store.transaction() as tx:
        await tx.templates.add(template)
        await tx.templates.add_version(version)
        await _audit(tx, at, author_id, AuditAction.TEMPLATE_CREATED, template.id)
        await _audit(tx, at, author_id, AuditAction.TEMPLATE_SUBMITTED, template.id)
        if demo.approved:
            review = Review(
                template.id,
                1,
                reviewer_id,
                ReviewDecision.APPROVE,
                "demo template",
                at,
                scanner.version,
            )
            await tx.templates.add_review(review)
            await _audit(tx, at, reviewer_id, AuditAction.TEMPLATE_APPROVED, template.id)
    return template.id


async def _audit(tx: Any, at: datetime, actor: str, action: AuditAction, subject: str) -> None:
    await tx.audit.append(AuditEvent(at, CREDITOR, actor, action, subject, {"version": 1}))
