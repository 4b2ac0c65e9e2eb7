"""The pure parts of status webhooks: derived secrets, the master secret, URLs, backoff."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from smsgate.webhooks import (
    Backoff,
    WebhookConfigError,
    WebhookSecretMissing,
    check_webhook_url,
    creditor_secret,
    master_secret,
    require_master_secret,
)

MASTER = b"0123456789abcdef0123456789abcdef"


class TestCreditorSecret:
    """Each creditor's secret is HMAC-SHA256(master, "webhook:" + id) in hex."""

    def test_is_the_documented_hmac(self) -> None:
        expected = hmac.new(MASTER, b"webhook:acme", hashlib.sha256).hexdigest()
        assert creditor_secret(MASTER, "acme") == expected

    def test_differs_per_creditor_and_per_master(self) -> None:
        secrets = {
            creditor_secret(MASTER, "acme"),
            creditor_secret(MASTER, "bravo"),
            creditor_secret(MASTER[::-1], "acme"),
        }
        assert len(secrets) == 3
        assert all(len(secret) == 64 and int(secret, 16) >= 0 for secret in secrets)

    def test_refuses_an_empty_master(self) -> None:
        with pytest.raises(ValueError, match="empty"):
            creditor_secret(b"", "acme")


class TestMasterSecret:
    """SMSGATE_WEBHOOK_SECRET is optional, but never short, and its value is never echoed."""

    def test_unset_or_empty_is_none(self) -> None:
        assert master_secret({}) is None
        assert master_secret({"SMSGATE_WEBHOOK_SECRET": ""}) is None

    def test_is_read_as_utf8_bytes(self) -> None:
        assert master_secret({"SMSGATE_WEBHOOK_SECRET": MASTER.decode()}) == MASTER

    def test_a_short_secret_is_refused_without_showing_it(self) -> None:
        with pytest.raises(WebhookConfigError, match="at least 32") as refused:
            master_secret({"SMSGATE_WEBHOOK_SECRET": "hunter2-hunter2"})
        assert "hunter2" not in str(refused.value)

    def test_required_and_missing_names_the_variable(self) -> None:
        with pytest.raises(WebhookSecretMissing, match="SMSGATE_WEBHOOK_SECRET is not set"):
            require_master_secret({})


class TestWebhookUrl:
    """The form: https, or http on the loopback interface; never with credentials.

    Where a URL may lead (loopback only if allow-listed) is ``test_webhooks_targets``'.
    """

    @pytest.mark.parametrize(
        "url",
        [
            pytest.param("https://hooks.example.com/smsgate?tenant=acme", id="https"),
            pytest.param("https://hooks.example.com:8443/x", id="https-port"),
            pytest.param("http://127.0.0.1:8080/hook", id="http-loopback-v4"),
            pytest.param("http://localhost/hook", id="http-localhost"),
            pytest.param("http://[::1]:9000/hook", id="http-loopback-v6"),
        ],
    )
    def test_accepted(self, url: str) -> None:
        assert check_webhook_url(url) == url

    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            pytest.param("http://hooks.example.com/x", "https", id="plain-http"),
            pytest.param("http://10.0.0.5/x", "https", id="http-private-network"),
            pytest.param("ftp://hooks.example.com/x", "https", id="other-scheme"),
            pytest.param("https:///path-only", "host", id="no-host"),
            pytest.param("hooks.example.com/x", "host", id="no-scheme"),
            pytest.param("https://u:p@hooks.example.com/x", "password", id="userinfo"),
            pytest.param("https://hooks.example.com/a b", "spaces", id="space"),
            pytest.param("https://hooks.example.com:99999/x", "parsed", id="bad-port"),
            pytest.param("https://hooks.example.com/" + "a" * 2048, "at most", id="too-long"),
        ],
    )
    def test_refused(self, url: str, reason: str) -> None:
        with pytest.raises(WebhookConfigError, match=reason):
            check_webhook_url(url)


class TestBackoff:
    """The wait doubles with each failure in a row, up to the cap."""

    @pytest.mark.parametrize(
        ("failures", "seconds"),
        [
            pytest.param(1, 10, id="first"),
            pytest.param(2, 20, id="second"),
            pytest.param(4, 80, id="fourth"),
            pytest.param(9, 2560, id="ninth"),
            pytest.param(10, 3600, id="capped"),
            pytest.param(10_000, 3600, id="far-past-the-cap"),
        ],
    )
    def test_delay(self, failures: int, seconds: int) -> None:
        assert Backoff().delay(failures) == timedelta(seconds=seconds)

    def test_next_attempt_is_now_plus_the_delay(self) -> None:
        now = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
        backoff = Backoff(base=timedelta(seconds=5), cap=timedelta(minutes=1))
        assert backoff.next_attempt(now, 3) == now + timedelta(seconds=20)

    @pytest.mark.parametrize(
        ("base", "cap"),
        [
            pytest.param(timedelta(0), timedelta(seconds=1), id="zero-base"),
            pytest.param(timedelta(minutes=2), timedelta(minutes=1), id="base-over-cap"),
        ],
    )
    def test_refuses_nonsense(self, base: timedelta, cap: timedelta) -> None:
        with pytest.raises(ValueError, match="base"):
            Backoff(base=base, cap=cap)
