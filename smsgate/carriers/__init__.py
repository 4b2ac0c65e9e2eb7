"""Carrier adapters: the one small Protocol the dispatcher sends through, and its plugins.

``build_carrier(name, config)`` finds an adapter in the ``smsgate.carriers``
entry-point group; ``console`` and ``file`` ship for development, and
``FakeCarrier`` is the test double. Errors of every adapter arrive as the
``CarrierError`` family (see ``smsgate.carriers.base`` for the tree).
"""

from smsgate.carriers.base import (
    CarrierAdapter,
    CarrierError,
    OutboundSms,
    OutcomeUnknown,
    PermanentCarrierError,
    RetryableCarrierError,
    SendResult,
    UnknownCarrier,
    client_reference,
)
from smsgate.carriers.callbacks import (
    CallbackError,
    CallbackRejected,
    CallbackReply,
    CallbackRequest,
    CallbackSink,
    CarrierCallbacks,
    DeliveryReport,
    DeliveryState,
    InboundSms,
    Lookup,
    LookupAnswer,
    MalformedCallback,
    PushesCallbacks,
    QueriesStatus,
    ReceivesCallbacks,
)
from smsgate.carriers.fake import FakeCarrier, accept_all
from smsgate.carriers.journal import ConsoleCarrier, FileCarrier, JournalCarrier, journal_line
from smsgate.carriers.registry import (
    ENTRY_POINT_GROUP,
    CarrierFactory,
    InvalidCarrierConfig,
    allow_only,
    build_carrier,
    carrier_names,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "CallbackError",
    "CallbackRejected",
    "CallbackReply",
    "CallbackRequest",
    "CallbackSink",
    "CarrierAdapter",
    "CarrierCallbacks",
    "CarrierError",
    "CarrierFactory",
    "ConsoleCarrier",
    "DeliveryReport",
    "DeliveryState",
    "FakeCarrier",
    "FileCarrier",
    "InboundSms",
    "InvalidCarrierConfig",
    "JournalCarrier",
    "Lookup",
    "LookupAnswer",
    "MalformedCallback",
    "OutboundSms",
    "OutcomeUnknown",
    "PermanentCarrierError",
    "PushesCallbacks",
    "QueriesStatus",
    "ReceivesCallbacks",
    "RetryableCarrierError",
    "SendResult",
    "UnknownCarrier",
    "accept_all",
    "allow_only",
    "build_carrier",
    "carrier_names",
    "client_reference",
    "journal_line",
]
