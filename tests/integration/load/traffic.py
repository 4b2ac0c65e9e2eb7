"""The mixed traffic of the load test: what each kind of request sends and which answers it expects.

Upstream collection systems send single messages and batches, carriers push
delivery reports for what they were handed, reviewers read the held queue,
the templates and single messages, and some callers get things wrong. Each
kind is one method of :class:`Traffic` returning an :class:`Answer`: the
status, and whether it is one the kind expects (a 429 for a debtor past the
daily cap is expected; a 400 for a well-formed send is not). Expected or
not, any 5xx or transport failure is an error, counted by the driver.

Debtors are fresh for most sends, so caps do not dominate; the capped sends
go ``HOT_SENDS`` in a row to one "hot" debtor, then to the next, so every
hot debtor is pushed past the cap even in a short run and must be accepted
exactly ``CAP`` times, which :class:`Traffic` counts for the test to check.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import aiohttp

from smsgate.commands.demo import DemoPlace
from smsgate.signing import signature_headers

from .sink import CarrierSink

CAP = 3  # cn-shenzhen: three contacts a debtor a local day
#: Sends each "hot" debtor gets, one after another: the last ``HOT_SENDS - CAP`` are refused.
HOT_SENDS = 2 * CAP
BATCH_SIZE = 5
#: Hot debtors' phones are numbered from here on, apart from the fresh debtors' below it.
HOT_PHONES = 900_000
REPORTS_PER_PUSH = 10
#: A carrier reports delivery a moment after it took the message, never before.
REPORT_DELAY_S = 0.2
PROBLEM_JSON = "application/problem+json"


class Kind(StrEnum):
    """A kind of request in the mix."""

    SEND = "send"
    SEND_CAPPED = "send_capped"
    BATCH = "batch"
    DLR = "dlr"
    HELD = "read_held"
    TEMPLATES = "read_templates"
    MESSAGE = "read_message"
    INVALID = "invalid"


#: Shares of the mix, in requests per hundred.
MIX: dict[Kind, int] = {
    Kind.SEND: 40,
    Kind.SEND_CAPPED: 10,
    Kind.BATCH: 5,
    Kind.DLR: 12,
    Kind.HELD: 8,
    Kind.TEMPLATES: 8,
    Kind.MESSAGE: 12,
    Kind.INVALID: 5,
}


@dataclass(frozen=True, slots=True)
class Answer:
    """A request's HTTP status and whether the kind expects it."""

    status: int
    expected: bool


@dataclass(frozen=True, slots=True)
class Credentials:
    """What the gateway was seeded with: keys, the approved template, the carrier's secret."""

    sender: str
    reviewer: str
    template_id: str
    carrier_secret: bytes


@dataclass
class Traffic:
    """Performs one request of each kind against ``base_url``; remembers what to check later."""

    session: aiohttp.ClientSession
    base_url: str
    credentials: Credentials
    sink: CarrierSink
    #: Where it is daytime: the phones are numbers of this range, and its zone is given.
    place: DemoPlace
    rng: random.Random = field(default_factory=lambda: random.Random(8))
    #: Every message id the gateway accepted (202), from single sends and batches.
    accepted: list[str] = field(default_factory=list)
    hot_attempts: Counter[int] = field(default_factory=Counter)
    hot_accepted: Counter[int] = field(default_factory=Counter)
    #: Message ids a delivery report was pushed for, with status ``delivered``.
    reported: set[str] = field(default_factory=set)
    _fresh: itertools.count[int] = field(default_factory=itertools.count)
    _report_cursor: int = 0

    async def perform(self, kind: Kind) -> Answer:
        """Send one request of ``kind``; raises what aiohttp raises on a transport failure."""
        return await _PERFORMERS[kind](self)

    async def send(self) -> Answer:
        number = next(self._fresh)
        body = self.message(self.place.phone(number), f"L-{number}")
        status, answer = await self._post("/v1/messages", self.credentials.sender, body)
        if status == 202:
            self.accepted.append(answer["id"])
        return Answer(status, status == 202 and answer.get("status") == "queued")

    async def send_capped(self) -> Answer:
        debtor = sum(self.hot_attempts.values()) // HOT_SENDS
        body = self.message(self.place.phone(HOT_PHONES + debtor), f"H-{debtor}")
        self.hot_attempts[debtor] += 1
        status, answer = await self._post("/v1/messages", self.credentials.sender, body)
        if status == 202:
            self.accepted.append(answer["id"])
            self.hot_accepted[debtor] += 1
        queued = status == 202 and answer.get("status") == "queued"
        return Answer(status, queued or status == 429)

    async def batch(self) -> Answer:
        numbers = [next(self._fresh) for _ in range(BATCH_SIZE)]
        items = [self.message(self.place.phone(n), f"L-{n}") for n in numbers]
        status, answer = await self._post(
            "/v1/messages:batch", self.credentials.sender, {"messages": items}
        )
        results = answer.get("results", []) if status == 200 else []
        ids = [item["body"]["id"] for item in results if item["status"] == 202]
        self.accepted.extend(ids)
        return Answer(status, status == 200 and len(ids) == BATCH_SIZE)

    async def delivery_report(self) -> Answer:
        """Report ``delivered`` for what the carrier took since the last push (maybe nothing)."""
        due = time.monotonic() - REPORT_DELAY_S
        handed = self.sink.handed[self._report_cursor : self._report_cursor + REPORTS_PER_PUSH]
        handed = list(itertools.takewhile(lambda h: h.at <= due, handed))
        self._report_cursor += len(handed)
        reports = [
            {"id": h.carrier_id, "reference": h.reference, "status": "delivered"} for h in handed
        ]
        status = await self._callback({"reports": reports})
        if status == 200:
            self.reported.update(h.message_id for h in handed)
        return Answer(status, status == 200)

    async def read_held(self) -> Answer:
        return await self._read("/v1/held?limit=50", self.credentials.reviewer, 200)

    async def read_templates(self) -> Answer:
        return await self._read("/v1/templates", self.credentials.reviewer, 200)

    async def read_message(self) -> Answer:
        if not self.accepted:
            return await self._read("/v1/messages/msg_nobody", self.credentials.sender, 404)
        message_id = self.rng.choice(self.accepted)
        return await self._read(f"/v1/messages/{message_id}", self.credentials.sender, 200)

    async def invalid(self) -> Answer:
        """One of the mistakes callers make, each with the 4xx problem it must get."""
        path, body, expected = self.rng.choice(self._mistakes())
        async with self.session.post(
            f"{self.base_url}{path}", data=body, headers=self._headers(self.credentials.sender)
        ) as response:
            await response.read()
            is_problem = response.content_type == PROBLEM_JSON
            return Answer(response.status, response.status == expected and is_problem)

    def _mistakes(self) -> list[tuple[str, bytes, int]]:
        # No wrong keys: failed authentication is rate limited per address, which
        # would turn the rest of the run's requests into 429s.
        bad_phone = self.message("+8612", "X-1")
        unknown = {**self.message(self.place.phone(0), "X-2"), "template_id": "tpl_nobody"}
        return [
            ("/v1/messages", json.dumps(bad_phone).encode(), 400),
            ("/v1/messages", json.dumps(unknown).encode(), 404),
            ("/v1/messages", b'{"template_id": "tpl_', 400),
            ("/v1/messages:batch", b'{"messages": []}', 400),
        ]

    def message(self, phone: str, debtor_id: str) -> dict[str, Any]:
        """A send of the approved overdue reminder to a debtor where it is daytime."""
        return {
            "template_id": self.credentials.template_id,
            "variables": {"name": "张三", "amount": "1234.50", "days": 5, "hotline": "4008001234"},
            "recipient": {
                "phone": phone, "debtor_id": debtor_id, "role": "debtor",
                "timezone": self.place.zone,
            },
            "on_quiet_hours": "reject",
        }  # fmt: skip

    async def _post(self, path: str, token: str, body: Any) -> tuple[int, dict[str, Any]]:
        async with self.session.post(
            f"{self.base_url}{path}", json=body, headers=self._headers(token)
        ) as response:
            content = await response.read()
        try:
            answer = json.loads(content)
        except ValueError:  # a 5xx page of the framework, say: the status tells
            answer = None
        return response.status, answer if isinstance(answer, dict) else {}

    async def _read(self, path: str, token: str, expected: int) -> Answer:
        async with self.session.get(
            f"{self.base_url}{path}", headers=self._headers(token)
        ) as response:
            await response.read()
            return Answer(response.status, response.status == expected)

    async def _callback(self, document: Any) -> int:
        body = json.dumps(document).encode()
        signed = signature_headers(self.credentials.carrier_secret, body, int(time.time()))
        headers = {"Content-Type": "application/json", **signed}
        async with self.session.post(
            f"{self.base_url}/v1/dlr/peer", data=body, headers=headers
        ) as response:
            await response.read()
            return response.status

    @staticmethod
    def _headers(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


_PERFORMERS = {
    Kind.SEND: Traffic.send,
    Kind.SEND_CAPPED: Traffic.send_capped,
    Kind.BATCH: Traffic.batch,
    Kind.DLR: Traffic.delivery_report,
    Kind.HELD: Traffic.read_held,
    Kind.TEMPLATES: Traffic.read_templates,
    Kind.MESSAGE: Traffic.read_message,
    Kind.INVALID: Traffic.invalid,
}
