"""Declarative base, naming convention and the column types every model shares."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {
        datetime: sa.DateTime(timezone=True),
        dict[str, Any]: pg.JSONB,
        list[str]: pg.ARRAY(sa.Text),
    }

    if TYPE_CHECKING:
        # Every model maps one table of its own (no inheritance, no mapping onto a join or a select),
        # so its __table__ is a Table; the declarative default types it as any FromClause, which
        # insert(), update() and the bulk helpers do not accept.
        __table__: ClassVar[sa.Table]


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(pg.UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


def created_at() -> Mapped[datetime]:
    return mapped_column(sa.DateTime(timezone=True), default=utcnow, server_default=sa.func.now())


def str_enum(enum_type: type[enum.StrEnum], name: str) -> sa.Enum:
    """Store enums as text with a CHECK constraint: adding a value is a small migration, not a type rewrite."""
    return sa.Enum(
        enum_type,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
