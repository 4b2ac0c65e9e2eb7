"""Whether a message's template version still serves: asked by release and by the dispatcher.

A message names the exact template version it was rendered from. That text
may go out only while the template is live and the version approved: once
the template is retired no version serves, so neither a reviewer's release
nor the dispatcher's last re-check may hand its messages on. A newer approved
version does *not* stop an older version's messages: their text was approved
when they were accepted, and retiring is how a creditor withdraws a text.
"""

from __future__ import annotations

from smsgate.store.ports import UnitOfWork
from smsgate.store.records import Message, VersionStatus

#: The reason code of a message stopped because its template was retired (a contract code).
TEMPLATE_RETIRED = "template_retired"


async def version_serves(tx: UnitOfWork, message: Message) -> bool:
    """True iff ``message``'s template is not retired and its version is approved."""
    template = await tx.templates.get(message.creditor_id, message.template_id)
    if template is None or template.retired_at is not None:
        return False
    version = await tx.templates.get_version(message.template_id, message.template_version)
    return version is not None and version.status is VersionStatus.APPROVED
