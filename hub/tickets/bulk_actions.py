"""One action on exactly the tickets an agent selected: each ticket through the same use case as
one at a time (its own transaction, event log and audit line), so a ticket that refuses (a status
move it cannot make, a required playbook step open) is reported and the others still change."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from hub import permissions
from hub.actors import Actor
from hub.core import Hub
from hub.domain import Priority, TicketStatus
from hub.errors import HubError, InvalidInput
from hub.tickets import merge, tickets

#: The inbox selects at most a page's worth (``hub.tickets.views.MAX_PAGE``).
MAX_TICKETS = 200
ACTIONS = ("assign", "status", "priority", "tags", "merge")


@dataclass(frozen=True)
class BulkAction:
    action: str
    assignee_id: uuid.UUID | None = None
    status: TicketStatus | None = None
    priority: Priority | None = None
    add_tags: list[str] = field(default_factory=list)
    remove_tags: list[str] = field(default_factory=list)
    #: ``merge``: the selected ticket the others are merged into.
    into: uuid.UUID | None = None


@dataclass(frozen=True)
class Refused:
    ticket_id: uuid.UUID
    problem: HubError


@dataclass(frozen=True)
class BulkResult:
    done: list[uuid.UUID]
    refused: list[Refused]


def _check(ids: list[uuid.UUID], action: BulkAction) -> None:
    if not ids:
        raise InvalidInput("bulk_nothing_selected")
    if len(ids) > MAX_TICKETS:
        raise InvalidInput("bulk_too_many", limit=MAX_TICKETS)
    if action.action not in ACTIONS:
        raise InvalidInput(detail=f"action must be one of {', '.join(ACTIONS)}")
    missing = {
        "status": action.status is None,
        "priority": action.priority is None,
        "tags": not (action.add_tags or action.remove_tags),
        "merge": action.into is None or action.into not in ids or len(ids) < 2,
    }
    if missing.get(action.action):
        raise InvalidInput(f"bulk_needs_{action.action}")


async def apply(hub: Hub, actor: Actor, ticket_ids: list[uuid.UUID], action: BulkAction) -> BulkResult:
    permissions.require_staff(actor)
    ids = list(dict.fromkeys(ticket_ids))  # the selection, once each, in the order given
    _check(ids, action)
    done: list[uuid.UUID] = []
    refused: list[Refused] = []
    for ticket_id in ids:
        if action.action == "merge" and ticket_id == action.into:
            continue
        try:
            await _one(hub, actor, ticket_id, action)
        except HubError as problem:
            refused.append(Refused(ticket_id, problem))
        else:
            done.append(ticket_id)
    return BulkResult(done=done, refused=refused)


async def _one(hub: Hub, actor: Actor, ticket_id: uuid.UUID, action: BulkAction) -> None:
    if action.action == "assign":
        await tickets.assign(hub, actor, ticket_id, action.assignee_id, reason="bulk action")
    elif action.action == "status" and action.status is not None:
        await tickets.set_status(hub, actor, ticket_id, action.status)
    elif action.action == "priority" and action.priority is not None:
        await tickets.set_priority(hub, actor, ticket_id, action.priority)
    elif action.action == "tags":
        await tickets.change_tags(hub, actor, ticket_id, add=action.add_tags, remove=action.remove_tags)
    elif action.action == "merge" and action.into is not None:
        await merge.merge(hub, actor, ticket_id, action.into, reason="bulk merge")
