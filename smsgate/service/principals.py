"""API keys: minted once, stored as a hash, looked up by the hash of what a request presents.

A key is ``sgk_`` plus 256 random bits, so a plain SHA-256 is a sound verifier
(there is nothing to brute-force, unlike a password) and lets the store look a
key up by an indexed column: no key id in the token. The record found is
compared once more with ``hmac.compare_digest``, a constant-time check that
costs nothing and keeps the guarantee even if a store ever matched loosely.
Successful lookups are cached for a few seconds to keep the send path fast;
a key revoked in this process is evicted at once, one revoked through another
instance stops working here within that time (``SMSGATE_AUTH_CACHE_SECONDS``,
0 disables the cache). A scheduled revocation (a rotated key's grace period)
is checked on every use, cached or not, against the gateway's clock.

When a key was last used is recorded by :class:`KeyUsage`: at most one write
per key per minute per instance, in a background task so a request never
waits for it; the app awaits the pending writes when it shuts down.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import structlog

from smsgate.store import ApiKey, Role, Store, StoreError, new_id, utc_now
from smsgate.store.records import KEY_PREFIX

log = structlog.get_logger(__name__)

TOKEN_PREFIX = "sgk_"
#: Longer than any token we mint; longer input is refused without hashing it.
MAX_TOKEN_LENGTH = 128
_CACHE_LIMIT = 10_000


def hash_secret(token: str) -> str:
    """The stored verifier of a presented token."""
    return hashlib.sha256(token.encode()).hexdigest()


def mint_key(
    creditor_id: str,
    roles: Iterable[Role],
    at: datetime,
    label: str = "",
    *,
    person: str | None = None,
    chain_id: str = "",
    minted_by: str | None = None,
) -> tuple[ApiKey, str]:
    """A new key record and its secret token (shown once, never stored).

    ``person``, ``chain_id`` and ``minted_by`` say who stands behind the key
    (see :class:`~smsgate.store.ApiKey`); the defaults are a key for nobody
    in particular, first of its chain, minted by the operator.
    """
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=new_id(KEY_PREFIX),
        creditor_id=creditor_id,
        roles=frozenset(roles),
        secret_hash=hash_secret(token),
        created_at=at,
        label=label,
        person=person,
        chain_id=chain_id,
        minted_by=minted_by,
    )
    return key, token


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a live key of one creditor, with its roles."""

    key_id: str
    creditor_id: str
    roles: frozenset[Role]


class KeyRefusal(StrEnum):
    """Why a presented token does not authenticate (logged and counted, never the token)."""

    MISSING = "missing_key"
    MALFORMED = "malformed_key"
    UNKNOWN = "unknown_key"
    REVOKED = "revoked_key"


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """The outcome of resolving a token: a principal, or why not (and which key, if known)."""

    principal: Principal | None
    refusal: KeyRefusal | None = None
    key_id: str | None = None


@dataclass(frozen=True, slots=True)
class _Cached:
    principal: Principal
    until: float
    revoked_at: datetime | None


class KeyUsage:
    """Records when keys were used: at most one write per key per ``interval``, off the path.

    ``touch`` is called on every successful authentication and returns at
    once; when the key's last write from this instance is ``interval`` old,
    it starts a task that sets ``last_used_at`` (a store that is down costs
    a warning, never a request). ``aclose`` waits for the pending writes and
    ignores touches after it.
    """

    def __init__(self, store: Store, interval: timedelta = timedelta(minutes=1)) -> None:
        self._store = store
        self._interval = interval
        self._written: dict[str, datetime] = {}
        self._pending: set[asyncio.Task[None]] = set()
        self._closed = False

    def touch(self, key_id: str, at: datetime) -> None:
        """Note a use of ``key_id`` at ``at``; schedules a write if one is due."""
        last = self._written.get(key_id)
        if self._closed or (last is not None and abs(at - last) < self._interval):
            return
        if len(self._written) >= _CACHE_LIMIT:
            self._written.clear()
        self._written[key_id] = at
        task = asyncio.get_running_loop().create_task(self._write(key_id, at))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def settle(self) -> None:
        """Wait until every write started so far has finished."""
        while self._pending:
            await asyncio.gather(*list(self._pending))

    async def aclose(self) -> None:
        """Stop recording and wait for the pending writes."""
        self._closed = True
        await self.settle()

    async def _write(self, key_id: str, at: datetime) -> None:
        try:
            async with self._store.transaction() as tx:
                await tx.api_keys.mark_used(key_id, at)
        except StoreError as error:
            log.warning("key_use_not_recorded", key=key_id, error=type(error).__name__)
        except Exception:  # a bug: nobody awaits this task to see it raise
            log.exception("key_use_not_recorded", key=key_id)


class KeyRing:
    """Resolves bearer tokens to principals, with a short cache of successful lookups.

    ``clock`` (monotonic seconds) times the cache; ``now`` (the gateway's
    clock) decides whether a scheduled revocation has come.
    """

    def __init__(
        self,
        store: Store,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._clock = clock
        self._now = now
        self._cache: dict[str, _Cached] = {}
        self.usage = KeyUsage(store)

    async def principal(self, token: str) -> Principal | None:
        """The principal of a live key presenting ``token``, else ``None``."""
        return (await self.check(token)).principal

    async def check(self, token: str | None) -> KeyCheck:
        """Resolve ``token``: the principal of its live key, or the refusal and its reason."""
        if not token:
            return KeyCheck(None, KeyRefusal.MISSING)
        if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
            return KeyCheck(None, KeyRefusal.MALFORMED)
        digest, now = hash_secret(token), self._now()
        cached = self._cache.get(digest)
        if cached is None or cached.until <= self._clock():
            cached = await self._lookup(digest)
            if cached is None:
                return KeyCheck(None, KeyRefusal.UNKNOWN)
        principal = cached.principal
        if cached.revoked_at is not None and cached.revoked_at <= now:
            self._cache.pop(digest, None)
            return KeyCheck(None, KeyRefusal.REVOKED, principal.key_id)
        self.usage.touch(principal.key_id, now)
        return KeyCheck(principal)

    def forget(self, secret_hash: str) -> None:
        """Drop a key from the cache, so a revocation in this process counts at once."""
        self._cache.pop(secret_hash, None)

    async def aclose(self) -> None:
        """Wait for the pending last-use writes; call before closing the store."""
        await self.usage.aclose()

    async def _lookup(self, digest: str) -> _Cached | None:
        self._cache.pop(digest, None)
        async with self._store.read() as tx:
            key = await tx.api_keys.by_secret_hash(digest)
        if key is None or not hmac.compare_digest(key.secret_hash, digest):
            return None
        found = _Cached(
            Principal(key.id, key.creditor_id, key.roles), self._clock() + self._ttl, key.revoked_at
        )
        if self._ttl > 0 and key.live_at(self._now()):
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[digest] = found
        return found
