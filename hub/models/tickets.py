"""Tickets, their messages and attachments, and the references that thread new traffic into them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Mapped, mapped_column

from hub.domain import ChannelKind, DeliveryStatus, Direction, Priority, Scenario, TicketStatus
from hub.models.base import Base, created_at, str_enum, utcnow, uuid_pk

ticket_number_seq = sa.Sequence("ticket_number_seq", start=10001, metadata=Base.metadata)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        sa.Index("ix_tickets_search", "search", postgresql_using="gin"),
        sa.Index("ix_tickets_tags", "tags", postgresql_using="gin"),
        # One agent's tickets, newest first, without walking everyone's (an agent with none: at once).
        sa.Index("ix_tickets_assignee_number", "assignee_id", "number"),
        # One organisation's tickets newest first (migration 0022): a search within it walks its
        # own tickets in order, not everyone's for the few that are its.
        sa.Index("ix_tickets_organization_number", "organization_id", "number"),
        # One organisation's open tickets (migration 0023): not its closed ones AND-ed with every
        # open ticket's entry of the index below.
        sa.Index(
            "ix_tickets_active_organization",
            "organization_id",
            "number",
            postgresql_where=sa.text("status IN ('new', 'open', 'pending')"),
        ),
        sa.Index(
            "ix_tickets_active_assignee",
            "assignee_id",
            postgresql_where=sa.text("status IN ('new', 'open', 'pending')"),
        ),
        sa.Index(
            "ix_tickets_recent_open_by_contact",
            "contact_id",
            "channel_id",
            "last_message_at",
            postgresql_where=sa.text("status IN ('new', 'open', 'pending')"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    number: Mapped[int] = mapped_column(
        sa.BigInteger, ticket_number_seq, server_default=ticket_number_seq.next_value(), unique=True
    )
    subject: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    status: Mapped[TicketStatus] = mapped_column(
        str_enum(TicketStatus, "ticket_status"), default=TicketStatus.NEW, server_default="new", index=True
    )
    priority: Mapped[Priority] = mapped_column(
        str_enum(Priority, "ticket_priority"), default=Priority.NORMAL, server_default="normal"
    )
    scenario: Mapped[Scenario] = mapped_column(
        str_enum(Scenario, "ticket_scenario"), default=Scenario.INQUIRY, server_default="inquiry"
    )
    tags: Mapped[list[str]] = mapped_column(pg.ARRAY(sa.Text), default=list, server_default="{}")
    contact_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("contacts.id"), index=True)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL")
    )
    channel_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("channels.id"), index=True)
    channel_kind: Mapped[ChannelKind] = mapped_column(str_enum(ChannelKind, "ticket_channel_kind"))
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: Unguessable token that routes replies (e-mail ``support+<token>@``) back to this ticket.
    reply_token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    #: A ticket opened by a late reply to a closed one points back at it.
    linked_ticket_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("tickets.id", ondelete="SET NULL")
    )
    #: Merged into that ticket (its messages moved there); out of every list and count until undone.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("tickets.id", ondelete="SET NULL"))
    reopen_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    escalation_level: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    #: Application-built tsvector of subject and contact name (CJK bigrams + normalised words).
    search: Mapped[Any] = mapped_column(pg.TSVECTOR, nullable=True)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, onupdate=utcnow, server_default=sa.func.now()
    )
    last_message_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), default=utcnow, server_default=sa.func.now()
    )
    resolved_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class ThreadRef(Base):
    """A channel's own conversation key (API thread_ref, web-chat conversation) pointing at a ticket."""

    __tablename__ = "thread_refs"
    __table_args__ = (sa.UniqueConstraint("channel_id", "ref"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    channel_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("channels.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(sa.String(500))
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = created_at()


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        sa.UniqueConstraint("channel_id", "external_id"),
        sa.Index("ix_messages_search", "search", postgresql_using="gin"),
        sa.Index("ix_messages_ticket_created", "ticket_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    ticket_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("tickets.id", ondelete="CASCADE"))
    direction: Mapped[Direction] = mapped_column(str_enum(Direction, "message_direction"))
    #: text, image, voice, video, file, location, link, call, event... (channels add their own)
    type: Mapped[str] = mapped_column(sa.String(32), default="text", server_default="text")
    channel_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("channels.id", ondelete="SET NULL"))
    author_user_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    author_contact_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("contacts.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: Already sanitised (nh3) HTML, safe to render.
    html: Mapped[str | None] = mapped_column(sa.Text)
    external_id: Mapped[str | None] = mapped_column(sa.String(500), index=True)
    #: True for auto-replies and other automatic traffic: kept, but never a customer response.
    is_auto: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    delivery_status: Mapped[DeliveryStatus | None] = mapped_column(
        str_enum(DeliveryStatus, "delivery_status")
    )
    delivery_error: Mapped[str | None] = mapped_column(sa.Text)
    meta: Mapped[dict[str, Any]] = mapped_column(pg.JSONB, default=dict, server_default="{}")
    search: Mapped[Any] = mapped_column(pg.TSVECTOR, nullable=True)
    #: When the channel says the message was sent (may precede arrival).
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at()


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[uuid.UUID] = uuid_pk()
    message_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(127))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    #: Content address in the attachment store (SHA-256 hex); identical files are stored once.
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: Inline image reference (e-mail ``cid:``) when the file is shown inside the body.
    content_id: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = created_at()
