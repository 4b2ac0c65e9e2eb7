"""Aliyun RPC signing: Aliyun's documented SendSms example, the encoding rules, the signer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qsl

import pytest

from smsgate.carriers.aliyun.signing import (
    RpcSigner,
    canonical_query,
    form_body,
    percent_encode,
    signature,
    string_to_sign,
    utc_timestamp,
)

# Aliyun's worked example of "HTTP协议及签名" for SendSms (help.aliyun.com/document_detail/56189,
# reproduced at developer.aliyun.com/ask/218522 and in help.aliyun.com/document_detail/101343).
DOCUMENTED_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
DOCUMENTED_SECRET = "testSecret"
DOCUMENTED_CANONICAL = (
    "AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001"
    "&RegionId=cn-hangzhou&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B"
    "%E8%AF%95%E4%B8%93%E7%94%A8&SignatureMethod=HMAC-SHA1"
    "&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&SignatureVersion=1.0"
    "&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%7D"
    "&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25"
)
DOCUMENTED_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
    "%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF"
    "%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF"
    "%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce"
    "%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode"
    "%3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D"
    "%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
)
DOCUMENTED_SIGNATURE = "zJDF+Lrzhj/ThnlvIToysFRq6t4="
DOCUMENTED_SIGNATURE_IN_URL = "zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D"


class TestDocumentedExample:
    """Aliyun's own SendSms example comes out exactly: canonical query, StringToSign, signature."""

    def test_canonical_query(self) -> None:
        assert canonical_query(DOCUMENTED_PARAMS) == DOCUMENTED_CANONICAL

    def test_string_to_sign(self) -> None:
        assert string_to_sign("GET", DOCUMENTED_PARAMS) == DOCUMENTED_STRING_TO_SIGN

    def test_signature(self) -> None:
        assert signature(DOCUMENTED_STRING_TO_SIGN, DOCUMENTED_SECRET) == DOCUMENTED_SIGNATURE

    def test_signature_as_sent_in_the_url(self) -> None:
        assert percent_encode(DOCUMENTED_SIGNATURE) == DOCUMENTED_SIGNATURE_IN_URL

    def test_parameter_order_does_not_matter(self) -> None:
        shuffled = dict(reversed(list(DOCUMENTED_PARAMS.items())))
        assert string_to_sign("GET", shuffled) == DOCUMENTED_STRING_TO_SIGN

    def test_post_differs_only_in_the_method(self) -> None:
        post = string_to_sign("post", DOCUMENTED_PARAMS)
        assert post == "POST" + DOCUMENTED_STRING_TO_SIGN.removeprefix("GET")
        assert signature(post, DOCUMENTED_SECRET) != DOCUMENTED_SIGNATURE


class TestPercentEncode:
    """RFC 3986 percent-encoding of UTF-8, as Aliyun's POP signature wants it."""

    @pytest.mark.parametrize(
        ("raw", "encoded"),
        [
            pytest.param("a b", "a%20b", id="space-is-%20-not-plus"),
            pytest.param("*", "%2A", id="star-encoded"),
            pytest.param("~", "~", id="tilde-kept"),
            pytest.param("-_.", "-_.", id="unreserved-kept"),
            pytest.param("AZaz09", "AZaz09", id="alphanumerics-kept"),
            pytest.param("+", "%2B", id="plus-encoded"),
            pytest.param("/", "%2F", id="slash-encoded"),
            pytest.param("=&", "%3D%26", id="separators-encoded"),
            pytest.param('"', "%22", id="quote"),
            pytest.param("阿", "%E9%98%BF", id="utf8-uppercase-hex"),
            pytest.param("【】", "%E3%80%90%E3%80%91", id="signature-brackets"),
        ],
    )
    def test_table(self, raw: str, encoded: str) -> None:
        assert percent_encode(raw) == encoded


class TestCanonicalQuery:
    """Parameters are sorted by name and the Signature itself is never signed."""

    def test_sorted_by_name(self) -> None:
        assert canonical_query({"b": "2", "a": "1", "C": "3"}) == "C=3&a=1&b=2"

    def test_refuses_a_signature_parameter(self) -> None:
        with pytest.raises(ValueError, match="Signature"):
            canonical_query({"Signature": "x", "a": "1"})


class TestTimestamp:
    """The Timestamp parameter is UTC with a Z; a naive time is refused."""

    def test_converts_to_utc(self) -> None:
        china = timezone(timedelta(hours=8))
        assert utc_timestamp(datetime(2024, 5, 1, 10, 0, 5, 999, tzinfo=china)) == (
            "2024-05-01T02:00:05Z"
        )

    def test_refuses_naive(self) -> None:
        with pytest.raises(ValueError, match="naive"):
            utc_timestamp(datetime(2024, 5, 1, 10, 0))


class TestRpcSigner:
    """The signer adds the common parameters, then a signature over all of them."""

    SIGNER = RpcSigner(
        "LTAIkey",
        "sekrit-value",
        version="2017-05-25",
        region_id="cn-hangzhou",
        clock=lambda: datetime(2024, 5, 1, 2, 0, tzinfo=UTC),
        nonce=lambda: "nonce-1",
    )

    def test_common_parameters(self) -> None:
        params = self.SIGNER.signed_params("POST", "SendSms", {"OutId": "m-1"})
        assert {name: value for name, value in params.items() if name != "Signature"} == {
            "AccessKeyId": "LTAIkey",
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": "nonce-1",
            "SignatureVersion": "1.0",
            "Timestamp": "2024-05-01T02:00:00Z",
            "Version": "2017-05-25",
            "OutId": "m-1",
        }

    def test_signature_covers_every_other_parameter(self) -> None:
        params = self.SIGNER.signed_params("POST", "SendSms", {"OutId": "m-1"})
        unsigned = {name: value for name, value in params.items() if name != "Signature"}
        expected = signature(string_to_sign("POST", unsigned), "sekrit-value")
        assert params["Signature"] == expected

    def test_refuses_to_override_a_common_parameter(self) -> None:
        with pytest.raises(ValueError, match="AccessKeyId"):
            self.SIGNER.signed_params("POST", "SendSms", {"AccessKeyId": "other"})

    def test_secret_not_in_repr(self) -> None:
        assert "sekrit-value" not in repr(self.SIGNER)


class TestFormBody:
    """The form body decodes back to exactly the parameters, whatever characters they hold."""

    def test_round_trip(self) -> None:
        params = {"TemplateParam": '{"content": "1+1 = 2 * 3 ~ 还款"}', "Signature": "a+b/c="}
        decoded = parse_qsl(form_body(params).decode("ascii"), strict_parsing=True)
        assert dict(decoded) == params
