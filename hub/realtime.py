"""Channel names for live updates. Bounded on purpose: one per team, agent and organization, plus
one for all staff, never one per conversation (per-conversation names leak in Litestar #4867)."""

from __future__ import annotations

import uuid

STAFF = "staff"


def team(team_id: uuid.UUID) -> str:
    return f"team:{team_id}"


def agent(user_id: uuid.UUID) -> str:
    return f"agent:{user_id}"


def person(user_id: uuid.UUID) -> str:
    """What one logged-in person alone hears (their notifications), whatever else they hear."""
    return f"user:{user_id}"


def organization(organization_id: uuid.UUID) -> str:
    return f"org:{organization_id}"


def for_ticket(
    *, team_id: uuid.UUID | None, assignee_id: uuid.UUID | None, organization_id: uuid.UUID | None
) -> list[str]:
    names = [STAFF]
    if team_id:
        names.append(team(team_id))
    if assignee_id:
        names.append(agent(assignee_id))
    if organization_id:
        names.append(organization(organization_id))
    return names
