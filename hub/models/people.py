"""Who works in the hub and whom they serve: organizations, teams, users and their API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from hub.calendars.names import NAME_REGEX as CALENDAR_NAME_REGEX
from hub.domain import OrganizationKind, Presence, Role, Tier
from hub.models.base import Base, created_at, str_enum, uuid_pk


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (
        sa.CheckConstraint(f"calendar IS NULL OR calendar ~ '{CALENDAR_NAME_REGEX}'", name="calendar_name"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    name_zh: Mapped[str | None] = mapped_column(sa.String(120))
    #: The team's liaison for internal hand-offs (cross-department requests land on this person).
    liaison_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL", use_alter=True)
    )
    #: Escalation level 1 (team lead) for the team's complaints; unset, its supervisors are.
    lead_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL", use_alter=True)
    )
    #: Escalation level 2 (department head); unset, level 2 goes to the team lead.
    head_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL", use_alter=True)
    )
    #: The team's working hours (a business calendar's name). Routing gives new tickets only to
    #: members inside them, and the team's hand-offs are due in them. Null: the team works around
    #: the clock for routing, and hand-offs use the company calendar ``cn``.
    calendar: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = created_at()


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'partner') = (organization_id IS NOT NULL)", name="partner_has_organization"
        ),
        sa.CheckConstraint(
            "portal_permissions <@ ARRAY['prices', 'deliveries', 'quality', 'admin']::text[]"
            " AND (role = 'partner' OR cardinality(portal_permissions) = 0)",
            name="portal_permissions_known",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"))
    team_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("teams.id", ondelete="SET NULL"))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    locale: Mapped[str] = mapped_column(sa.String(16), default="zh-CN", server_default="zh-CN")
    time_zone: Mapped[str] = mapped_column(
        sa.String(64), default="Asia/Shanghai", server_default="Asia/Shanghai"
    )
    presence: Mapped[Presence] = mapped_column(
        str_enum(Presence, "user_presence"), default=Presence.AVAILABLE, server_default="available"
    )
    #: Most open tickets routing may give this person; 0 means no limit.
    capacity: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    password_hash: Mapped[str | None] = mapped_column(sa.Text)
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    #: The last TOTP time step accepted: a code is good once (:mod:`hub.accounts.one_time_codes`).
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    #: A partner user's :class:`~hub.domain.PortalPermission` values; staff have none.
    portal_permissions: Mapped[list[str]] = mapped_column(
        pg.ARRAY(sa.Text), default=list, server_default="{}"
    )
    #: Escalation level 3: management hears of every complaint that reaches the top of the ladder.
    is_management: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    last_assigned_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()


class Organization(Base):
    __tablename__ = "organizations"
    __table_args__ = (sa.CheckConstraint(f"calendar ~ '{CALENDAR_NAME_REGEX}'", name="calendar_name"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[OrganizationKind] = mapped_column(str_enum(OrganizationKind, "organization_kind"))
    tier: Mapped[Tier] = mapped_column(str_enum(Tier, "organization_tier"), default=Tier.STANDARD)
    #: Mail domains whose new contacts join this organization automatically.
    domains: Mapped[list[str]] = mapped_column(pg.ARRAY(sa.Text), default=list, server_default="{}")
    account_manager_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL", use_alter=True)
    )
    backup_manager_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL", use_alter=True)
    )
    #: A business calendar's name: the built-in ``cn`` or a row of ``calendars`` (no foreign key,
    #: since ``cn`` exists without a row).
    calendar: Mapped[str] = mapped_column(sa.String(64), default="cn", server_default="cn")
    created_at: Mapped[datetime] = created_at()
    #: A trusted partner's date changes apply at once (the account manager is told) instead of
    #: waiting for the manager's decision.
    trusted_partner: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    #: How far over a line's quantity the partner's shipping notices may go, in percent.
    over_delivery_tolerance_percent: Mapped[Decimal] = mapped_column(
        sa.Numeric(5, 2), default=Decimal(0), server_default="0"
    )


class ApiToken(Base):
    """A long-lived bearer token for an integration acting as a user; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = created_at()
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
