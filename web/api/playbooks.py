"""Playbooks over HTTP: the library, and the playbook running on a ticket (staff only).

``GET /api/v1/playbooks`` lists the loaded playbooks with their versions and problems;
``GET /api/v1/tickets/{id}/snippets`` gives the canned answers (``::shortcut``) filled in for a ticket.
``GET /api/v1/tickets/{id}/playbook`` shows the run (steps with their state, due instant, who did
them and the evidence) or, while none runs, the playbooks suggested with the reason.
``POST`` on the same path does one thing, named by the body:

* ``{"playbook": "complaint"}`` starts it (409 if one already runs);
* ``{"step": "collect", "done": {"fields": {...}}}`` does a step (a form's values, a checklist's
  ``items`` ticked by index, an optional ``note``); a reply step needs the reply sent first;
* ``{"step": "holding", "skip": "the client called back"}`` skips a step, with a reason;
* ``{"step": "ack", "render": {"locale": "zh-CN", "ask": {"remedy": "..."}}}`` fills in the step's
  reply for this ticket and channel without doing anything (422 naming a missing variable).

Resolving a ticket whose required steps are open answers 409 ``playbook_steps_open`` with
``missing_steps``; a reply with a blocking phrase answers 422 ``playbook_tone_blocked``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from hub.core import Hub
from hub.errors import InvalidInput
from hub.playbooks import replies, runs, views
from web.auth.guards import BEARER, staff
from web.auth.identity import CurrentUser


class PlaybookOut(msgspec.Struct):
    id: str
    version: int
    #: The content digest: the version a run pins.
    digest: str
    scenario: str
    title: dict[str, str]
    source: str
    #: ``file:line: message``; a playbook with problems cannot be started.
    problems: list[str]


class SuggestionOut(msgspec.Struct):
    playbook: str
    version: int
    title: dict[str, str]
    #: ``scenario``, ``keyword`` or ``organization``.
    reason: str
    #: The scenario, word or organisation kind that matched.
    detail: str


class FieldOut(msgspec.Struct):
    key: str
    type: str
    label: dict[str, str]
    values: list[str]
    optional: bool


class StepOut(msgspec.Struct):
    id: str
    kind: str
    title: dict[str, str]
    required: bool
    #: done, skipped, open, later or not_applicable.
    state: str
    due_at: datetime | None
    #: Who did or skipped it, when, the evidence or the reason.
    record: dict[str, Any] | None
    items: list[dict[str, str]]
    fields: list[FieldOut]
    template: str | None
    ask: list[dict[str, Any]]
    goto: str | None


class RunOut(msgspec.Struct):
    id: uuid.UUID
    playbook: str
    version: int
    digest: str
    title: dict[str, str]
    status: str
    started_at: datetime
    started_by_id: uuid.UUID | None
    steps: list[StepOut]
    #: Required steps still open: resolving is refused until they are done or skipped.
    missing_steps: list[str]
    fields: dict[str, Any]
    sla: dict[str, Any] | None


class TicketPlaybookOut(msgspec.Struct):
    run: RunOut | None
    suggestions: list[SuggestionOut]
    #: Only for ``render``: the reply filled in.
    reply: dict[str, Any] | None = None


class DoneIn(msgspec.Struct, forbid_unknown_fields=True):
    fields: dict[str, Any] = msgspec.field(default_factory=dict)
    items: list[int] = msgspec.field(default_factory=list)
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    locale: str = "zh-CN"


class RenderIn(msgspec.Struct, forbid_unknown_fields=True):
    locale: str = "zh-CN"
    ask: dict[str, Annotated[str, msgspec.Meta(max_length=4000)]] = msgspec.field(default_factory=dict)


class PlaybookIn(msgspec.Struct, forbid_unknown_fields=True):
    """Exactly one of: ``playbook`` (start), or ``step`` with ``done``, ``skip`` or ``render``."""

    playbook: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    step: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    done: DoneIn | None = None
    skip: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    render: RenderIn | None = None


def _run(view: views.RunView) -> RunOut:
    return RunOut(
        id=view.id,
        playbook=view.playbook_id,
        version=view.version,
        digest=view.digest,
        title=view.title,
        status=view.status,
        started_at=view.started_at,
        started_by_id=view.started_by_id,
        steps=[
            StepOut(
                id=s.id,
                kind=s.kind,
                title=s.title,
                required=s.required,
                state=s.state,
                due_at=s.due_at,
                record=s.record,
                items=s.items,
                fields=[FieldOut(f.key, f.type, f.label, f.values, f.optional) for f in s.fields],
                template=s.template,
                ask=s.ask,
                goto=s.goto,
            )
            for s in view.steps
        ],
        missing_steps=view.missing,
        fields=view.fields,
        sla=view.sla,
    )


def _out(panel: views.Panel, reply: dict[str, Any] | None = None) -> TicketPlaybookOut:
    return TicketPlaybookOut(
        run=_run(panel.run) if panel.run is not None else None,
        suggestions=[
            SuggestionOut(s.playbook_id, s.version, s.title, s.reason, s.detail) for s in panel.suggestions
        ],
        reply=reply,
    )


@get("/api/v1/playbooks", guards=[staff], tags=["playbooks"], security=BEARER)
async def list_playbooks(hub: NamedDependency[Hub]) -> list[PlaybookOut]:
    """Every loaded playbook (agents, supervisors, admins): id, version, digest, scenario, both
    titles, the file it came from and its problems."""
    return [
        PlaybookOut(
            id=row.playbook_id,
            version=row.version,
            digest=row.digest,
            scenario=row.scenario,
            title=row.title,
            source=row.source,
            problems=list(row.problems),
        )
        for row in sorted(hub.playbooks.listing(), key=lambda row: row.playbook_id)
    ]


@get("/api/v1/tickets/{ticket_id:uuid}/playbook", guards=[staff], tags=["playbooks"], security=BEARER)
async def ticket_playbook(
    request: Request, hub: NamedDependency[Hub], ticket_id: FromPath[uuid.UUID]
) -> TicketPlaybookOut:
    """The ticket's playbook run with its steps, or the suggested playbooks and why (agents,
    supervisors, admins; a ticket the user may not see is 404)."""
    user: CurrentUser = request.user
    return _out(await views.show(hub, user.actor, ticket_id))


@post(
    "/api/v1/tickets/{ticket_id:uuid}/playbook",
    guards=[staff],
    tags=["playbooks"],
    security=BEARER,
    status_code=200,
)
async def act_on_playbook(
    request: Request, hub: NamedDependency[Hub], ticket_id: FromPath[uuid.UUID], data: JSONBody[PlaybookIn]
) -> TicketPlaybookOut:
    """Start a playbook (``{"playbook": id}``), or do (``done``), skip (``skip``: the reason) or fill
    in the reply of (``render``) one ``step`` (agents, supervisors, admins). 409 when a playbook
    already runs, the step is already done, or a reply step's reply was not sent yet; 422 for a
    missing form value or reply variable, named."""
    user: CurrentUser = request.user
    actor = user.actor
    wants = [name for name in ("done", "skip", "render") if getattr(data, name) is not None]
    if data.playbook is not None:
        if data.step is not None or wants:
            raise InvalidInput(detail="give either playbook (to start one) or step with done, skip or render")
        return _out(await runs.start(hub, actor, ticket_id, data.playbook))
    if data.step is None or len(wants) != 1:
        raise InvalidInput(detail="give playbook, or step with exactly one of done, skip or render")
    if data.done is not None:
        given = runs.StepInput(
            fields=data.done.fields, items=data.done.items, note=data.done.note, locale=data.done.locale
        )
        return _out(await runs.complete(hub, actor, ticket_id, data.step, given))
    if data.skip is not None:
        return _out(await runs.skip(hub, actor, ticket_id, data.step, data.skip))
    assert data.render is not None
    rendered = await replies.render_reply(
        hub, actor, ticket_id, data.step, locale=data.render.locale, ask=data.render.ask
    )
    return _out(await views.show(hub, actor, ticket_id), reply=msgspec.to_builtins(rendered))


class SnippetOut(msgspec.Struct):
    id: str
    shortcut: str
    title: dict[str, str]
    #: Filled in for the ticket; ``None`` with ``problem`` naming the missing value.
    text: str | None
    problem: str | None


@get("/api/v1/tickets/{ticket_id:uuid}/snippets", guards=[staff], tags=["playbooks"], security=BEARER)
async def ticket_snippets(
    request: Request,
    hub: NamedDependency[Hub],
    ticket_id: FromPath[uuid.UUID],
    locale: FromQuery[Annotated[str, msgspec.Meta(pattern="^(zh-CN|en)$")]] = "zh-CN",
) -> list[SnippetOut]:
    """The canned answers, filled in for this ticket in ``locale`` (agents, supervisors, admins):
    the composer inserts one when the agent types ``::shortcut`` and Tab."""
    user: CurrentUser = request.user
    return [
        SnippetOut(s.id, s.shortcut, s.title, s.text, s.problem)
        for s in await replies.snippets(hub, user.actor, ticket_id, locale=locale)
    ]
