"""The dispatcher: the outbox worker between accepted messages and carrier adapters.

``run_dispatcher(store, carriers, stop_event=...)`` is what ``smsgate
dispatch`` and ``smsgate serve`` run; ``Dispatcher`` is the worker itself
(``run_once`` for tests, ``run_forever`` for service). See
``smsgate.dispatch.dispatcher`` for the flow of one message, ``lanes`` for
routing and failover over the carrier fleet, ``circuit`` and ``throttle``
for each account's breaker and rate, ``reconcile`` for unknown outcomes.
"""

from smsgate.dispatch.backoff import Jitter, Retrying, RetryPolicy, full_jitter
from smsgate.dispatch.circuit import CircuitBreaker, CircuitState
from smsgate.dispatch.dispatcher import Clock, Dispatcher, DispatchSettings
from smsgate.dispatch.outcomes import DispatchOutcome, DispatchReport, Disposition
from smsgate.dispatch.recheck import recheck
from smsgate.dispatch.runner import dispatch_settings, new_owner_id, run_dispatcher
from smsgate.dispatch.throttle import Sleep, TokenBucket

__all__ = [
    "CircuitBreaker",
    "CircuitState",
    "Clock",
    "DispatchOutcome",
    "DispatchReport",
    "DispatchSettings",
    "Dispatcher",
    "Disposition",
    "Jitter",
    "RetryPolicy",
    "Retrying",
    "Sleep",
    "TokenBucket",
    "dispatch_settings",
    "full_jitter",
    "new_owner_id",
    "recheck",
    "run_dispatcher",
]
