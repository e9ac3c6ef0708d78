"""The vocabulary of the hub: roles, channel kinds, ticket states and the events of a ticket's life."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    PARTNER = "partner"


#: Roles that work tickets of every organization.
STAFF_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})


class PortalPermission(enum.StrEnum):
    """What a partner user may do beyond reading its organization's tickets and orders.

    A partner company decides who of its people sees prices or answers quality cases, as a
    buyer's supplier portal lets it; ``admin`` invites and removes the company's own users.
    """

    PRICES = "prices"
    DELIVERIES = "deliveries"
    QUALITY = "quality"
    ADMIN = "admin"


#: A partner's first user, set up by the company, can do everything and then hands out the rest.
ALL_PORTAL_PERMISSIONS = frozenset(PortalPermission)


class Presence(enum.StrEnum):
    AVAILABLE = "available"
    AWAY = "away"
    OFFLINE = "offline"


class OrganizationKind(enum.StrEnum):
    CLIENT = "client"
    PARTNER = "partner"


class Tier(enum.StrEnum):
    CORE = "core"
    STANDARD = "standard"


class ChannelKind(enum.StrEnum):
    EMAIL = "email"
    WECHAT = "wechat"
    WEBCHAT = "webchat"
    PHONE = "phone"
    API = "api"
    #: A partner's comments in the portal (quality cases, meetings, its messages to the company).
    PORTAL = "portal"


class TicketStatus(enum.StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


#: States in which a ticket still asks something of the team.
ACTIVE_STATUSES = frozenset({TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING})


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Scenario(enum.StrEnum):
    INQUIRY = "inquiry"
    COMPLAINT = "complaint"
    AFTER_SALES = "after_sales"
    REQUIREMENT = "requirement"
    PARTNER = "partner"
    OTHER = "other"


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    NOTE = "note"
    SYSTEM = "system"


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"
    SENT = "sent"
    FAILED = "failed"


class RawStatus(enum.StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"
    #: Authentic but unreadable (malformed XML...): kept for inspection, never processed.
    REJECTED = "rejected"


class TicketEventKind(enum.StrEnum):
    """The typed, append-only log every SLA clock and metric is derived from.

    Stored clocks are a cache of what these events give (``hub sla recompute`` rebuilds them), so a
    kind names a fact that happened, never a state to overwrite; the table refuses UPDATE and DELETE.
    """

    CREATED = "created"
    CUSTOMER_MESSAGE = "customer_message"
    AUTO_MESSAGE = "auto_message"
    HUMAN_RESPONSE = "human_response"
    NOTE = "note"
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"
    STATUS_CHANGED = "status_changed"
    PENDING_ON = "pending_on"
    PENDING_OFF = "pending_off"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    PRIORITY_CHANGED = "priority_changed"
    SCENARIO_CHANGED = "scenario_changed"
    TAGS_CHANGED = "tags_changed"
    MERGED = "merged"
    DELIVERY_FAILED = "delivery_failed"
    #: An SLA target is close to its due instant (recorded once per clock instance by the sweep).
    SLA_WARNING = "sla_warning"
    #: An SLA target passed its due instant unmet (recorded once per clock instance by the sweep).
    SLA_BREACHED = "sla_breached"
    #: The complaint ladder climbed a level (automatically or by hand); once per level and cycle.
    ESCALATED = "escalated"
    #: The ticket left the ladder (resolved or closed): its level went back to 0.
    DEESCALATED = "deescalated"
    #: An internal hand-off to another team's liaison was asked for, answered, warned or breached.
    HANDOFF_REQUESTED = "handoff_requested"
    HANDOFF_ANSWERED = "handoff_answered"
    HANDOFF_WARNING = "handoff_warning"
    HANDOFF_BREACHED = "handoff_breached"
    #: A playbook run: started (with the version it pins), a step done or skipped (with who and
    #: the evidence or reason), every required step done.
    PLAYBOOK_STARTED = "playbook_started"
    PLAYBOOK_STEP_DONE = "playbook_step_done"
    PLAYBOOK_STEP_SKIPPED = "playbook_step_skipped"
    PLAYBOOK_COMPLETED = "playbook_completed"
    #: A satisfaction survey: sent (``{"channel"}``: the kind it went through), not sent
    #: (``{"reason"}``: ``window_closed``, ``contact_cap``, ``no_route``...), cancelled before sending
    #: (``{"reason"}``: ``reopened``, ``closed``) and answered (``{"rating": 1-5, "comment"?}``).
    CSAT_SENT = "csat_sent"
    CSAT_NOT_SENT = "csat_not_sent"
    CSAT_CANCELLED = "csat_cancelled"
    CSAT_RESPONSE = "csat_response"
    #: A quality case's 8D step on the case's portal ticket: the partner answered it, the buyer
    #: accepted or rejected the answer (with a comment), or it passed its due time unanswered.
    QUALITY_STEP_ANSWERED = "quality_step_answered"
    QUALITY_STEP_ACCEPTED = "quality_step_accepted"
    QUALITY_STEP_REJECTED = "quality_step_rejected"
    QUALITY_STEP_OVERDUE = "quality_step_overdue"
    #: Another ticket was merged into this one (its messages moved here); ``merged`` is on the other.
    MERGED_IN = "merged_in"
    #: A supervisor undid a merge or a split (on both tickets).
    UNMERGED = "unmerged"
    #: A message was split out of this ticket into a new one (``split_from`` is on the new one).
    SPLIT = "split"
    SPLIT_FROM = "split_from"
    #: A bot's (or AI assistant's) message to the client: kept on the ticket, never a response.
    BOT_MESSAGE = "bot_message"
    #: The bot handed the conversation to the human queue: where human pickup time starts.
    BOT_HANDOFF = "bot_handoff"
    #: A playbook's follow-up: scheduled (``{"followup_id", "due_at", "after"}``) and fallen due
    #: (the assignee reminded); a playbook's signed webhook delivered or failed for good.
    FOLLOWUP_SCHEDULED = "followup_scheduled"
    FOLLOWUP_DUE = "followup_due"
    WEBHOOK_SENT = "webhook_sent"
    WEBHOOK_FAILED = "webhook_failed"


class PlaybookRunStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"


#: The complaint escalation ladder's top level (1 team lead, 2 department head, 3 management).
MAX_ESCALATION_LEVEL = 3


class RequirementStatus(enum.StrEnum):
    """A client requirement's way through the loop (需求记录-传递-落地闭环)."""

    RECORDED = "recorded"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class RequirementEventKind(enum.StrEnum):
    RECORDED = "recorded"
    TRANSFERRED = "transferred"
    STATUS_CHANGED = "status_changed"
    FEEDBACK_GIVEN = "feedback_given"
    FEEDBACK_WARNING = "feedback_warning"
    FEEDBACK_BREACHED = "feedback_breached"


class HandoffStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
