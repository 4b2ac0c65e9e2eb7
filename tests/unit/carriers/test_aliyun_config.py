"""create_aliyun: defaults, and a clear InvalidCarrierConfig for every bad setting."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from smsgate.carriers import CarrierAdapter, InvalidCarrierConfig
from smsgate.carriers.aliyun.adapter import (
    AliyunCarrier,
    AliyunSettings,
    AliyunTemplate,
    create_aliyun,
    parse_settings,
)

SECRET = "s3cr3t-value-0123456789"
TOKEN = "token-value-0123456789abcdef"
MINIMAL = {"access_key_id": "LTAItestkey", "access_key_secret": SECRET}


class TestDefaults:
    """Only the AccessKey pair is required; everything else has the documented default."""

    def test_minimal(self) -> None:
        assert parse_settings(MINIMAL) == AliyunSettings(
            name="aliyun",
            access_key_id="LTAItestkey",
            access_key_secret=SECRET,
            endpoint="https://dysmsapi.aliyuncs.com/",
            region_id="cn-hangzhou",
            sign_names={},
            templates={},
            callback_token=None,
            allowed_networks=(),
            timeout_seconds=10.0,
        )

    def test_everything(self) -> None:
        settings = parse_settings(
            MINIMAL
            | {
                "name": "aliyun-main",
                "endpoint": "https://dysmsapi.ap-southeast-1.aliyuncs.com/",
                "region_id": "ap-southeast-1",
                "sign_names": {"安信": "安信消费金融"},
                "templates": {"tpl_1": {"code": "SMS_1", "param": "content"}},
                "callback_token": TOKEN,
                "allowed_ips": ["106.11.0.0/16", "47.97.1.2"],
                "timeout_seconds": 2.5,
            }
        )
        assert (settings.name, settings.region_id, settings.timeout_seconds) == (
            "aliyun-main",
            "ap-southeast-1",
            2.5,
        )
        assert settings.templates == {"tpl_1": AliyunTemplate("SMS_1", "content")}
        assert settings.allowed_networks == (
            ipaddress.ip_network("106.11.0.0/16"),
            ipaddress.ip_network("47.97.1.2/32"),
        )
        assert (settings.sign_names, settings.callback_token) == ({"安信": "安信消费金融"}, TOKEN)

    def test_strings_from_the_environment(self) -> None:
        settings = parse_settings(
            MINIMAL | {"timeout_seconds": "2.5", "allowed_ips": "106.11.0.0/16, 47.97.1.2"}
        )
        assert (settings.timeout_seconds, settings.allowed_networks) == (
            2.5,
            (ipaddress.ip_network("106.11.0.0/16"), ipaddress.ip_network("47.97.1.2/32")),
        )

    def test_http_only_for_localhost(self) -> None:
        settings = parse_settings(MINIMAL | {"endpoint": "http://127.0.0.1:8089/"})
        assert settings.endpoint == "http://127.0.0.1:8089/"

    async def test_factory_builds_a_named_adapter(self) -> None:
        adapter = create_aliyun(MINIMAL | {"name": "aliyun-backup"})
        try:
            assert isinstance(adapter, AliyunCarrier)
            assert adapter.name == "aliyun-backup"
            _: CarrierAdapter = adapter  # the Protocol, checked by mypy
        finally:
            await adapter.aclose()


class TestInvalid:
    """Each bad setting is refused with a message naming it."""

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            pytest.param({"acces_key_id": "x"}, "unknown setting.*acces_key_id", id="misspelt"),
            pytest.param({"name": ""}, "name must be", id="empty-name"),
            pytest.param({"access_key_id": ""}, "access_key_id must be", id="empty-key-id"),
            pytest.param({"access_key_id": None}, "access_key_id must be", id="no-key-id"),
            pytest.param({"endpoint": "http://dysmsapi.aliyuncs.com/"}, "https", id="plain-http"),
            pytest.param({"endpoint": "ftp://dysmsapi/"}, "endpoint", id="ftp"),
            pytest.param({"endpoint": "dysmsapi.aliyuncs.com"}, "endpoint", id="no-scheme"),
            pytest.param({"endpoint": "::::"}, "endpoint", id="garbage"),
            pytest.param({"region_id": " "}, "region_id", id="blank-region"),
            pytest.param({"sign_names": ["安信"]}, "sign_names", id="sign-names-list"),
            pytest.param({"sign_names": {"安信": ""}}, "sign_names", id="sign-name-empty"),
            pytest.param({"templates": ["tpl_1"]}, "templates must map", id="templates-list"),
            pytest.param({"templates": {"tpl_1": "SMS_1"}}, r"templates\['tpl_1'\]", id="str"),
            pytest.param(
                {"templates": {"tpl_1": {"code": "SMS_1"}}}, r"templates\['tpl_1'\]", id="no-param"
            ),
            pytest.param(
                {"templates": {"t": {"code": "", "param": "c"}}}, r"templates\['t'\]", id="empty"
            ),
            pytest.param({"callback_token": "short"}, "at least 16", id="short-token"),
            pytest.param({"callback_token": 1234567890123456789}, "at least 16", id="int-token"),
            pytest.param({"allowed_ips": {"a": 1}}, "must be a list", id="ips-table"),
            pytest.param({"allowed_ips": "106.11.0.0/16,,x"}, "'x'", id="ips-env-bad"),
            pytest.param({"allowed_ips": ["106.11.0.0/33"]}, "106.11.0.0/33", id="bad-cidr"),
            pytest.param({"allowed_ips": [1]}, "entry 1", id="ip-not-string"),
            pytest.param({"timeout_seconds": 0}, "timeout_seconds", id="zero-timeout"),
            pytest.param({"timeout_seconds": "ten"}, "timeout_seconds", id="word-timeout"),
            pytest.param({"timeout_seconds": "nan"}, "timeout_seconds", id="nan-timeout"),
            pytest.param({"timeout_seconds": True}, "timeout_seconds", id="bool-timeout"),
        ],
    )
    def test_refused(self, changes: dict[str, Any], message: str) -> None:
        with pytest.raises(InvalidCarrierConfig, match=message):
            create_aliyun(MINIMAL | changes)

    @pytest.mark.parametrize(
        ("name", "variable"),
        [
            pytest.param(None, "SMSGATE_CARRIER_ALIYUN_ACCESS_KEY_SECRET", id="default-name"),
            pytest.param(
                "aliyun-main", "SMSGATE_CARRIER_ALIYUN_MAIN_ACCESS_KEY_SECRET", id="named"
            ),
        ],
    )
    def test_missing_secret_names_the_variable(self, name: str | None, variable: str) -> None:
        config: dict[str, Any] = {"access_key_id": "LTAItestkey"}
        if name:
            config["name"] = name
        with pytest.raises(InvalidCarrierConfig, match=variable):
            create_aliyun(config)


class TestSecrets:
    """Secrets never appear in a repr or in an error message."""

    async def test_repr(self) -> None:
        settings = parse_settings(MINIMAL | {"callback_token": TOKEN})
        adapter = AliyunCarrier(settings)
        text = repr(settings) + repr(adapter.__dict__)
        await adapter.aclose()
        assert SECRET not in text
        assert TOKEN not in text

    @pytest.mark.parametrize(
        "changes",
        [
            pytest.param({"access_key_secret": 12345678901234567}, id="secret-not-text"),
            pytest.param({"callback_token": "short-secret"}, id="short-token"),
        ],
    )
    def test_errors(self, changes: dict[str, Any]) -> None:
        with pytest.raises(InvalidCarrierConfig) as raised:
            create_aliyun(MINIMAL | changes)
        for value in changes.values():
            assert str(value) not in str(raised.value)
