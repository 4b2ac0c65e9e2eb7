"""The do-not-contact list of a creditor: add, list and lift opt-outs, each audited.

Adding is idempotent: asking again for an opt-out that is already active
returns the existing record (the route answers 200 instead of 201) and
changes nothing. Upstream systems retry after timeouts, and a 409 for "the
phone is already protected" would read as a failure to a client whose wish
is in fact fulfilled; worse, a client that gives up on a 409 might believe
the phone is *not* opted out. The reason is optional for the same cause: an
opt-out must never be lost because a field is missing.

Lifting one re-enables contact, so it needs a reason and is audited with
it. A ``third_party_refusal`` is recorded like any other kind; the send path
reads every active kind of the phone and refuses all contact with it.
Every record is scoped to the caller's creditor, so another tenant's opt-out
is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import structlog

from smsgate.logs import mask_phone
from smsgate.service.refusals import Refusal, RefusalCode, not_found
from smsgate.store import (
    AuditAction,
    AuditEvent,
    OptOut,
    OptOutExists,
    OptOutKind,
    Store,
    UnitOfWork,
    format_instant,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class OptOutAdded:
    """The active opt-out after an add, and whether the add created it."""

    opt_out: OptOut
    created: bool


async def add_opt_out(store: Store, opt_out: OptOut, actor: str) -> OptOutAdded:
    """Record ``opt_out`` unless one of its kind is active for the phone already.

    Raises a ``conflict`` :class:`~smsgate.service.refusals.Refusal` only if
    the store still reports a duplicate, which serialised writes rule out.
    """
    try:
        async with store.transaction() as tx:
            existing = await _active_of_kind(tx, opt_out.creditor_id, opt_out.phone, opt_out.kind)
            if existing is not None:
                return OptOutAdded(existing, created=False)
            await tx.opt_outs.add(opt_out)
            detail = {"reason": opt_out.reason, "source": opt_out.source.value}
            await tx.audit.append(_audit_event(AuditAction.OPT_OUT_ADDED, opt_out, actor, detail))
    except OptOutExists:
        raise Refusal(RefusalCode.CONFLICT, "this opt-out was added concurrently") from None
    _log_change("opt_out_added", opt_out, actor)
    return OptOutAdded(opt_out, created=True)


async def active_opt_outs(store: Store, creditor_id: str, phone: str | None) -> list[OptOut]:
    """The creditor's active opt-outs, newest first; only ``phone``'s if given."""
    async with store.read() as tx:
        if phone is None:
            return await tx.opt_outs.of_creditor(creditor_id)
        active = await tx.opt_outs.active(creditor_id, phone)
    return sorted(active, key=lambda opt_out: opt_out.at, reverse=True)


async def remove_opt_out(
    store: Store,
    creditor_id: str,
    phone: str,
    kind: OptOutKind,
    *,
    reason: str,
    actor: str,
    at: datetime,
) -> OptOut:
    """Lift the creditor's active opt-out of ``phone`` and ``kind``; returns it as removed.

    Raises a ``not_found`` :class:`~smsgate.service.refusals.Refusal` if none
    of that kind is active (another creditor's opt-outs are never found).
    """
    async with store.transaction() as tx:
        existing = await _active_of_kind(tx, creditor_id, phone, kind)
        if existing is None or not await tx.opt_outs.remove(creditor_id, phone, kind, at):
            raise not_found(f"an active {kind.value} opt-out of this phone")
        removed = replace(existing, removed_at=at)
        detail = {"reason": reason, "opt_out_at": format_instant(existing.at)}
        await tx.audit.append(_audit_event(AuditAction.OPT_OUT_REMOVED, removed, actor, detail))
    _log_change("opt_out_removed", removed, actor)
    return removed


async def _active_of_kind(
    tx: UnitOfWork, creditor_id: str, phone: str, kind: OptOutKind
) -> OptOut | None:
    active = await tx.opt_outs.active(creditor_id, phone)
    return next((opt_out for opt_out in active if opt_out.kind == kind), None)


def _audit_event(
    action: AuditAction, opt_out: OptOut, actor: str, detail: dict[str, str]
) -> AuditEvent:
    return AuditEvent(
        at=opt_out.removed_at or opt_out.at,
        creditor_id=opt_out.creditor_id,
        actor=actor,
        action=action,
        subject=opt_out.phone,
        detail={"kind": opt_out.kind.value, **detail},
    )


def _log_change(event: str, opt_out: OptOut, actor: str) -> None:
    # The reason is free text and may quote the debtor; it stays in the audit log.
    log.info(
        event,
        creditor=opt_out.creditor_id,
        kind=opt_out.kind.value,
        phone=mask_phone(opt_out.phone),
        actor=actor,
    )
