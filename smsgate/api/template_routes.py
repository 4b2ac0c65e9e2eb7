"""Routes of this area (being written)."""

from __future__ import annotations

from smsgate.api.operations import Operation

OPERATIONS: list[Operation] = []
