"""Signed outbound status webhooks: upstream systems hear of status changes without polling.

An admin gives a creditor a receiver URL (``smsgate creditors webhook acme
--url https://…``); ``run_webhooks`` then posts every status change of that
creditor's messages there, in order, at least once, as signed JSON batches.
See ``config`` for the derived per-creditor secrets and the URLs' form,
``targets`` for the addresses webhooks may connect to (public ones, unless
allow-listed; checked when set and pinned before every post),
``delivery`` for the wire format, ``worker`` for ordering, leases and
backoff, and ``smsgate.store.webhooks`` for the cursor over
``message_events``.
"""

from smsgate.webhooks.backoff import Backoff
from smsgate.webhooks.config import (
    MASTER_SECRET_VARIABLE,
    WEBHOOK_CONFIGURED,
    WEBHOOK_REMOVED,
    WebhookConfigError,
    WebhookSecretMissing,
    check_webhook_url,
    creditor_secret,
    master_secret,
    require_master_secret,
)
from smsgate.webhooks.delivery import ReceiverAnswer, batch_body, post_batch, signed_headers
from smsgate.webhooks.runner import new_worker_id, run_webhooks
from smsgate.webhooks.targets import (
    ALLOW_HOSTS_VARIABLE,
    ALLOW_NETWORKS_VARIABLE,
    PinnedTarget,
    Resolve,
    TargetAllowList,
    TargetRefusal,
    WebhookTargetRefused,
    pin_targets,
    resolve_host,
    vet_webhook_url,
)
from smsgate.webhooks.worker import Delivery, WebhookSettings, WebhookWorker

__all__ = [
    "ALLOW_HOSTS_VARIABLE",
    "ALLOW_NETWORKS_VARIABLE",
    "MASTER_SECRET_VARIABLE",
    "WEBHOOK_CONFIGURED",
    "WEBHOOK_REMOVED",
    "Backoff",
    "Delivery",
    "PinnedTarget",
    "ReceiverAnswer",
    "Resolve",
    "TargetAllowList",
    "TargetRefusal",
    "WebhookConfigError",
    "WebhookSecretMissing",
    "WebhookSettings",
    "WebhookTargetRefused",
    "WebhookWorker",
    "batch_body",
    "check_webhook_url",
    "creditor_secret",
    "master_secret",
    "new_worker_id",
    "pin_targets",
    "post_batch",
    "require_master_secret",
    "resolve_host",
    "run_webhooks",
    "signed_headers",
    "vet_webhook_url",
]
