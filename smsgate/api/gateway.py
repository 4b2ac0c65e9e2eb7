"""The services one running gateway shares between requests, built by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from smsgate.api.auth_throttle import AuthThrottle
from smsgate.api.keys import KeyRing
from smsgate.api.metrics import GatewayMetrics
from smsgate.carriers.fleet import CarrierFleet
from smsgate.settings import Settings
from smsgate.store import Store
from smsgate.wordlists import WordlistSource


@dataclass(frozen=True, slots=True)
class Gateway:
    """Store, scanner source, clock, key ring, metrics and carriers of one app instance.

    ``carriers`` is there even when this instance does not dispatch
    (``SMSGATE_DISPATCH=0``): delivery reports and replies still arrive here.
    ``auth_throttle`` counts failed authentications of the API and the UI
    sign-in together (see ``smsgate.api.auth_throttle``); ``unknown_templates``
    counts each key's sends refused for an unknown template.
    """

    settings: Settings
    store: Store
    wordlists: WordlistSource
    keys: KeyRing
    metrics: GatewayMetrics
    clock: Callable[[], datetime]
    carriers: CarrierFleet
    auth_throttle: AuthThrottle = field(default_factory=AuthThrottle)
    #: Sends for an unknown template, per key (``smsgate.service.sending``): the same
    #: sliding window, so a key's refusals cannot grow the audit log without bound.
    unknown_templates: AuthThrottle = field(default_factory=lambda: AuthThrottle(30, 60))
