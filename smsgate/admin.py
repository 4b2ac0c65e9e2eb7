"""Operator actions shared by the command line and the demo: creditors, API keys, webhooks.

Each action is one audited transaction. Validation happens before anything is
written: the signature must be one the SMS core accepts and the profile one
the policy core knows, so a creditor can never exist in a state that fails
every send.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from smsgate.api.keys import mint_key
from smsgate.core.policy import profile_from_config
from smsgate.core.sms import sign
from smsgate.store import ApiKey, AuditEvent, Creditor, JsonObject, Role, Store, Webhook
from smsgate.store.audit import AuditAction
from smsgate.webhooks.config import WEBHOOK_CONFIGURED, WEBHOOK_REMOVED, check_webhook_url

OPERATOR = "operator:cli"


async def create_creditor(
    store: Store,
    creditor_id: str,
    *,
    name: str,
    signature: str,
    profile: str,
    at: datetime,
    overrides: Mapping[str, Any] | None = None,
) -> Creditor:
    """Create a creditor; raises ``ValueError`` for a bad id, signature or profile."""
    sign("", signature)
    profile_from_config(profile, overrides or {})
    creditor = Creditor(creditor_id, name, signature, profile, at, dict(overrides or {}))
    async with store.transaction() as tx:
        await tx.creditors.add(creditor)
        await tx.audit.append(
            AuditEvent(
                at,
                creditor_id,
                OPERATOR,
                AuditAction.CREDITOR_CREATED,
                creditor_id,
                {"name": name, "profile": profile},
            )
        )
    return creditor


async def create_key(
    store: Store, creditor_id: str, roles: Iterable[Role], *, at: datetime, label: str = ""
) -> tuple[ApiKey, str]:
    """Mint and store an API key; returns the record and the secret token (shown once)."""
    key, token = mint_key(creditor_id, roles, at, label)
    async with store.transaction() as tx:
        await tx.api_keys.add(key)
        await tx.audit.append(
            AuditEvent(
                at,
                creditor_id,
                OPERATOR,
                AuditAction.KEY_CREATED,
                key.id,
                {"roles": sorted(key.roles), "label": label},
            )
        )
    return key, token


async def configure_webhook(store: Store, creditor_id: str, url: str, *, at: datetime) -> Webhook:
    """Point the creditor's status webhook at ``url`` (audited ``webhook.configured``).

    Raises ``ValueError`` for a URL webhooks may not use (``check_webhook_url``)
    or an unknown creditor. The signing secret is derived, never stored:
    see ``smsgate.webhooks.config``.
    """
    check_webhook_url(url)
    async with store.transaction() as tx:
        if await tx.creditors.get(creditor_id) is None:
            raise ValueError(f"no creditor {creditor_id!r}")
        previous = await tx.webhooks.get(creditor_id)
        webhook = await tx.webhooks.configure(creditor_id, url, at)
        detail: JsonObject = {"url": url, "previous_url": previous.url if previous else None}
        await tx.audit.append(
            AuditEvent(at, creditor_id, OPERATOR, WEBHOOK_CONFIGURED, creditor_id, detail)
        )
    return webhook


async def remove_webhook(store: Store, creditor_id: str, *, at: datetime) -> bool:
    """Remove the creditor's status webhook (audited ``webhook.removed``); ``False`` if none."""
    async with store.transaction() as tx:
        previous = await tx.webhooks.get(creditor_id)
        if previous is None:
            return False
        await tx.webhooks.remove(creditor_id)
        detail: JsonObject = {"url": previous.url, "last_event_id": previous.last_event_id}
        await tx.audit.append(
            AuditEvent(at, creditor_id, OPERATOR, WEBHOOK_REMOVED, creditor_id, detail)
        )
    return True
