"""One call, whatever PBX logged it: the record every CDR format and the live webhook turn into.

Asterisk writes one row per leg and FreeSWITCH one file per leg; an import merges them first, so
everything after this point (numbers, direction, the ticket, the clocks) sees one call once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec


class Disposition(StrEnum):
    """How the call ended, from the caller's side. Everything but ``answered`` is a missed call
    when it came in, and an unanswered attempt when an agent placed it."""

    answered = "answered"
    no_answer = "no_answer"
    busy = "busy"
    failed = "failed"
    abandoned = "abandoned"
    voicemail = "voicemail"


class CallRecord(msgspec.Struct, frozen=True, kw_only=True):
    #: The PBX's id for the whole call (Asterisk ``linkedid`` or ``uniqueid``, FreeSWITCH's a-leg
    #: uuid): the idempotency key, so importing the same log twice changes nothing.
    call_id: str
    #: The numbers as the PBX wrote them; normalising to E.164 needs the channel's region.
    caller: str
    callee: str
    caller_name: str | None = None
    #: ``inbound`` or ``outbound`` when the log says so (the webhook, an export's direction column);
    #: None lets the channel decide from its numbers and extensions. FreeSWITCH's ``direction``
    #: is the leg's direction at the switch (an agent's call out starts with an "inbound" a-leg),
    #: so its readers leave this None.
    direction: str | None = None
    #: The extension that answered (or placed) the call, when the log names one.
    agent_extension: str | None = None
    queue: str | None = None
    #: Aware datetimes, in UTC: the times of the call itself, not of the import.
    started_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime
    disposition: Disposition
    recording_url: str | None = None
    #: How many CDR rows or files were merged into this call.
    legs: int = 1


class RowProblem(msgspec.Struct, frozen=True):
    """A row that could not be read: reported with where it is, while the rest goes in."""

    file: str
    line: int
    reason: str
