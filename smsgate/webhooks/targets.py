"""Where a webhook may connect: public addresses only, unless the operator allows more.

A webhook URL is a tenant's choice, and the gateway posts to it from inside
the operator's network, so an unchecked URL would let a creditor aim signed
requests at the gateway's own host (loopback), the cloud's metadata service
(169.254.169.254), or any private service. So every address a webhook's host
stands for must be *globally routable*: never unspecified, loopback,
link-local, multicast, private (10/8, 172.16/12, 192.168/16, fc00::/7),
shared (CGNAT 100.64/10), reserved or otherwise not global, nor an IPv6
address embedding such an IPv4 one (``::ffff:10.0.0.1``, 6to4, NAT64…).

The operator may allow more, explicitly: ``SMSGATE_WEBHOOK_ALLOW_NETWORKS``
(comma-separated CIDRs or addresses, e.g. ``127.0.0.1/32,10.20.0.0/16``)
admits addresses in those networks, and ``SMSGATE_WEBHOOK_ALLOW_HOSTS``
(comma-separated host names, exact, case-insensitive) admits whatever those
names resolve to. Nothing is allowed by default.

The check runs twice. When a URL is set (``vet_webhook_url``) its host is
resolved and every address checked; a name that does not resolve yet is
accepted, because the second check is the one that counts: before every
post (``pin_targets``) the host is resolved once, every address is checked,
and the post goes to a checked address itself (the URL's host replaced by
it, the ``Host`` header and the TLS server name kept as the name, so the
certificate is still verified against the name). A DNS answer that changes
between the check and the connection (DNS rebinding) therefore cannot win:
nothing resolves the name again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from smsgate.webhooks.config import WebhookConfigError, check_webhook_url

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: Resolves a host name and port to its addresses (the seam tests replace).
Resolve = Callable[[str, int], Awaitable[Sequence[IpAddress]]]

ALLOW_HOSTS_VARIABLE = "SMSGATE_WEBHOOK_ALLOW_HOSTS"
ALLOW_NETWORKS_VARIABLE = "SMSGATE_WEBHOOK_ALLOW_NETWORKS"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_T = TypeVar("_T")
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")


class TargetRefusal(StrEnum):
    """Why an address may not receive webhooks: the reason code logs and errors carry."""

    UNSPECIFIED = "unspecified"
    LOOPBACK = "loopback"
    LINK_LOCAL = "link_local"
    MULTICAST = "multicast"
    PRIVATE = "private"
    SHARED = "shared"
    RESERVED = "reserved"
    NOT_GLOBAL = "not_global"
    UNRESOLVED = "unresolved"


class WebhookTargetRefused(WebhookConfigError):
    """The webhook's host is, or resolves to, an address webhooks may not connect to."""

    def __init__(self, reason: TargetRefusal, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def refusal_of(address: IpAddress) -> TargetRefusal | None:
    """Why ``address`` is not a public address webhooks may use, or ``None`` if it is one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or _nat64(address)
        if embedded is not None:
            return refusal_of(embedded) or (None if address.is_global else _kind(address))
    return None if address.is_global and not address.is_multicast else _kind(address)


def _kind(address: IpAddress) -> TargetRefusal:
    checks = (
        (address.is_unspecified, TargetRefusal.UNSPECIFIED),
        (address.is_loopback, TargetRefusal.LOOPBACK),
        (address.is_link_local, TargetRefusal.LINK_LOCAL),
        (address.is_multicast, TargetRefusal.MULTICAST),
        (address in _SHARED, TargetRefusal.SHARED),
        (address.is_private, TargetRefusal.PRIVATE),
        (address.is_reserved, TargetRefusal.RESERVED),
    )
    return next((reason for holds, reason in checks if holds), TargetRefusal.NOT_GLOBAL)


def _nat64(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


@dataclass(frozen=True, slots=True)
class TargetAllowList:
    """The hosts and networks the operator allows beyond public addresses (none by default)."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IpNetwork, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> TargetAllowList:
        """The allow-list of ``environ``; raises ``WebhookConfigError`` naming a bad variable."""
        hosts = frozenset(_items(environ, ALLOW_HOSTS_VARIABLE, _host))
        return cls(hosts, tuple(_items(environ, ALLOW_NETWORKS_VARIABLE, _network)))

    def refusal(self, host: str, address: IpAddress) -> TargetRefusal | None:
        """Why ``address`` (an address of ``host``) may not be connected to, or ``None``."""
        if host.lower().rstrip(".") in self.hosts or any(address in n for n in self.networks):
            return None
        return refusal_of(address)


def _items(environ: Mapping[str, str], name: str, parse: Callable[[str], _T]) -> list[_T]:
    raw = [item.strip() for item in environ.get(name, "").split(",")]
    try:
        return [parse(item) for item in raw if item]
    except ValueError:
        raise WebhookConfigError(
            f"{name} is a comma-separated list of {'CIDRs' if 'NETWORK' in name else 'hosts'}"
        ) from None


def _host(item: str) -> str:
    name = item.lower().rstrip(".")
    if not _HOST_NAME.fullmatch(name):
        raise ValueError(item)
    return name


def _network(item: str) -> IpNetwork:
    return ipaddress.ip_network(item, strict=False)


@dataclass(frozen=True, slots=True)
class PinnedTarget:
    """A webhook URL bound to one checked address: post to ``url``, with ``headers``/``extensions``.

    ``url`` has the checked address in place of the host; ``headers`` keep
    the ``Host`` the receiver expects, and for https ``extensions`` carry
    the name as the TLS server name, which httpx (httpcore) sends as SNI
    and verifies the certificate against.
    """

    url: str
    address: IpAddress
    headers: Mapping[str, str] = field(default_factory=dict)
    extensions: Mapping[str, str] = field(default_factory=dict)


async def resolve_host(host: str, port: int) -> list[IpAddress]:
    """Every address of ``host`` (an address literal is itself); raises ``OSError`` if none."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    # An IPv6 answer may carry a zone (fe80::1%eth0): the address is what counts.
    return list(dict.fromkeys(ipaddress.ip_address(str(i[4][0]).split("%")[0]) for i in infos))


async def pin_targets(
    url: str, allowed: TargetAllowList, resolve: Resolve = resolve_host
) -> list[PinnedTarget]:
    """Resolve ``url``'s host once, check every address, and bind the URL to each, in order.

    The caller posts to the first and falls back to the next only when the
    connection itself fails (an unreachable IPv6 address of a dual-stack
    host, say): every one of them was checked. Raises
    ``WebhookTargetRefused`` if any address is not allowed or the host does
    not resolve (``TargetRefusal.UNRESOLVED``).
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or _DEFAULT_PORTS.get(parts.scheme, 443)
    addresses = await _addresses(host, port, resolve)
    _check_all(host, addresses, allowed)
    headers = {"Host": parts.netloc.rpartition("@")[2]}
    sni = {"sni_hostname": host} if parts.scheme == "https" and _is_name(host) else {}
    pinned = []
    for address in addresses:
        literal = f"[{address}]" if address.version == 6 else str(address)
        netloc = f"{literal}:{parts.port}" if parts.port else literal
        bound = urlunsplit(parts._replace(netloc=netloc))
        pinned.append(PinnedTarget(bound, address, headers, sni))
    return pinned


async def vet_webhook_url(
    url: str, allowed: TargetAllowList, resolve: Resolve = resolve_host
) -> str:
    """``url`` if its form is right and no address its host resolves to now is refused.

    The form is ``check_webhook_url``'s; the addresses are checked as the
    module docstring says. A host that does not resolve yet is accepted
    (every post checks again). Raises ``WebhookConfigError``
    (``WebhookTargetRefused`` for an address).
    """
    check_webhook_url(url)
    try:
        await pin_targets(url, allowed, resolve)
    except WebhookTargetRefused as refused:
        if refused.reason is not TargetRefusal.UNRESOLVED:
            raise
    return url


async def _addresses(host: str, port: int, resolve: Resolve) -> list[IpAddress]:
    if not _is_name(host):
        return [ipaddress.ip_address(host)]
    try:
        addresses = list(await resolve(host, port))
    except OSError:
        addresses = []
    if not addresses:
        raise WebhookTargetRefused(
            TargetRefusal.UNRESOLVED, "the webhook's host does not resolve to any address"
        )
    return addresses


def _check_all(host: str, addresses: Sequence[IpAddress], allowed: TargetAllowList) -> None:
    for address in addresses:
        reason = allowed.refusal(host, address)
        if reason is not None:
            raise WebhookTargetRefused(
                reason,
                f"the webhook's host is or resolves to a {reason.value.replace('_', '-')}"
                f" address ({address}); webhooks go to public addresses only, unless"
                f" {ALLOW_NETWORKS_VARIABLE} or {ALLOW_HOSTS_VARIABLE} allows it",
            )


def _is_name(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return False
