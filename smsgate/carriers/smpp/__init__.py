"""The ``smpp`` carrier: an SMPP 3.4 transceiver of our own, for SMSCs and 106 channels.

Why our own client rather than a PyPI one. We looked at the maintained
asyncio candidates:

* ``aiosmpplib`` (0.7.x) queues messages through a broker and reports
  results to hooks, so a ``send`` that awaits *its own* submit_sm_resp and
  tells "not written" from "written, unanswered" means rebuilding its
  correlation from outside; it also logs raw PDU hex (numbers and bodies)
  on parse errors.
* ``smpp34`` (Rust core, asyncio wrapper) acknowledges every deliver_sm
  itself before Python sees it, which breaks our rule that a receipt is
  stored before the SMSC is told it was received (``CallbackSink``).
* ``smpplib`` is threaded and blocking; ``naz`` and ``aiosmpp`` are unmaintained.

What we need of SMPP is small (bind_transceiver, unbind, enquire_link,
submit_sm, deliver_sm, their responses, generic_nack), so we keep it here,
in pure, property-tested parts and one thin shell:

``pdu``       encode/decode of those PDUs, TLVs and command_status codes
``alphabet``  GSM 03.38 (unpacked, data_coding 0) and UCS-2 (data_coding 8)
``segments``  splitting into parts tied by UDH, SAR TLVs or message_payload
``receipts``  delivery-receipt deliver_sm → ``DeliveryReport``
``inbound``   reply deliver_sm → ``InboundSms``, concatenated parts reassembled
``config``    the account's settings, validated
``session``   the asyncio connection: bind, window, enquire_link, reconnect, unbind
``adapter``   ``SmppCarrier`` (``CarrierAdapter`` + ``PushesCallbacks``) and ``create_smpp``

It is registered as ``smpp = "smsgate.carriers.smpp:create_smpp"`` in the
``smsgate.carriers`` entry-point group.
"""

from smsgate.carriers.smpp.adapter import SmppCarrier, create_smpp, refusal, status_code
from smsgate.carriers.smpp.config import SmppAccount, account_from_config
from smsgate.carriers.smpp.segments import Concatenation

__all__ = [
    "Concatenation",
    "SmppAccount",
    "SmppCarrier",
    "account_from_config",
    "create_smpp",
    "refusal",
    "status_code",
]
