"""The smpp adapter's settings and how SMSC refusals map onto the CarrierError family."""

from __future__ import annotations

from typing import Any

import pytest

from smsgate.carriers import (
    InvalidCarrierConfig,
    OutboundSms,
    PermanentCarrierError,
    PushesCallbacks,
    RetryableCarrierError,
)
from smsgate.carriers.smpp import (
    Concatenation,
    SmppCarrier,
    account_from_config,
    create_smpp,
    refusal,
    status_code,
)
from smsgate.carriers.smpp.pdu import CommandStatus
from smsgate.core.sms import Encoding

BASE = {
    "host": "smsc.example", "port": 2775, "system_id": "acme", "password": "s3cr3t!",
    "source_addr": "10690001",
}  # fmt: skip


def config(**changes: Any) -> dict[str, Any]:
    merged = {**BASE, **changes}
    return {key: value for key, value in merged.items() if value is not None}


class TestSettings:
    """Settings are validated once, and a bad password is never quoted back."""

    def test_defaults(self) -> None:
        account = account_from_config(config())
        assert account.name == "smpp"
        assert (account.dest_ton, account.dest_npi, account.concatenation) == (
            1, 1, Concatenation.UDH
        )  # fmt: skip
        assert (account.session.window, account.session.enquire_link_seconds) == (10, 30.0)
        assert "s3cr3t" not in repr(account)

    def test_everything_set(self) -> None:
        account = account_from_config(
            config(
                name="cmcc-main", port="2776", window=4, concatenation="sar", timeout_seconds=3,
                enquire_link_seconds=15, receipt_timezone="Asia/Shanghai", source_ton=5,
            )
        )  # fmt: skip
        assert (account.name, account.session.port, account.session.window) == (
            "cmcc-main",
            2776,
            4,
        )
        assert (account.concatenation, account.timeout_seconds) == (Concatenation.SAR, 3.0)
        assert str(account.receipt_timezone) == "Asia/Shanghai"

    @pytest.mark.parametrize(
        ("changes", "complaint"),
        [
            pytest.param({"hots": "x"}, "unknown setting", id="misspelt"),
            pytest.param({"host": None}, "host", id="no-host"),
            pytest.param({"port": 70000}, "port", id="port-range"),
            pytest.param({"port": True}, "port", id="port-bool"),
            pytest.param({"system_id": "x" * 16}, "system_id", id="system-id-long"),
            pytest.param({"password": None}, "password", id="no-password"),
            pytest.param({"password": "longer-than-8"}, "password", id="password-long"),
            pytest.param({"window": 0}, "window", id="window"),
            pytest.param({"concatenation": "zip"}, "udh | sar | payload", id="concatenation"),
            pytest.param({"timeout_seconds": -1}, "timeout_seconds", id="timeout"),
            pytest.param({"receipt_timezone": "Mars/Base"}, "IANA", id="zone"),
            pytest.param({"source_addr": ""}, "source_addr", id="no-source"),
        ],
    )
    def test_refused(self, changes: dict[str, Any], complaint: str) -> None:
        with pytest.raises(InvalidCarrierConfig, match=complaint) as refused:
            create_smpp(config(**changes))
        assert "s3cr3t" not in str(refused.value)
        assert "longer-than-8" not in str(refused.value)


class TestRefusals:
    """An SMSC's command_status decides retryable or permanent, and names the code."""

    @pytest.mark.parametrize(
        ("status", "kind", "code"),
        [
            pytest.param(CommandStatus.ESME_RTHROTTLED, RetryableCarrierError, "smpp_0x58",
                         id="throttled"),
            pytest.param(CommandStatus.ESME_RMSGQFUL, RetryableCarrierError, "smpp_0x14",
                         id="queue-full"),
            pytest.param(CommandStatus.ESME_RSYSERR, RetryableCarrierError, "smpp_0x08",
                         id="system-error"),
            pytest.param(CommandStatus.ESME_RX_T_APPN, RetryableCarrierError, "smpp_0x64",
                         id="temporary"),
            pytest.param(CommandStatus.ESME_RINVDSTADR, PermanentCarrierError, "smpp_0x0b",
                         id="invalid-destination"),
            pytest.param(CommandStatus.ESME_RINVDCS, PermanentCarrierError, "smpp_0x104",
                         id="invalid-coding"),
            pytest.param(0x401, PermanentCarrierError, "smpp_0x401", id="vendor-specific"),
        ],
    )  # fmt: skip
    def test_mapping(self, status: int, kind: type[Exception], code: str) -> None:
        error = refusal(status)
        assert type(error) is kind
        assert error.code == code == status_code(status)


class TestClosed:
    """A closed adapter refuses at once, without connecting; an open one pushes callbacks."""

    def test_it_is_a_callback_pushing_adapter(self) -> None:
        assert isinstance(create_smpp(config(name="cmcc")), PushesCallbacks)
        assert create_smpp(config(name="cmcc")).name == "cmcc"

    async def test_send_after_close(self) -> None:
        carrier = SmppCarrier(account_from_config(config(host="127.0.0.1", port=9)))
        await carrier.aclose()
        with pytest.raises(RetryableCarrierError) as refused:
            await carrier.send(_message())
        assert refused.value.code == "smpp_closed"

    async def test_unreachable_smsc_is_retryable(self) -> None:
        carrier = SmppCarrier(
            account_from_config(config(host="127.0.0.1", port=9, timeout_seconds=0.3))
        )
        try:
            with pytest.raises(RetryableCarrierError) as refused:
                await carrier.send(_message())
        finally:
            await carrier.aclose()
        assert refused.value.code == "smpp_not_bound"


def _message() -> OutboundSms:
    return OutboundSms("msg_1", 1, "+8613800138000", "【安信】您好", 1, Encoding.UCS2, "acme")
