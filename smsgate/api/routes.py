"""Every operation of the API, gathered from the route modules."""

from __future__ import annotations

from smsgate.api import (
    callback_routes,
    contact_routes,
    evidence_routes,
    key_routes,
    message_routes,
    ops_routes,
    template_routes,
)
from smsgate.api.operations import Operation


def all_operations() -> list[Operation]:
    """The route table of the whole API."""
    return [
        *ops_routes.OPERATIONS,
        *template_routes.OPERATIONS,
        *message_routes.OPERATIONS,
        *contact_routes.OPERATIONS,
        *callback_routes.OPERATIONS,
        *key_routes.OPERATIONS,
        *evidence_routes.OPERATIONS,
    ]
