"""Carrying out a playbook's declarative actions through the hub's own use cases.

Each action is the same use case an agent or supervisor would call (priority, tags, scenario,
assignment, escalation, the requirement loop, the CSAT survey), so it is checked, logged and
audited the same way; a follow-up (:mod:`.followups`) and a signed webhook (:mod:`.webhooks`) are
rows of their own that the worker keeps. They run with the playbook's authority (a system actor named ``playbook:<id>``): the company
wrote the playbook, so its escalation step escalates even when an agent runs it.
"""

from __future__ import annotations

import uuid
from typing import Any

from hub.actors import Actor
from hub.core import Hub
from hub.csat import surveys
from hub.domain import Priority, Scenario
from hub.errors import Conflict
from hub.models import Organization, Ticket
from hub.notifications import rows_for, team_leads, tell
from hub.playbooks import followups, webhooks
from hub.requirements import requirements
from hub.tickets import escalation, tickets


def playbook_actor(playbook_id: str) -> Actor:
    return Actor(kind="system", name=f"playbook:{playbook_id}")


async def carry_out(
    hub: Hub,
    ticket_id: uuid.UUID,
    actions: list[dict[str, Any]],
    *,
    playbook_id: str,
    fields: dict[str, Any],
    agent_id: uuid.UUID | None,
) -> list[str]:
    """Each action in order; what was done, one line each, for the step's evidence."""
    actor = playbook_actor(playbook_id)
    done: list[str] = []
    for action in actions:
        ((name, argument),) = action.items()
        if name == "set_priority":
            await tickets.set_priority(hub, actor, ticket_id, Priority(argument))
        elif name == "add_tag":
            await tickets.change_tags(hub, actor, ticket_id, add=[str(argument)], remove=[])
        elif name == "set_scenario":
            await tickets.set_scenario(hub, actor, ticket_id, Scenario(argument))
        elif name == "assign":
            manager = await _account_manager(hub, ticket_id)
            if manager is None:
                done.append(f"{name}: the client has no account manager")
                continue
            await tickets.assign(hub, actor, ticket_id, manager, reason=f"playbook {playbook_id}")
        elif name == "notify":
            told = await _notify(hub, ticket_id, str(argument), playbook_id)
            done.append(f"{name}: {argument} ({told})")
            continue
        elif name == "escalate":
            try:
                await escalation.escalate(
                    hub, actor, ticket_id, reason=f"playbook {playbook_id}", level=int(argument)
                )
            except Conflict:
                done.append(f"{name}: already at level {argument} or above")
                continue
        elif name == "send_csat":
            done.append(f"{name}: {await surveys.request(hub, ticket_id)}")
            continue
        elif name == "schedule_followup":
            spec = argument if isinstance(argument, dict) else {"after": argument}
            followup = await followups.schedule(
                hub,
                ticket_id,
                playbook_id=playbook_id,
                after=str(spec["after"]),
                note=str(spec.get("note") or ""),
            )
            done.append(f"{name}: {followup.after} ({followup.due_at.isoformat()})")
            continue
        elif name == "webhook":
            queued = await webhooks.queue(
                hub, ticket_id, playbook_id=playbook_id, argument=dict(argument), fields=fields
            )
            done.append(f"{name}: {queued.url} (delivery {queued.id})")
            continue
        elif name == "record_requirement":
            content = str(fields.get(argument["field"]) or "").strip()
            priority = Priority(argument.get("priority") or fields.get("priority") or "normal")
            await requirements.record(
                hub,
                actor,
                ticket_id,
                requirements.NewRequirement(content=content, priority=priority, owner_id=agent_id),
            )
        done.append(f"{name}: {argument}" if not isinstance(argument, dict) else name)
    return done


async def _account_manager(hub: Hub, ticket_id: uuid.UUID) -> uuid.UUID | None:
    async with hub.uow() as uow:
        ticket = await uow.session.get(Ticket, ticket_id)
        if ticket is None or ticket.organization_id is None:
            return None
        organization = await uow.session.get(Organization, ticket.organization_id)
        return organization.account_manager_id if organization is not None else None


async def _notify(hub: Hub, ticket_id: uuid.UUID, audience: str, playbook_id: str) -> int:
    """Tell the audience (``team_lead``, ``department_head``, ``management``, ``account_manager``,
    ``assignee``) in-app (and by e-mail when a mailer is set), in one transaction."""
    async with hub.uow() as uow:
        session, now = uow.session, hub.clock.now()
        ticket = await session.get(Ticket, ticket_id)
        if ticket is None:
            return 0
        people: list[uuid.UUID] = []
        if audience == "team_lead" and ticket.team_id is not None:
            people = (await team_leads(session, [ticket.team_id])).get(ticket.team_id, [])
        elif audience == "department_head":
            people = await escalation.people_for(session, ticket.team_id, 2)
        elif audience == "management":
            people = await escalation.people_for(session, ticket.team_id, 3)
        elif audience == "account_manager":
            manager = await _account_manager(hub, ticket_id)
            people = [manager] if manager else []
        elif audience == "assignee" and ticket.assignee_id is not None:
            people = [ticket.assignee_id]
        tell(
            uow,
            rows_for(
                people,
                kind="playbook",
                ticket_id=ticket.id,
                params={"number": ticket.number, "subject": ticket.subject, "playbook": playbook_id},
                now=now,
            ),
        )
        await uow.commit()
        return len(people)
