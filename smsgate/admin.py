"""Operator actions shared by the command line and the demo: creditors, API keys, webhooks.

Each action is one audited transaction. Validation happens before anything is
written: the signature must be one the SMS core accepts and the profile one
the policy core knows, so a creditor can never exist in a state that fails
every send.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from smsgate.api.problems import Problem
from smsgate.core.policy import profile_from_config
from smsgate.core.sms import sign
from smsgate.service.keys import KeyActor, KeyDesk, Rotation
from smsgate.store import (
    ApiKey,
    AuditEvent,
    Creditor,
    JsonObject,
    Role,
    Store,
    Webhook,
    utc_now,
)
from smsgate.store.audit import AuditAction
from smsgate.webhooks.config import WEBHOOK_CONFIGURED, WEBHOOK_REMOVED
from smsgate.webhooks.targets import Resolve, TargetAllowList, resolve_host, vet_webhook_url

OPERATOR = "operator:cli"
OPERATOR_ACTOR = KeyActor(OPERATOR, creditor_id=None)


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
    store: Store,
    creditor_id: str,
    roles: Iterable[Role],
    *,
    at: datetime,
    label: str = "",
    person: str | None = None,
) -> tuple[ApiKey, str]:
    """Mint and store an API key for ``person``; the record and the secret token (shown once).

    The operator mints it: it has no minter, so only ``person`` stands behind
    it (see ``smsgate.service.four_eyes``). Raises ``ValueError`` for an
    author or reviewer key without a person, or a person that is not a name.
    """
    try:
        issued = await _key_desk(store, at).create(
            OPERATOR_ACTOR, creditor_id, roles, label, person
        )
    except Problem as problem:
        raise ValueError(problem.detail) from None
    return issued.key, issued.token


async def list_keys(store: Store, creditor_id: str) -> list[ApiKey]:
    """The creditor's keys, revoked ones included; raises ``ValueError`` for no such creditor."""
    async with store.read() as tx:
        if await tx.creditors.get(creditor_id) is None:
            raise ValueError(f"no creditor {creditor_id!r}")
    return await _key_desk(store, utc_now()).list(creditor_id)


async def rotate_key(store: Store, key_id: str, *, at: datetime, grace: timedelta) -> Rotation:
    """Replace a key by a new one with the same roles; the old one works ``grace`` longer.

    Raises ``ValueError`` for an unknown, revoked or already rotated key, or a bad grace.
    """
    try:
        return await _key_desk(store, at).rotate(OPERATOR_ACTOR, key_id, grace)
    except Problem as problem:
        raise ValueError(problem.detail) from None


async def revoke_key(store: Store, key_id: str, *, at: datetime) -> ApiKey:
    """Revoke a key now, even a creditor's last admin key (the operator rescues tenants).

    Idempotent: an already revoked key is returned unchanged. Raises
    ``ValueError`` for an unknown key.
    """
    try:
        return await _key_desk(store, at).revoke(OPERATOR_ACTOR, key_id)
    except Problem as problem:
        raise ValueError(problem.detail) from None


def _key_desk(store: Store, at: datetime) -> KeyDesk:
    # A separate process: no key ring to evict from; serving instances drop
    # their cached lookups within SMSGATE_AUTH_CACHE_SECONDS.
    return KeyDesk(store, lambda: at)


async def configure_webhook(
    store: Store,
    creditor_id: str,
    url: str,
    *,
    at: datetime,
    targets: TargetAllowList | None = None,
    resolve: Resolve = resolve_host,
) -> Webhook:
    """Point the creditor's status webhook at ``url`` (audited ``webhook.configured``).

    Raises ``ValueError`` for a URL webhooks may not use (``vet_webhook_url``:
    its form, and where its host resolves now, against ``targets``, the
    operator's allow-list; default: public addresses only) or an unknown
    creditor. The signing secret is derived, never stored: see
    ``smsgate.webhooks.config``.
    """
    await vet_webhook_url(url, targets or TargetAllowList(), resolve)
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
