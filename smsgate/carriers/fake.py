"""``FakeCarrier``: a carrier adapter whose every answer a test chooses.

Like httpx's ``MockTransport``, it takes one callable, the *handler*, that
decides each message's fate: return a ``SendResult`` (or just the carrier's
message id as a string) to accept it, raise a ``CarrierError`` to fail it.
The handler may be a coroutine function, so a test can hold a send open
while it looks at the dispatcher from outside. Every call is kept in
``calls``, failed ones included, which is how tests count what reached the
carrier.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from smsgate.carriers.base import OutboundSms, SendResult

#: What a handler returns to accept a message: a result, or just the carrier's message id.
FakeAnswer = SendResult | str
FakeHandler = Callable[[OutboundSms], FakeAnswer | Awaitable[FakeAnswer]]


def accept_all(message: OutboundSms) -> FakeAnswer:
    """The default handler: accept, with the attempt's client reference as carrier id."""
    return f"fake-{message.client_reference}"


class FakeCarrier:
    """A ``CarrierAdapter`` for tests; see the module docstring."""

    def __init__(
        self,
        handler: FakeHandler = accept_all,
        *,
        name: str = "fake",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._handler = handler
        self._name = name
        self._clock = clock
        self.calls: list[OutboundSms] = []
        self.closed = False

    @property
    def name(self) -> str:
        return self._name

    async def send(self, message: OutboundSms) -> SendResult:
        if self.closed:
            raise RuntimeError("FakeCarrier.send after aclose")
        self.calls.append(message)
        answer = self._handler(message)
        if inspect.isawaitable(answer):
            answer = await answer
        if isinstance(answer, SendResult):
            return answer
        return SendResult(self._name, self._clock(), answer)

    async def aclose(self) -> None:
        self.closed = True

    def sent_ids(self) -> list[str]:
        """The message id of every call, in order (repeats show double sends)."""
        return [message.message_id for message in self.calls]
