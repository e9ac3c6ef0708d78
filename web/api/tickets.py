"""Tickets: list, read, and everything an agent does to one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
import sqlalchemy as sa
from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from channels.phone import manual
from channels.phone.records import Disposition
from hub import scope
from hub.actors import Actor
from hub.commands import fits, says_something
from hub.core import Hub
from hub.delivery import delivery
from hub.domain import MAX_ESCALATION_LEVEL, ChannelKind, Priority, Scenario, TicketStatus
from hub.errors import InvalidInput, NotFound
from hub.i18n import translate
from hub.models import Attachment, Channel, Contact, ContactIdentity, Message, Ticket, TicketMerge
from hub.tickets import bulk_actions, drafts, escalation, merge, opening, tickets, views
from hub.tickets.windows import WindowState
from web.auth.guards import BEARER, any_user, staff, supervisors
from web.auth.identity import CurrentUser
from web.edge import NUL_OPT, STRIP
from web.errors import locale_of


class TicketItem(msgspec.Struct):
    id: uuid.UUID
    number: int
    subject: str
    status: str
    priority: str
    scenario: str
    channel: str
    tags: list[str]
    organization_id: uuid.UUID | None
    contact_id: uuid.UUID
    contact_name: str
    assignee_id: uuid.UUID | None
    team_id: uuid.UUID | None
    reopen_count: int
    #: The complaint ladder's level: 0 none, 1 team lead, 2 department head, 3 management.
    escalation_level: int
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime

    @classmethod
    def of(cls, ticket: Ticket, contact: Contact, viewer: Actor) -> TicketItem:
        return cls(**cls.fields(ticket, contact, viewer))

    @staticmethod
    def fields(ticket: Ticket, contact: Contact, viewer: Actor) -> dict[str, Any]:
        """The item's fields as ``viewer`` may read them (a partner: no staff ids)."""
        return scope.redact(
            viewer,
            dict(
                id=ticket.id,
                number=ticket.number,
                subject=ticket.subject,
                status=ticket.status.value,
                priority=ticket.priority.value,
                scenario=ticket.scenario.value,
                channel=ticket.channel_kind.value,
                tags=list(ticket.tags),
                organization_id=ticket.organization_id,
                contact_id=ticket.contact_id,
                contact_name=contact.name,
                assignee_id=ticket.assignee_id,
                team_id=ticket.team_id,
                reopen_count=ticket.reopen_count,
                escalation_level=ticket.escalation_level,
                created_at=ticket.created_at,
                updated_at=ticket.updated_at,
                last_message_at=ticket.last_message_at,
            ),
        )


class TicketPageOut(msgspec.Struct):
    items: list[TicketItem]
    next_cursor: str | None


class AttachmentOut(msgspec.Struct):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    url: str

    @classmethod
    def of(cls, row: Attachment) -> AttachmentOut:
        return cls(
            id=row.id,
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            url=f"/api/v1/attachments/{row.id}",
        )


class MessageOut(msgspec.Struct):
    id: uuid.UUID
    direction: str
    type: str
    text: str
    html: str | None
    author_user_id: uuid.UUID | None
    author_contact_id: uuid.UUID | None
    external_id: str | None
    is_auto: bool
    delivery_status: str | None
    delivery_error: str | None
    attachments: list[AttachmentOut]
    #: What the channel noted. E-mail: the full original text before quotes were cut (``full_text``),
    #: Message-ID, To/Cc, why it counts as automatic, attachments left out for their size, a
    #: bounce's delivery report. WeChat: its type's fields, ``media`` download state, the
    #: ``delivery_error`` code of a translated failure, ``via: template``.
    meta: dict[str, Any]
    sent_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, message: Message, attachments: list[Attachment], viewer: Actor) -> MessageOut:
        return cls(
            **scope.redact(
                viewer,
                dict(
                    id=message.id,
                    direction=message.direction.value,
                    type=message.type,
                    text=message.text,
                    html=message.html,
                    author_user_id=message.author_user_id,
                    author_contact_id=message.author_contact_id,
                    external_id=message.external_id,
                    is_auto=message.is_auto,
                    delivery_status=message.delivery_status.value if message.delivery_status else None,
                    delivery_error=message.delivery_error,
                    attachments=[AttachmentOut.of(a) for a in attachments],
                    meta=dict(message.meta or {}),
                    sent_at=message.sent_at,
                    created_at=message.created_at,
                ),
            )
        )


class ReplyChannelOut(msgspec.Struct):
    channel_id: uuid.UUID
    kind: str
    name: str


class ReplyWindowOut(msgspec.Struct):
    """How long, and how often, the ticket's channel still accepts replies (WeChat: 48 h, 5 replies)."""

    state: str
    reason: str | None
    opened_at: datetime | None
    expires_at: datetime | None
    replies_allowed: int
    replies_left: int
    #: When closed: whether the channel's template message can be sent (reply with ``via: "template"``)
    template_available: bool
    #: When closed: the contact's other channels (reply with ``via: "<channel id>"``).
    other_channels: list[ReplyChannelOut]

    @classmethod
    def of(cls, state: WindowState | None) -> ReplyWindowOut | None:
        if state is None:
            return None
        alternatives = state.alternatives or {}
        return cls(
            state=state.state,
            reason=state.reason,
            opened_at=state.opened_at,
            expires_at=state.expires_at,
            replies_allowed=state.replies_allowed,
            replies_left=state.replies_left,
            template_available=bool(alternatives.get("template")),
            other_channels=[
                ReplyChannelOut(channel_id=uuid.UUID(c["channel_id"]), kind=c["kind"], name=c["name"])
                for c in alternatives.get("channels", [])
            ],
        )


class TicketOut(TicketItem, kw_only=True):
    linked_ticket_id: uuid.UUID | None
    resolved_at: datetime | None
    closed_at: datetime | None
    #: Null when the ticket's channel answers at any time (e-mail, API); set for WeChat.
    reply_window: ReplyWindowOut | None
    messages: list[MessageOut]


class EventOut(msgspec.Struct):
    id: int
    kind: str
    at: datetime
    actor_user_id: uuid.UUID | None
    message_id: uuid.UUID | None
    data: dict[str, Any]


class AttachmentIn(msgspec.Struct, forbid_unknown_fields=True):
    filename: Annotated[str, fits(Attachment.filename)]
    data_base64: str
    content_type: Annotated[str, fits(Attachment.content_type)] | None = None


class DraftIn(msgspec.Struct, forbid_unknown_fields=True):
    text: str = ""
    html: str | None = None
    attachments: list[AttachmentIn] = msgspec.field(default_factory=list)
    #: Replies only. Empty: the ticket's channel. ``template``: the channel's template message (past a
    #: closed reply window). A channel id: another channel the contact is known on.
    via: str | None = None
    #: Replies only: the id of the last ticket event you saw. If someone else replied or wrote a
    #: note since, the reply is refused with 409 ``reply_collision`` (``message_ids`` names theirs).
    seen_event: Annotated[int, msgspec.Meta(ge=0)] | None = None

    def draft(self) -> tickets.Draft:
        via = (self.via or "").strip()
        channel_id = None
        if via and via != "template":
            try:
                channel_id = uuid.UUID(via)
            except ValueError:
                raise InvalidInput(detail="via must be empty, 'template' or a channel id") from None
        return tickets.Draft(
            text=self.text,
            html=self.html,
            attachments=[
                tickets.decode_attachment(a.filename, a.content_type, a.data_base64) for a in self.attachments
            ],
            channel_id=channel_id,
            template=via == "template",
            seen_event=self.seen_event,
        )


class DraftOut(msgspec.Struct):
    #: ``reply`` or ``note``.
    kind: str
    text: str
    updated_at: datetime


class DraftTextIn(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(max_length=drafts.MAX_TEXT)]


class DraftSavedOut(msgspec.Struct):
    kind: str
    #: Null when the text was empty and the draft removed.
    saved_at: datetime | None


class AssignIn(msgspec.Struct, forbid_unknown_fields=True):
    assignee_id: uuid.UUID | None
    reason: str | None = None


class EscalateIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, says_something(escalation.MAX_REASON)]
    #: 1 team lead, 2 department head, 3 management; default: one level up.
    level: Annotated[int, msgspec.Meta(ge=1, le=MAX_ESCALATION_LEVEL)] | None = None


class StatusIn(msgspec.Struct, forbid_unknown_fields=True):
    status: TicketStatus


class PriorityIn(msgspec.Struct, forbid_unknown_fields=True):
    priority: Priority


class ScenarioIn(msgspec.Struct, forbid_unknown_fields=True):
    scenario: Scenario


class TagsIn(msgspec.Struct, forbid_unknown_fields=True):
    add: list[Annotated[str, says_something(tickets.MAX_TAG)]] = msgspec.field(default_factory=list)
    remove: list[Annotated[str, says_something(tickets.MAX_TAG)]] = msgspec.field(default_factory=list)


class NewCallIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The call a new ticket on a phone line logs (the number is the ticket's ``to``)."""

    direction: Literal["inbound", "outbound"] = "outbound"
    started_at: datetime
    duration_seconds: Annotated[int, msgspec.Meta(ge=0, le=manual.LONGEST_CALL)] = 0
    outcome: Disposition = Disposition.answered


class NewTicketIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A ticket an agent starts: an e-mail, a WeChat template message, or a call had on a phone line."""

    channel_id: uuid.UUID
    #: The person's address on that channel: an e-mail address, a WeChat openid, a phone number.
    to: Annotated[str, says_something(ContactIdentity.value.type.length)]
    #: Their name, for a contact the hub does not know yet.
    name: Annotated[str, fits(Contact.name)] | None = None
    subject: Annotated[str, fits(Ticket.subject)] | None = None
    #: The message (e-mail, WeChat template); the call's notes on a phone line.
    text: Annotated[str, msgspec.Meta(max_length=100_000)] = ""
    #: Required on a phone line, refused elsewhere.
    call: NewCallIn | None = None


class MergeIn(msgspec.Struct, forbid_unknown_fields=True):
    #: The ticket this one is folded into.
    into: uuid.UUID
    reason: Annotated[str, fits(TicketMerge.reason)] | None = None


class SplitIn(msgspec.Struct, forbid_unknown_fields=True):
    message_id: uuid.UUID
    #: The new ticket's subject; default: this ticket's.
    subject: Annotated[str, fits(Ticket.subject)] | None = None


class UndoIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, fits(TicketMerge.reason)] | None = None


class MergeOut(msgspec.Struct):
    id: uuid.UUID
    #: ``merge``: ``source`` went into ``target``; ``split``: a message of ``source`` became ``target``.
    kind: str
    source_id: uuid.UUID
    target_id: uuid.UUID
    message_ids: list[uuid.UUID]
    actor_id: uuid.UUID | None
    reason: str | None
    created_at: datetime
    undone_at: datetime | None
    undone_by_id: uuid.UUID | None

    @classmethod
    def of(cls, row: TicketMerge) -> MergeOut:
        return cls(
            id=row.id,
            kind=row.kind,
            source_id=row.source_id,
            target_id=row.target_id,
            message_ids=list(row.message_ids),
            actor_id=row.actor_id,
            reason=row.reason,
            created_at=row.created_at,
            undone_at=row.undone_at,
            undone_by_id=row.undone_by_id,
        )


class SplitOut(msgspec.Struct):
    ticket: TicketItem
    merge: MergeOut


class BulkIn(msgspec.Struct, forbid_unknown_fields=True):
    #: Exactly the selected tickets; each is changed through its own use case and audited.
    ticket_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=bulk_actions.MAX_TICKETS)]
    action: Literal["assign", "status", "priority", "tags", "merge"]
    #: ``assign``: the user, or null to put the tickets back in the team queue.
    assignee_id: uuid.UUID | None = None
    status: TicketStatus | None = None
    priority: Priority | None = None
    add_tags: list[Annotated[str, says_something(tickets.MAX_TAG)]] = msgspec.field(default_factory=list)
    remove_tags: list[Annotated[str, says_something(tickets.MAX_TAG)]] = msgspec.field(default_factory=list)
    #: ``merge``: the selected ticket the others go into.
    into: uuid.UUID | None = None


class BulkRefusal(msgspec.Struct):
    ticket_id: uuid.UUID
    code: str
    detail: str


class BulkOut(msgspec.Struct):
    #: How many tickets were asked for (the selection, each once) and how many changed.
    selected: int
    changed: int
    done: list[uuid.UUID]
    refused: list[BulkRefusal]


class TicketController(Controller):
    path = "/api/v1/tickets"
    security = BEARER
    tags = ["tickets"]

    @get("/", guards=[any_user])
    async def list_tickets(
        self,
        request: Request,
        db: NamedDependency[AsyncSession],
        status: Annotated[
            list[TicketStatus] | None, QueryParameter(description="One or more statuses")
        ] = None,
        assignee: Annotated[
            str | None, QueryParameter(description="A user id, `me` or `none`", pattern=views.ASSIGNEE)
        ] = None,
        team: FromQuery[uuid.UUID | None] = None,
        channel: FromQuery[ChannelKind | None] = None,
        organization: FromQuery[uuid.UUID | None] = None,
        contact: FromQuery[uuid.UUID | None] = None,
        scenario: FromQuery[Scenario | None] = None,
        priority: FromQuery[Priority | None] = None,
        tag: FromQuery[str | None] = None,
        q: Annotated[
            str | None, QueryParameter(description="Words in subjects, messages and contact names")
        ] = None,
        breached: Annotated[
            bool, QueryParameter(description="Only tickets with an SLA target breached or past due (staff)")
        ] = False,
        callback: Annotated[
            bool, QueryParameter(description="Only phone tickets owing a callback for a missed call (staff)")
        ] = False,
        sla: Annotated[
            Literal["breached", "at_risk", "on_track"] | None,
            QueryParameter(
                description="Where the SLA stands: breached, at_risk (due within the hour) or on_track (staff)"
            ),
        ] = None,
        sort: Annotated[
            str,
            QueryParameter(
                description="`<column>` ascending or `-<column>` descending; `due`: the earliest running SLA "
                "target, then the longest wait. Columns: " + ", ".join(views.SORT_KEYS),
                pattern="^-?(" + "|".join(views.SORT_KEYS) + ")$",
            ),
        ] = views.NEWEST_FIRST,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=views.MAX_PAGE)] = 50,
    ) -> TicketPageOut:
        user: CurrentUser = request.user
        page = await views.list_tickets(
            db,
            user.actor,
            views.TicketFilter(
                status=status,
                assignee=assignee,
                team_id=team,
                channel=channel,
                organization_id=organization,
                contact_id=contact,
                scenario=scenario,
                priority=priority,
                tag=tag,
                q=q,
                breached=breached,
                callback=callback,
                sla=sla,
            ),
            cursor=cursor,
            limit=limit,
            sort=sort,
        )
        return TicketPageOut(
            items=[TicketItem.of(t, c, user.actor) for t, c in page.items], next_cursor=page.next_cursor
        )

    @post("/", guards=[staff], status_code=201, opt={NUL_OPT: STRIP})
    async def create(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        data: JSONBody[NewTicketIn],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(
                name="Idempotency-Key",
                min_length=1,
                max_length=100,
                pattern=r"^[\x21-\x7e]+$",
                description="Repeat a request with the same key: the ticket is opened once, and the "
                "repeat answers with it.",
            ),
        ] = None,
    ) -> TicketItem:
        """Start a ticket: the agent's e-mail or WeChat template message, sent through the outbox as
        a reply is, or a call the agent had, logged on a phone line (``call``)."""
        user: CurrentUser = request.user
        key = idempotency_key or str(uuid.uuid4())
        kind = await db.scalar(sa.select(Channel.kind).where(Channel.id == data.channel_id))
        if kind is None:
            raise NotFound(what="channel")
        if kind is ChannelKind.PHONE:
            if data.call is None:
                raise InvalidInput(detail="a phone line's new ticket needs its call")
            call = manual.CallLogIn(
                direction=data.call.direction,
                number=data.to,
                started_at=data.call.started_at,
                duration_seconds=data.call.duration_seconds,
                outcome=data.call.outcome,
                notes=data.text,
            )
            result = await manual.open_ticket(hub, user.actor, data.channel_id, call, key=key, name=data.name)
        else:
            if data.call is not None:
                raise InvalidInput(detail="call is for phone lines only")
            result = await opening.start(
                hub,
                user.actor,
                opening.NewTicket(
                    channel_id=data.channel_id,
                    to=data.to,
                    text=data.text,
                    key=key,
                    subject=data.subject,
                    name=data.name,
                ),
            )
        assert result.ticket_id is not None
        return await self._item(db, user, result.ticket_id)

    @post("/{ticket_id:uuid}/messages/{message_id:uuid}/retry", guards=[staff], status_code=200)
    async def retry(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        ticket_id: FromPath[uuid.UUID],
        message_id: FromPath[uuid.UUID],
    ) -> MessageOut:
        """Send a failed reply again: back in the outbox, its failure cleared (409 unless it failed)."""
        user: CurrentUser = request.user
        message = await delivery.retry(hub, user.actor, ticket_id, message_id)
        return MessageOut.of(message, [], user.actor)

    @get("/{ticket_id:uuid}/drafts", guards=[staff])
    async def my_drafts(
        self, request: Request, db: NamedDependency[AsyncSession], ticket_id: FromPath[uuid.UUID]
    ) -> list[DraftOut]:
        """Your unsent reply and note on this ticket, kept by the server as you type."""
        user: CurrentUser = request.user
        await tickets.load_for(db, user.actor, ticket_id)
        found = await drafts.mine(db, user.actor, ticket_id)
        return [DraftOut(kind=d.kind, text=d.text, updated_at=d.updated_at) for d in found.values()]

    @put("/{ticket_id:uuid}/drafts/{kind:str}", guards=[staff], status_code=200, opt={NUL_OPT: STRIP})
    async def save_draft(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        ticket_id: FromPath[uuid.UUID],
        kind: FromPath[Literal["reply", "note"]],
        data: JSONBody[DraftTextIn],
    ) -> DraftSavedOut:
        """Keep your unsent ``reply`` or ``note`` (an empty text removes it); sending it removes it too."""
        user: CurrentUser = request.user
        saved = await drafts.save(hub, user.actor, ticket_id, kind, data.text)
        return DraftSavedOut(kind=kind, saved_at=saved)

    @get("/{ticket_id:uuid}", guards=[any_user])
    async def read(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        ticket_id: FromPath[uuid.UUID],
    ) -> TicketOut:
        user: CurrentUser = request.user
        thread = await views.ticket_thread(db, user.actor, ticket_id)
        base = TicketItem.fields(thread.ticket, thread.contact, user.actor)
        window = await views.reply_window(db, thread.ticket, now=hub.clock.now()) if user.is_staff else None
        return TicketOut(
            **base,
            linked_ticket_id=thread.linked_ticket_id,
            resolved_at=thread.ticket.resolved_at,
            closed_at=thread.ticket.closed_at,
            reply_window=ReplyWindowOut.of(window),
            messages=[
                MessageOut.of(m, thread.attachments.get(m.id, []), user.actor) for m in thread.messages
            ],
        )

    @get("/{ticket_id:uuid}/events", guards=[staff])
    async def events(
        self, request: Request, db: NamedDependency[AsyncSession], ticket_id: FromPath[uuid.UUID]
    ) -> list[EventOut]:
        """The ticket's typed event log (customer message, human response, assigned, resolved, ...)."""
        user: CurrentUser = request.user
        rows = await views.ticket_events(db, user.actor, ticket_id)
        return [
            EventOut(
                id=e.id,
                kind=e.kind.value,
                at=e.at,
                actor_user_id=e.actor_user_id,
                message_id=e.message_id,
                data=e.data,
            )
            for e in rows
        ]

    @post("/{ticket_id:uuid}/reply", guards=[staff], opt={NUL_OPT: STRIP})
    async def reply(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        ticket_id: FromPath[uuid.UUID],
        data: JSONBody[DraftIn],
    ) -> MessageOut:
        """Answer the client on the ticket's channel; delivery status follows on the message."""
        user: CurrentUser = request.user
        message = await tickets.reply(hub, user.actor, ticket_id, data.draft())
        return MessageOut.of(message, [], user.actor)

    @post("/{ticket_id:uuid}/notes", guards=[staff], opt={NUL_OPT: STRIP})
    async def note(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        ticket_id: FromPath[uuid.UUID],
        data: JSONBody[DraftIn],
    ) -> MessageOut:
        user: CurrentUser = request.user
        message = await tickets.note(hub, user.actor, ticket_id, data.draft())
        return MessageOut.of(message, [], user.actor)

    @post("/{ticket_id:uuid}/calls", guards=[staff], opt={NUL_OPT: STRIP})
    async def log_call(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        ticket_id: FromPath[uuid.UUID],
        data: JSONBody[manual.CallLogIn],
    ) -> MessageOut:
        """Log a call had outside the PBX (direction, number, start, duration, outcome, notes): the
        same call message a line's log makes, on this ticket, at the call's own time."""
        user: CurrentUser = request.user
        message = await manual.log_call(hub, user.actor, ticket_id, data)
        return MessageOut.of(message, [], user.actor)

    @post("/{ticket_id:uuid}/assign", guards=[staff], status_code=200)
    async def assign(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        ticket_id: FromPath[uuid.UUID],
        data: JSONBody[AssignIn],
    ) -> TicketItem:
        user: CurrentUser = request.user
        await tickets.assign(hub, user.actor, ticket_id, data.assignee_id, reason=data.reason)
        return await self._item(db, user, ticket_id)

    @post("/{ticket_id:uuid}/escalate", guards=[supervisors], status_code=200)
    async def escalate(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        ticket_id: FromPath[uuid.UUID],
        data: JSONBody[EscalateIn],
    ) -> TicketItem:
        """Escalate by hand (supervisors): to ``level`` or one up, with a reason; that level's
        people and the assignee are notified. 409 when the ticket is closed or already there."""
        user: CurrentUser = request.user
        await escalation.escalate(hub, user.actor, ticket_id, reason=data.reason, level=data.level)
        return await self._item(db, user, ticket_id)

    @post("/{ticket_id:uuid}/status", guards=[staff], status_code=200)
    async def status(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        ticket_id: FromPath[uuid.UUID],
        data: JSONBody[StatusIn],
    ) -> TicketItem:
        user: CurrentUser = request.user
        await tickets.set_status(hub, user.actor, ticket_id, data.status)
        return await self._item(db, user, ticket_id)

    @post("/{ticket_id:uuid}/priority", guards=[staff], status_code=200)
    async def priority(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        ticket_id: FromPath[uuid.UUID],
        data: JSONBody[PriorityIn],
    ) -> TicketItem:
        user: CurrentUser = request.user
        await tickets.set_priority(hub, user.actor, ticket_id, data.priority)
        return await self._item(db, user, ticket_id)

    @post("/{ticket_id:uuid}/scenario", guards=[staff], status_code=200)
    async def scenario(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        ticket_id: FromPath[uuid.UUID],
        data: JSONBody[ScenarioIn],
    ) -> TicketItem:
        user: CurrentUser = request.user
        await tickets.set_scenario(hub, user.actor, ticket_id, data.scenario)
        return await self._item(db, user, ticket_id)

    @post("/{ticket_id:uuid}/tags", guards=[staff], status_code=200)
    async def tags_(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        ticket_id: FromPath[uuid.UUID],
        data: JSONBody[TagsIn],
    ) -> TicketItem:
        user: CurrentUser = request.user
        await tickets.change_tags(hub, user.actor, ticket_id, add=data.add, remove=data.remove)
        return await self._item(db, user, ticket_id)

    @post("/bulk", guards=[staff], status_code=200)
    async def bulk(self, request: Request, hub: NamedDependency[Hub], data: JSONBody[BulkIn]) -> BulkOut:
        """One action on exactly these tickets (assign, status, priority, tags, merge), each through
        its own use case and audited; a ticket that refuses is listed with the reason, the others change."""
        user: CurrentUser = request.user
        action = bulk_actions.BulkAction(
            action=data.action,
            assignee_id=data.assignee_id,
            status=data.status,
            priority=data.priority,
            add_tags=data.add_tags,
            remove_tags=data.remove_tags,
            into=data.into,
        )
        result = await bulk_actions.apply(hub, user.actor, data.ticket_ids, action)
        locale = locale_of(request)
        return BulkOut(
            selected=len(dict.fromkeys(data.ticket_ids)),
            changed=len(result.done),
            done=result.done,
            refused=[
                BulkRefusal(
                    ticket_id=r.ticket_id,
                    code=r.problem.code,
                    detail=translate(r.problem.code, locale, **r.problem.params),
                )
                for r in result.refused
            ],
        )

    @post("/{ticket_id:uuid}/merge", guards=[staff], status_code=200)
    async def merge(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        ticket_id: FromPath[uuid.UUID],
        data: JSONBody[MergeIn],
    ) -> MergeOut:
        """Fold this ticket into ``into``: its messages and threading keys move there, it is closed
        as merged and leaves every list. A supervisor can undo it (``/merges/{id}/undo``)."""
        user: CurrentUser = request.user
        return MergeOut.of(await merge.merge(hub, user.actor, ticket_id, data.into, reason=data.reason))

    @post("/{ticket_id:uuid}/split", guards=[staff], status_code=201)
    async def split(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        db: NamedDependency[AsyncSession],
        ticket_id: FromPath[uuid.UUID],
        data: JSONBody[SplitIn],
    ) -> SplitOut:
        """Move one message out of this ticket into a new ticket of the same contact and channel."""
        user: CurrentUser = request.user
        done = await merge.split(hub, user.actor, ticket_id, data.message_id, subject=data.subject)
        return SplitOut(ticket=await self._item(db, user, done.ticket.id), merge=MergeOut.of(done.record))

    @get("/{ticket_id:uuid}/merges", guards=[staff])
    async def merges(
        self, request: Request, hub: NamedDependency[Hub], ticket_id: FromPath[uuid.UUID]
    ) -> list[MergeOut]:
        """The merges and splits this ticket took part in, newest first."""
        user: CurrentUser = request.user
        return [MergeOut.of(m) for m in await merge.merges_of(hub, user.actor, ticket_id)]

    @post("/merges/{merge_id:uuid}/undo", guards=[supervisors], status_code=200)
    async def undo_merge(
        self,
        request: Request,
        hub: NamedDependency[Hub],
        merge_id: FromPath[uuid.UUID],
        data: JSONBody[UndoIn],
    ) -> MergeOut:
        """Undo a merge or a split (supervisors): the messages that moved go back."""
        user: CurrentUser = request.user
        return MergeOut.of(await merge.undo(hub, user.actor, merge_id, reason=data.reason))

    @staticmethod
    async def _item(
        db: NamedDependency[AsyncSession], user: CurrentUser, ticket_id: FromPath[uuid.UUID]
    ) -> TicketItem:
        ticket, contact = await views.ticket_with_contact(db, user.actor, ticket_id)
        return TicketItem.of(ticket, contact, user.actor)
