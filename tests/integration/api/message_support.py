"""Helpers of the send-path tests: approved templates seeded through the store, and bodies.

Templates are written straight into the store (a ``Template`` and an approved
``TemplateVersion``) so these tests exercise the send path alone, whatever
the template routes do. ``message(...)`` builds a valid send body to vary.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from smsgate.core.audience import Audience
from smsgate.core.policy import Channel
from smsgate.service import administration
from smsgate.store import (
    TEMPLATE_PREFIX,
    ContactRecord,
    OptOut,
    OptOutKind,
    OptOutSource,
    Role,
    Template,
    TemplateVersion,
    VersionStatus,
    new_id,
)

from .api_support import GatewayUnderTest

OVERDUE = "{{ name }}您好，您的账单{{ amount }}元已逾期{{ days }}天，请尽快还款。"
OVERDUE_VARIABLES = {
    "name": {"type": "str", "max_length": 10},
    "amount": {"type": "money"},
    "days": {"type": "int", "max": 3650},
}
CALL_BACK = "您好，请转告{{ name }}尽快回电，谢谢。"
CALL_BACK_VARIABLES = {"name": {"type": "str", "max_length": 10}}

PHONE = "+8613800138000"
OTHER_PHONE = "+8613900139000"
DEBTOR = "D-1001"
SIGNATURE = "【安信消费金融】"


async def seed_template(
    gw: GatewayUnderTest,
    creditor: str | None = None,
    *,
    body: str = OVERDUE,
    variables: dict[str, Any] | None = None,
    audience: Audience = Audience.DEBTOR,
    statuses: tuple[VersionStatus, ...] = (VersionStatus.APPROVED,),
    retired: bool = False,
) -> str:
    """A template of ``creditor`` (``gw.acme`` by default) with one version per status (1, 2,
    …); its id."""
    at = gw.clock()
    creditor = creditor or gw.acme
    author, _ = await administration.create_key(
        gw.gateway.store, creditor, {Role.AUTHOR}, at=at, person=f"author {new_id('p')}"
    )
    template = Template(
        id=new_id(TEMPLATE_PREFIX),
        creditor_id=creditor,
        name=f"tpl-{new_id('n')}",
        audience=audience,
        created_at=at,
        retired_at=at if retired else None,
    )
    schema = OVERDUE_VARIABLES if variables is None else variables
    async with gw.gateway.store.transaction() as tx:
        await tx.templates.add(template)
        for number, status in enumerate(statuses, start=1):
            version = TemplateVersion(
                template_id=template.id,
                version=number,
                body=body,
                variables=schema,
                status=status,
                author_key_id=author.id,
                created_at=at,
                wordlist_version=gw.gateway.wordlists.current().version,
            )
            await tx.templates.add_version(version)
    return template.id


async def seed_call_back(gw: GatewayUnderTest, creditor: str | None = None) -> str:
    """An approved ``third_party`` call-back template of ``creditor`` (``gw.acme`` by default)."""
    return await seed_template(
        gw, creditor, body=CALL_BACK, variables=CALL_BACK_VARIABLES, audience=Audience.THIRD_PARTY
    )


def message(template_id: str, **changes: Any) -> dict[str, Any]:
    """A valid send body for the overdue template; ``changes`` replace top-level fields.

    ``recipient`` changes are merged into the default recipient.
    """
    body: dict[str, Any] = {
        "template_id": template_id,
        "variables": {"name": "张三", "amount": "1234.50", "days": 5},
        "recipient": {"phone": PHONE, "debtor_id": DEBTOR, "role": "debtor"},
    }
    recipient = changes.pop("recipient", {})
    body["recipient"] = {**body["recipient"], **recipient}
    body.update(changes)
    return body


def call_back(template_id: str, phone: str = OTHER_PHONE, debtor: str = DEBTOR) -> dict[str, Any]:
    """A send body for the call-back template to a third party."""
    return {
        "template_id": template_id,
        "variables": {"name": "张三"},
        "recipient": {"phone": phone, "debtor_id": debtor, "role": "third_party"},
    }


async def opt_out(
    gw: GatewayUnderTest,
    phone: str = PHONE,
    creditor: str | None = None,
    kind: OptOutKind = OptOutKind.OPT_OUT,
) -> None:
    """Put ``phone`` on the creditor's (``gw.acme``'s) do-not-contact list through the store."""
    record = OptOut(creditor or gw.acme, phone, kind, OptOutSource.API, gw.clock(), "STOP")
    async with gw.gateway.store.transaction() as tx:
        await tx.opt_outs.add(record)


async def record_call(
    gw: GatewayUnderTest,
    phone: str = OTHER_PHONE,
    debtor: str = DEBTOR,
    creditor: str | None = None,
) -> None:
    """A recorded call to the debtor (of ``gw.acme`` by default) now, through the store."""
    call = ContactRecord(
        creditor or gw.acme, debtor, phone, Audience.DEBTOR, Channel.CALL, gw.clock()
    )
    async with gw.gateway.store.transaction() as tx:
        await tx.contacts.record(call)


def utc(text: str) -> datetime:
    """An ISO-8601 instant as an aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)
