"""All ORM models, imported here so metadata (and Alembic) sees every table."""

from hub.models.base import Base
from hub.models.calendars import BusinessCalendar, CalendarDay
from hub.models.channels import Channel, PhoneExtension
from hub.models.contacts import Contact, ContactIdentity
from hub.models.cursors import SourceCursor
from hub.models.handoffs import Handoff
from hub.models.logs import APPEND_ONLY_TABLES, AuditEvent, TicketEvent
from hub.models.notifications import Notification
from hub.models.people import ApiToken, Organization, Team, User
from hub.models.pipeline import Outbox, RawInbound
from hub.models.playbooks import PlaybookRun, PlaybookSuggestionRow, PlaybookVersionRow
from hub.models.reporting import MetricDaily, MetricSample
from hub.models.requirements import Requirement, RequirementEvent
from hub.models.sla import SlaPolicy, TicketSla
from hub.models.tickets import Attachment, Message, ThreadRef, Ticket
from hub.models.webchat import WebchatVisitor
from hub.models.windows import ReplyWindow

__all__ = [
    "APPEND_ONLY_TABLES",
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "Base",
    "BusinessCalendar",
    "CalendarDay",
    "Channel",
    "Contact",
    "ContactIdentity",
    "Handoff",
    "Message",
    "MetricDaily",
    "MetricSample",
    "Notification",
    "Organization",
    "Outbox",
    "PhoneExtension",
    "PlaybookRun",
    "PlaybookSuggestionRow",
    "PlaybookVersionRow",
    "RawInbound",
    "ReplyWindow",
    "Requirement",
    "RequirementEvent",
    "SlaPolicy",
    "SourceCursor",
    "Team",
    "ThreadRef",
    "Ticket",
    "TicketEvent",
    "TicketSla",
    "User",
    "WebchatVisitor",
]
