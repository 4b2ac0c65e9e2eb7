"""The UI's evidence download: ``GET /ui/evidence``, the API's ``GET /v1/evidence`` for a session.

The held page's cards offer each message's pack and its debtor's, as JSON
(what a regulator verifies) and HTML (for reading); the links come here.
The subject and format are parsed, the pack made and the file answered by
the API's own functions (``smsgate.api.evidence_routes``), with the
session's creditor in place of the key's, so the UI hands out the very file
the API would: another creditor's subject gives a pack without facts, and
the file name masks a phone. A malformed request gets the error page.
"""

from __future__ import annotations

from aiohttp import web

from smsgate.api.evidence_routes import pack_download, requested_format, requested_subject
from smsgate.web.auth import Page
from smsgate.web.context import SECURITY_HEADERS


async def download(page: Page) -> web.StreamResponse:
    """The evidence pack of the query's debtor, phone or message, as an attachment."""
    query = page.request.query
    subject = requested_subject(page.creditor_id, query)
    return await pack_download(page.gateway, subject, requested_format(query), SECURITY_HEADERS)
