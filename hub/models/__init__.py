"""All ORM models, imported here so metadata (and Alembic) sees every table."""

from hub.models.base import Base
from hub.models.calendars import BusinessCalendar, CalendarDay
from hub.models.channels import Channel, PhoneExtension
from hub.models.contacts import Contact, ContactIdentity
from hub.models.csat import CsatSettings, CsatSurvey
from hub.models.cursors import SourceCursor
from hub.models.decisions import Decision, DecisionReceipt
from hub.models.drafts import TicketDraft
from hub.models.handoffs import Handoff
from hub.models.inbox import SavedView, TicketMerge
from hub.models.logs import APPEND_ONLY_TABLES, AuditEvent, TicketEvent
from hub.models.notifications import Notification, NotificationSetting
from hub.models.people import ApiToken, Organization, Team, User
from hub.models.pipeline import Outbox, RawInbound
from hub.models.playbooks import (
    PlaybookFollowup,
    PlaybookRun,
    PlaybookSuggestionRow,
    PlaybookVersionRow,
    PlaybookWebhook,
)
from hub.models.portal import (
    DateProposal,
    DeliverySchedule,
    IntegrationToken,
    PortalOrder,
    PortalOrderLine,
    ScheduleChange,
    ShippingNotice,
    ShippingNoticeLine,
    SyncIdempotency,
    SyncLink,
)
from hub.models.portal_quality import (
    ActionItem,
    Meeting,
    MeetingSeries,
    PortalLink,
    QualityCase,
    QualityStep,
    QualityTiming,
)
from hub.models.reporting import MetricDaily, MetricQueue, MetricSample, MonthlyReviewMailing
from hub.models.requirements import Requirement, RequirementEvent
from hub.models.sla import SlaPolicy, TicketSla
from hub.models.tickets import Attachment, Message, ThreadRef, Ticket
from hub.models.webchat import WebchatVisitor
from hub.models.windows import ReplyWindow

__all__ = [
    "APPEND_ONLY_TABLES",
    "ActionItem",
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "Base",
    "BusinessCalendar",
    "CalendarDay",
    "Channel",
    "Contact",
    "ContactIdentity",
    "CsatSettings",
    "CsatSurvey",
    "DateProposal",
    "Decision",
    "DecisionReceipt",
    "DeliverySchedule",
    "Handoff",
    "IntegrationToken",
    "Meeting",
    "MeetingSeries",
    "Message",
    "MetricDaily",
    "MetricQueue",
    "MetricSample",
    "MonthlyReviewMailing",
    "Notification",
    "NotificationSetting",
    "Organization",
    "Outbox",
    "PhoneExtension",
    "PlaybookFollowup",
    "PlaybookRun",
    "PlaybookSuggestionRow",
    "PlaybookVersionRow",
    "PlaybookWebhook",
    "PortalLink",
    "PortalOrder",
    "PortalOrderLine",
    "QualityCase",
    "QualityStep",
    "QualityTiming",
    "RawInbound",
    "ReplyWindow",
    "Requirement",
    "RequirementEvent",
    "SavedView",
    "ScheduleChange",
    "ShippingNotice",
    "ShippingNoticeLine",
    "SlaPolicy",
    "SourceCursor",
    "SyncIdempotency",
    "SyncLink",
    "Team",
    "ThreadRef",
    "Ticket",
    "TicketDraft",
    "TicketEvent",
    "TicketMerge",
    "TicketSla",
    "User",
    "WebchatVisitor",
]
