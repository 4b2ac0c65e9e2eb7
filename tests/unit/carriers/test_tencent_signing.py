"""TC3-HMAC-SHA256 reproduces Tencent's documented "Signature v3" example to the byte.

The expected strings are copied from Tencent Cloud's API 3.0 "Signature v3"
page (the CVM ``DescribeInstances`` example, timestamp 1551113065, SecretId
``AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE``); the Chinese edition of the page
masks the key as ``Gu5t9xGARNpq86cd98joQYCN3*******`` and documents the
signature for that literal key, so both are checked.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.carriers.tencent.signing import (
    ApiCall,
    TencentCredentials,
    authorization,
    canonical_request,
    credential_scope,
    signature,
    signed_headers,
    string_to_sign,
)

DOCUMENTED_CALL = ApiCall(
    service="cvm",
    host="cvm.tencentcloudapi.com",
    action="DescribeInstances",
    version="2017-03-12",
    region="ap-guangzhou",
    payload=(
        b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    ),
)
DOCUMENTED_TIMESTAMP = 1551113065
DOCUMENTED_CREDENTIALS = TencentCredentials(
    "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
)

DOCUMENTED_CANONICAL_REQUEST = """POST
/

content-type:application/json; charset=utf-8
host:cvm.tencentcloudapi.com

content-type;host
35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"""

DOCUMENTED_STRING_TO_SIGN = """TC3-HMAC-SHA256
1551113065
2019-02-25/cvm/tc3_request
5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"""

DOCUMENTED_AUTHORIZATION = (
    "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, "
    "SignedHeaders=content-type;host, "
    "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
)


class TestDocumentedExample:
    """Each step gives exactly the text the documentation prints."""

    def test_canonical_request(self) -> None:
        assert canonical_request(DOCUMENTED_CALL) == DOCUMENTED_CANONICAL_REQUEST

    def test_string_to_sign(self) -> None:
        assert string_to_sign(DOCUMENTED_CALL, DOCUMENTED_TIMESTAMP) == DOCUMENTED_STRING_TO_SIGN

    @pytest.mark.parametrize(
        ("secret_key", "expected"),
        [
            pytest.param(
                "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
                "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168",
                id="english-edition",
            ),
            pytest.param(
                "Gu5t9xGARNpq86cd98joQYCN3*******",
                "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c",
                id="chinese-edition",
            ),
        ],
    )
    def test_signature(self, secret_key: str, expected: str) -> None:
        assert signature(secret_key, DOCUMENTED_CALL, DOCUMENTED_TIMESTAMP) == expected

    def test_authorization_header(self) -> None:
        assert (
            authorization(DOCUMENTED_CREDENTIALS, DOCUMENTED_CALL, DOCUMENTED_TIMESTAMP)
            == DOCUMENTED_AUTHORIZATION
        )

    def test_headers_match_the_documented_request(self) -> None:
        assert signed_headers(DOCUMENTED_CREDENTIALS, DOCUMENTED_CALL, DOCUMENTED_TIMESTAMP) == {
            "Authorization": DOCUMENTED_AUTHORIZATION,
            "Content-Type": "application/json; charset=utf-8",
            "Host": "cvm.tencentcloudapi.com",
            "X-TC-Action": "DescribeInstances",
            "X-TC-Timestamp": "1551113065",
            "X-TC-Version": "2017-03-12",
            "X-TC-Region": "ap-guangzhou",
        }


class TestDateAndKey:
    """The scope's date is the UTC date, and every input moves the signature."""

    @pytest.mark.parametrize(
        ("timestamp", "date"),
        [
            # 2019-02-26 00:44:25 in Beijing is still the 25th in UTC: the documented pitfall.
            pytest.param(1551113065, "2019-02-25", id="after-beijing-midnight"),
            pytest.param(1551139199, "2019-02-25", id="last-utc-second"),
            pytest.param(1551139200, "2019-02-26", id="utc-midnight"),
        ],
    )
    def test_scope_uses_the_utc_date(self, timestamp: int, date: str) -> None:
        assert credential_scope(timestamp, "sms") == f"{date}/sms/tc3_request"

    @given(
        key=st.text(min_size=1, max_size=40),
        payload=st.binary(max_size=200),
        timestamp=st.integers(min_value=0, max_value=4_000_000_000),
    )
    def test_signature_follows_the_documented_derivation(
        self, key: str, payload: bytes, timestamp: int
    ) -> None:
        call = ApiCall(
            "sms", "sms.tencentcloudapi.com", "SendSms", "2021-01-11", "ap-guangzhou", payload
        )
        date = credential_scope(timestamp, "sms").split("/")[0]
        derived = hmac.new(("TC3" + key).encode(), date.encode(), hashlib.sha256).digest()
        for part in ("sms", "tc3_request"):
            derived = hmac.new(derived, part.encode(), hashlib.sha256).digest()
        message = string_to_sign(call, timestamp).encode()
        assert (
            signature(key, call, timestamp)
            == hmac.new(derived, message, hashlib.sha256).hexdigest()
        )

    def test_another_payload_changes_the_signature(self) -> None:
        other = replace(DOCUMENTED_CALL, payload=b'{"Limit": 2}')
        key = DOCUMENTED_CREDENTIALS.secret_key
        assert signature(key, other, DOCUMENTED_TIMESTAMP) != signature(
            key, DOCUMENTED_CALL, DOCUMENTED_TIMESTAMP
        )

    def test_the_secret_key_never_shows_in_a_repr(self) -> None:
        assert DOCUMENTED_CREDENTIALS.secret_key not in repr(DOCUMENTED_CREDENTIALS)
