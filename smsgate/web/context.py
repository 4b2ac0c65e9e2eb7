"""What every UI handler shares: settings, the session seal, the page environment, responses.

Pages are rendered by a normal autoescaping Jinja environment reading
``templates/web/*.html`` (found with :func:`smsgate.resources.shipped_dir`,
like the wordlists). It is *not* the sandbox that renders SMS templates:
page templates are our code, SMS templates are tenants' data, and mixing
the two environments would let one's rules leak into the other.

Every HTML response carries a strict Content-Security-Policy (scripts and
styles from ``/ui/static`` only, no inline code), ``nosniff``, no framing
and ``Cache-Control: no-store``: pages show debtors' data and must not sit
in a shared cache or a browser's back-button history after sign-out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from smsgate.logs import mask_phone
from smsgate.resources import shipped_dir
from smsgate.web.catalogue import LANGUAGES, Translator
from smsgate.web.sessions import SessionSeal
from smsgate.web.settings import WebSettings

SESSION_COOKIE = "smsgate_session"
LOGIN_COOKIE = "smsgate_login"
LANGUAGE_COOKIE = "smsgate_lang"
UI_PREFIX = "/ui"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
        " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True, slots=True)
class WebContext:
    """The UI's settings, the seal of its session cookies and its page environment."""

    settings: WebSettings
    seal: SessionSeal
    pages: jinja2.Environment

    @classmethod
    def build(cls, settings: WebSettings, directory: Path | None = None) -> WebContext:
        """The context reading pages from ``directory`` (default: the shipped ``templates/web``)."""
        seal = SessionSeal(settings.session_secret, settings.idle_timeout, settings.max_age)
        return cls(settings, seal, page_environment(directory or web_directory()))

    def when(self, moment: datetime | None) -> str:
        """``moment`` as the UI shows it: minutes, in the display time zone."""
        if moment is None:
            return "—"
        return moment.astimezone(self.settings.display_zone).strftime("%Y-%m-%d %H:%M")

    def render(self, name: str, status: int = 200, **context: Any) -> web.Response:
        """The page ``name`` rendered with ``context``, as an HTML response with our headers."""
        text = self.pages.get_template(name).render(when=self.when, **context)
        return html_response(text, status)


WEB: web.AppKey[WebContext] = web.AppKey("web", WebContext)


def web_directory() -> Path:
    """The shipped folder of the UI's page templates and static files."""
    return shipped_dir("templates") / "web"


def page_environment(directory: Path) -> jinja2.Environment:
    """An autoescaping environment for the UI's pages; undefined names are errors."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["mask_phone"] = mask_phone
    environment.filters["plain"] = plain
    return environment


def plain(value: object) -> str:
    """A JSON value of an audit detail as a reviewer reads it: lists joined, null as a dash."""
    if value is None:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(plain(item) for item in value)
    return str(value)


def html_response(text: str, status: int = 200) -> web.Response:
    """An HTML response with the UI's security headers."""
    return web.Response(
        text=text, status=status, content_type="text/html", headers=SECURITY_HEADERS
    )


def redirect(location: str) -> web.Response:
    """A 303 See Other to ``location`` (a POST answered by a GET: reloading never resubmits)."""
    return web.Response(status=303, headers={"Location": location, **SECURITY_HEADERS})


def language_of(request: web.Request) -> str:
    """``?lang=`` if it names a language, else the language cookie, else Chinese."""
    asked = request.query.get("lang", "")
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(LANGUAGE_COOKIE, "")
    return remembered if remembered in LANGUAGES else LANGUAGES[0]


def remember_language(request: web.Request, response: web.StreamResponse, lang: str) -> None:
    """Keep the language a ``?lang=`` link chose for later pages (a year, not a secret)."""
    if request.query.get("lang") == lang:
        response.set_cookie(
            LANGUAGE_COOKIE, lang, max_age=365 * 86400, path=UI_PREFIX, samesite="Lax"
        )


def over_tls(request: web.Request, settings: WebSettings) -> bool:
    """Whether the browser reached us over TLS, directly or through a trusted proxy."""
    if request.secure:
        return True
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return settings.trust_forwarded_proto and forwarded == "https"


def translator(lang: str) -> Translator:
    """The translator of ``lang``."""
    return Translator(lang)
