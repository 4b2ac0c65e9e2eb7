"""What an operator configures for status webhooks: one master secret, and a URL per creditor.

Signing secrets are derived, not stored. The environment holds one master
secret (``SMSGATE_WEBHOOK_SECRET``); each creditor's signing secret is
``hex(HMAC-SHA256(master, "webhook:" + creditor_id))``. So the database
holds no secret at all (a stolen backup cannot forge webhooks), every
creditor still gets a different secret (one creditor cannot forge another's
deliveries), and rotating the master rotates them all. The secret is the 64
hex characters themselves: receivers verify with their ASCII bytes as the
HMAC key, which is what ``smsgate.signing.verify`` takes.

URLs must be ``https``, except ``http`` to the loopback interface (a
receiver on the same host, tests), which ``targets`` refuses in turn unless
the operator allow-listed it. A URL carrying a user name or password is
refused: the URL is kept in the database and the audit log, and the
signature already authenticates the gateway to the receiver. This module
checks a URL's form only; where it may connect is ``targets``' to say
(``vet_webhook_url`` runs both).

Pure: standard library only.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Mapping
from urllib.parse import SplitResult, urlsplit

#: The environment variable holding the master secret.
MASTER_SECRET_VARIABLE = "SMSGATE_WEBHOOK_SECRET"
#: A master secret shorter than this is refused (``openssl rand -hex 32`` gives 64).
MIN_MASTER_SECRET_LENGTH = 32
MAX_URL_LENGTH = 2048

#: Audit actions of the webhook commands (the audit log takes any action name).
WEBHOOK_CONFIGURED = "webhook.configured"
WEBHOOK_REMOVED = "webhook.removed"

_LOOPBACK_NAMES = frozenset({"localhost"})


class WebhookConfigError(ValueError):
    """A webhook setting cannot be used; the message says which and why, never its value."""


class WebhookSecretMissing(WebhookConfigError):
    """Webhooks are configured but ``SMSGATE_WEBHOOK_SECRET`` is not set, so none can be signed."""


def master_secret(environ: Mapping[str, str]) -> bytes | None:
    """The master secret from ``environ``, or ``None`` if it is unset or empty.

    Raises ``WebhookConfigError`` if it is shorter than ``MIN_MASTER_SECRET_LENGTH``.
    """
    value = environ.get(MASTER_SECRET_VARIABLE, "")
    if not value:
        return None
    if len(value) < MIN_MASTER_SECRET_LENGTH:
        raise WebhookConfigError(
            f"{MASTER_SECRET_VARIABLE} must be at least {MIN_MASTER_SECRET_LENGTH} characters"
            " (e.g. the output of `openssl rand -hex 32`)"
        )
    return value.encode("utf-8")


def require_master_secret(environ: Mapping[str, str]) -> bytes:
    """``master_secret``, but raises ``WebhookSecretMissing`` when it is unset."""
    secret = master_secret(environ)
    if secret is None:
        raise WebhookSecretMissing(
            f"{MASTER_SECRET_VARIABLE} is not set: webhooks cannot be signed without it"
        )
    return secret


def creditor_secret(master: bytes, creditor_id: str) -> str:
    """The creditor's signing secret: 64 hex characters derived from ``master``.

    Raises ``ValueError`` for an empty master secret.
    """
    if not master:
        raise ValueError("the master webhook secret is empty")
    message = f"webhook:{creditor_id}".encode()
    return hmac.new(master, message, hashlib.sha256).hexdigest()


def check_webhook_url(url: str) -> str:
    """Return ``url`` if its form suits a webhook; raises ``WebhookConfigError`` saying why not.

    Only the form: ``targets.vet_webhook_url`` also checks where it leads.
    """
    if len(url) > MAX_URL_LENGTH or any(c.isspace() or not c.isprintable() for c in url):
        raise WebhookConfigError(
            f"a webhook URL is at most {MAX_URL_LENGTH} printable characters without spaces"
        )
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - parsing the port is what raises for a bad one
    except ValueError:
        raise WebhookConfigError("the webhook URL cannot be parsed") from None
    if not host:
        raise WebhookConfigError("a webhook URL needs a host, as in https://hooks.example.com/…")
    if parts.username is not None or parts.password is not None:
        raise WebhookConfigError(
            "a webhook URL must not carry a user name or password; requests are signed instead"
        )
    _check_scheme(parts, host)
    return url


def _check_scheme(parts: SplitResult, host: str) -> None:
    if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host)):
        return
    raise WebhookConfigError("a webhook URL must be https (http only to localhost / 127.0.0.1)")


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
