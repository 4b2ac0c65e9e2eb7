"""Cross-cutting concerns of every request: problem+json for every error, and metrics.

Bad input must never become a 500: handlers raise :class:`Problem`, the
services they call raise a :class:`~smsgate.service.refusals.Refusal` (answered
with its status from ``smsgate.api.refusal_status``, the one translation), aiohttp's
own 404/405/413 are translated here, a NUL in the URL is refused before any
lookup, a storage outage is a 503 with a clear code, and only a genuine bug
reaches the catch-all, which logs it and answers with a detail that reveals
nothing. Size and time limits on requests live in ``smsgate.api.limits``.
"""

from __future__ import annotations

import time

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from smsgate.api.operations import GATEWAY
from smsgate.api.problems import Problem, ProblemCode
from smsgate.api.refusal_status import problem_of
from smsgate.service.refusals import Refusal
from smsgate.store import StoreBusy, StoreUnavailable

log = structlog.get_logger(__name__)

_HTTP_PROBLEMS = {
    404: (ProblemCode.NOT_FOUND, "no such resource"),
    405: (ProblemCode.METHOD_NOT_ALLOWED, "this method is not allowed here"),
    413: (ProblemCode.PAYLOAD_TOO_LARGE, "the request body exceeds the size limit"),
}


@web.middleware
async def problem_responses(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render every failure as problem+json and count refusals by code."""
    try:
        return await handler(request)
    except Problem as problem:
        return _refused(request, problem)
    except Refusal as refusal:
        return _refused(request, problem_of(refusal))
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code, detail = _HTTP_PROBLEMS.get(error.status, (ProblemCode.INVALID_REQUEST, error.reason))
        return _refused(request, Problem(error.status, code, detail))
    except (StoreUnavailable, StoreBusy) as error:
        log.warning("store_unavailable", path=request.path, error=type(error).__name__)
        return _refused(
            request,
            Problem(503, ProblemCode.STORE_UNAVAILABLE, "storage is unavailable; retry later"),
        )
    except Exception:
        log.exception("unhandled_error", method=request.method, path=request.path)
        return _refused(
            request, Problem(500, ProblemCode.INTERNAL_ERROR, "an internal error occurred")
        )


def _refused(request: web.Request, problem: Problem) -> web.Response:
    request.app[GATEWAY].metrics.refusals.labels(problem.code.value).inc()
    return problem.response(request.path)


@web.middleware
async def refuse_nul_characters(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a NUL character in the decoded path or query (400 ``invalid_request``).

    No identifier contains one, and PostgreSQL cannot even compare a ``text``
    column with a string holding one: the lookup would fail as a 500.
    """
    query = request.query
    if "\x00" in request.path or any("\x00" in k + v for k, v in query.items()):
        raise Problem(400, ProblemCode.INVALID_REQUEST, "the URL must not contain NUL (%00)")
    return await handler(request)


@web.middleware
async def request_metrics(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count requests by route template and status, and time them."""
    started = time.perf_counter()
    response = await handler(request)
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    metrics = request.app[GATEWAY].metrics
    metrics.requests.labels(request.method, route, str(response.status)).inc()
    metrics.latency.labels(route).observe(time.perf_counter() - started)
    return response
