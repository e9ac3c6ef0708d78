"""The append-only audit trail of who changed what."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.actors import Actor
from hub.models import AuditEvent


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: uuid.UUID | str,
    *,
    at: datetime,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    session.add(
        AuditEvent(
            at=at,
            actor_user_id=actor.user_id,
            actor_kind=actor.kind,
            action=action,
            subject_type=subject_type,
            subject_id=str(subject_id),
            before=before,
            after=after,
            reason=reason,
        )
    )
