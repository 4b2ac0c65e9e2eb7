"""The ``tencent`` carrier: Tencent Cloud SMS (API 3.0 ``SendSms``), in four parts.

``adapter``    ``TencentSmsCarrier`` and ``create_tencent``
``config``     the account's settings, validated
``signing``    TC3-HMAC-SHA256 request signing
``callbacks``  delivery reports and replies pushed by Tencent's callbacks

It is registered as ``tencent = "smsgate.carriers.tencent:create_tencent"`` in the
``smsgate.carriers`` entry-point group.
"""

from smsgate.carriers.tencent.adapter import TencentSmsCarrier, create_tencent

__all__ = ["TencentSmsCarrier", "create_tencent"]
