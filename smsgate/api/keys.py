"""API keys: minted once, stored as a hash, looked up by the hash of what a request presents.

A key is ``sgk_`` plus 256 random bits, so a plain SHA-256 is a sound verifier
(there is nothing to brute-force, unlike a password) and lets the store look a
key up by an indexed column: no key id in the token, and nothing to compare
in Python, so no timing side channel. Successful lookups are cached for a few
seconds to keep the send path fast; a revoked key stops working within that
time (``SMSGATE_AUTH_CACHE_SECONDS``, 0 disables the cache).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from smsgate.store import ApiKey, Role, Store, new_id
from smsgate.store.records import KEY_PREFIX

TOKEN_PREFIX = "sgk_"


def hash_secret(token: str) -> str:
    """The stored verifier of a presented token."""
    return hashlib.sha256(token.encode()).hexdigest()


def mint_key(
    creditor_id: str, roles: Iterable[Role], at: datetime, label: str = ""
) -> tuple[ApiKey, str]:
    """A new key record and its secret token (shown once, never stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=new_id(KEY_PREFIX),
        creditor_id=creditor_id,
        roles=frozenset(roles),
        secret_hash=hash_secret(token),
        created_at=at,
        label=label,
    )
    return key, token


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a live key of one creditor, with its roles."""

    key_id: str
    creditor_id: str
    roles: frozenset[Role]


class KeyRing:
    """Resolves bearer tokens to principals, with a short cache of successful lookups."""

    def __init__(
        self, store: Store, ttl_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[str, tuple[Principal, float]] = {}

    async def principal(self, token: str) -> Principal | None:
        """The principal of a live key presenting ``token``, else ``None``."""
        digest = hash_secret(token)
        cached = self._cache.get(digest)
        now = self._clock()
        if cached is not None and cached[1] > now:
            return cached[0]
        async with self._store.read() as tx:
            key = await tx.api_keys.by_secret_hash(digest)
        if key is None or key.revoked_at is not None:
            self._cache.pop(digest, None)
            return None
        principal = Principal(key.id, key.creditor_id, key.roles)
        if self._ttl > 0:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (principal, now + self._ttl)
        return principal
