"""The carriers file: accounts, limits, routes, secrets only from the environment, clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from smsgate.carriers import InvalidCarrierConfig
from smsgate.carriers.config import (
    BreakerLimits,
    CarrierLimits,
    UnknownOutcomePolicy,
    environment_options,
    load_fleet_config,
    parse_fleet_config,
    single_carrier_config,
)
from smsgate.settings import Settings, SettingsError

EXAMPLE = """
[carriers.aliyun-main]
kind = "aliyun"
tps = 50
concurrency = 8
unknown_outcome = "reconcile"
breaker = { failures = 5, cooldown_seconds = 30 }
sign_names = { "安信消费金融" = "安信消费" }

[carriers.kannel-backup]
kind = "kannel"
url = "http://127.0.0.1:13013/cgi-bin/sendsms"

[routes]
default = ["aliyun-main", "kannel-backup"]
acme = ["kannel-backup"]
"""


def parse(text: str, environ: dict[str, str] | None = None) -> Any:
    return parse_fleet_config(tomllib.loads(text), environ or {}, source="carriers.toml")


def one_carrier(lines: str) -> str:
    return f'[carriers.main]\nkind = "http"\n{lines}\n'


class TestExample:
    """The documented example gives each account its kind, limits, options and the routes."""

    def test_accounts(self) -> None:
        config = parse(EXAMPLE)
        aliyun, kannel = config.carriers
        assert (aliyun.name, aliyun.kind, kannel.name, kannel.kind) == (
            "aliyun-main", "aliyun", "kannel-backup", "kannel",
        )  # fmt: skip
        assert aliyun.limits == CarrierLimits(
            tps=50, concurrency=8, unknown_outcome=UnknownOutcomePolicy.RECONCILE,
            breaker=BreakerLimits(failures=5, cooldown_seconds=30),
        )  # fmt: skip
        assert kannel.limits == CarrierLimits()

    def test_adapter_config_is_everything_else_with_the_name(self) -> None:
        aliyun, kannel = parse(EXAMPLE).carriers
        assert aliyun.adapter_config() == {
            "sign_names": {"安信消费金融": "安信消费"}, "name": "aliyun-main",
        }  # fmt: skip
        assert kannel.adapter_config()["url"].endswith("/sendsms")

    def test_routes(self) -> None:
        assert parse(EXAMPLE).routes == {
            "default": ("aliyun-main", "kannel-backup"), "acme": ("kannel-backup",),
        }  # fmt: skip

    def test_one_carrier_needs_no_routes(self) -> None:
        assert parse(one_carrier("")).routes == {"default": ("main",)}


class TestSecrets:
    """Secrets in the file are refused; they come from ``SMSGATE_CARRIER_<NAME>_<KEY>``."""

    @pytest.mark.parametrize(
        "line",
        [
            pytest.param('access_key_secret = "s3cr3t"', id="key_secret"),
            pytest.param('password = "hunter2"', id="password"),
            pytest.param('api_token = "t"', id="token"),
            pytest.param('SecretId = "AKID"', id="mixed-case"),
            pytest.param('auth = { client_secret = "s" }', id="nested"),
        ],
    )
    def test_secret_in_the_file_is_refused(self, line: str) -> None:
        with pytest.raises(InvalidCarrierConfig) as raised:
            parse(one_carrier(line))
        message = str(raised.value)
        assert "carriers.toml" in message
        assert "'main'" in message
        assert "SMSGATE_CARRIER_MAIN_" in message
        assert "s3cr3t" not in message
        assert "hunter2" not in message

    def test_environment_supplies_secrets(self) -> None:
        environ = {
            "SMSGATE_CARRIER_ALIYUN_MAIN_ACCESS_KEY_SECRET": "from-env",
            "SMSGATE_CARRIER_KANNEL_BACKUP_PASSWORD": "pw",
            "SMSGATE_CARRIER_OTHER_SECRET": "not ours",
        }
        aliyun, kannel = parse(EXAMPLE, environ).carriers
        assert aliyun.adapter_config()["access_key_secret"] == "from-env"
        assert kannel.adapter_config()["password"] == "pw"
        assert "not ours" not in repr(parse(EXAMPLE, environ))
        assert "from-env" not in repr(aliyun)

    def test_longest_name_owns_a_variable(self) -> None:
        found = environment_options(
            ["aliyun", "aliyun-main"],
            {"SMSGATE_CARRIER_ALIYUN_MAIN_SECRET": "a", "SMSGATE_CARRIER_ALIYUN_SECRET": "b"},
        )
        assert found == {"aliyun-main": {"secret": "a"}, "aliyun": {"secret": "b"}}

    def test_limits_cannot_come_from_the_environment(self) -> None:
        with pytest.raises(InvalidCarrierConfig, match="SMSGATE_CARRIER_MAIN_TPS"):
            parse(one_carrier(""), {"SMSGATE_CARRIER_MAIN_TPS": "10"})

    def test_names_sharing_a_prefix_are_refused(self) -> None:
        text = '[carriers.a-b]\nkind = "x"\n[carriers.a_b]\nkind = "x"\n'
        with pytest.raises(InvalidCarrierConfig, match="share the environment prefix"):
            parse(text)


class TestMistakes:
    """Each mistake is refused with a message naming the file, the carrier and the key."""

    @pytest.mark.parametrize(
        ("line", "named"),
        [
            pytest.param("tps = 0", "'tps'", id="tps-zero"),
            pytest.param("tps = -5", "'tps'", id="tps-negative"),
            pytest.param('tps = "50"', "'tps'", id="tps-string"),
            pytest.param("tps = true", "'tps'", id="tps-bool"),
            pytest.param("concurrency = 2.5", "'concurrency'", id="concurrency-fraction"),
            pytest.param("breaker = { failures = 0 }", "'breaker.failures'", id="failures-zero"),
            pytest.param(
                "breaker = { cooldown_seconds = 0 }", "'breaker.cooldown_seconds'", id="cooldown"
            ),
            pytest.param("breaker = { tries = 3 }", "breaker.tries", id="breaker-unknown-key"),
            pytest.param('unknown_outcome = "retry"', "'unknown_outcome'", id="policy"),
        ],
    )
    def test_bad_limit(self, line: str, named: str) -> None:
        with pytest.raises(InvalidCarrierConfig) as raised:
            parse(one_carrier(line))
        assert "carriers.toml: carrier 'main'" in str(raised.value)
        assert named in str(raised.value)

    def test_fractional_tps_is_allowed(self) -> None:
        assert parse(one_carrier("tps = 0.5")).carriers[0].limits.tps == 0.5

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            pytest.param('[carriers.a]\nurl = "x"\n', "key 'kind'", id="no-kind"),
            pytest.param("[routes]\ndefault = []\n", "no \\[carriers", id="no-carriers"),
            pytest.param(one_carrier("") + "[routes]\ndefault = []\n", "non-empty", id="empty"),
            pytest.param(
                one_carrier("") + '[routes]\ndefault = ["main", "spare"]\n',
                "unknown carrier 'spare'", id="unknown-target",
            ),
            pytest.param(
                one_carrier("") + '[routes]\nacme = ["main", "main"]\n', "twice", id="twice"
            ),
            pytest.param(
                '[carriers.a]\nkind = "x"\n[carriers.b]\nkind = "x"\n',
                "routes.default is required", id="no-default",
            ),
            pytest.param('[carriers."a b"]\nkind = "x"\n', "letters, digits", id="bad-name"),
            pytest.param(one_carrier("") + "[extra]\n", "top-level", id="unknown-table"),
        ],
    )  # fmt: skip
    def test_bad_file(self, text: str, message: str) -> None:
        with pytest.raises(InvalidCarrierConfig, match=message) as raised:
            parse(text)
        assert str(raised.value).startswith("carriers.toml")


class TestLoading:
    """The loader reads the file named by ``SMSGATE_CARRIERS`` and names it in errors."""

    def test_reads_the_file(self, tmp_path: Path) -> None:
        path = tmp_path / "carriers.toml"
        path.write_text(EXAMPLE, encoding="utf-8")
        assert [spec.name for spec in load_fleet_config(path, {}).carriers] == [
            "aliyun-main", "kannel-backup",
        ]  # fmt: skip

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(InvalidCarrierConfig, match=r"missing\.toml: cannot read"):
            load_fleet_config(tmp_path / "missing.toml", {})

    def test_invalid_toml(self, tmp_path: Path) -> None:
        path = tmp_path / "broken.toml"
        path.write_text("[carriers.a\n", encoding="utf-8")
        with pytest.raises(InvalidCarrierConfig, match=r"broken\.toml: not valid TOML"):
            load_fleet_config(path, {})


class TestLegacySettings:
    """Without a carriers file, the older ``SMSGATE_CARRIER`` settings give one account."""

    def test_console_by_default(self) -> None:
        config = single_carrier_config("console", None, {})
        assert [(s.name, s.kind, s.adapter_config()) for s in config.carriers] == [
            ("console", "console", {"name": "console"})
        ]
        assert config.routes == {"default": ("console",)}

    def test_file_path_and_environment(self, tmp_path: Path) -> None:
        environ = {
            "SMSGATE_CARRIER_FILE": str(tmp_path / "out.jsonl"),
            "SMSGATE_CARRIER_FILE_X": "1",
        }
        [spec] = single_carrier_config("file", tmp_path / "out.jsonl", environ).carriers
        assert spec.adapter_config() == {
            "path": str(tmp_path / "out.jsonl"),
            "x": "1",
            "name": "file",
        }


class TestSettings:
    """Settings keep the carriers file and the carrier variables, never showing the latter."""

    def test_from_env(self, tmp_path: Path) -> None:
        settings = Settings.from_env(
            {"SMSGATE_CARRIERS": str(tmp_path / "c.toml"), "SMSGATE_CARRIER_X_SECRET": "shh"}
        )
        assert settings.carriers_file == tmp_path / "c.toml"
        assert settings.carrier_environment == {"SMSGATE_CARRIER_X_SECRET": "shh"}
        assert "shh" not in repr(settings)

    def test_dispatch_tuning(self) -> None:
        settings = Settings.from_env(
            {"SMSGATE_DISPATCH_LEASE_SECONDS": "30", "SMSGATE_SEND_TIMEOUT_SECONDS": "10",
             "SMSGATE_DISPATCH_CONCURRENCY": "16", "SMSGATE_DISPATCH_BATCH_SIZE": "100"}
        )  # fmt: skip
        assert (settings.dispatch_lease_seconds, settings.send_timeout_seconds) == (30, 10)
        assert (settings.dispatch_concurrency, settings.dispatch_batch_size) == (16, 100)

    def test_send_timeout_must_be_shorter_than_the_lease(self) -> None:
        with pytest.raises(SettingsError, match="SMSGATE_SEND_TIMEOUT_SECONDS"):
            Settings.from_env({"SMSGATE_DISPATCH_LEASE_SECONDS": "5"})
