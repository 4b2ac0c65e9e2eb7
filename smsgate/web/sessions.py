"""UI sessions as signed cookies naming a server-side session, and the CSRF token of each one.

A session cookie is ``<payload>.<signature>``: the payload is base64url JSON
(key id, creditor, issued and last-seen times, the session's random id) and
the signature is HMAC-SHA256 over it with the session secret. The signature
proves the gateway issued the cookie; whether the session is still open is
the database's to say (``smsgate.store.ui_sessions``, read on every request
by ``auth``), because a signed cookie alone cannot be taken back: a copy
made before sign-out would keep working until it expired. The cookie carries
no secret, only ids, so a leaked cookie never leaks the API key that signed in.

Sessions end at sign-out, when their key is revoked, after ``idle_timeout``
without a request and ``max_age`` after sign-in, whichever comes first; each
request re-issues the cookie with a new last-seen time. The CSRF token is an
HMAC of the session's id, so it is fixed for the session, unguessable
without the secret, never needs storing, and dies with the session.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

_DOMAIN = b"smsgate-ui-session.v1."
_CSRF_DOMAIN = b"smsgate-ui-csrf.v1."
#: How far in the future a last-seen time may lie (clock skew between instances).
_SKEW = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class UiSession:
    """Who signed in (key and creditor), when, when last seen, and the session's id.

    ``id`` is random and names the session's row in ``ui_sessions``.
    """

    key_id: str
    creditor_id: str
    issued_at: datetime
    seen_at: datetime
    id: str

    @classmethod
    def start(cls, key_id: str, creditor_id: str, now: datetime) -> UiSession:
        """A new session for a key that just signed in."""
        return cls(key_id, creditor_id, now, now, secrets.token_urlsafe(16))

    def touched(self, now: datetime) -> UiSession:
        """The same session, last seen ``now``."""
        return replace(self, seen_at=now)


@dataclass(frozen=True, slots=True)
class SessionSeal:
    """Signs and opens session cookies with one secret and one pair of time limits."""

    secret: bytes
    idle_timeout: timedelta
    max_age: timedelta

    def seal(self, session: UiSession) -> str:
        """The cookie value of ``session``."""
        payload = {
            "k": session.key_id,
            "c": session.creditor_id,
            "i": session.issued_at.timestamp(),
            "s": session.seen_at.timestamp(),
            "n": session.id,
        }
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def open(self, cookie: str, now: datetime) -> UiSession | None:
        """The session in ``cookie`` if its signature holds and it has not expired, else None."""
        body, _, signature = cookie.partition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            return None
        session = _decode(body)
        if session is None or not self._alive(session, now):
            return None
        return session

    def csrf_token(self, session: UiSession) -> str:
        """The CSRF token of ``session``: the same for every form of the session."""
        digest = hmac.new(self.secret, _CSRF_DOMAIN + session.id.encode(), hashlib.sha256)
        return _b64(digest.digest())

    def _alive(self, session: UiSession, now: datetime) -> bool:
        return (
            session.seen_at <= now + _SKEW
            and now - session.seen_at <= self.idle_timeout
            and now - session.issued_at <= self.max_age
        )

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self.secret, _DOMAIN + body.encode(), hashlib.sha256).digest())


def _decode(body: str) -> UiSession | None:
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        return UiSession(
            key_id=str(payload["k"]),
            creditor_id=str(payload["c"]),
            issued_at=datetime.fromtimestamp(float(payload["i"]), tz=UTC),
            seen_at=datetime.fromtimestamp(float(payload["s"]), tz=UTC),
            id=str(payload["n"]),
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        # Only a cookie signed with our secret gets here, so this is a bug or an
        # old format, not an attack: treat it as signed out.
        return None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
