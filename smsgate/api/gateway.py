"""The services one running gateway shares between requests, built by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from smsgate.api.keys import KeyRing
from smsgate.api.metrics import GatewayMetrics
from smsgate.settings import Settings
from smsgate.store import Store
from smsgate.wordlists import WordlistSource


@dataclass(frozen=True, slots=True)
class Gateway:
    """Store, scanner source, clock, key ring and metrics of one app instance."""

    settings: Settings
    store: Store
    wordlists: WordlistSource
    keys: KeyRing
    metrics: GatewayMetrics
    clock: Callable[[], datetime]
