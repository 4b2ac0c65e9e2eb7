"""RFC 9457 problem details with a stable machine-readable ``code`` (a DESIGN.md contract).

Every error the API returns goes through :class:`Problem`: handlers raise it,
the error middleware renders it, and unexpected failures become a 500 problem
whose detail reveals nothing. Codes are part of the contract: upstream
systems branch on them, so they are only ever added, never renamed.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import msgspec
from aiohttp import web

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://smsgate.dev/problems/"


class ProblemCode(StrEnum):
    """Stable error codes: the refusal codes of DESIGN.md plus the HTTP-level ones."""

    TEMPLATE_NOT_APPROVED = "template_not_approved"
    AUDIENCE_MISMATCH = "audience_mismatch"
    VARIABLE_INVALID = "variable_invalid"
    SENSITIVE_TERM = "sensitive_term"
    OPTED_OUT = "opted_out"
    CONTACT_LIMIT = "contact_limit"
    QUIET_HOURS = "quiet_hours"
    FOUR_EYES = "four_eyes"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    INVALID_REQUEST = "invalid_request"
    # Added beside the contract's codes:
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    TEMPLATE_INVALID = "template_invalid"
    INVALID_STATE = "invalid_state"
    CONFLICT = "conflict"
    MESSAGE_TOO_LONG = "message_too_long"
    STORE_UNAVAILABLE = "store_unavailable"
    INTERNAL_ERROR = "internal_error"
    CALLBACK_REJECTED = "callback_rejected"
    CALLBACK_INVALID = "callback_invalid"
    AUTH_RATE_LIMITED = "auth_rate_limited"
    REQUEST_TIMEOUT = "request_timeout"
    LAST_ADMIN_KEY = "last_admin_key"
    TIMEZONE_MISMATCH = "timezone_mismatch"
    TEMPLATE_RETIRED = "template_retired"
    REFUSAL_RATE_LIMITED = "refusal_rate_limited"
    EVIDENCE_UNAVAILABLE = "evidence_unavailable"


_TITLES = {
    ProblemCode.TEMPLATE_NOT_APPROVED: "Template not approved",
    ProblemCode.AUDIENCE_MISMATCH: "Template audience does not match the recipient",
    ProblemCode.VARIABLE_INVALID: "Invalid template variables",
    ProblemCode.SENSITIVE_TERM: "Sensitive term in message",
    ProblemCode.OPTED_OUT: "Recipient opted out",
    ProblemCode.CONTACT_LIMIT: "Contact limit reached",
    ProblemCode.QUIET_HOURS: "Outside allowed contact hours",
    ProblemCode.FOUR_EYES: "Four-eyes rule",
    ProblemCode.UNAUTHORIZED: "Unauthorized",
    ProblemCode.FORBIDDEN: "Forbidden",
    ProblemCode.IDEMPOTENCY_CONFLICT: "Idempotency key reused with another request",
    ProblemCode.INVALID_REQUEST: "Invalid request",
    ProblemCode.NOT_FOUND: "Not found",
    ProblemCode.METHOD_NOT_ALLOWED: "Method not allowed",
    ProblemCode.PAYLOAD_TOO_LARGE: "Request body too large",
    ProblemCode.UNSUPPORTED_MEDIA_TYPE: "Unsupported media type",
    ProblemCode.TEMPLATE_INVALID: "Template does not pass lint",
    ProblemCode.INVALID_STATE: "Not allowed in the current state",
    ProblemCode.CONFLICT: "Conflict",
    ProblemCode.MESSAGE_TOO_LONG: "Message too long",
    ProblemCode.STORE_UNAVAILABLE: "Storage unavailable",
    ProblemCode.INTERNAL_ERROR: "Internal error",
    ProblemCode.CALLBACK_REJECTED: "Callback not authenticated",
    ProblemCode.CALLBACK_INVALID: "Callback cannot be read",
    ProblemCode.AUTH_RATE_LIMITED: "Too many failed authentications",
    ProblemCode.REQUEST_TIMEOUT: "Request body not received in time",
    ProblemCode.LAST_ADMIN_KEY: "The creditor's last admin key",
    ProblemCode.TIMEZONE_MISMATCH: "Time zone is not one of the number's",
    ProblemCode.TEMPLATE_RETIRED: "Template retired",
    ProblemCode.REFUSAL_RATE_LIMITED: "Too many sends for unknown templates",
    ProblemCode.EVIDENCE_UNAVAILABLE: "No evidence pack can be made now",
}


class Problem(Exception):
    """An error response: HTTP status, stable code, human detail and extra members."""

    def __init__(self, status: int, code: ProblemCode, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.extra: Mapping[str, Any] = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        """The problem+json document."""
        document: dict[str, Any] = {
            "type": TYPE_BASE + self.code.value,
            "title": _TITLES[self.code],
            "status": self.status,
            "code": self.code.value,
            "detail": self.detail,
        }
        if instance:
            document["instance"] = instance
        document.update(self.extra)
        return document

    def response(self, instance: str | None = None) -> web.Response:
        """The problem as an aiohttp response."""
        headers = (
            {"Retry-After": str(self.extra["retry_after"])} if "retry_after" in self.extra else None
        )
        return web.Response(
            status=self.status,
            body=msgspec.json.encode(self.body(instance)),
            content_type=PROBLEM_CONTENT_TYPE,
            headers=headers,
        )


def invalid_request(detail: str, **extra: Any) -> Problem:
    """A 400 ``invalid_request`` problem."""
    return Problem(400, ProblemCode.INVALID_REQUEST, detail, **extra)


def not_found(what: str) -> Problem:
    """A 404 for an object that does not exist, or belongs to another creditor."""
    return Problem(404, ProblemCode.NOT_FOUND, f"{what} not found")
