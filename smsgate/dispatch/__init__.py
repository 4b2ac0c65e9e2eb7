"""The dispatcher: the outbox worker between accepted messages and carrier adapters.

``run_dispatcher(store, carrier, stop_event=...)`` is what ``smsgate
dispatch`` and ``smsgate serve`` run; ``Dispatcher`` is the worker itself
(``run_once`` for tests, ``run_forever`` for service). See
``smsgate.dispatch.dispatcher`` for the flow of one message.
"""

from smsgate.dispatch.backoff import Jitter, RetryPolicy, full_jitter
from smsgate.dispatch.dispatcher import Clock, Dispatcher, DispatchSettings, Sleep
from smsgate.dispatch.outcomes import DispatchReport, Disposition, Outcome
from smsgate.dispatch.recheck import contact_status, recheck
from smsgate.dispatch.runner import new_owner_id, run_dispatcher

__all__ = [
    "Clock",
    "DispatchReport",
    "DispatchSettings",
    "Dispatcher",
    "Disposition",
    "Jitter",
    "Outcome",
    "RetryPolicy",
    "Sleep",
    "contact_status",
    "full_jitter",
    "new_owner_id",
    "recheck",
    "run_dispatcher",
]
