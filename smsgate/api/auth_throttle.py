"""Which client a failed authentication counts against (``smsgate.failure_limits`` counts).

The client address is the peer's, or with ``SMSGATE_TRUST_PROXY`` the last
``X-Forwarded-For`` entry: the one our proxy appended, which a client cannot
forge (entries to its left can be).
"""

from __future__ import annotations

from aiohttp import web

UNKNOWN_CLIENT = "unknown"


def client_address(request: web.Request, trust_proxy: bool) -> str:
    """The address failures of ``request`` are counted against (see module doc)."""
    if trust_proxy:
        forwarded = request.headers.get("X-Forwarded-For", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last[:64]
    return request.remote or UNKNOWN_CLIENT
