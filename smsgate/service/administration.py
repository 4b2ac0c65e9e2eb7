"""Operator actions shared by the command line and the demo: creditors, API keys, webhooks.

Each action is one audited transaction. Validation happens before anything is
written: the signature must be one the SMS core accepts and the profile one
the policy core knows, so a creditor can never exist in a state that fails
every send.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from smsgate.core.audience import Audience
from smsgate.core.policy import profile_from_config
from smsgate.core.scanner import TextScanner, Verdict
from smsgate.core.sms import check_segments, fake_signature_at, sign
from smsgate.service.keys import KeyActor, KeyDesk, Rotation
from smsgate.service.refusals import Refusal
from smsgate.store import (
    KEY_PREFIX,
    TEMPLATE_PREFIX,
    ApiKey,
    AuditEvent,
    Creditor,
    JsonObject,
    Role,
    StopConfirmationText,
    Store,
    Template,
    TemplateVersion,
    UnitOfWork,
    VersionStatus,
    Webhook,
    new_id,
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
    except Refusal as refusal:
        raise ValueError(refusal.detail) from None
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
    except Refusal as refusal:
        raise ValueError(refusal.detail) from None


async def revoke_key(store: Store, key_id: str, *, at: datetime) -> ApiKey:
    """Revoke a key now, even a creditor's last admin key (the operator rescues tenants).

    Idempotent: an already revoked key is returned unchanged. Raises
    ``ValueError`` for an unknown key.
    """
    try:
        return await _key_desk(store, at).revoke(OPERATOR_ACTOR, key_id)
    except Refusal as refusal:
        raise ValueError(refusal.detail) from None


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


#: The name of the template that holds a creditor's stop confirmation text.
CONFIRMATION_TEMPLATE = "stop-confirmation"
_TEMPLATE_MARKS = ("{{", "{%", "{#", "}}", "%}", "#}")


def confirmation_body(creditor: Creditor, text: str) -> str:
    """The fixed wording of a stop confirmation, without the creditor's 【签名】.

    ``sign`` adds the signature to every text, so one written with the
    creditor's own 【签名】 in front has it taken off; any other 【…】 or a
    label bracket at either end is a second sender's name and refused, as
    are template variables (the wording is fixed), an empty text and one
    above the segment limit. Raises ``ValueError``.
    """
    own = sign("", creditor.signature)
    body = text.strip().removeprefix(own).strip()
    if not body:
        raise ValueError("the confirmation text is empty")
    if any(mark in body for mark in _TEMPLATE_MARKS):
        raise ValueError("a confirmation is fixed wording: it may not contain template variables")
    if fake_signature_at(body) is not None:
        raise ValueError(
            "the confirmation text may not carry another 【signature】 or label: "
            f"the gateway signs it with {own}"
        )
    check_segments(sign(body, creditor.signature))
    return body


async def set_stop_confirmation(
    store: Store, creditor_id: str, text: str, *, at: datetime, scanner: TextScanner
) -> TemplateVersion:
    """Turn the creditor's stop confirmation on with ``text`` (audited); its template version.

    The signed text must pass ``scanner`` outright (``pass``: no finding at
    all, since nobody reviews it after the operator). It is kept as an
    approved version of the creditor's ``stop-confirmation`` template, so a
    confirmation is an ordinary message of the outbox with its exact text
    on record; the version's author is a key minted revoked (it can never
    sign a request), standing for the operator. A new text is a new version;
    the earlier one is retired. Raises ``ValueError`` for an unknown
    creditor, a text :func:`confirmation_body` refuses, or one the scanner
    does not pass.
    """
    async with store.transaction() as tx:
        creditor = await tx.creditors.get(creditor_id)
        if creditor is None:
            raise ValueError(f"no creditor {creditor_id!r}")
        body = confirmation_body(creditor, text)
        own = (creditor.name, creditor.signature)
        result = scanner.scan(sign(body, creditor.signature), Audience.DEBTOR, own_names=own)
        if result.verdict is not Verdict.PASS:
            terms = ", ".join(sorted({finding.term for finding in result.findings}))
            raise ValueError(
                f"the scanner says {result.verdict.value} for the confirmation text ({terms}): "
                "it must pass"
            )
        current = await tx.confirmations.text_of(creditor_id)
        template_id = await _confirmation_template(tx, creditor_id, current, at)
        versions = await tx.templates.versions(template_id)
        author = (
            versions[-1].author_key_id if versions else await _operator_author(tx, creditor_id, at)
        )
        version = TemplateVersion(
            template_id, len(versions) + 1, body, {}, VersionStatus.APPROVED, author, at,
            result.wordlist_version,
        )  # fmt: skip
        await tx.templates.add_version(version)
        for earlier in versions:
            if earlier.status is VersionStatus.APPROVED:
                await tx.templates.set_version_status(
                    template_id, earlier.version, VersionStatus.RETIRED
                )
        await tx.confirmations.set_text(
            StopConfirmationText(creditor_id, template_id, version.version, at)
        )
        detail: JsonObject = {
            "template_id": template_id, "version": version.version,
            "wordlist_version": result.wordlist_version,
        }  # fmt: skip
        await tx.audit.append(
            AuditEvent(at, creditor_id, OPERATOR, AuditAction.STOP_CONFIRMATION_SET,
                       creditor_id, detail)
        )  # fmt: skip
    return version


async def clear_stop_confirmation(store: Store, creditor_id: str, *, at: datetime) -> bool:
    """Turn the creditor's stop confirmation off (audited); ``False`` if it was off.

    Confirmations already queued still go (each answers a stop received
    while it was on).
    """
    async with store.transaction() as tx:
        if not await tx.confirmations.clear_text(creditor_id):
            return False
        await tx.audit.append(
            AuditEvent(at, creditor_id, OPERATOR, AuditAction.STOP_CONFIRMATION_CLEARED,
                       creditor_id, {})
        )  # fmt: skip
    return True


async def _confirmation_template(
    tx: UnitOfWork, creditor_id: str, current: StopConfirmationText | None, at: datetime
) -> str:
    """The template holding the creditor's confirmation texts, created the first time."""
    if current is not None:
        return current.template_id
    existing = await tx.templates.by_name(creditor_id, CONFIRMATION_TEMPLATE)
    if existing is not None:
        if existing.retired_at is not None:
            raise ValueError(f"the {CONFIRMATION_TEMPLATE!r} template of {creditor_id} is retired")
        return existing.id
    template = Template(new_id(TEMPLATE_PREFIX), creditor_id, CONFIRMATION_TEMPLATE,
                        Audience.DEBTOR, at)  # fmt: skip
    await tx.templates.add(template)
    return template.id


async def _operator_author(tx: UnitOfWork, creditor_id: str, at: datetime) -> str:
    """A key that stands for the operator as the author of a confirmation text.

    Minted revoked, with a hash of a secret nobody ever saw: it cannot
    authenticate, so it gives no one a way in.
    """
    key = ApiKey(
        id=new_id(KEY_PREFIX), creditor_id=creditor_id, roles=frozenset({Role.AUTHOR}),
        secret_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(), created_at=at,
        label="stop confirmation (operator)", revoked_at=at, person=OPERATOR,
    )  # fmt: skip
    await tx.api_keys.add(key)
    return key.id
