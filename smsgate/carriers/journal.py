"""The development carriers: ``console`` and ``file`` write each SMS as one JSON line.

``make run`` must work without a carrier account, and a developer (or an
end-to-end test) must see exactly what would have gone out. So these
adapters "deliver" by writing one JSON object per message::

    {"carrier": "console", "message_id": "msg_…", "to": "+8613800138000",
     "text": "【安信消费金融】张三您好…", "segments": 1, "at": "2024-05-01T02:00:00+00:00"}

The full number and text are written on purpose: this line *is* the
delivered SMS, not an operator log (which masks phones and never carries
bodies). Each line is flushed at once so a reader tailing the file sees
every message the moment it is "sent". They never fail, so they return a
fresh carrier message id for delivery reports to quote.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from smsgate.carriers.base import OutboundSms, SendResult

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class JournalCarrier:
    """A ``CarrierAdapter`` that writes each message as a JSON line to a text stream."""

    def __init__(self, name: str, stream: TextIO, *, clock: Clock = _utc_now) -> None:
        self._name = name
        self._stream = stream
        self._clock = clock

    @property
    def name(self) -> str:
        return self._name

    async def send(self, message: OutboundSms) -> SendResult:
        accepted_at = self._clock()
        carrier_message_id = f"{self._name}-{secrets.token_hex(8)}"
        self._stream.write(journal_line(self._name, message, accepted_at) + "\n")
        self._stream.flush()
        return SendResult(self._name, accepted_at, carrier_message_id)

    async def aclose(self) -> None:
        self._stream.flush()


def journal_line(carrier: str, message: OutboundSms, at: datetime) -> str:
    """The JSON line that records ``message`` as delivered by ``carrier`` at ``at``."""
    record = {
        "carrier": carrier,
        "message_id": message.message_id,
        "to": message.phone,
        "text": message.text,
        "segments": message.segments,
        "at": at.astimezone(UTC).isoformat(),
    }
    return json.dumps(record, ensure_ascii=False)


class ConsoleCarrier(JournalCarrier):
    """Writes each message to standard output (or the given stream): the development default."""

    def __init__(
        self, stream: TextIO | None = None, *, name: str = "console", clock: Clock = _utc_now
    ) -> None:
        super().__init__(name, stream or sys.stdout, clock=clock)

    async def aclose(self) -> None:
        # Standard output belongs to the process, not to us: flush, never close.
        self._stream.flush()


class FileCarrier(JournalCarrier):
    """Appends each message to a file, one line each; the file is closed by ``aclose``."""

    def __init__(self, path: Path | str, *, name: str = "file", clock: Clock = _utc_now) -> None:
        self.path = Path(path)
        super().__init__(name, self.path.open("a", encoding="utf-8"), clock=clock)

    async def aclose(self) -> None:
        if not self._stream.closed:
            self._stream.close()
