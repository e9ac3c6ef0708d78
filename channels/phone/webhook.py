"""``POST /channels/phone/{channel_id}/calls``: a PBX posts each call as it ends.

Authenticated by the line's token (``Authorization: Bearer hub_ch_...``), checked before the body
is read. The body is one canonical call (:class:`CallIn`) or a FreeSWITCH ``mod_json_cdr`` document
as the PBX posts it. A body that is neither, or a call the rules cannot place, is answered 400 with
the reason and kept raw, rejected, for ``hub inbound rejected``; a replay of a call is answered
with its first result and ``duplicate: true``.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec

from channels.phone import lines
from channels.phone.calls import CallProblem, to_message
from channels.phone.records import CallRecord, Disposition
from channels.spec import Connection, WebhookRequest, WebhookResponse
from hub.core import Hub
from hub.errors import HubError
from hub.intake import channel_instances, ingest

#: Times a PBX posts without a zone are read in China's (the ``cn`` calendar's zone).
DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")


class MalformedCall(HubError):
    """Answered 400: the body is no call we can read (the reason says why)."""

    code = "malformed_call"


class CallIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One call, as any PBX (or a script beside it) can post it."""

    call_id: str
    direction: Literal["inbound", "outbound"]
    caller: str
    callee: str
    started_at: datetime
    ended_at: datetime
    disposition: Disposition
    agent_extension: str | None = None
    queue: str | None = None
    answered_at: datetime | None = None
    recording_url: str | None = None
    caller_name: str | None = None


class CallOut(msgspec.Struct):
    #: None for a call between two extensions: kept in the line's log, on no ticket.
    ticket_id: uuid.UUID | None
    message_id: uuid.UUID | None
    duplicate: bool


def _aware(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return (at if at.tzinfo is not None else at.replace(tzinfo=DEFAULT_ZONE)).astimezone(UTC)


def _token(request: WebhookRequest) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


async def check_token(connection: Connection, hub: Hub, request: WebhookRequest) -> None:
    await channel_instances.verify_token(hub, request.channel_id, _token(request))


def read_body(body: bytes) -> CallRecord:
    """The call a body holds, or :class:`CallProblem` saying why there is none."""
    if body.lstrip().startswith(b"cdr="):  # FreeSWITCH told to post its JSON as a form field
        return _freeswitch(body)
    try:
        document: Any = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise CallProblem(f"the body is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise CallProblem("the body must be a JSON object: one call")
    if "call_id" in document:
        try:
            call = msgspec.convert(document, CallIn)
        except msgspec.ValidationError as exc:
            raise CallProblem(str(exc).replace(" - at `$.", " at ").rstrip("`")) from None
        started, ended = _aware(call.started_at), _aware(call.ended_at)
        assert started is not None and ended is not None
        return CallRecord(
            call_id=call.call_id,
            caller=call.caller,
            callee=call.callee,
            caller_name=call.caller_name,
            direction=call.direction,
            agent_extension=call.agent_extension,
            queue=call.queue,
            started_at=started,
            answered_at=_aware(call.answered_at),
            ended_at=ended,
            disposition=call.disposition,
            recording_url=call.recording_url,
        )
    if "variables" in document or "callflow" in document:
        return _freeswitch(body)
    raise CallProblem("neither a call (no call_id) nor a FreeSWITCH JSON CDR (no variables)")


def _freeswitch(body: bytes) -> CallRecord:
    from channels.phone.cdr import CdrError, read_json_cdr  # the readers, only for such a body

    try:
        return read_json_cdr(body, timezone=DEFAULT_ZONE)
    except CdrError as exc:
        raise CallProblem(str(exc)) from None


async def post_call(connection: Connection, hub: Hub, request: WebhookRequest) -> WebhookResponse:
    body = await request.body()
    try:
        message, internal = to_message(read_body(body), await lines.load(hub, request.channel_id))
    except CallProblem as exc:
        digest = hashlib.sha256(body).hexdigest()[:32]
        await ingest.keep_unreadable(
            hub, request.channel_id, external_id=f"malformed:{digest}", payload=body, reason=str(exc)
        )
        raise MalformedCall(detail=str(exc)) from None
    if internal:
        new = await ingest.keep_logged(hub, [(message, body)])
        answer = CallOut(ticket_id=None, message_id=None, duplicate=not new[0])
    else:
        result = await ingest.ingest(hub, message, payload=body)
        answer = CallOut(ticket_id=result.ticket_id, message_id=result.message_id, duplicate=result.duplicate)
    return WebhookResponse(200, msgspec.json.encode(answer), "application/json")
