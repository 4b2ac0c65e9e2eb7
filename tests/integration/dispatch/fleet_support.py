"""Fleets of fake carriers for the dispatcher tests, one of them able to answer status queries."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import datetime

from smsgate.carriers import CarrierAdapter, FakeCarrier, Lookup, LookupAnswer, OutboundSms
from smsgate.carriers.config import BreakerLimits, CarrierLimits, UnknownOutcomePolicy
from smsgate.carriers.fake import FakeHandler, accept_all
from smsgate.carriers.fleet import CarrierFleet, FleetMember
from smsgate.store import StatusChange, Store

LookupHandler = Callable[[str], Lookup | Awaitable[Lookup]]

RECONCILE = CarrierLimits(unknown_outcome=UnknownOutcomePolicy.RECONCILE)


def breaker(failures: int, cooldown_seconds: float = 30) -> CarrierLimits:
    return CarrierLimits(breaker=BreakerLimits(failures, cooldown_seconds))


def not_found(reference: str) -> Lookup:
    return Lookup(LookupAnswer.NOT_FOUND)


class QueryingCarrier(FakeCarrier):
    """A ``FakeCarrier`` that also answers status queries (``QueriesStatus``) with ``lookup``.

    ``lookup`` may raise a ``CarrierError``; every query's reference is kept in ``lookups``.
    """

    def __init__(
        self, handler: FakeHandler = accept_all, *, lookup: LookupHandler = not_found,
        name: str = "fake",
    ) -> None:  # fmt: skip
        super().__init__(handler, name=name)
        self._lookup = lookup
        self.lookups: list[str] = []

    async def look_up(self, attempt_reference: str, phone: str, sent_on: datetime) -> Lookup:
        self.lookups.append(attempt_reference)
        answer = self._lookup(attempt_reference)
        return await answer if inspect.isawaitable(answer) else answer


def fleet(*members: tuple[CarrierAdapter, CarrierLimits], **routes: list[str]) -> CarrierFleet:
    """A fleet of ``(adapter, limits)`` under the adapters' names; default route in that order."""
    by_name = {adapter.name: FleetMember(adapter, limits) for adapter, limits in members}
    return CarrierFleet(by_name, {"default": list(by_name), **routes})


async def history(store: Store, message_id: str) -> list[StatusChange]:
    async with store.read() as tx:
        return await tx.messages.history(message_id)


def sms_ids(calls: list[OutboundSms]) -> list[str]:
    """The client reference of every call, in order."""
    return [sms.client_reference for sms in calls]
