"""Routes of the template lifecycle: create/new version, submit, approve, reject, retire, read.

Each handler parses (path id, request model), calls :class:`TemplateDesk`,
and renders a model of ``template_models``; the rules live in the service.
Roles follow DESIGN.md: authors write and submit, reviewers decide, either
may retire (authors withdraw their texts, reviewers pull a text found
harmful); every role may read, since senders need template ids and versions.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from smsgate.api.bodies import RequestModel, decode_body, json_response
from smsgate.api.operations import Call, Handler, Operation, Response
from smsgate.api.template_models import (
    DraftCreated,
    RetireBody,
    ReviewBody,
    TemplateDraft,
    TemplateList,
    TemplateRetired,
    TemplateView,
    VersionChanged,
    to_draft_created,
    to_retired,
    to_summary,
    to_version_changed,
    to_view,
)
from smsgate.core.templates import TemplateSource
from smsgate.service.templates import TemplateDesk
from smsgate.store import Role

TAG = "templates"
ANY_ROLE = frozenset(Role)


async def create_template(call: Call) -> web.StreamResponse:
    """Store a draft: a new template, or the next version of the one with this name."""
    draft = await decode_body(call.request, TemplateDraft)
    source = TemplateSource(draft.body, draft.audience, draft.variables)
    drafted = await TemplateDesk.of(call.gateway).create(call.principal, draft.name, source)
    return json_response(to_draft_created(drafted), 201)


async def submit_template(call: Call) -> web.StreamResponse:
    """Submit the newest draft for review."""
    desk = TemplateDesk.of(call.gateway)
    transition = await desk.submit(call.principal, _template_id(call))
    return json_response(to_version_changed(transition))


async def approve_template(call: Call) -> web.StreamResponse:
    """Approve a submitted version (four-eyes, re-scanned with the current wordlist)."""
    body = await decode_body(call.request, ReviewBody)
    desk = TemplateDesk.of(call.gateway)
    transition = await desk.approve(call.principal, _template_id(call), body.reason, body.version)
    return json_response(to_version_changed(transition))


async def reject_template(call: Call) -> web.StreamResponse:
    """Reject a submitted version with a reason."""
    body = await decode_body(call.request, ReviewBody)
    desk = TemplateDesk.of(call.gateway)
    transition = await desk.reject(call.principal, _template_id(call), body.reason, body.version)
    return json_response(to_version_changed(transition))


async def retire_template(call: Call) -> web.StreamResponse:
    """Retire a template: nothing is sent from it any more."""
    body = await decode_body(call.request, RetireBody)
    desk = TemplateDesk.of(call.gateway)
    retired = await desk.retire(call.principal, _template_id(call), body.reason)
    return json_response(to_retired(retired.template, len(retired.rejected)))


async def list_templates(call: Call) -> web.StreamResponse:
    """The caller's templates."""
    details = await TemplateDesk.of(call.gateway).all(call.principal)
    return json_response(TemplateList(templates=[to_summary(detail) for detail in details]))


async def get_template(call: Call) -> web.StreamResponse:
    """One template with its versions and review history."""
    detail = await TemplateDesk.of(call.gateway).detail(call.principal, _template_id(call))
    return json_response(to_view(detail))


def _template_id(call: Call) -> str:
    return call.request.match_info["template_id"]


_NOT_FOUND = Response("No such template of this creditor", problem=True)
_STATE = Response("Not allowed in the template's current state", problem=True)
_CHANGED = Response("The version's new status", VersionChanged)
_FOUR_EYES = Response(
    "The key lacks the role, or its person, rotation chain or minting line authored the version"
    " (four_eyes)",
    problem=True,
)


def _lifecycle(
    action: str,
    summary: str,
    handler: Handler,
    roles: frozenset[Role],
    request_model: type[RequestModel] | None,
    responses: Mapping[int, Response],
) -> Operation:
    """A ``POST /v1/templates/{template_id}/<action>`` operation."""
    return Operation(
        "POST",
        f"/v1/templates/{{template_id}}/{action}",
        f"{action}_template",
        summary,
        TAG,
        handler,
        roles=roles,
        request_model=request_model,
        responses={200: _CHANGED, 404: _NOT_FOUND, 409: _STATE, **responses},
    )


OPERATIONS: list[Operation] = [
    Operation(
        "POST",
        "/v1/templates",
        "create_template",
        "Create a template, or a new version of the template with this name",
        TAG,
        create_template,
        roles=frozenset({Role.AUTHOR}),
        request_model=TemplateDraft,
        responses={
            201: Response("Stored as a draft, with lint issues and findings", DraftCreated),
            409: Response("The name is retired or used with another audience", problem=True),
            422: Response("Not a valid template or variables schema", problem=True),
        },
    ),
    Operation(
        "GET",
        "/v1/templates",
        "list_templates",
        "The creditor's templates",
        TAG,
        list_templates,
        roles=ANY_ROLE,
        responses={200: Response("Templates by name, retired ones included", TemplateList)},
    ),
    Operation(
        "GET",
        "/v1/templates/{template_id}",
        "get_template",
        "A template with its versions and review history",
        TAG,
        get_template,
        roles=ANY_ROLE,
        responses={200: Response("The template", TemplateView), 404: _NOT_FOUND},
    ),
    _lifecycle(
        "submit",
        "Submit the newest draft for review",
        submit_template,
        frozenset({Role.AUTHOR}),
        None,
        {422: Response("The draft has lint errors", problem=True)},
    ),
    _lifecycle(
        "approve",
        "Approve a submitted version",
        approve_template,
        frozenset({Role.REVIEWER}),
        ReviewBody,
        {
            403: _FOUR_EYES,
            422: Response("A blocked term or lint error under the current rules", problem=True),
        },
    ),
    _lifecycle(
        "reject",
        "Reject a submitted version",
        reject_template,
        frozenset({Role.REVIEWER}),
        ReviewBody,
        {403: _FOUR_EYES},
    ),
    _lifecycle(
        "retire",
        "Retire the template: nothing is sent from it any more; its queued, scheduled and"
        " held messages are rejected (template_retired)",
        retire_template,
        frozenset({Role.AUTHOR, Role.REVIEWER}),
        RetireBody,
        {200: Response("The template is retired", TemplateRetired)},
    ),
]
