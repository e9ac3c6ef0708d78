"""The one type every channel turns its traffic into."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import msgspec

from hub.errors import HubError


class Sender(msgspec.Struct, frozen=True):
    #: The sender's address on the channel: an e-mail address, ``appid:openid``, a phone number...
    identity: str
    name: str | None = None


class InboundAttachment(msgspec.Struct, frozen=True):
    filename: str
    content_type: str = "application/octet-stream"
    #: The bytes, when the channel has them; replaced by ``sha256`` once stored.
    data: bytes | None = None
    sha256: str | None = None
    size: int | None = None
    content_id: str | None = None


class WindowGrant(msgspec.Struct, frozen=True):
    """A reply window this message opens: the channel lets us answer ``replies`` times within ``seconds``.

    Channels that only allow answers shortly after the customer spoke (WeChat's customer-service
    messages: 48 h and 5 replies per user message) say so per message; the hub tracks it per
    identity and refuses replies the channel would refuse anyway (see :mod:`hub.tickets.windows`).
    """

    seconds: int
    replies: int


class InboundMessage(msgspec.Struct, frozen=True, kw_only=True):
    channel_id: uuid.UUID
    #: The channel's id for this message (Message-ID, MsgId, ...); the idempotency key.
    external_id: str
    sender: Sender
    text: str = ""
    subject: str | None = None
    html: str | None = None
    type: str = "text"
    attachments: tuple[InboundAttachment, ...] = ()
    #: A conversation key the channel owns (API thread_ref, web-chat conversation id). When given and
    #: unknown, it starts a new ticket: a channel that names its conversations is authoritative.
    thread_ref: str | None = None
    #: The ticket's reply token, when the channel found one (e-mail ``support+<token>@``).
    reply_token: str | None = None
    #: External ids of earlier messages this one answers (e-mail In-Reply-To and References).
    references: tuple[str, ...] = ()
    #: A ticket number the sender quoted (e-mail subject ``[#10042]``). Weaker than the keys above:
    #: anyone can type a number, so it threads only when the sender takes part in that ticket;
    #: otherwise the message opens a new ticket linked to it.
    ticket_number_hint: int | None = None
    #: May the hub join the contact's recent open ticket when nothing explicit matches? Channels
    #: whose messages name their thread when they continue one (e-mail) say no: a new mail without
    #: references is a new conversation, however recent the last one.
    thread_by_recency: bool = True
    sent_at: datetime | None = None
    #: Automatic traffic (auto-replies): kept on the ticket, never reopens it nor counts as the client's.
    is_auto: bool = False
    #: False for notices (a menu link opened, an unfollow, a delivery receipt): they join the contact's
    #: latest ticket on the channel without waking it, and never ask anything of the team by themselves.
    opens_ticket: bool = True
    #: The reply window this message opens, on channels that limit when we may answer.
    window: WindowGrant | None = None
    #: The sender ``joined`` (followed) or ``left`` (unfollowed) the channel; kept on their identity.
    sender_status: str | None = None
    #: ``outbound`` for what an agent did on the channel outside the hub (a phone call they placed):
    #: stored as their outbound message and counted as the team's response (first response for the
    #: SLA). ``sender`` is then the client they talked to, whose conversation it joins or opens.
    direction: Literal["inbound", "outbound"] = "inbound"
    #: The agent who placed an ``outbound`` message (required with it, refused without it).
    author_user_id: uuid.UUID | None = None
    #: An agent's ``outbound`` message the hub has yet to send (a new ticket started by e-mail or a
    #: WeChat template): stored queued rather than sent; the caller puts it in the outbox.
    deliver: bool = False
    #: False for an agent's ``outbound`` attempt that reached nobody (a call nobody picked up): kept
    #: on the ticket as theirs, it answers nothing (no clock is met), takes nothing up and assigns
    #: nobody; only reaching the client is a response.
    reached: bool = True
    #: When an agent answered this ``inbound`` message on the channel itself (a call picked up):
    #: the conversation happened there, so it is the team's response, logged at that instant.
    answered_at: datetime | None = None
    #: The agent who answered it, when the channel knows them (a mapped PBX extension).
    answered_by_user_id: uuid.UUID | None = None
    #: ``sent_at`` is the channel's own, trusted record of when this happened (a PBX's call log,
    #: not a mail's Date header that anyone writes): the ticket's events, hence its clocks and
    #: metrics, are logged at that instant, so a log imported today for yesterday is measured at
    #: yesterday's times.
    at_sent_time: bool = False
    #: The visitor's own id for the message (web chat), sent again with every retry of it. A channel
    #: with no message ids of its own leaves ``external_id`` empty and the funnel keys the message by
    #: this id scoped to the sender, so a retry is recognised as the same message.
    client_message_id: str | None = None
    #: The message answers the satisfaction survey sent for this ticket: it joins that ticket and
    #: never opens nor reopens one, nor counts as the client waiting for the team.
    survey_ticket_id: uuid.UUID | None = None
    meta: dict[str, Any] = msgspec.field(default_factory=dict)


class StoredInbound(msgspec.Struct, frozen=True):
    """A payload committed raw, not yet (or already) processed: what a push channel answers on."""

    raw_id: uuid.UUID
    #: False when the channel sent this (channel, external id) before: a retry or a replay.
    new: bool
    channel_kind: str


class IngestResult(msgspec.Struct, frozen=True):
    #: None only for a notice (``opens_ticket=False``) from a contact with no ticket on the channel:
    #: it is kept raw and on the identity, and asks nothing of the team.
    ticket_id: uuid.UUID | None
    message_id: uuid.UUID | None
    duplicate: bool
    created_ticket: bool = False


@dataclass(frozen=True, slots=True)
class StoredBatch:
    """Stored payloads of one channel processed together (``ingest.process_stored``): per payload, in
    processing order, its raw id, its message and its result or the error processing it raised."""

    #: None when the payload named is unknown.
    channel_kind: str | None
    items: list[tuple[uuid.UUID, InboundMessage, IngestResult | HubError]]
