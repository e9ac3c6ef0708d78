"""Changes to the hub's own settings, people and directory, as one event type.

Users and their accounts (tokens, 2FA, presence), teams, organisations, channels, calendars, SLA
policies, contact merges and handovers: what happened is named by ``action`` (``team.created``,
``channel.updated``...). Today the audit trail is their only subscriber; a later one (the admin
pages' live refresh, a cache of channel settings) filters on ``subject_type``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.actors import Actor
from hub.events.base import AuditLine, DomainEvent


@dataclass(frozen=True, kw_only=True, slots=True)
class SettingsChanged(DomainEvent):
    actor: Actor
    action: str
    subject_type: str
    subject_id: uuid.UUID | str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str | None = None

    @classmethod
    def of(
        cls,
        actor: Actor,
        action: str,
        subject_id: uuid.UUID | str,
        *,
        at: datetime,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
        subject_type: str | None = None,
    ) -> SettingsChanged:
        """The subject type is, unless given, what the action names before its dot (``team.created``:
        a team); only a few actions say it (an API token's changes are filed under its user)."""
        return cls(
            actor=actor,
            action=action,
            subject_type=subject_type or action.partition(".")[0],
            subject_id=subject_id,
            at=at,
            before=before,
            after=after,
            reason=reason,
        )

    def audit(self) -> AuditLine:
        return AuditLine(
            actor=self.actor,
            action=self.action,
            subject_type=self.subject_type,
            subject_id=self.subject_id,
            at=self.at,
            before=self.before,
            after=self.after,
            reason=self.reason,
        )
