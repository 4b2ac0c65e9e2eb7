"""The compliance web UI: server-rendered pages under ``/ui`` on the gateway's own aiohttp app.

Reviewers sign in with a reviewer's or admin's API key, review submitted
template versions and held messages, keep the do-not-contact list, browse
and export the audit trail, browse the wordlists and watch the day's
figures. Handlers parse, call the same services the JSON API calls, and
render a Jinja page from ``templates/web``; Chinese by default, English on
request. ``add_web(app)`` mounts it on an app built by ``create_app``.
"""

from smsgate.web.routes import add_web
from smsgate.web.settings import WebSettings

__all__ = ["WebSettings", "add_web"]
