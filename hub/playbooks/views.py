"""What the ticket shows of its playbook: the run with each step's state, due instant and record,
or, while none runs, the playbooks suggested and why."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions
from hub.actors import Actor
from hub.calendars import names
from hub.calendars.due import compute_due
from hub.calendars.durations import parse_duration
from hub.calendars.model import Calendar
from hub.calendars.service import calendar_in
from hub.core import Hub
from hub.domain import Direction, PlaybookRunStatus
from hub.models import Message, Organization, PlaybookRun, PlaybookSuggestionRow, Ticket
from hub.playbooks import plan as plans
from hub.playbooks.gate import document, values
from hub.playbooks.suggestions import from_json, ratings
from hub.ports import PlaybookSuggestion, TicketFacts
from hub.tickets.tickets import load_for


@dataclass(frozen=True)
class StepView:
    id: str
    kind: str
    title: dict[str, str]
    required: bool
    #: ``done``, ``skipped``, ``open``, ``later`` (applies once the steps before it are done) or
    #: ``not_applicable`` (a branch went elsewhere).
    state: str
    due_at: datetime | None = None
    record: dict[str, Any] | None = None
    items: list[dict[str, str]] = field(default_factory=list)
    fields: list[plans.PlanField] = field(default_factory=list)
    template: str | None = None
    ask: list[dict[str, Any]] = field(default_factory=list)
    goto: str | None = None


@dataclass(frozen=True)
class RunView:
    id: uuid.UUID
    playbook_id: str
    version: int
    digest: str
    title: dict[str, str]
    status: str
    started_at: datetime
    started_by_id: uuid.UUID | None
    steps: list[StepView]
    missing: list[str]
    fields: dict[str, Any]
    sla: dict[str, Any] | None


@dataclass(frozen=True)
class Panel:
    run: RunView | None
    suggestions: list[PlaybookSuggestion]


# -- reading -------------------------------------------------------------------------------------


async def facts(session: AsyncSession, ticket: Ticket) -> TicketFacts:
    """What triggers look at: scenario, channel, the subject and the client's first words."""
    first = await session.scalar(
        sa.select(Message.text)
        .where(Message.ticket_id == ticket.id, Message.direction == Direction.INBOUND)
        .order_by(Message.created_at, Message.id)
        .limit(1)
    )
    tier = kind = None
    if ticket.organization_id is not None:
        organization = await session.get(Organization, ticket.organization_id)
        if organization is not None:
            tier, kind = organization.tier.value, organization.kind.value
    return TicketFacts(
        scenario=ticket.scenario.value,
        channel=ticket.channel_kind.value,
        text=f"{ticket.subject}\n{first or ''}",
        tier=tier,
        organization_kind=kind,
        csat=(await ratings(session, [ticket.id])).get(ticket.id),
    )


async def panel(hub: Hub, session: AsyncSession, actor: Actor, ticket_id: uuid.UUID) -> Panel:
    """The run on the ticket (if any) and, while none runs, the playbooks suggested with why."""
    permissions.require_staff(actor)
    ticket = await load_for(session, actor, ticket_id)
    run = await session.scalar(
        sa.select(PlaybookRun)
        .where(PlaybookRun.ticket_id == ticket.id, PlaybookRun.is_primary)
        .order_by(PlaybookRun.started_at.desc())
        .limit(1)
    )
    view = await run_view(hub, session, run) if run is not None else None
    if view is not None and view.status == "active":
        return Panel(run=view, suggestions=[])
    # What the subscriber stored when the ticket opened or its scenario changed; computed now for
    # a ticket it has not seen (opened before the library was loaded, or the subscriber failed).
    stored = await session.get(PlaybookSuggestionRow, ticket.id)
    if stored is not None:
        suggestions = [from_json(row) for row in stored.suggestions]
    else:
        suggestions = hub.playbooks.suggest(await facts(session, ticket))
    return Panel(run=view, suggestions=suggestions)


async def run_view(
    hub: Hub, session: AsyncSession, run: PlaybookRun, calendar: Calendar | None = None
) -> RunView:
    """The run with each step's state and due instant (``calendar``: the default business
    calendar, read here unless the caller already has it for many runs)."""
    doc = await document(session, run.digest)
    plan = plans.decode(doc)
    route = plans.walk(plan, run.steps, values(run), hub.playbooks.condition)
    if calendar is None:
        calendar = await calendar_in(session, names.DEFAULT)
    templates = doc.get("templates") or {}
    steps: list[StepView] = []
    reached = set(route.applicable)
    for step in plan.steps:
        record = run.steps.get(step.id)
        if record is not None:
            state = record["state"]
        elif step.id in reached and step.kind == "branch" and step.id in route.decided:
            state = "done"
        elif step.id in reached:
            state = "open"
        elif route.undecided is not None and plan.steps.index(step) > _index(plan, route.undecided):
            state = "later"
        else:
            state = "not_applicable"
        steps.append(
            StepView(
                id=step.id,
                kind=step.kind,
                title=step.title,
                required=step.required,
                state=state,
                due_at=_due(calendar, run, step),
                record=record,
                items=step.items,
                fields=[f for key in step.fields if (f := plan.field(key)) is not None],
                template=step.template,
                ask=list((templates.get(step.template) or {}).get("ask") or []) if step.template else [],
                goto=route.decided.get(step.id),
            )
        )
    return RunView(
        id=run.id,
        playbook_id=run.playbook_id,
        version=run.version,
        digest=run.digest,
        title=plan.title,
        status=run.status.value,
        started_at=run.started_at,
        started_by_id=run.started_by_id,
        steps=steps,
        missing=plans.open_required(plan, run.steps, route) if run.status is PlaybookRunStatus.ACTIVE else [],
        fields=dict(run.fields),
        sla=doc.get("sla"),
    )


def _index(plan: plans.Plan, step_id: str) -> int:
    return next(number for number, step in enumerate(plan.steps) if step.id == step_id)


def _due(calendar: Calendar, run: PlaybookRun, step: plans.PlanStep) -> datetime | None:
    """When the step falls due: its ``within`` from the run's start or from another step's doing,
    in business or calendar time on the default business calendar."""
    if step.due is None:
        return None
    origin: datetime | None = run.started_at
    if step.due.start.startswith("step:"):
        record = run.steps.get(step.due.start[5:])
        origin = datetime.fromisoformat(record["at"]) if record else None
    if origin is None:
        return None
    return compute_due(calendar, origin, parse_duration(step.due.within)).at


async def show(hub: Hub, actor: Actor, ticket_id: uuid.UUID) -> Panel:
    async with hub.uow() as uow:
        return await panel(hub, uow.session, actor, ticket_id)
