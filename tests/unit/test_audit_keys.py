"""The audit key: read from the environment or refused with a clear message; heads signed."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest

from smsgate.audit_keys import AuditKeyError, AuditSigner, AuditVerifier, key_id_of
from smsgate.settings import Settings, SettingsError, require_audit_signer

#: A key made for this test only (its name marks it a secret for the log check).
TEST_SIGNING_KEY = base64.b64encode(bytes(range(32))).decode()


class TestSettings:
    """``SMSGATE_AUDIT_SIGNING_KEY`` is base64 of 32 raw bytes; anything else is refused."""

    def test_valid_key(self) -> None:
        settings = Settings.from_env({"SMSGATE_AUDIT_SIGNING_KEY": TEST_SIGNING_KEY})
        assert settings.audit_signer is not None
        assert TEST_SIGNING_KEY not in repr(settings)

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            pytest.param("not base64!", "must be base64", id="not-base64"),
            pytest.param(base64.b64encode(b"short").decode(), "got 5", id="too-short"),
            pytest.param(base64.b64encode(bytes(64)).decode(), "got 64", id="too-long"),
        ],
    )
    def test_malformed_key(self, value: str, message: str) -> None:
        with pytest.raises(SettingsError, match=message) as refused:
            Settings.from_env({"SMSGATE_AUDIT_SIGNING_KEY": value})
        assert "SMSGATE_AUDIT_SIGNING_KEY" in str(refused.value)
        assert "smsgate audit keygen" in str(refused.value)

    def test_serve_needs_a_key(self) -> None:
        with pytest.raises(SettingsError, match="SMSGATE_AUDIT_SIGNING_KEY is not set"):
            require_audit_signer(Settings.from_env({}))


class TestSigning:
    """A head verifies with the signer's public key only, and only unchanged."""

    def test_round_trip(self) -> None:
        signer = AuditSigner.from_private_key(TEST_SIGNING_KEY)
        head = signer.sign(7, bytes(32), 1_000)
        verifier = AuditVerifier.from_public_key(signer.verifier.public_key)
        assert verifier.verifies(head)
        assert head.key_id == key_id_of(verifier.public_raw) == verifier.key_id
        assert not verifier.verifies(replace(head, size=8))
        assert not verifier.verifies(replace(head, root=bytes([1]) + bytes(31)))
        assert not verifier.verifies(replace(head, timestamp_ms=1_001))
        other = AuditSigner.generate()[0]
        assert not other.verifier.verifies(head)
        forged = other.sign(7, bytes(32), 1_000)
        assert not verifier.verifies(replace(forged, key_id=head.key_id))

    def test_public_key_must_be_32_bytes(self) -> None:
        with pytest.raises(AuditKeyError, match="--public-key"):
            AuditVerifier.from_public_key("AAAA", "--public-key")
