"""Starting a playbook on a ticket, doing or skipping its steps, and what the ticket shows of it.

The run pins the version it started with (the document is stored in ``playbook_versions``), so
a later edit of the file changes new runs only. Every step done or skipped is written to the
ticket's event log with who, when and the evidence or reason. Actions (``on_start``, action
steps) are carried out by the hub's own use cases after the run's change commits.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions
from hub.actors import Actor
from hub.calendars import names
from hub.calendars.due import compute_due
from hub.calendars.durations import parse_duration
from hub.calendars.service import calendar_in
from hub.core import Hub
from hub.domain import ChannelKind, Direction, PlaybookRunStatus, TicketEventKind
from hub.errors import Conflict, InvalidInput, NotFound
from hub.events import TicketRef
from hub.models import (
    Contact,
    Message,
    Organization,
    PlaybookRun,
    PlaybookSuggestionRow,
    PlaybookVersionRow,
    Team,
    Ticket,
    User,
)
from hub.playbooks import actions
from hub.playbooks import plan as plans
from hub.playbooks.events import PlaybookChanged
from hub.playbooks.gate import active_run, document, values
from hub.playbooks.suggestions import from_json
from hub.ports import FilledSnippet, PlaybookSuggestion, RenderedReply, TicketFacts
from hub.requirements import handoffs
from hub.sla import service as sla
from hub.tickets import timeline, windows
from hub.tickets.tickets import load_for

MAX_REASON = 2000
MAX_VALUE = 4000


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


@dataclass(frozen=True)
class StepInput:
    """What doing a step gives: form values, the checklist items ticked, a note."""

    fields: dict[str, Any] = field(default_factory=dict)
    items: list[int] = field(default_factory=list)
    note: str | None = None
    #: Hand-off steps: the language of the question put to the other team.
    locale: str = "zh-CN"


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
    view = await _view(hub, session, run) if run is not None else None
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


async def _view(hub: Hub, session: AsyncSession, run: PlaybookRun) -> RunView:
    doc = await document(session, run.digest)
    plan = plans.decode(doc)
    route = plans.walk(plan, run.steps, values(run), hub.playbooks.condition)
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


def _due(calendar: Any, run: PlaybookRun, step: plans.PlanStep) -> datetime | None:
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


# -- starting ------------------------------------------------------------------------------------


async def start(hub: Hub, actor: Actor, ticket_id: uuid.UUID, playbook_id: str) -> Panel:
    """Start ``playbook_id`` (its newest version) as the ticket's primary playbook."""
    permissions.require_staff(actor)
    version = hub.playbooks.current(playbook_id)
    if version is None:
        raise NotFound(what="playbook")
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        ticket = await load_for(session, actor, ticket_id, lock=True)
        running = await active_run(session, ticket.id)
        if running is not None:
            raise Conflict(detail=f"playbook {running.playbook_id} is already running on this ticket")
        await session.execute(
            insert(PlaybookVersionRow)
            .values(
                digest=version.digest,
                playbook_id=version.playbook_id,
                version=version.version,
                document=version.document,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["digest"])
        )
        run = PlaybookRun(
            id=uuid.uuid4(),
            ticket_id=ticket.id,
            digest=version.digest,
            playbook_id=version.playbook_id,
            version=version.version,
            started_at=now,
            started_by_id=actor.user_id,
            steps={},
            fields={},
        )
        session.add(run)
        timeline.append(
            session,
            ticket.id,
            TicketEventKind.PLAYBOOK_STARTED,
            at=now,
            actor_user_id=actor.user_id,
            playbook=version.playbook_id,
            version=version.version,
            digest=version.digest,
        )
        ticket.updated_at = now
        await session.flush()
        await sla.refresh(uow, ticket)  # the playbook's targets replace the policy's while it runs
        uow.emit(
            PlaybookChanged(
                at=now,
                ticket=TicketRef.of(ticket),
                actor=actor,
                action="started",
                playbook=version.playbook_id,
            )
        )
        await uow.commit()
        on_start = plans.decode(version.document).on_start
    if on_start:
        await actions.carry_out(
            hub, ticket_id, on_start, playbook_id=playbook_id, fields={}, agent_id=actor.user_id
        )
    return await show(hub, actor, ticket_id)


# -- doing and skipping steps --------------------------------------------------------------------


async def complete(hub: Hub, actor: Actor, ticket_id: uuid.UUID, step_id: str, given: StepInput) -> Panel:
    """Mark a step done with its evidence: a reply step the reply sent since the run started, a
    form its values (checked against the fields), a checklist every item ticked, an action step
    what its actions did, a hand-off the hand-off asked."""
    permissions.require_staff(actor)
    async with hub.uow() as uow:
        ticket = await load_for(uow.session, actor, ticket_id)
        run, plan, step = await _open_step(hub, uow.session, ticket.id, step_id)
        evidence: dict[str, Any] = {}
        if step.kind == "reply":
            evidence["message_id"] = await _reply_sent(uow.session, ticket.id, run.started_at)
        elif step.kind == "form":
            evidence["fields"] = _check_form(plan, step, given.fields)
        elif step.kind == "checklist":
            missing = [n for n in range(len(step.items)) if n not in given.items]
            if missing:
                raise InvalidInput(
                    detail=f"tick every item of {step.id}; open: {', '.join(str(n + 1) for n in missing)}"
                )
            evidence["items"] = list(range(len(step.items)))
        run_fields, playbook_id = dict(run.fields), run.playbook_id
    if step.kind == "action":
        evidence["actions"] = await actions.carry_out(
            hub, ticket_id, step.actions, playbook_id=playbook_id, fields=run_fields, agent_id=actor.user_id
        )
    if step.kind == "handoff":
        evidence["handoff_id"] = str(await _hand_off(hub, actor, ticket_id, step, given.locale))
    if given.note:
        evidence["note"] = given.note.strip()[:MAX_REASON]
    await _record(hub, actor, ticket_id, step_id, "done", evidence=evidence)
    return await show(hub, actor, ticket_id)


async def skip(hub: Hub, actor: Actor, ticket_id: uuid.UUID, step_id: str, reason: str) -> Panel:
    """Skip a step; always with a reason, kept on the run and the ticket's event log."""
    permissions.require_staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(detail="skipping a step needs a reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(detail=f"the reason must have at most {MAX_REASON} characters")
    async with hub.uow() as uow:
        ticket = await load_for(uow.session, actor, ticket_id)
        await _open_step(hub, uow.session, ticket.id, step_id)
    await _record(hub, actor, ticket_id, step_id, "skipped", reason=reason)
    return await show(hub, actor, ticket_id)


async def _open_step(
    hub: Hub, session: AsyncSession, ticket_id: uuid.UUID, step_id: str
) -> tuple[PlaybookRun, plans.Plan, plans.PlanStep]:
    run = await active_run(session, ticket_id)
    if run is None:
        raise Conflict(detail="no playbook is running on this ticket")
    plan = plans.decode(await document(session, run.digest))
    step = plan.step(step_id)
    if step is None:
        raise NotFound(what="playbook_step")
    if step_id in run.steps:
        raise Conflict(detail=f"step {step_id} is already {run.steps[step_id]['state']}")
    if step.kind == "branch":
        raise Conflict(detail=f"step {step_id} is a branch: it follows from the forms before it")
    route = plans.walk(plan, run.steps, values(run), hub.playbooks.condition)
    if step_id not in route.applicable:
        raise Conflict(detail=f"step {step_id} does not apply now")
    return run, plan, step


async def _record(
    hub: Hub,
    actor: Actor,
    ticket_id: uuid.UUID,
    step_id: str,
    state: str,
    *,
    evidence: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        ticket = await load_for(session, actor, ticket_id, lock=True)
        run = await active_run(session, ticket.id, lock=True)
        if run is None or step_id in run.steps:
            raise Conflict(detail=f"step {step_id} was done or skipped meanwhile")
        entry: dict[str, Any] = {
            "state": state,
            "by": str(actor.user_id) if actor.user_id else actor.kind,
            "at": now.isoformat(),
        }
        if evidence:
            entry["evidence"] = evidence
            if "fields" in evidence:
                run.fields = {**run.fields, **evidence["fields"]}
        if reason:
            entry["reason"] = reason
        run.steps = {**run.steps, step_id: entry}
        kind = (
            TicketEventKind.PLAYBOOK_STEP_DONE if state == "done" else TicketEventKind.PLAYBOOK_STEP_SKIPPED
        )
        data: dict[str, Any] = {"playbook": run.playbook_id, "step": step_id}
        if evidence:
            data["evidence"] = {k: (sorted(v) if k == "fields" else v) for k, v in evidence.items()}
        if reason:
            data["reason"] = reason
        timeline.append(session, ticket.id, kind, at=now, actor_user_id=actor.user_id, **data)
        uow.emit(
            PlaybookChanged(
                at=now,
                ticket=TicketRef.of(ticket),
                actor=actor,
                action=f"step_{state}",
                playbook=run.playbook_id,
                step=step_id,
                reason=reason,
            )
        )
        plan = plans.decode(await document(session, run.digest))
        route = plans.walk(plan, run.steps, values(run), hub.playbooks.condition)
        if route.undecided is None and not plans.open_required(plan, run.steps, route):
            run.status = PlaybookRunStatus.COMPLETED
            run.completed_at = now
            timeline.append(
                session,
                ticket.id,
                TicketEventKind.PLAYBOOK_COMPLETED,
                at=now,
                actor_user_id=actor.user_id,
                playbook=run.playbook_id,
            )
            await session.flush()
            await sla.refresh(uow, ticket)  # back to the policy's targets
        ticket.updated_at = now
        await uow.commit()


async def _reply_sent(session: AsyncSession, ticket_id: uuid.UUID, since: datetime) -> str:
    message_id = await session.scalar(
        sa.select(Message.id)
        .where(
            Message.ticket_id == ticket_id,
            Message.direction == Direction.OUTBOUND,
            Message.author_user_id.is_not(None),
            Message.created_at >= since,
        )
        .order_by(Message.created_at.desc())
        .limit(1)
    )
    if message_id is None:
        raise Conflict(detail="send the reply first: no reply went out since the playbook started")
    return str(message_id)


def _check_form(plan: plans.Plan, step: plans.PlanStep, given: dict[str, Any]) -> dict[str, Any]:
    """The step's fields from ``given``, each checked against its declaration."""
    unknown = sorted(set(given) - set(step.fields))
    if unknown:
        raise InvalidInput(detail=f"{', '.join(unknown)}: not fields of step {step.id}")
    clean: dict[str, Any] = {}
    for key in step.fields:
        declared = plan.field(key)
        assert declared is not None  # the library checked every form's fields
        value = given.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if declared.optional:
                continue
            raise InvalidInput(detail=f"{key} is required")
        clean[key] = _typed(declared, value)
    return clean


def _typed(declared: plans.PlanField, value: Any) -> Any:
    key = declared.key
    if declared.type == "bool":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "yes", "1", "on"):
            return True
        if str(value).lower() in ("false", "no", "0", "off"):
            return False
        raise InvalidInput(detail=f"{key} must be yes or no")
    if declared.type == "int":
        try:
            return int(str(value))
        except ValueError:
            raise InvalidInput(detail=f"{key} must be a whole number") from None
    text = str(value).strip()
    if len(text) > MAX_VALUE:
        raise InvalidInput(detail=f"{key} must have at most {MAX_VALUE} characters")
    if declared.type == "enum" and text not in declared.values:
        raise InvalidInput(detail=f"{key} must be one of {', '.join(declared.values)}")
    if declared.type == "date":
        try:
            date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(detail=f"{key} must be a date (YYYY-MM-DD)") from None
    if declared.pattern is not None and not re.fullmatch(declared.pattern, text):
        raise InvalidInput(detail=f"{key} does not have the expected form")
    return text


async def _hand_off(
    hub: Hub, actor: Actor, ticket_id: uuid.UUID, step: plans.PlanStep, locale: str
) -> uuid.UUID:
    async with hub.uow() as uow:
        team_id = await uow.session.scalar(
            sa.select(Team.id).where(sa.or_(Team.name == step.team, Team.name_zh == step.team))
        )
    if team_id is None:
        raise InvalidInput(detail=f"there is no team {step.team!r} to hand this to")
    question = step.question or {}
    note = question.get(locale) or question.get("zh-CN") or next(iter(question.values()), "")
    handoff = await handoffs.request(hub, actor, ticket_id, team_id=team_id, note=note)
    return handoff.id


# -- reply templates -----------------------------------------------------------------------------


async def render_reply(
    hub: Hub, actor: Actor, ticket_id: uuid.UUID, step_id: str, *, locale: str, ask: dict[str, str]
) -> RenderedReply:
    """The step's reply filled in for this ticket, on its channel (the WeChat template variant
    when the 48-hour window is closed); a missing value is refused with the variable named."""
    permissions.require_staff(actor)
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        ticket = await load_for(session, actor, ticket_id)
        run = await active_run(session, ticket.id)
        if run is None:
            raise Conflict(detail="no playbook is running on this ticket")
        doc = await document(session, run.digest)
        step = plans.decode(doc).step(step_id)
        if step is None or step.template is None:
            raise NotFound(what="playbook_step")
        closed = False
        if ticket.channel_kind is ChannelKind.WECHAT:
            state = await windows.state(session, await _channel(session, ticket), ticket.contact_id, now=now)
            closed = state is not None and not state.is_open
        context = await _context(session, ticket, actor, run, doc, now)
    return hub.playbooks.render(
        doc,
        step.template,
        locale=locale,
        channel=ticket.channel_kind.value,
        values={**context, **{key: value for key, value in ask.items() if value.strip()}},
        template_fallback=closed,
    )


async def snippets(hub: Hub, actor: Actor, ticket_id: uuid.UUID, *, locale: str) -> list[FilledSnippet]:
    """The canned answers filled in for this ticket (the playbook's form values too, if one runs)."""
    permissions.require_staff(actor)
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        ticket = await load_for(session, actor, ticket_id)
        run = await active_run(session, ticket.id)
        doc = await document(session, run.digest) if run is not None else {}
        context = await _context(session, ticket, actor, run, doc, now)
    return hub.playbooks.snippets(locale=locale, values=context)


async def _channel(session: AsyncSession, ticket: Ticket) -> Any:
    from hub.models import Channel

    return await session.get(Channel, ticket.channel_id)


async def _context(
    session: AsyncSession,
    ticket: Ticket,
    actor: Actor,
    run: PlaybookRun | None,
    doc: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    contact = await session.get(Contact, ticket.contact_id)
    agent = await session.get(User, actor.user_id) if actor.user_id else None
    zone = ZoneInfo(agent.time_zone if agent is not None else "Asia/Shanghai")
    context: dict[str, Any] = {
        "contact.display_name": contact.name if contact is not None else None,
        "agent.display_name": agent.name if agent is not None else None,
        "ticket.number": str(ticket.number),
        "ticket.subject": ticket.subject,
        **(values(run) if run is not None else {}),
    }
    if ticket.organization_id is not None:
        organization = await session.get(Organization, ticket.organization_id)
        context["organization.name"] = organization.name if organization is not None else None
    resolution = (doc.get("sla") or {}).get("resolution")
    if resolution and run is not None:
        calendar = await calendar_in(session, names.DEFAULT)
        due = compute_due(calendar, run.started_at, parse_duration(resolution)).at
        context["sla.resolution_due_local"] = due.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return context
