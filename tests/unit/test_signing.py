"""smsgate's own request signing: v1 HMAC-SHA256 over timestamp and body, checked in a window."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    Secrets,
    SignatureFault,
    SignatureInvalid,
    body_signature,
    signature_headers,
    verify,
)

SECRET = b"shared-secret"
NOW = 1_714_528_800
BODY = b'{"reports":[{"id":"c-1","status":"delivered"}]}'

secrets_ = st.binary(min_size=1, max_size=64)
bodies = st.binary(max_size=512)
timestamps = st.integers(min_value=0, max_value=10**11)


def fault_of(
    secret: bytes, timestamp: str | None, signature: str | None, **kw: int
) -> SignatureFault:
    with pytest.raises(SignatureInvalid) as raised:
        verify(secret, timestamp, signature, BODY, kw.get("now", NOW), **_tolerance(kw))
    return raised.value.fault


def _tolerance(kw: dict[str, int]) -> dict[str, int]:
    return {"tolerance_seconds": kw["tolerance"]} if "tolerance" in kw else {}


class TestSign:
    """A signature is v1= and the hex HMAC-SHA256 of "timestamp." followed by the body."""

    def test_matches_an_independent_hmac(self) -> None:
        digest = hmac.new(SECRET, b"1714528800." + BODY, hashlib.sha256).hexdigest()
        assert body_signature(SECRET, NOW, BODY) == "v1=" + digest

    def test_headers_carry_timestamp_and_signature(self) -> None:
        headers = signature_headers(SECRET, BODY, NOW)
        assert headers == {
            TIMESTAMP_HEADER: str(NOW),
            SIGNATURE_HEADER: body_signature(SECRET, NOW, BODY),
        }

    def test_rotation_signs_with_every_secret(self) -> None:
        headers = signature_headers([b"old", b"new"], BODY, NOW)
        assert (
            headers[SIGNATURE_HEADER]
            == f"{body_signature(b'old', NOW, BODY)},{body_signature(b'new', NOW, BODY)}"
        )

    def test_an_empty_secret_is_refused(self) -> None:
        with pytest.raises(ValueError, match="non-empty secret"):
            signature_headers(b"", BODY, NOW)


class TestVerifyRoundTrip:
    """Whatever is signed verifies, and any change to body, time or secret does not."""

    @given(secret=secrets_, body=bodies, now=timestamps)
    def test_signed_bodies_verify(self, secret: bytes, body: bytes, now: int) -> None:
        headers = signature_headers(secret, body, now)
        verify(secret, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], body, now)

    @given(secret=secrets_, body=bodies, extra=st.binary(min_size=1, max_size=8))
    def test_a_tampered_body_fails(self, secret: bytes, body: bytes, extra: bytes) -> None:
        headers = signature_headers(secret, body, NOW)
        with pytest.raises(SignatureInvalid) as raised:
            verify(secret, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], body + extra, NOW)
        assert raised.value.fault is SignatureFault.MISMATCH

    @given(body=bodies, shift=st.integers(min_value=1, max_value=300))
    def test_a_moved_timestamp_fails(self, body: bytes, shift: int) -> None:
        signature = body_signature(SECRET, NOW, body)
        with pytest.raises(SignatureInvalid) as raised:
            verify(SECRET, str(NOW - shift), signature, body, NOW)
        assert raised.value.fault is SignatureFault.MISMATCH

    @given(body=bodies, other=secrets_)
    def test_another_secret_fails(self, body: bytes, other: bytes) -> None:
        headers = signature_headers(other + b"x", body, NOW)
        with pytest.raises(SignatureInvalid):
            verify(other, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], body, NOW)


class TestVerifyRotation:
    """During a rotation any offered value may match any secret the receiver holds."""

    @pytest.mark.parametrize(
        ("signed_with", "held"),
        [
            pytest.param([b"old", b"new"], b"new", id="sender-sends-both"),
            pytest.param([b"old", b"new"], b"old", id="receiver-not-rotated-yet"),
            pytest.param(b"new", [b"old", b"new"], id="receiver-holds-both"),
        ],
    )
    def test_any_match_is_enough(self, signed_with: Secrets, held: Secrets) -> None:
        headers = signature_headers(signed_with, BODY, NOW)
        verify(held, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], BODY, NOW)

    def test_values_of_other_schemes_are_ignored(self) -> None:
        header = "v2=" + "0" * 64 + ", " + body_signature(SECRET, NOW, BODY)
        verify(SECRET, str(NOW), header, BODY, NOW)


class TestVerifyRefusals:
    """Each refusal says why: missing, malformed, expired, future or mismatch."""

    GOOD = body_signature(SECRET, NOW, BODY)

    @pytest.mark.parametrize(
        ("timestamp", "signature", "fault"),
        [
            pytest.param(None, GOOD, SignatureFault.MISSING, id="no-timestamp"),
            pytest.param(str(NOW), None, SignatureFault.MISSING, id="no-signature"),
            pytest.param(str(NOW), "", SignatureFault.MISSING, id="empty-signature"),
            pytest.param("+1714528800", GOOD, SignatureFault.MALFORMED, id="signed-timestamp"),
            pytest.param("1714528800.5", GOOD, SignatureFault.MALFORMED, id="fractional-timestamp"),
            pytest.param(
                "１７１４５２８８００", GOOD, SignatureFault.MALFORMED, id="fullwidth-digits"
            ),
            pytest.param(str(NOW), GOOD[3:], SignatureFault.MALFORMED, id="no-scheme"),
            pytest.param(str(NOW), "v2=" + "0" * 64, SignatureFault.MALFORMED, id="no-v1-value"),
            pytest.param(str(NOW), GOOD.upper(), SignatureFault.MALFORMED, id="not-a-v1-value"),
            pytest.param(str(NOW), GOOD[:-2], SignatureFault.MALFORMED, id="short-digest"),
            pytest.param(str(NOW), "v1=" + "0" * 64, SignatureFault.MISMATCH, id="wrong-digest"),
        ],
    )
    def test_refusal_names_the_fault(
        self, timestamp: str | None, signature: str | None, fault: SignatureFault
    ) -> None:
        assert fault_of(SECRET, timestamp, signature) is fault

    @pytest.mark.parametrize(
        ("age", "fault"),
        [
            pytest.param(301, SignatureFault.EXPIRED, id="replayed-after-window"),
            pytest.param(-301, SignatureFault.FUTURE, id="from-the-future"),
        ],
    )
    def test_outside_the_window_is_refused_even_when_signed(
        self, age: int, fault: SignatureFault
    ) -> None:
        signed_at = NOW - age
        signature = body_signature(SECRET, signed_at, BODY)
        assert fault_of(SECRET, str(signed_at), signature) is fault

    @pytest.mark.parametrize("age", [300, -300, 0], ids=["oldest", "newest", "now"])
    def test_the_window_edges_are_inside(self, age: int) -> None:
        verify(SECRET, str(NOW - age), body_signature(SECRET, NOW - age, BODY), BODY, NOW)

    def test_the_tolerance_is_configurable(self) -> None:
        signature = body_signature(SECRET, NOW - 20, BODY)
        assert fault_of(SECRET, str(NOW - 20), signature, tolerance=10) is SignatureFault.EXPIRED

    def test_the_message_never_contains_the_secret(self) -> None:
        with pytest.raises(SignatureInvalid) as raised:
            verify(SECRET, str(NOW), "v1=" + "0" * 64, BODY, NOW)
        assert SECRET.decode() not in str(raised.value)
        assert str(raised.value).startswith("mismatch: ")
