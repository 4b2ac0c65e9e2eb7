"""The UI's route table under ``/ui``, with who may use each route, and ``add_web``.

Like the API's table (``smsgate.api.operations``), each row names its roles
and the table is the one place they are written: ``add_web`` wraps every
row but the sign-in form in :func:`~smsgate.web.auth.guarded` with the row's
roles (session, CSRF, then the role: a 403 page), so no page can forget its
check and a handler never checks a role itself. Reading pages are open to
every key that may sign in (``reviewer`` or ``admin``), evidence downloads
included (the API's ``GET /v1/evidence`` is reviewer/admin too); deciding on a
template or a held message needs ``reviewer``, and lifting an opt-out
``admin``, as the API's ``approve``, ``release`` and ``DELETE /v1/opt-outs``
do. Adding an opt-out is open to every signed-in viewer, wider than the API's
sender/admin on purpose: it only ever stops contact. Signing out needs the
session it ends (and its CSRF token, so another site cannot sign a reviewer
out), so it is a guarded row of every sign-in role.

``add_web`` needs only an app built by ``create_app`` (it reads the
gateway from the app), so the composition root adds the UI with one line
and tests can build the app with or without it. Static files are served
from ``templates/web/static`` by aiohttp itself; no build step exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from smsgate.api.problems import not_found
from smsgate.store import Role
from smsgate.web import audit, dashboard, evidence, held, opt_outs, replies, review, wordlists
from smsgate.web.auth import (
    HOME,
    SIGN_IN_ROLES,
    Page,
    PageHandler,
    RequestHandler,
    guarded,
    sign_in,
    sign_in_form,
    sign_out,
)
from smsgate.web.context import UI_PREFIX, WEB, WebContext, redirect, web_directory
from smsgate.web.settings import WebSettings

#: No session and no role: the sign-in form.
PUBLIC: frozenset[Role] = frozenset()
#: Every key that may sign in.
SIGNED_IN = SIGN_IN_ROLES
REVIEWER = frozenset({Role.REVIEWER})
ADMIN = frozenset({Role.ADMIN})


@dataclass(frozen=True, slots=True)
class UiRoute:
    """One method and path of the UI and the roles that may use it (empty: public).

    A public row's handler takes the request; every other row's takes a
    :class:`~smsgate.web.auth.Page` and is mounted behind ``guarded``.
    """

    method: str
    path: str
    handler: PageHandler | RequestHandler
    roles: frozenset[Role]

    @property
    def public(self) -> bool:
        """Whether the route needs no session (the sign-in form)."""
        return not self.roles

    def mounted(self) -> RequestHandler:
        """The aiohttp handler of the row: the public handler, or the page behind its guard."""
        if self.public:
            public: RequestHandler = self.handler  # type: ignore[assignment]
            return public
        page: PageHandler = self.handler  # type: ignore[assignment]
        return guarded(page, self.roles)


ROUTES: tuple[UiRoute, ...] = (
    UiRoute("GET", "/login", sign_in_form, PUBLIC),
    UiRoute("POST", "/login", sign_in, PUBLIC),
    UiRoute("POST", "/logout", sign_out, SIGNED_IN),
    UiRoute("GET", "/queue", review.queue, SIGNED_IN),
    UiRoute("GET", "/templates/{template_id}", review.template_page, SIGNED_IN),
    UiRoute("POST", "/templates/{template_id}/{decision:approve|reject}", review.decide, REVIEWER),
    UiRoute("GET", "/held", held.held_page, SIGNED_IN),
    UiRoute("POST", "/held/decide", held.decide, REVIEWER),
    UiRoute("GET", "/opt-outs", opt_outs.opt_outs_page, SIGNED_IN),
    UiRoute("POST", "/opt-outs/add", opt_outs.add, SIGNED_IN),
    UiRoute("POST", "/opt-outs/remove", opt_outs.remove, ADMIN),
    UiRoute("GET", "/replies", replies.replies_page, SIGNED_IN),
    UiRoute("GET", "/audit", audit.audit_page, SIGNED_IN),
    UiRoute("GET", "/audit/export.{format:csv|json}", audit.export, SIGNED_IN),
    UiRoute("GET", "/evidence", evidence.download, SIGNED_IN),
    UiRoute("GET", "/wordlists", wordlists.wordlists_page, SIGNED_IN),
    UiRoute("POST", "/wordlists/scan", wordlists.scan, SIGNED_IN),
    UiRoute("GET", "/dashboard", dashboard.dashboard, SIGNED_IN),
)


def add_web(app: web.Application, settings: WebSettings | None = None) -> None:
    """Serve the compliance UI under ``/ui`` on ``app`` (an app made by ``create_app``).

    ``settings`` default to :meth:`WebSettings.from_env`; raises
    ``SettingsError`` for a bad ``SMSGATE_*`` UI variable.
    """
    app[WEB] = WebContext.build(settings or WebSettings.from_env())
    for route in ROUTES:
        app.router.add_route(route.method, UI_PREFIX + route.path, route.mounted())
    app.router.add_get(UI_PREFIX, _home)
    app.router.add_get(UI_PREFIX + "/", _home)
    app.router.add_static(UI_PREFIX + "/static/", web_directory() / "static", append_version=True)
    app.router.add_route("*", UI_PREFIX + "/{tail:.*}", guarded(_unknown, SIGNED_IN))


async def _home(_: web.Request) -> web.StreamResponse:
    return redirect(HOME)


async def _unknown(page: Page) -> web.StreamResponse:
    return page.refused(not_found("page"))
