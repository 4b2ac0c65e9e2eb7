"""Who is looking at a page: sign-in with a login key, the session guard, CSRF, sign-out.

A person signs in with an API key of their creditor that holds the
``reviewer`` or ``admin`` role (a sender's or author's key is refused with
a message saying so); there are no passwords to manage or leak. The key is
resolved exactly as the API resolves it (``authenticate``: the same key
ring, and the same failed-auth throttle, so the form cannot be used to guess
keys: an address over the limit gets the form back with 429), and then
forgotten: the session cookie (see ``sessions``) holds only the key's id.

Every page of the UI's route table (``smsgate.web.routes.ROUTES``) but the
sign-in form is wrapped by :func:`guarded` with the roles of its row, so none
can forget to:

1. open the session cookie (missing, forged or expired: back to sign-in);
2. read the session's row in ``ui_sessions`` and the key by id, in one read
   of the database, uncached: a session that was signed out (on any
   instance: the row is shared), a revoked key (or a rotated one whose grace
   period is over), or one whose roles no longer allow the UI, loses its
   sessions at the next click, not at expiry, and a cookie copied before
   sign-out is refused with its CSRF token;
3. check the CSRF token of every POST (a 403 page on mismatch, nothing
   changed), and the sign-in form's own double-submit token;
4. check that the key holds one of the row's roles (a 403 page naming them,
   nothing changed): the table is the one place a page's roles are written;
5. re-issue the cookie with a new last-seen time (the idle timeout).

Handlers receive a :class:`Page` and every query they run is scoped to
``page.creditor_id``: the session's creditor is the only one a page sees.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import structlog
from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from smsgate.api.operations import GATEWAY, authenticate
from smsgate.api.problems import Problem, ProblemCode
from smsgate.api.refusal_status import problem_of
from smsgate.bootstrap import Gateway
from smsgate.service.principals import Principal
from smsgate.service.refusals import Refusal
from smsgate.store import Role, UiSessionRecord
from smsgate.web.catalogue import Translator
from smsgate.web.context import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    UI_PREFIX,
    WEB,
    WebContext,
    language_of,
    over_tls,
    redirect,
    remember_language,
)
from smsgate.web.sessions import UiSession

log = structlog.get_logger(__name__)

#: The roles that may sign in to the UI at all; every page's roles are some of these.
SIGN_IN_ROLES = frozenset({Role.REVIEWER, Role.ADMIN})
HOME = f"{UI_PREFIX}/queue"
#: The catalogue entry of the sign-in page's "too many failed attempts" message.
RATE_LIMITED = "login.rate_limited"
#: How long past the maximum age a session's row is kept (clock skew between instances).
_FORGET_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Viewer:
    """A signed-in key: its principal and the label it was created with."""

    principal: Principal
    label: str

    def may(self, role: Role) -> bool:
        """Whether the key holds ``role``."""
        return role in self.principal.roles


@dataclass(frozen=True, slots=True)
class Page:
    """One signed-in request as a page handler sees it."""

    request: web.Request
    gateway: Gateway
    ui: WebContext
    viewer: Viewer
    session: UiSession
    lang: str
    form: MultiDictProxy[str]

    @property
    def creditor_id(self) -> str:
        """The session's creditor: every query of the page is scoped to it."""
        return self.viewer.principal.creditor_id

    @property
    def t(self) -> Translator:
        """The page's translator."""
        return Translator(self.lang)

    def field(self, name: str) -> str:
        """A form field (POST) or query parameter (GET), stripped; empty if absent."""
        source: Mapping[str, str] = (
            self.form if self.request.method == "POST" else self.request.query
        )
        return str(source.get(name, "")).strip()

    def render(
        self, name: str, *, status: int = 200, nav: str = "", **context: Any
    ) -> web.Response:
        """The page ``name`` with the layout's context (translator, viewer, CSRF token, nav)."""
        return self.ui.render(
            name,
            status,
            t=self.t,
            lang=self.lang,
            viewer=self.viewer,
            csrf=self.ui.seal.csrf_token(self.session),
            nav=nav,
            switch_url=language_switch(self.request, self.lang),
            notice=self.request.query.get("notice", ""),
            **context,
        )

    def refused(self, problem: Problem, **context: Any) -> web.Response:
        """The error page for a refusal the page does not show in place."""
        return self.render("error.html", status=problem.status, problem=problem, **context)


PageHandler = Callable[[Page], Awaitable[web.StreamResponse]]
RequestHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def guarded(handler: PageHandler, roles: frozenset[Role]) -> RequestHandler:
    """The aiohttp handler that runs ``handler`` for a signed-in viewer holding one of ``roles``.

    See the module docstring for what it checks, in order; ``roles`` must not be empty.
    """
    if not roles:
        raise ValueError("a guarded page needs at least one role")

    async def guard(request: web.Request) -> web.StreamResponse:
        ui, gateway = request.app[WEB], request.app[GATEWAY]
        lang, now = language_of(request), gateway.clock()
        cookie = request.cookies.get(SESSION_COOKIE)
        session = ui.seal.open(cookie, now) if cookie else None
        viewer, reason = await _viewer(gateway, session) if session else (None, "expired")
        if session is None or viewer is None:
            if session is not None:  # a genuine cookie of an ended session: worth a line
                log.info("ui_session_refused", reason=reason, actor=session.key_id)
            return _to_sign_in(request, reason if cookie else "")
        form = await _form(request)
        page = Page(request, gateway, ui, viewer, session, lang, form)
        if request.method == "POST" and not _csrf_holds(page):
            log.warning("ui_csrf_rejected", path=request.path, actor=viewer.principal.key_id)
            response: web.StreamResponse = page.render("error.html", status=403, csrf_failed=True)
        elif not viewer.principal.roles & roles:
            response = _forbidden(page, roles)
        else:
            response = await _answer(handler, page)
        if SESSION_COOKIE not in response.cookies:  # sign-out deletes it
            keep_session(request, response, ui, session.touched(now))
        remember_language(request, response, lang)
        return response

    return guard


def _forbidden(page: Page, roles: frozenset[Role]) -> web.Response:
    """The 403 page for a viewer whose key holds none of ``roles``."""
    log.info("ui_role_refused", path=page.request.path, actor=page.viewer.principal.key_id)
    needed = page.t("error.role_separator").join(page.t(f"role.{role}") for role in sorted(roles))
    return page.refused(
        Problem(403, ProblemCode.FORBIDDEN, page.t("error.needs_role", roles=needed))
    )


async def _answer(handler: PageHandler, page: Page) -> web.StreamResponse:
    try:
        return await handler(page)
    except Problem as problem:  # a refusal the handler did not show in place
        return page.refused(problem)
    except Refusal as refusal:
        return page.refused(problem_of(refusal))


async def _viewer(gateway: Gateway, session: UiSession) -> tuple[Viewer | None, str]:
    """The session's viewer, or ``None`` and why not (the sign-in page's ``reason``)."""
    async with gateway.store.read() as tx:
        record = await tx.ui_sessions.get(session.id)
        key = await tx.api_keys.get(session.key_id)
    if key is None or not key.live_at(gateway.clock()) or key.creditor_id != session.creditor_id:
        return None, "revoked"
    if not key.roles & SIGN_IN_ROLES:
        return None, "revoked"
    if record is None or not record.open or record.key_id != key.id:
        return None, "signed_out"
    return Viewer(Principal(key.id, key.creditor_id, key.roles), key.label), ""


async def _form(request: web.Request) -> MultiDictProxy[str]:
    """The posted text fields (file uploads are ignored: no page takes one)."""
    if request.method != "POST":
        return MultiDictProxy(MultiDict())
    posted = await request.post()
    return MultiDictProxy(MultiDict((k, v) for k, v in posted.items() if isinstance(v, str)))


def _csrf_holds(page: Page) -> bool:
    sent = str(page.form.get("csrf", ""))
    return hmac.compare_digest(sent.encode(), page.ui.seal.csrf_token(page.session).encode())


def keep_session(
    request: web.Request, response: web.StreamResponse, ui: WebContext, session: UiSession
) -> None:
    """Set the session cookie: HttpOnly, SameSite=Lax, Secure over TLS, for ``/ui`` only."""
    response.set_cookie(
        SESSION_COOKIE,
        ui.seal.seal(session),
        path=UI_PREFIX,
        httponly=True,
        samesite="Lax",
        secure=over_tls(request, ui.settings),
    )


def _to_sign_in(request: web.Request, reason: str) -> web.Response:
    query = {"next": request.path_qs if request.method == "GET" else HOME}
    if reason:
        query["reason"] = reason
    response = redirect(f"{UI_PREFIX}/login?{urlencode(query)}")
    response.del_cookie(SESSION_COOKIE, path=UI_PREFIX)
    return response


def language_switch(request: web.Request, lang: str) -> str:
    """The URL of this page in the other language."""
    other = "en" if lang == "zh" else "zh"
    query = {k: v for k, v in request.query.items() if k not in {"lang", "notice"}}
    return f"{request.path}?{urlencode({**query, 'lang': other})}"


def safe_next(target: str) -> str:
    """``target`` if it is a UI path of ours, else the home page (no open redirects)."""
    if target.startswith(f"{UI_PREFIX}/") and not target.startswith("//") and "\\" not in target:
        return target
    return HOME


async def sign_in_form(request: web.Request) -> web.StreamResponse:
    """The sign-in page, with a fresh double-submit token for its form."""
    query = request.query
    return _sign_in_page(
        request,
        status=200,
        error="",
        target=query.get("next", HOME),
        reason=query.get("reason", ""),
    )


async def sign_in(request: web.Request) -> web.StreamResponse:
    """Check the login key and start a session; refuse unknown keys and keys without a UI role."""
    ui = request.app[WEB]
    form = await request.post()
    target = str(form.get("next", HOME))
    sent, expected = str(form.get("csrf", "")), request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        log.warning("ui_csrf_rejected", path=request.path, actor="anonymous")
        return _sign_in_page(request, status=403, error="error.csrf", target=target)
    token = str(form.get("key", "")).strip()
    try:
        principal = await authenticate(request, token, surface="ui")
    except Problem as refused:
        return _refused_sign_in(request, refused, target)
    if not principal.roles & SIGN_IN_ROLES:
        log.info("ui_sign_in_refused", reason="role", actor=principal.key_id)
        return _sign_in_page(request, status=403, error="login.wrong_role", target=target)
    session = await _open_session(request, principal)
    response = redirect(safe_next(target))
    keep_session(request, response, ui, session)
    response.del_cookie(LOGIN_COOKIE, path=UI_PREFIX)
    log.info("ui_signed_in", actor=principal.key_id, creditor=principal.creditor_id)
    return response


async def _open_session(request: web.Request, principal: Principal) -> UiSession:
    """A new session for ``principal``, recorded so any instance can see it end.

    A session the browser still held is ended: signing in again replaces
    it, so no copy of the old cookie outlives it. Rows of sessions past
    their maximum age are forgotten on the way: no cookie of theirs opens
    any more, so sign-ins keep the table small.
    """
    ui, gateway = request.app[WEB], request.app[GATEWAY]
    now = gateway.clock()
    cookie = request.cookies.get(SESSION_COOKIE)
    previous = ui.seal.open(cookie, now) if cookie else None
    session = UiSession.start(principal.key_id, principal.creditor_id, now)
    record = UiSessionRecord(session.id, session.key_id, session.creditor_id, now)
    async with gateway.store.transaction() as tx:
        if previous is not None:
            await tx.ui_sessions.end(previous.id, now)
        await tx.ui_sessions.forget_started_before(now - ui.seal.max_age - _FORGET_MARGIN)
        await tx.ui_sessions.start(record)
    return session


def _refused_sign_in(request: web.Request, refused: Problem, target: str) -> web.Response:
    """The sign-in page again: 401 for a bad key, 429 while the address is throttled."""
    log.info("ui_sign_in_refused", reason=refused.code.value)
    if refused.code is not ProblemCode.AUTH_RATE_LIMITED:
        return _sign_in_page(request, status=401, error="login.unknown_key", target=target)
    response = _sign_in_page(request, status=429, error=RATE_LIMITED, target=target)
    response.headers["Retry-After"] = str(refused.extra["retry_after"])
    return response


async def sign_out(page: Page) -> web.StreamResponse:
    """End the session for every instance (its row) and drop the cookie; show the sign-in page."""
    async with page.gateway.store.transaction() as tx:
        await tx.ui_sessions.end(page.session.id, page.gateway.clock())
    log.info("ui_signed_out", actor=page.viewer.principal.key_id, creditor=page.creditor_id)
    response = redirect(f"{UI_PREFIX}/login?reason=signed_out")
    response.del_cookie(SESSION_COOKIE, path=UI_PREFIX)
    return response


def _sign_in_page(
    request: web.Request, *, status: int, error: str, target: str, reason: str = ""
) -> web.Response:
    ui, lang = request.app[WEB], language_of(request)
    token = secrets.token_urlsafe(24)
    response = ui.render(
        "login.html",
        status,
        t=Translator(lang),
        lang=lang,
        viewer=None,
        nav="",
        notice="",
        csrf=token,
        error=error,
        reason=reason,
        next=safe_next(target),
        switch_url=language_switch(request, lang),
    )
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        path=UI_PREFIX,
        httponly=True,
        samesite="Lax",
        secure=over_tls(request, ui.settings),
    )
    remember_language(request, response, lang)
    return response
