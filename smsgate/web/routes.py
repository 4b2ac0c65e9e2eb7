"""The UI's route table under ``/ui``, and ``add_web``, which mounts it on the gateway's app.

``add_web`` needs only an app built by ``create_app`` (it reads the
gateway from the app), so the composition root adds the UI with one line
and tests can build the app with or without it. Static files are served
from ``templates/web/static`` by aiohttp itself; no build step exists.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from smsgate.api.problems import not_found
from smsgate.web import audit, dashboard, held, opt_outs, replies, review, wordlists
from smsgate.web.auth import HOME, Page, guarded, sign_in, sign_in_form, sign_out
from smsgate.web.context import UI_PREFIX, WEB, WebContext, redirect, web_directory
from smsgate.web.settings import WebSettings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/login", sign_in_form),
    ("POST", "/login", sign_in),
    ("POST", "/logout", sign_out),
    ("GET", "/queue", review.queue),
    ("GET", "/templates/{template_id}", review.template_page),
    ("POST", "/templates/{template_id}/{decision:approve|reject}", review.decide),
    ("GET", "/held", held.held_page),
    ("POST", "/held/decide", held.decide),
    ("GET", "/opt-outs", opt_outs.opt_outs_page),
    ("POST", "/opt-outs/add", opt_outs.add),
    ("POST", "/opt-outs/remove", opt_outs.remove),
    ("GET", "/replies", replies.replies_page),
    ("GET", "/audit", audit.audit_page),
    ("GET", "/audit/export.{format:csv|json}", audit.export),
    ("GET", "/wordlists", wordlists.wordlists_page),
    ("POST", "/wordlists/scan", wordlists.scan),
    ("GET", "/dashboard", dashboard.dashboard),
)


def add_web(app: web.Application, settings: WebSettings | None = None) -> None:
    """Serve the compliance UI under ``/ui`` on ``app`` (an app made by ``create_app``).

    ``settings`` default to :meth:`WebSettings.from_env`; raises
    ``SettingsError`` for a bad ``SMSGATE_*`` UI variable.
    """
    app[WEB] = WebContext.build(settings or WebSettings.from_env())
    for method, path, handler in ROUTES:
        app.router.add_route(method, UI_PREFIX + path, handler)
    app.router.add_get(UI_PREFIX, _home)
    app.router.add_get(UI_PREFIX + "/", _home)
    app.router.add_static(UI_PREFIX + "/static/", web_directory() / "static", append_version=True)
    app.router.add_route("*", UI_PREFIX + "/{tail:.*}", _unknown)


async def _home(_: web.Request) -> web.StreamResponse:
    return redirect(HOME)


@guarded
async def _unknown(page: Page) -> web.StreamResponse:
    return page.refused(not_found("page"))
