"""The webhook worker: post each creditor's new status events to its receiver, in order.

Each round claims the webhooks that are due and have events after their
cursor (``WebhookRepository.claim_due``, under a lease) and posts each one's
next batch of at most ``batch_size`` events as its own task:

- a 2xx moves the cursor past the batch (``delivered``): at least once, in
  order; the receiver deduplicates by event id;
- anything else (non-2xx, redirect, timeout, refused connection) keeps the
  cursor and backs off (``failed``: ``failures``, ``next_attempt_at``,
  ``last_error``), so the same events, and nothing after them, go next time.

Before each post the receiver's host is resolved once and every address
checked against the operator's allow-list (``targets.pin_targets``); the post
goes to a checked address (the next one only if connecting to one fails). A
host that is, or now resolves to, a loopback, private, link-local …
address is not connected to at all: the post fails as ``target_refused``
(logged with its ``reason`` code) and backs off like any other failure.

Posts run side by side, up to ``concurrency``, and the loop does not wait
for a round to finish: it claims again whenever a post ends, the poll
interval passes, or it is stopped. A receiver that hangs until the timeout
therefore holds only its own creditor's lease, never another creditor's
delivery, and a creditor with a backlog gets its next batch at once.

Leases make several workers on one database safe (two ``smsgate serve``
processes): a creditor's batch is posted by one worker at a time, so
batches cannot overtake each other. A worker that dies leaves its lease to
run out (``lease``, longer than ``timeout``); the batch is then posted again.

Logs carry the creditor, counts, event ids, statuses and error classes, never
event details (they may quote a carrier's reason) or the receiver's URL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
import structlog

from smsgate.store import StatusEvent, Store, StoreError, Webhook
from smsgate.webhooks.backoff import Backoff
from smsgate.webhooks.config import creditor_secret
from smsgate.webhooks.delivery import ReceiverAnswer, batch_body, post_batch, signed_headers
from smsgate.webhooks.targets import (
    Resolve,
    TargetAllowList,
    WebhookTargetRefused,
    pin_targets,
    resolve_host,
)

Clock = Callable[[], datetime]

_log = structlog.get_logger("smsgate.webhooks")
#: The error of a post that could not connect: the next checked address may be tried.
_UNREACHED = "ConnectError"


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Batch size, per-post timeout, lease, posts in flight and backoff of a worker.

    ``timeout`` bounds one post; ``lease`` must outlast it, so a live
    worker's lease never runs out under a post.
    """

    batch_size: int = 100
    timeout: timedelta = timedelta(seconds=10)
    lease: timedelta = timedelta(seconds=60)
    concurrency: int = 8
    backoff: Backoff = field(default_factory=Backoff)

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.concurrency < 1:
            raise ValueError("batch_size and concurrency must be at least 1")
        if not timedelta(0) < self.timeout < self.lease:
            raise ValueError(f"timeout {self.timeout} must be positive and shorter than the lease")


@dataclass(frozen=True, slots=True)
class Delivery:
    """One post and its outcome: the events sent, what the receiver said, the next try if any."""

    creditor_id: str
    events: tuple[StatusEvent, ...]
    answer: ReceiverAnswer
    next_attempt_at: datetime | None = None


class WebhookWorker:
    """Posts due webhooks' events under leases; see the module docstring.

    ``secret`` is the master secret each creditor's signing key is derived
    from. ``client`` is not closed here: the caller owns it. ``targets`` is
    what the operator allows beyond public addresses; ``resolve`` turns a
    host into addresses (a seam for tests).
    """

    def __init__(
        self,
        store: Store,
        *,
        secret: bytes,
        client: httpx.AsyncClient,
        owner: str,
        settings: WebhookSettings | None = None,
        clock: Clock,
        targets: TargetAllowList | None = None,
        resolve: Resolve = resolve_host,
    ) -> None:
        if not secret:
            raise ValueError("a webhook worker needs the master secret")
        self._store = store
        self._secret = secret
        self._client = client
        self.owner = owner
        self._settings = settings or WebhookSettings()
        self._clock = clock
        self._targets = targets or TargetAllowList()
        self._resolve = resolve
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Ask the worker to stop: posts under way finish and are recorded, nothing new starts."""
        self._stopping.set()

    @property
    def stopping(self) -> bool:
        """Whether ``stop()`` was called."""
        return self._stopping.is_set()

    async def run_once(self) -> list[Delivery]:
        """Claim the due webhooks (up to ``concurrency``), post each one's batch, wait for all."""
        hooks = await self._claim(self._settings.concurrency)
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(self._deliver(hook)) for hook in hooks]
        return [done for task in tasks if (done := task.result()) is not None]

    async def run_forever(self, poll_interval: float = 1.0) -> None:
        """Post until ``stop()``, then wait for the posts under way (each bounded by ``timeout``).

        Store errors are logged and retried; a webhook whose outcome could not
        be recorded is posted again once its lease runs out.
        """
        in_flight: set[asyncio.Task[Delivery | None]] = set()
        while not self.stopping:
            room = self._settings.concurrency - len(in_flight)
            for hook in await self._claim(room):
                in_flight.add(asyncio.create_task(self._deliver(hook)))
            in_flight = await self._wait(in_flight, poll_interval)
        await asyncio.gather(*in_flight)

    async def _claim(self, room: int) -> list[Webhook]:
        if room < 1 or self.stopping:
            return []
        try:
            async with self._store.transaction() as tx:
                return await tx.webhooks.claim_due(
                    self._clock(), self.owner, self._settings.lease, room
                )
        except StoreError as error:
            _log.warning("webhook_claim_failed", owner=self.owner, error=str(error))
            return []

    async def _wait(
        self, in_flight: set[asyncio.Task[Delivery | None]], seconds: float
    ) -> set[asyncio.Task[Delivery | None]]:
        """Return when a post ends, ``seconds`` pass or ``stop()`` is called; the posts left."""
        timer = asyncio.ensure_future(asyncio.sleep(seconds))
        stopped = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait({timer, stopped, *in_flight}, return_when=asyncio.FIRST_COMPLETED)
        for waiter in (timer, stopped):
            waiter.cancel()
        await asyncio.gather(timer, stopped, return_exceptions=True)
        for task in in_flight:
            if task.done():
                task.result()  # a bug surfaces here instead of vanishing with the task
        return {task for task in in_flight if not task.done()}

    async def _deliver(self, hook: Webhook) -> Delivery | None:
        """Post the hook's next batch and record the outcome; ``None`` if there was none to post."""
        try:
            async with self._store.read() as tx:
                events = await tx.webhooks.events_after(
                    hook.creditor_id, hook.last_event_id, self._settings.batch_size
                )
            if not events:
                async with self._store.transaction() as tx:
                    await tx.webhooks.release(hook.creditor_id, self.owner)
                return None
            answer = await self._post(hook, events)
            return await self._record(hook, tuple(events), answer)
        except StoreError as error:
            _log.warning(
                "webhook_store_failed", creditor=hook.creditor_id, owner=self.owner,
                error=str(error),
            )  # fmt: skip
            return None

    async def _post(self, hook: Webhook, events: list[StatusEvent]) -> ReceiverAnswer:
        body = batch_body(events)
        key = creditor_secret(self._secret, hook.creditor_id).encode("ascii")
        headers = signed_headers(key, body, self._clock())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.timeout.total_seconds()
        try:
            async with asyncio.timeout_at(deadline):
                targets = await pin_targets(hook.url, self._targets, self._resolve)
        except TimeoutError:
            return ReceiverAnswer(error="timeout", description="the host did not resolve in time")
        except WebhookTargetRefused as refused:
            return ReceiverAnswer(
                error="target_refused", description=str(refused), refusal=refused.reason.value
            )
        answer = ReceiverAnswer(error="timeout", description="no time left to connect")
        for target in targets:
            if (left := deadline - loop.time()) <= 0:
                break
            answer = await post_batch(self._client, target, body, headers, left)
            if answer.error != _UNREACHED:  # sent, or stopped after connecting: no other address
                break
        return answer

    async def _record(
        self, hook: Webhook, events: tuple[StatusEvent, ...], answer: ReceiverAnswer
    ) -> Delivery:
        now = self._clock()
        if answer.accepted:
            async with self._store.transaction() as tx:
                kept = await tx.webhooks.delivered(hook.creditor_id, self.owner, events[-1].id, now)
            _log_delivered(hook, events, answer, kept)
            return Delivery(hook.creditor_id, events, answer)
        failures = hook.failures + 1
        next_attempt_at = self._settings.backoff.next_attempt(now, failures)
        async with self._store.transaction() as tx:
            kept = await tx.webhooks.failed(
                hook.creditor_id, self.owner, answer.summary(), next_attempt_at
            )
        _log_failed(hook, events, answer, failures, next_attempt_at, kept)
        return Delivery(hook.creditor_id, events, answer, next_attempt_at)


def _log_delivered(
    hook: Webhook, events: tuple[StatusEvent, ...], answer: ReceiverAnswer, kept: bool
) -> None:
    _log.info(
        "webhook_delivered", creditor=hook.creditor_id, count=len(events),
        first_id=events[0].id, last_id=events[-1].id, status=answer.status,
        **({} if kept else {"lease_lost": True}),
    )  # fmt: skip


def _log_failed(
    hook: Webhook,
    events: tuple[StatusEvent, ...],
    answer: ReceiverAnswer,
    failures: int,
    next_attempt_at: datetime,
    kept: bool,
) -> None:
    outcome: dict[str, object] = (
        {"status": answer.status} if answer.status is not None else {"error": answer.error}
    )
    if answer.refusal:
        outcome["reason"] = answer.refusal
    _log.warning(
        "webhook_failed", creditor=hook.creditor_id, **outcome, count=len(events),
        first_id=events[0].id, failures=failures, next_attempt_at=next_attempt_at.isoformat(),
        **({} if kept else {"lease_lost": True}),
    )  # fmt: skip
