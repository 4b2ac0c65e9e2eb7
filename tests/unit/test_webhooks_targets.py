"""Where webhooks may connect: public addresses only, unless allow-listed; checked and pinned."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import httpx
import pytest

from smsgate.settings import Settings, SettingsError
from smsgate.webhooks import (
    PinnedTarget,
    Resolve,
    TargetAllowList,
    TargetRefusal,
    WebhookConfigError,
    WebhookTargetRefused,
    pin_targets,
    post_batch,
    resolve_host,
    vet_webhook_url,
)
from smsgate.webhooks.targets import IpAddress, refusal_of

NOTHING = TargetAllowList()
PUBLIC = "93.184.216.34"


def resolving(*addresses: str) -> Resolve:
    """A resolver (the seam ``resolve``) answering ``addresses`` for any host."""

    async def resolve(host: str, port: int) -> Sequence[IpAddress]:
        return [ipaddress.ip_address(a) for a in addresses]

    return resolve


def networks(*cidrs: str) -> TargetAllowList:
    return TargetAllowList(networks=tuple(ipaddress.ip_network(c) for c in cidrs))


class TestAddresses:
    """Only globally routable unicast addresses are public; each other kind has its reason."""

    @pytest.mark.parametrize(
        ("address", "reason"),
        [
            pytest.param("127.0.0.1", TargetRefusal.LOOPBACK, id="loopback-v4"),
            pytest.param("127.8.8.8", TargetRefusal.LOOPBACK, id="loopback-v4-range"),
            pytest.param("::1", TargetRefusal.LOOPBACK, id="loopback-v6"),
            pytest.param("10.0.0.1", TargetRefusal.PRIVATE, id="10/8"),
            pytest.param("172.16.5.4", TargetRefusal.PRIVATE, id="172.16/12"),
            pytest.param("192.168.1.1", TargetRefusal.PRIVATE, id="192.168/16"),
            pytest.param("fc00::1", TargetRefusal.PRIVATE, id="fc00::/7"),
            pytest.param("169.254.169.254", TargetRefusal.LINK_LOCAL, id="metadata-service"),
            pytest.param("fe80::1", TargetRefusal.LINK_LOCAL, id="fe80::/10"),
            pytest.param("100.64.0.1", TargetRefusal.SHARED, id="cgnat"),
            pytest.param("0.0.0.0", TargetRefusal.UNSPECIFIED, id="unspecified-v4"),
            pytest.param("::", TargetRefusal.UNSPECIFIED, id="unspecified-v6"),
            pytest.param("224.0.0.1", TargetRefusal.MULTICAST, id="multicast-v4"),
            pytest.param("ff0e::1", TargetRefusal.MULTICAST, id="global-multicast-v6"),
            pytest.param("::ffff:127.0.0.1", TargetRefusal.LOOPBACK, id="mapped-loopback"),
            pytest.param("::ffff:10.1.2.3", TargetRefusal.PRIVATE, id="mapped-private"),
            pytest.param("::ffff:169.254.169.254", TargetRefusal.LINK_LOCAL, id="mapped-metadata"),
            pytest.param("2002:7f00:1::", TargetRefusal.LOOPBACK, id="6to4-loopback"),
            pytest.param("64:ff9b::a00:1", TargetRefusal.PRIVATE, id="nat64-private"),
        ],
    )
    def test_refused(self, address: str, reason: TargetRefusal) -> None:
        assert refusal_of(ipaddress.ip_address(address)) is reason

    @pytest.mark.parametrize("address", ["192.0.2.1", "198.18.0.1", "240.0.0.1", "2001:db8::1"])
    def test_documentation_and_reserved_ranges_are_refused_too(self, address: str) -> None:
        assert refusal_of(ipaddress.ip_address(address)) is not None

    @pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2606:4700:4700::1111"])
    def test_public(self, address: str) -> None:
        assert refusal_of(ipaddress.ip_address(address)) is None


class TestAllowList:
    """The operator's settings: comma-separated CIDRs and host names, nothing by default."""

    def test_from_env(self) -> None:
        allowed = TargetAllowList.from_env({
            "SMSGATE_WEBHOOK_ALLOW_NETWORKS": " 127.0.0.1/32, 10.20.0.0/16,::1 ",
            "SMSGATE_WEBHOOK_ALLOW_HOSTS": "Hooks.Internal, ",
        })  # fmt: skip
        assert allowed.hosts == {"hooks.internal"}
        assert [str(n) for n in allowed.networks] == ["127.0.0.1/32", "10.20.0.0/16", "::1/128"]
        assert allowed.refusal("x", ipaddress.ip_address("10.20.3.4")) is None
        assert allowed.refusal("x", ipaddress.ip_address("10.21.3.4")) is TargetRefusal.PRIVATE
        assert allowed.refusal("HOOKS.internal.", ipaddress.ip_address("10.9.9.9")) is None

    def test_unset_allows_nothing_more(self) -> None:
        assert TargetAllowList.from_env({}) == NOTHING

    def test_a_bad_network_names_the_variable(self) -> None:
        with pytest.raises(WebhookConfigError, match="SMSGATE_WEBHOOK_ALLOW_NETWORKS"):
            TargetAllowList.from_env({"SMSGATE_WEBHOOK_ALLOW_NETWORKS": "10.0.0.0/33"})

    def test_the_service_settings_carry_it(self) -> None:
        env = {"SMSGATE_WEBHOOK_ALLOW_NETWORKS": "127.0.0.1/32"}
        assert Settings.from_env(env).webhook_targets == networks("127.0.0.1/32")
        assert Settings.from_env({}).webhook_targets == NOTHING
        with pytest.raises(SettingsError, match="SMSGATE_WEBHOOK_ALLOW_HOSTS"):
            Settings.from_env({"SMSGATE_WEBHOOK_ALLOW_HOSTS": "a b"})


class TestSetTime:
    """Setting a URL refuses one whose host is or resolves to a non-public address."""

    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            pytest.param("http://127.0.0.1:8080/hook", "loopback", id="127.0.0.1"),
            pytest.param("https://10.0.0.1/hook", "private", id="10.0.0.1"),
            pytest.param("https://169.254.169.254/latest/meta-data", "link-local", id="metadata"),
            pytest.param("http://[::1]:9000/hook", "loopback", id="[::1]"),
            pytest.param("https://[::ffff:127.0.0.1]/hook", "loopback", id="mapped"),
            pytest.param("http://localhost:8080/hook", "loopback", id="localhost"),
        ],
    )
    async def test_refused_without_the_allow_list(self, url: str, reason: str) -> None:
        with pytest.raises(WebhookTargetRefused, match=reason) as refused:
            await vet_webhook_url(url, NOTHING)  # the real resolver: localhost is loopback
        assert "SMSGATE_WEBHOOK_ALLOW_NETWORKS" in str(refused.value)

    async def test_a_name_resolving_to_one_private_address_among_public_ones(self) -> None:
        resolve = resolving(PUBLIC, "10.0.0.5")
        with pytest.raises(WebhookTargetRefused, match="private") as refused:
            await vet_webhook_url("https://hooks.example.com/x", NOTHING, resolve)
        assert refused.value.reason is TargetRefusal.PRIVATE

    @pytest.mark.parametrize(
        ("url", "allowed"),
        [
            pytest.param("http://127.0.0.1:8080/hook", networks("127.0.0.1/32"), id="network"),
            pytest.param("http://[::1]:9000/hook", networks("::1/128"), id="network-v6"),
            pytest.param("https://10.0.0.1/hook", networks("10.0.0.0/8"), id="private-network"),
            pytest.param(
                "http://localhost:8080/hook", TargetAllowList(hosts=frozenset({"localhost"})),
                id="host",
            ),
        ],
    )  # fmt: skip
    async def test_accepted_with_the_allow_list(self, url: str, allowed: TargetAllowList) -> None:
        assert await vet_webhook_url(url, allowed) == url

    async def test_public_and_not_yet_resolving_names_are_accepted(self) -> None:
        url = "https://hooks.example.com/x"
        assert await vet_webhook_url(url, NOTHING, resolving(PUBLIC)) == url
        assert await vet_webhook_url(url, NOTHING, resolving()) == url

    async def test_the_form_is_checked_first(self) -> None:
        with pytest.raises(WebhookConfigError, match="https"):
            await vet_webhook_url("http://hooks.example.com/x", NOTHING, resolving(PUBLIC))


class TestPinning:
    """Before a post the host is resolved once and the URL bound to the checked address."""

    async def test_https_keeps_the_name_for_host_and_sni(self) -> None:
        resolve = resolving(PUBLIC)
        [pinned] = await pin_targets("https://hooks.example.com:8443/a?b=1", NOTHING, resolve)
        assert pinned == PinnedTarget(
            f"https://{PUBLIC}:8443/a?b=1", ipaddress.ip_address(PUBLIC),
            {"Host": "hooks.example.com:8443"}, {"sni_hostname": "hooks.example.com"},
        )  # fmt: skip

    async def test_every_address_in_order_ipv6_bracketed(self) -> None:
        resolve = resolving("2606:4700:4700::1111", PUBLIC)
        pinned = await pin_targets("https://hooks.example.com/a", NOTHING, resolve)
        assert [p.url for p in pinned] == [
            "https://[2606:4700:4700::1111]/a",
            f"https://{PUBLIC}/a",
        ]

    async def test_unresolvable_is_refused_at_connect_time(self) -> None:
        with pytest.raises(WebhookTargetRefused) as refused:
            await pin_targets("https://hooks.example.com/a", NOTHING, resolving())
        assert refused.value.reason is TargetRefusal.UNRESOLVED

    async def test_the_post_goes_to_the_address_with_the_name_as_host_and_sni(self) -> None:
        seen: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(200)

        [pinned] = await pin_targets("https://hooks.example.com/a", NOTHING, resolving(PUBLIC))
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            result = await post_batch(client, pinned, b"{}", {"X-Test": "1"}, 5.0)
        assert result.accepted
        [request] = seen
        assert str(request.url) == f"https://{PUBLIC}/a"
        assert request.headers["Host"] == "hooks.example.com"
        assert request.extensions["sni_hostname"] == "hooks.example.com"

    async def test_the_real_resolver_answers_literals_and_localhost(self) -> None:
        assert await resolve_host("10.1.2.3", 443) == [ipaddress.ip_address("10.1.2.3")]
        assert ipaddress.ip_address("127.0.0.1") in await resolve_host("localhost", 80)
