"""A batch of sends under one ``Idempotency-Key``: retried, it replays and sends nothing again.

Each item is still settled on its own, in its own transaction and in order
(``sending``), so items for one debtor meet the cap in the order they were
sent. What makes a retried batch safe is that every item is idempotent on its
own, not that the batch is one transaction:

* an item without its own ``idempotency_key`` takes ``<batch key>§<index>``
  (``§`` is not ASCII, so no client key can collide with a derived one); an
  item with its own key keeps it, so it is the same request as a single send
  or another batch's item with that key (and conflicts with them as they do);
* before any item, a *claim* is written under the batch key with the digest of
  the whole batch, so the same key with another body is a 409
  ``idempotency_conflict`` for the whole batch even after a crash mid-batch,
  and a single send reusing the batch key conflicts too;
* after the last item, the response is remembered under ``<batch key>§results``
  and replayed byte for byte (``Idempotent-Replayed: true``) on a retry.

A crash mid-batch leaves the claim and the items settled so far; the retry
replays those items from their own records, settles the rest and completes the
batch. Concurrent retries of one batch race item by item, and each item's
record is checked again inside its settling transaction, so each item is sent
at most once. Without a batch key nothing is remembered for the batch, and an
item is idempotent only through its own key, as before.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from smsgate import store
from smsgate.bootstrap import Gateway
from smsgate.service import sending
from smsgate.service.principals import Principal
from smsgate.service.refusals import Refusal

SEPARATOR = "§"
"""Joins the batch key and an item index (or ``results``); never in a client's ASCII key."""

BatchItem = sending.SendRequest | sending.SendAnswer
"""An item as the route decoded it: a send request, or the answer refusing it at the edge."""


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """The batch's response body (``{"results": [...]}``); ``replayed`` on a retry."""

    body: dict[str, Any]
    replayed: bool = False


def item_key(batch_key: str, index: int) -> str:
    """The idempotency key of the item at ``index`` that carries no key of its own."""
    return f"{batch_key}{SEPARATOR}{index}"


async def send_batch(
    gateway: Gateway,
    sender: Principal,
    items: Sequence[BatchItem],
    answers: sending.Answers,
    batch_key: str | None = None,
    batch_hash: str = "",
) -> BatchOutcome:
    """Settle each item in order; with ``batch_key``, replay a batch already answered.

    Each item's answer is as ``answers`` say (see ``sending.Answers``).
    Raises an ``idempotency_conflict`` :class:`Refusal` when ``batch_key``
    was used with another body (``batch_hash`` differs), and the store's errors
    for an outage (the items settled so far stay settled and replay on retry).
    """
    if batch_key is not None:
        earlier = await _claim(gateway, sender, batch_key, batch_hash)
        if earlier is not None:
            return earlier
    results = [
        await _settle(gateway, sender, index, _keyed(item, batch_key, index), answers)
        for index, item in enumerate(items)
    ]
    body: dict[str, Any] = {"results": results}
    if batch_key is not None:
        await _remember(gateway, sender, batch_key, batch_hash, body)
    return BatchOutcome(body)


def _keyed(item: BatchItem, batch_key: str | None, index: int) -> BatchItem:
    if (
        isinstance(item, sending.SendAnswer)
        or batch_key is None
        or item.idempotency_key is not None
    ):
        return item
    return dataclasses.replace(item, idempotency_key=item_key(batch_key, index))


async def _settle(
    gateway: Gateway, sender: Principal, index: int, item: BatchItem, answers: sending.Answers
) -> dict[str, Any]:
    """One item's result ``{"index", "status", "body"}`` as plain JSON values."""
    if isinstance(item, sending.SendAnswer):
        # Refusals the service answers as outcomes are counted there; these are the edge's.
        gateway.metrics.refusals.labels(item.body["code"]).inc()
        return {"index": index, "status": item.status, "body": item.body}
    try:
        outcome = await sending.send_message(gateway, sender, item, answers)
    except Refusal as refusal:
        gateway.metrics.refusals.labels(refusal.code.value).inc()
        outcome = answers.refused(refusal)
    return {"index": index, "status": outcome.status, "body": outcome.body}


async def _claim(
    gateway: Gateway, sender: Principal, batch_key: str, batch_hash: str
) -> BatchOutcome | None:
    """The remembered response of this batch, or ``None`` once the key is claimed for it."""
    async with gateway.store.transaction() as tx:
        done = await sending.remembered(tx, sender.creditor_id, _results_key(batch_key), batch_hash)
        if done is not None:
            body: dict[str, Any] = dict(done.response_body)  # type: ignore[arg-type]
            return BatchOutcome(body, replayed=True)
        if await sending.remembered(tx, sender.creditor_id, batch_key, batch_hash) is None:
            items_claimed = {"claimed_for": "messages:batch"}
            await tx.idempotency.put(_record(sender, batch_key, batch_hash, items_claimed, gateway))
    return None


async def _remember(
    gateway: Gateway, sender: Principal, batch_key: str, batch_hash: str, body: dict[str, Any]
) -> None:
    """Store the batch's response once; a concurrent retry that finished first keeps its own."""
    key = _results_key(batch_key)
    async with gateway.store.transaction() as tx:
        if await sending.remembered(tx, sender.creditor_id, key, batch_hash) is None:
            await tx.idempotency.put(_record(sender, key, batch_hash, body, gateway))


def _record(
    sender: Principal, key: str, batch_hash: str, body: dict[str, Any], gateway: Gateway
) -> store.IdempotencyRecord:
    return store.IdempotencyRecord(sender.creditor_id, key, batch_hash, 200, body, gateway.clock())


def _results_key(batch_key: str) -> str:
    return f"{batch_key}{SEPARATOR}results"
