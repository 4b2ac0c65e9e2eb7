"""The settings and push checks every carrier adapter shares (``smsgate.carriers.options``)."""

from __future__ import annotations

import math
import re
from ipaddress import ip_network

import pytest

from smsgate.carriers import CallbackRejected, CallbackRequest, InvalidCarrierConfig
from smsgate.carriers.config import environment_options
from smsgate.carriers.options import (
    MIN_TOKEN_LENGTH,
    address_allowed,
    callback_token,
    networks,
    positive_seconds,
    require_allowed_address,
    require_token,
    secret,
    secret_variable,
)

TOKEN = "Zq3-callback-token-8f2c1e"
CARRIER = "aliyun-main"


def push(query: dict[str, list[str]] | None = None, remote: str = "203.0.113.7") -> CallbackRequest:
    """A pushed callback with ``query`` from ``remote``."""
    return CallbackRequest("POST", "/v1/dlr/aliyun-main", query=query or {}, remote=remote)


class TestPositiveSeconds:
    """A timeout is a positive, finite number, typed or as the environment's text."""

    @pytest.mark.parametrize(
        ("value", "seconds"),
        [
            pytest.param(10, 10.0, id="int"),
            pytest.param(2.5, 2.5, id="float"),
            pytest.param("2.5", 2.5, id="text"),
            pytest.param(" 3 ", 3.0, id="text-with-spaces"),
            pytest.param("1e1", 10.0, id="text-exponent"),
            pytest.param(0.001, 0.001, id="tiny"),
            pytest.param(3600, 3600.0, id="an-hour"),
        ],
    )
    def test_accepted(self, value: object, seconds: float) -> None:
        assert positive_seconds(value, CARRIER) == seconds

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param(0, id="zero"),
            pytest.param("0", id="zero-text"),
            pytest.param(-1, id="negative"),
            pytest.param("-2.5", id="negative-text"),
            pytest.param(math.nan, id="nan"),
            pytest.param("nan", id="nan-text"),
            pytest.param(math.inf, id="inf"),
            pytest.param("inf", id="inf-text"),
            pytest.param("-inf", id="minus-inf-text"),
            pytest.param(True, id="true"),
            pytest.param(False, id="false"),
            pytest.param("ten", id="words"),
            pytest.param("", id="empty-text"),
            pytest.param(None, id="none"),
            pytest.param([10], id="list"),
        ],
    )
    def test_refused_naming_carrier_and_key(self, value: object) -> None:
        with pytest.raises(InvalidCarrierConfig, match="positive number") as raised:
            positive_seconds(value, CARRIER, "timeout")
        assert "'aliyun-main'" in str(raised.value)
        assert "timeout" in str(raised.value)


class TestNetworks:
    """Allow-lists are addresses or CIDR blocks, as a list or as comma-separated text."""

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            pytest.param(["10.0.0.1"], ["10.0.0.1/32"], id="ipv4-address"),
            pytest.param(["2001:db8::1"], ["2001:db8::1/128"], id="ipv6-address"),
            pytest.param(["10.0.0.0/24"], ["10.0.0.0/24"], id="ipv4-cidr"),
            pytest.param(("2001:db8::/32",), ["2001:db8::/32"], id="ipv6-cidr-tuple"),
            pytest.param(["10.0.0.7/24"], ["10.0.0.0/24"], id="host-bits"),
            pytest.param([" 10.0.0.0/8 "], ["10.0.0.0/8"], id="spaces"),
            pytest.param("106.11.0.0/16", ["106.11.0.0/16"], id="one-in-text"),
            pytest.param(
                "10.0.0.0/24, 2001:db8::/32", ["10.0.0.0/24", "2001:db8::/32"], id="comma-text"
            ),
            pytest.param("10.0.0.0/24,,192.0.2.1,", ["10.0.0.0/24", "192.0.2.1/32"], id="gaps"),
            pytest.param("", [], id="empty-text"),
            pytest.param([], [], id="empty-list"),
        ],
    )
    def test_read(self, value: object, expected: list[str]) -> None:
        assert networks(value, CARRIER) == tuple(ip_network(cidr) for cidr in expected)

    @pytest.mark.parametrize(
        ("value", "detail"),
        [
            pytest.param(10, "must be a list", id="number"),
            pytest.param({"a": "10.0.0.0/8"}, "must be a list", id="table"),
            pytest.param(["10.0.0.0/33"], "'10.0.0.0/33'", id="bad-prefix"),
            pytest.param(["10.0.0.300"], "'10.0.0.300'", id="bad-octet"),
            pytest.param("10.0.0.0/8, ten", "'ten'", id="bad-in-text"),
            pytest.param([1], "entry 1 ", id="not-text"),
            pytest.param([""], "entry ''", id="blank-entry"),
            pytest.param(["10.0.0.0/8 192.0.2.0/24"], "192.0.2.0/24", id="space-separated"),
        ],
    )
    def test_refused_naming_carrier_key_and_entry(self, value: object, detail: str) -> None:
        with pytest.raises(InvalidCarrierConfig, match=re.escape(detail)) as raised:
            networks(value, CARRIER, "allowed_ips")
        assert "'aliyun-main'" in str(raised.value)
        assert "allowed_ips" in str(raised.value)


ALLOWED = networks("10.0.0.0/24, 2001:db8::/32", CARRIER)


class TestAddressAllowed:
    """A peer passes when its address, or the IPv4 address it maps, is in a network."""

    @pytest.mark.parametrize(
        ("remote", "allowed"),
        [
            pytest.param("10.0.0.5", True, id="ipv4-inside"),
            pytest.param("10.0.1.5", False, id="ipv4-outside"),
            pytest.param("2001:db8::7", True, id="ipv6-inside"),
            pytest.param("2001:db9::7", False, id="ipv6-outside"),
            pytest.param("::ffff:10.0.0.5", True, id="ipv4-mapped-inside"),
            pytest.param("::ffff:10.0.1.5", False, id="ipv4-mapped-outside"),
            pytest.param("::10.0.0.5", False, id="ipv4-compatible-is-not-mapped"),
        ],
    )
    def test_addresses(self, remote: str, allowed: bool) -> None:
        assert address_allowed(remote, ALLOWED) is allowed

    def test_a_mapped_address_also_counts_as_itself(self) -> None:
        assert address_allowed("::ffff:192.0.2.1", networks(["::ffff:0:0/96"], CARRIER))

    @pytest.mark.parametrize(
        "remote",
        [
            pytest.param("", id="empty"),
            pytest.param("unknown", id="word"),
            pytest.param("localhost", id="hostname"),
            pytest.param("10.0.0.300", id="bad-octet"),
            pytest.param("10.0.0.5:443", id="with-port"),
            pytest.param("[2001:db8::7]", id="bracketed"),
        ],
    )
    def test_unreadable_remotes_are_not_allowed(self, remote: str) -> None:
        assert not address_allowed(remote, ALLOWED)

    def test_an_empty_list_allows_nobody(self) -> None:
        assert not address_allowed("10.0.0.5", ())


class TestRequireAllowedAddress:
    """Without an allow-list any peer passes; with one, only peers inside it."""

    def test_no_allow_list_lets_any_peer_through(self) -> None:
        require_allowed_address(push(remote="not-an-address"), ())

    def test_inside_passes(self) -> None:
        require_allowed_address(push(remote="::ffff:10.0.0.9"), ALLOWED)

    @pytest.mark.parametrize("remote", ["192.0.2.1", "", "garbage"])
    def test_outside_is_rejected(self, remote: str) -> None:
        with pytest.raises(CallbackRejected, match="allowed_ips"):
            require_allowed_address(push(remote=remote), ALLOWED)


class TestRequireToken:
    """A push passes only with exactly the configured token, and never without one configured."""

    def test_the_right_token_passes(self) -> None:
        require_token(push({"token": [TOKEN]}), TOKEN)

    @pytest.mark.parametrize(
        ("query", "reason"),
        [
            pytest.param({}, "no token", id="missing"),
            pytest.param({"token": []}, "no token", id="no-value"),
            pytest.param({"token": [""]}, "does not match", id="empty"),
            pytest.param({"token": [TOKEN[:-1]]}, "does not match", id="prefix"),
            pytest.param({"token": [TOKEN + "x"]}, "does not match", id="longer"),
            pytest.param({"token": [TOKEN.upper()]}, "does not match", id="other-case"),
            pytest.param({"token": ["退订" * 9]}, "does not match", id="not-ascii"),
            pytest.param({"token": ["guess", TOKEN]}, "does not match", id="right-one-second"),
            pytest.param({"Token": [TOKEN]}, "no token", id="other-parameter"),
        ],
    )
    def test_anything_else_is_rejected(self, query: dict[str, list[str]], reason: str) -> None:
        with pytest.raises(CallbackRejected, match=reason) as raised:
            require_token(push(query), TOKEN)
        assert TOKEN not in str(raised.value)

    @pytest.mark.parametrize("configured", [None, ""])
    def test_without_a_configured_token_everything_is_rejected(
        self, configured: str | None
    ) -> None:
        with pytest.raises(CallbackRejected, match="no callback_token"):
            require_token(push({"token": [""]}), configured)


class TestCallbackToken:
    """The token setting is absent (pushes refused) or text long enough not to be guessed."""

    @pytest.mark.parametrize("value", [None, "", "   "])
    def test_absent_means_none(self, value: object) -> None:
        assert callback_token(value, CARRIER) is None

    def test_surrounding_space_is_dropped(self) -> None:
        assert callback_token(f" {TOKEN}\n", CARRIER) == TOKEN

    def test_the_shortest_accepted(self) -> None:
        token = "k" * MIN_TOKEN_LENGTH
        assert callback_token(token, CARRIER) == token

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param("k" * (MIN_TOKEN_LENGTH - 1), id="one-short"),
            pytest.param(1234567890123456789, id="number"),
            pytest.param(["k" * 20], id="list"),
        ],
    )
    def test_refused_without_quoting_it(self, value: object) -> None:
        with pytest.raises(InvalidCarrierConfig, match=f"at least {MIN_TOKEN_LENGTH}") as raised:
            callback_token(value, CARRIER)
        assert "SMSGATE_CARRIER_ALIYUN_MAIN_CALLBACK_TOKEN" in str(raised.value)
        assert str(value) not in str(raised.value)

    def test_required_and_absent_names_the_variable(self) -> None:
        with pytest.raises(InvalidCarrierConfig, match="SMSGATE_CARRIER_KANNEL_CALLBACK_TOKEN"):
            callback_token(None, "kannel", required=True)


class TestSecret:
    """A secret is non-blank text; a missing one names the variable the loader reads it from."""

    def test_kept_as_given(self) -> None:
        assert secret(" pass word ", CARRIER, "password") == " pass word "

    @pytest.mark.parametrize("value", [None, "", "  ", 12345678, b"bytes-secret"])
    def test_missing_names_the_variable_not_the_value(self, value: object) -> None:
        with pytest.raises(InvalidCarrierConfig, match="needs access_key_secret") as raised:
            secret(value, CARRIER, "access_key_secret")
        assert "SMSGATE_CARRIER_ALIYUN_MAIN_ACCESS_KEY_SECRET" in str(raised.value)
        if value:
            assert str(value) not in str(raised.value)

    @pytest.mark.parametrize("carrier", ["aliyun-main", "tencent", "kannel_backup", "http-2"])
    def test_the_named_variable_is_the_one_the_loader_reads(self, carrier: str) -> None:
        variable = secret_variable(carrier, "secret_key")
        read = environment_options([carrier, "aliyun"], {variable: "s3cr3t"})
        assert read == {carrier: {"secret_key": "s3cr3t"}}
