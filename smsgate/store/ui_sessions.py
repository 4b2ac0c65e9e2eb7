"""Compliance UI sessions as the database knows them, so signing out is final on every instance.

The session cookie (``smsgate.web.sessions``) is signed and names its
session by a random id; the signature proves the gateway issued it, and this
table says whether it is still open. Signing out, or revoking the key the
session was opened with, sets ``ended_at``; every instance reads the row on
every request, so a cookie copied before sign-out is refused everywhere at
once, CSRF token and all (the token is derived from the same id).

Rows hold ids and instants only, never a key secret. A row outlives the
session it describes for at most the UI's maximum session age: sign-in
forgets rows started before that (``forget_started_before``), because no
cookie of theirs can open any more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class UiSessionRecord:
    """One UI session: its id, the key and creditor that opened it, when, and when it ended."""

    id: str
    key_id: str
    creditor_id: str
    started_at: datetime
    ended_at: datetime | None = None

    @property
    def open(self) -> bool:
        """Whether the session has not been ended (signed out, or its key revoked)."""
        return self.ended_at is None


class UiSessionRepository(Protocol):
    """UI sessions by id; see the module docstring."""

    async def start(self, session: UiSessionRecord) -> None:
        """Record a new session. Raises ``UnknownReference`` for an unknown key or creditor."""
        ...

    async def get(self, session_id: str) -> UiSessionRecord | None:
        """The session ``session_id``, if it was recorded and not forgotten."""
        ...

    async def end(self, session_id: str, at: datetime) -> bool:
        """End the session at ``at``; ``False`` if it is unknown or already ended."""
        ...

    async def end_of_key(self, key_id: str, at: datetime) -> int:
        """End every open session of ``key_id`` at ``at``; how many were ended."""
        ...

    async def forget_started_before(self, at: datetime) -> int:
        """Delete the sessions started before ``at`` (no cookie of theirs opens); how many."""
        ...
