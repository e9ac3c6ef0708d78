"""Business calendars and their day overrides; organization calendar names checked.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: hub.calendars.names.NAME_REGEX, copied: a migration must not change when the code does.
NAME_REGEX = "^[a-z0-9][a-z0-9_-]{0,63}$"


def upgrade() -> None:
    op.create_table(
        "calendars",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("weekly_periods", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("base", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(f"name ~ '{NAME_REGEX}'", name=op.f("ck_calendars_name_format")),
        sa.CheckConstraint("base IS NULL OR base IN ('cn')", name=op.f("ck_calendars_known_base")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendars")),
        sa.UniqueConstraint("name", name=op.f("uq_calendars_name")),
    )
    op.create_table(
        "calendar_days",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("calendar_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "holiday",
                "workday",
                name="calendar_day_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("periods", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind = 'workday' OR periods IS NULL", name=op.f("ck_calendar_days_holiday_has_no_periods")
        ),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["calendars.id"],
            name=op.f("fk_calendar_days_calendar_id_calendars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_days")),
        sa.UniqueConstraint("calendar_id", "day", name=op.f("uq_calendar_days_calendar_id_day")),
    )
    op.create_check_constraint(
        op.f("ck_organizations_calendar_name"), "organizations", f"calendar ~ '{NAME_REGEX}'"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_organizations_calendar_name"), "organizations", type_="check")
    op.drop_table("calendar_days")
    op.drop_table("calendars")
