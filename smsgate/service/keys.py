"""The key desk: list, create, rotate and revoke a creditor's API keys, each change audited.

Used by the key routes (an admin key acting on its own creditor) and by the
operator's command line (acting on any creditor). Every change is one
transaction with its audit entry, whose actor is the acting key's id (or
``operator:cli``) and whose subject is the target key's id; the token is
shown once to the caller and is never audited, logged or stored.

Rules, and why:

- *Rotation* mints a key with the same roles and label and schedules the
  old key's revocation ``grace`` from now (``revoked_at`` in the future), so
  a client can deploy the new token before the old one stops working. Only
  a key that is live and not already scheduled can be rotated
  (``invalid_state``): rotating twice would leave two successors of one key.
- *Revocation* takes effect now; it also cuts short a rotation's grace,
  and ends the key's compliance UI sessions (``ui_sessions``) in the same
  transaction. (The UI also re-reads the key on every request, so a key
  whose rotation grace runs out loses its sessions then too.)
  Revoking a key that is already revoked is idempotent: the answer is the
  key with its original ``revoked_at`` and nothing is written, because a
  client retrying a DELETE after a timeout has what it asked for.
- *Last admin key*: through the API a creditor cannot revoke (or, by
  revoking its successor, lose) its last admin key that is not scheduled
  for revocation (``last_admin_key``): it could then never manage its
  keys again without an operator. A key may revoke itself otherwise. The
  operator's CLI is not bound by this: it is how a lost tenant is rescued.
- *People*: a key with the author or reviewer role names the person it is
  for (``invalid_request`` without one); a rotation's successor keeps
  the person and the rotation chain (``chain_id``, the first key's id), and
  every key records the key that minted it (``minted_by``, None for the
  operator's CLI), because whoever minted a key has seen its token. The
  four-eyes rule reads all three: see ``smsgate.service.four_eyes``.
- Another creditor's key is "not found", exactly like a key that does not
  exist, so ids of other tenants cannot be probed.

Every change evicts the key from this process's :class:`KeyRing` cache at
once; other instances drop it within ``SMSGATE_AUTH_CACHE_SECONDS``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import structlog

from smsgate.service.principals import mint_key
from smsgate.service.refusals import Refusal, RefusalCode, not_found
from smsgate.store import ApiKey, AuditEvent, JsonObject, Role, Store, UnitOfWork, format_instant
from smsgate.store.audit import AuditAction

log = structlog.get_logger(__name__)

MAX_GRACE = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class KeyActor:
    """Who changes keys: an admin key of one creditor (``creditor_id``) or the operator (None)."""

    name: str
    creditor_id: str | None

    @property
    def guards_last_admin(self) -> bool:
        """Whether the last-admin-key rule applies (to tenants, not to the operator)."""
        return self.creditor_id is not None

    @property
    def key_id(self) -> str | None:
        """The acting key, recorded as the minter of the keys it creates (None: the operator)."""
        return self.name if self.creditor_id is not None else None


#: Roles whose keys take part in four-eyes decisions, so they must name a person.
PERSON_ROLES = frozenset({Role.AUTHOR, Role.REVIEWER})
MAX_PERSON_LENGTH = 200


def check_person(roles: frozenset[Role], person: str | None) -> str | None:
    """``person`` trimmed, with runs of spaces as one; raises ``invalid_request``.

    An author or reviewer key must say whom it is for, since the four-eyes
    rule compares people; other keys may. Control and format characters
    (zero-width spaces, bidi marks) are refused: a name that looks like
    another's but compares unequal would pass for a second person.
    """
    cleaned = " ".join(person.split()) if person is not None else ""
    if not cleaned:
        if roles & PERSON_ROLES:
            raise _invalid("a key with the author or reviewer role needs a person: whom it is for")
        return None
    if len(cleaned) > MAX_PERSON_LENGTH:
        raise _invalid(f"the person is at most {MAX_PERSON_LENGTH} characters")
    if any(unicodedata.category(char) in {"Cc", "Cf"} for char in cleaned):
        raise _invalid("the person contains control or invisible characters")
    return cleaned


def _invalid(detail: str) -> Refusal:
    return Refusal(RefusalCode.INVALID_REQUEST, detail)


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A stored key and its token, which is shown once and never again."""

    key: ApiKey
    token: str


@dataclass(frozen=True, slots=True)
class Rotation:
    """The rotated key (with its scheduled ``revoked_at``) and its successor."""

    old: ApiKey
    new: IssuedKey


@dataclass(frozen=True, slots=True)
class KeyDesk:
    """The key use cases over a store and a clock; ``evict`` drops a key from the auth cache."""

    store: Store
    clock: Callable[[], datetime]
    evict: Callable[[str], None] = lambda secret_hash: None

    async def list(self, creditor_id: str) -> list[ApiKey]:
        """The creditor's keys, revoked ones included, oldest first."""
        async with self.store.read() as tx:
            return await tx.api_keys.of_creditor(creditor_id)

    async def create(
        self,
        actor: KeyActor,
        creditor_id: str,
        roles: Iterable[Role],
        label: str = "",
        person: str | None = None,
    ) -> IssuedKey:
        """Mint and store a key of ``creditor_id`` for ``person``, minted by ``actor``.

        Raises ``UnknownReference`` for no such creditor, ``ValueError`` for
        no roles, and an ``invalid_request`` :class:`Refusal` for a key
        with the author or reviewer role but no person (see ``check_person``).
        """
        wanted = frozenset(roles)
        person = check_person(wanted, person)
        key, token = mint_key(
            creditor_id, wanted, self.clock(), label, person=person, minted_by=actor.key_id
        )
        async with self.store.transaction() as tx:
            await tx.api_keys.add(key)
            detail: JsonObject = {
                "roles": sorted(key.roles),
                "label": label,
                "person": person,
                "minted_by": actor.key_id,
            }
            await tx.audit.append(
                _event(actor, AuditAction.KEY_CREATED, key, key.created_at, detail)
            )
        _log_change("key_created", actor, key)
        return IssuedKey(key, token)

    async def rotate(self, actor: KeyActor, key_id: str, grace: timedelta) -> Rotation:
        """Mint a successor of ``key_id`` and schedule the old key's revocation after ``grace``.

        Raises ``ValueError`` for a grace outside 0..7 days, and a
        ``not_found`` or ``invalid_state`` :class:`Refusal`.
        """
        if not timedelta(0) <= grace <= MAX_GRACE:
            raise ValueError("the grace period is 0 to 604800 seconds")
        now = self.clock()
        async with self.store.transaction() as tx:
            old = await self._target(tx, actor, key_id)
            if old.revoked_at is not None:
                state = "revoked" if not old.live_at(now) else "already rotated"
                raise Refusal(RefusalCode.INVALID_STATE, f"this key is {state}")
            key, token = mint_key(
                old.creditor_id, old.roles, now, old.label,
                person=old.person, chain_id=old.chain_id, minted_by=actor.key_id,
            )  # fmt: skip
            await tx.api_keys.add(key)
            if not await tx.api_keys.revoke(old.id, now + grace):
                raise Refusal(RefusalCode.INVALID_STATE, "this key was changed meanwhile")
            old = replace(old, revoked_at=now + grace)
            detail: JsonObject = {
                "successor": key.id,
                "grace_seconds": int(grace.total_seconds()),
                "revoked_at": format_instant(now + grace),
            }
            await tx.audit.append(_event(actor, AuditAction.KEY_ROTATED, old, now, detail))
            created: JsonObject = {
                "roles": sorted(key.roles),
                "label": key.label,
                "replaces": old.id,
                "person": key.person,
                "chain": key.chain_id,
                "minted_by": actor.key_id,
            }
            await tx.audit.append(_event(actor, AuditAction.KEY_CREATED, key, now, created))
        self.evict(old.secret_hash)
        _log_change("key_rotated", actor, old, successor=key.id, grace=int(grace.total_seconds()))
        return Rotation(old, IssuedKey(key, token))

    async def revoke(self, actor: KeyActor, key_id: str) -> ApiKey:
        """Revoke ``key_id`` now; the key as revoked (idempotent, see module doc).

        Raises a ``not_found`` or ``last_admin_key`` :class:`Refusal`.
        """
        now = self.clock()
        async with self.store.transaction() as tx:
            key = await self._target(tx, actor, key_id)
            if not key.live_at(now):
                return key
            if actor.guards_last_admin and await _last_admin(tx, key):
                raise Refusal(
                    RefusalCode.LAST_ADMIN_KEY,
                    "this is the creditor's last admin key: create or rotate to another first",
                )
            if not await tx.api_keys.revoke(key.id, now):  # revoked meanwhile
                return await self._target(tx, actor, key_id)
            key = replace(key, revoked_at=now)
            await tx.ui_sessions.end_of_key(key.id, now)
            await tx.audit.append(_event(actor, AuditAction.KEY_REVOKED, key, now, {}))
        self.evict(key.secret_hash)
        _log_change("key_revoked", actor, key)
        return key

    async def _target(self, tx: UnitOfWork, actor: KeyActor, key_id: str) -> ApiKey:
        key = await tx.api_keys.get(key_id)
        if key is None or actor.creditor_id not in (None, key.creditor_id):
            raise not_found("key")
        return key


async def _last_admin(tx: UnitOfWork, key: ApiKey) -> bool:
    """Whether revoking ``key`` leaves its creditor no admin key that is not scheduled to go."""
    if Role.ADMIN not in key.roles:
        return False
    keys = await tx.api_keys.of_creditor(key.creditor_id)
    lasting = [k for k in keys if k.id != key.id and Role.ADMIN in k.roles and k.revoked_at is None]
    return not lasting


def _event(
    actor: KeyActor, action: str, key: ApiKey, at: datetime, detail: JsonObject
) -> AuditEvent:
    return AuditEvent(at, key.creditor_id, actor.name, action, key.id, detail)


def _log_change(event: str, actor: KeyActor, key: ApiKey, **facts: object) -> None:
    log.info(
        event,
        creditor=key.creditor_id,
        key=key.id,
        actor=actor.name,
        roles=sorted(role.value for role in key.roles),
        **facts,
    )
