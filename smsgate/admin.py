"""Operator actions shared by the command line and the demo: creditors and API keys.

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
from smsgate.store import ApiKey, AuditEvent, Creditor, Role, Store
from smsgate.store.audit import AuditAction

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
