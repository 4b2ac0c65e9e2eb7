"""The settings every carrier adapter reads, and how every adapter authenticates pushes.

Every adapter reads the same kinds of settings: a timeout in seconds, an
allow-list of the addresses a carrier pushes from, secrets and a callback
token. From the carriers file they arrive typed; from the environment
(``SMSGATE_CARRIER_<NAME>_<KEY>``, see ``config``) every one arrives as
text, so ``"2.5"`` is a number and ``"10.0.0.0/24, 2001:db8::/32"`` a list.
Carriers that sign nothing they push (Aliyun, Tencent, Kannel) are
authenticated the same ways too: a long secret ``token`` query parameter,
compared in constant time, and optionally the allow-list. One definition
means one behaviour: an adapter cannot read ``"nan"`` as a timeout, or a
dual-stack peer as foreign, where another refuses it.

Configuration mistakes raise ``InvalidCarrierConfig`` naming the carrier and
the key, and never quote a secret; a refused push raises ``CallbackRejected``.
"""

from __future__ import annotations

import hmac
import math
from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from smsgate.carriers.callbacks import CallbackRejected, CallbackRequest
from smsgate.carriers.config import env_prefix
from smsgate.carriers.registry import InvalidCarrierConfig

IPNetwork = IPv4Network | IPv6Network

#: The query parameter every token-authenticated push carries.
TOKEN_PARAMETER = "token"
#: The shortest callback token accepted: a guessable one would let anyone forge reports.
MIN_TOKEN_LENGTH = 16


def secret_variable(carrier: str, key: str) -> str:
    """Where the settings loader reads ``carrier``'s ``key``: ``SMSGATE_CARRIER_<NAME>_<KEY>``."""
    return f"{env_prefix(carrier)}{key.upper()}"


def secret(value: object, carrier: str, key: str) -> str:
    """``value`` if it is non-blank text, unchanged (a secret is what it is, spaces included).

    Raises ``InvalidCarrierConfig`` naming the environment variable to set,
    never quoting the value: it may be a secret set in the wrong place.
    """
    if isinstance(value, str) and value.strip():
        return value
    raise InvalidCarrierConfig(
        f"carrier {carrier!r} needs {key}: set {secret_variable(carrier, key)} "
        "in the environment (secrets are never read from files)"
    )


def callback_token(
    value: object, carrier: str, key: str = "callback_token", *, required: bool = False
) -> str | None:
    """The callback token setting: ``None`` when absent or blank (every push refused).

    Surrounding white space is dropped: it cannot sit in the push URL.
    Raises ``InvalidCarrierConfig``, never quoting the value, for one that
    is not text of at least ``MIN_TOKEN_LENGTH`` characters, or that is
    absent although ``required``.
    """
    token = value.strip() if isinstance(value, str) else value
    if token is None or token == "":
        if required:
            secret(token, carrier, key)  # raises, naming the variable
        return None
    if not isinstance(token, str) or len(token) < MIN_TOKEN_LENGTH:
        raise InvalidCarrierConfig(
            f"carrier {carrier!r}: {key} must be text of at least {MIN_TOKEN_LENGTH} "
            f"characters in {secret_variable(carrier, key)} "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(24))')"
        )
    return token


def positive_seconds(value: object, carrier: str, key: str = "timeout_seconds") -> float:
    """``value`` as a positive, finite number of seconds; a number or its text both do.

    Raises ``InvalidCarrierConfig`` naming the carrier and ``key`` for
    anything else: zero, negatives, NaN, infinity, booleans, words.
    """
    seconds = _number(value)
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        raise InvalidCarrierConfig(
            f"carrier {carrier!r}: {key} must be a positive number of seconds, got {value!r}"
        )
    return seconds


def networks(value: object, carrier: str, key: str = "allowed_ips") -> tuple[IPNetwork, ...]:
    """Addresses and CIDR blocks, as a list or as comma-separated text, as networks.

    Host bits are allowed (``10.0.0.7/24`` is ``10.0.0.0/24``); empty items
    of the text are skipped, so blank text is no allow-list. Raises
    ``InvalidCarrierConfig`` naming the carrier, the key and the bad entry.
    """
    if isinstance(value, str):
        value = [entry.strip() for entry in value.split(",") if entry.strip()]
    if not isinstance(value, list | tuple):
        raise InvalidCarrierConfig(
            f"carrier {carrier!r}: {key} must be a list of CIDRs (IP addresses or networks) "
            f"or comma-separated text, got {type(value).__name__}"
        )
    return tuple(_network(entry, carrier, key) for entry in value)


def address_allowed(remote: str, allowed: Sequence[IPNetwork]) -> bool:
    """Whether the peer address ``remote`` is in one of ``allowed``; ``False`` if unreadable.

    A dual-stack listener reports an IPv4 peer as ``::ffff:a.b.c.d``; it
    counts as that IPv4 address (and as itself, for IPv6 networks).
    """
    try:
        address = ip_address(remote)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    candidates = [address] if mapped is None else [address, mapped]
    return any(candidate in network for candidate in candidates for network in allowed)


def require_allowed_address(request: CallbackRequest, allowed: Sequence[IPNetwork]) -> None:
    """Raise ``CallbackRejected`` if ``allowed`` is set and the peer is not in it."""
    if allowed and not address_allowed(request.remote, allowed):
        raise CallbackRejected(f"the callback's address {request.remote!r} is not in allowed_ips")


def require_token(request: CallbackRequest, token: str | None) -> None:
    """Raise ``CallbackRejected`` unless the ``token`` parameter equals ``token``.

    Compared in constant time. Without a configured ``token`` every request
    is refused: an open endpoint would let anyone forge reports and opt-outs.
    """
    if not token:
        raise CallbackRejected("callbacks are refused: no callback_token is configured")
    given = request.param(TOKEN_PARAMETER)
    if given is None:
        raise CallbackRejected(f"the callback has no token (no {TOKEN_PARAMETER!r} parameter)")
    if not hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8")):
        raise CallbackRejected(f"the callback's {TOKEN_PARAMETER!r} does not match")


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):  # from the environment, every setting is text
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _network(entry: object, carrier: str, key: str) -> IPNetwork:
    if isinstance(entry, str):
        try:
            return ip_network(entry.strip(), strict=False)
        except ValueError:
            pass
    raise InvalidCarrierConfig(
        f"carrier {carrier!r}: {key} entry {entry!r} is not an IP address or CIDR"
    )
