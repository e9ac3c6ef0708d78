"""Starting a playbook on a ticket, and doing or skipping its steps.

The run pins the version it started with (the document is stored in ``playbook_versions``), so
a later edit of the file changes new runs only. Every step done or skipped is written to the
ticket's event log with who, when and the evidence or reason. Actions (``on_start``, action
steps) are carried out by the hub's own use cases after the run's change commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from hub import permissions
from hub.actors import Actor
from hub.core import Hub
from hub.domain import Direction, PlaybookRunStatus, TicketEventKind
from hub.errors import Conflict, InvalidInput, NotFound
from hub.events import TicketRef
from hub.models import Message, PlaybookRun, PlaybookVersionRow, Team
from hub.playbooks import actions, forms
from hub.playbooks import plan as plans
from hub.playbooks.events import PlaybookChanged
from hub.playbooks.gate import active_run, document, values
from hub.playbooks.views import Panel, show
from hub.requirements import handoffs
from hub.sla import service as sla
from hub.tickets import timeline
from hub.tickets.tickets import load_for

MAX_REASON = 2000


@dataclass(frozen=True)
class StepInput:
    """What doing a step gives: form values, the checklist items ticked, a note."""

    fields: dict[str, Any] = field(default_factory=dict)
    items: list[int] = field(default_factory=list)
    note: str | None = None
    #: Hand-off steps: the language of the question put to the other team.
    locale: str = "zh-CN"


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
            evidence["fields"] = forms.check(plan, step, given.fields)
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
