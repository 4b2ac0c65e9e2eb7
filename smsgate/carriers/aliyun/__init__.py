"""The ``aliyun`` carrier: Aliyun Dysms (短信服务) over HTTPS, in three parts.

``adapter``    ``AliyunCarrier`` (sending with Aliyun's own registered templates)
               and ``create_aliyun``
``signing``    the RPC signature (HMAC-SHA1 over the canonical query)
``callbacks``  delivery reports and replies pushed by Aliyun's MNS HTTP callbacks

It is registered as ``aliyun = "smsgate.carriers.aliyun:create_aliyun"`` in the
``smsgate.carriers`` entry-point group.
"""

from smsgate.carriers.aliyun.adapter import AliyunCarrier, create_aliyun

__all__ = ["AliyunCarrier", "create_aliyun"]
