"""What FreeSWITCH's records share, in CSV or JSON: hangup causes, and legs joined into calls.

FreeSWITCH writes one record per channel: the caller's a-leg and a b-leg for every phone it rang.
The a-leg names the b-leg that answered (``bleg_uuid``); a b-leg names its a-leg only in JSON
(``originator``), so in CSV the b-legs that lost a ring group stand alone and are joined to the
call of the same caller that was ringing when they started.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from channels.phone.cdr.legs import Leg
from channels.phone.records import Disposition

#: Q.850 cause names (``hangup_cause``) of a leg nobody answered, by what they mean to the caller.
_CAUSES: dict[str, Disposition] = {
    "USER_BUSY": Disposition.busy,
    "CALL_REJECTED": Disposition.busy,
    "NO_ANSWER": Disposition.no_answer,
    "NO_USER_RESPONSE": Disposition.no_answer,
    "RECOVERY_ON_TIMER_EXPIRE": Disposition.no_answer,
    "ALLOTTED_TIMEOUT": Disposition.no_answer,
    "PROGRESS_TIMEOUT": Disposition.no_answer,
    "LOSE_RACE": Disposition.no_answer,
    "PICKED_OFF": Disposition.no_answer,
    "ORIGINATOR_CANCEL": Disposition.abandoned,
    "NORMAL_CLEARING": Disposition.abandoned,
    "NORMAL_UNSPECIFIED": Disposition.abandoned,
}

#: Causes of legs that lost to another leg of the same call (a ring group, a pickup).
LOST_RACE = frozenset({"LOSE_RACE", "PICKED_OFF"})


def missed(cause: str, sip_disposition: str = "") -> Disposition:
    """A leg's outcome when no person answered it: the caller cancelling (``ORIGINATOR_CANCEL``,
    or a SIP CANCEL received) is an abandoned call; a cause that is neither busy, unanswered nor
    the caller's own hang-up is a failure (no route, unregistered phone, network)."""
    if sip_disposition == "recv_cancel":
        return Disposition.abandoned
    return _CAUSES.get(cause.strip().upper(), Disposition.failed)


def looks_like_cause(text: str) -> bool:
    """Whether a field is a Q.850 cause name as FreeSWITCH writes them (``NORMAL_CLEARING``)."""
    text = text.strip()
    return bool(text) and text.replace("_", "").isalpha() and text.isupper() and "_" in text


class Channel(msgspec.Struct, kw_only=True, gc=False):
    """One FreeSWITCH record read, before it knows which call it belongs to."""

    uuid: str
    #: Other channels' uuids this record names (its b-leg, its originator).
    links: tuple[str, ...] = ()
    #: Created by another channel (a b-leg): it cannot be its call's a-leg.
    originated: bool = False
    #: The a-leg that created it, when the record says (JSON's ``originator``).
    originator: str = ""
    answered: bool
    #: Bridged to another channel (``bleg_uuid``, ``bridge_channel``): a person answered.
    bridged: bool
    #: The number this channel dialled: the phone rung, for a b-leg.
    destination: str
    leg: Leg


def calls_of(channels: Iterable[Channel]) -> list[Leg]:
    """Every channel's leg, keyed by its call's a-leg uuid, with who answered decided per call."""
    channels = list(channels)
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.get(key, key) != key:
            parent[key] = parent.get(parent[key], parent[key])
            key = parent[key]
        return key

    for channel in channels:
        parent.setdefault(channel.uuid, channel.uuid)
        for link in channel.links:
            parent.setdefault(link, link)
            a, b = root(channel.uuid), root(link)
            if a != b:
                parent[b] = a
    groups: dict[str, list[Channel]] = {}
    for channel in channels:
        groups.setdefault(root(channel.uuid), []).append(channel)
    calls = _join_strays(list(groups.values()))
    legs: list[Leg] = []
    for members in calls:
        a_leg = _a_leg(members)
        members.remove(a_leg)
        members.insert(0, a_leg)
        others = members[1:]
        # A b-leg whose a-leg is not in this log (posted or filed apart) still carries its call's id.
        call_id = a_leg.originator if a_leg.originated and a_leg.originator else a_leg.uuid
        answered_elsewhere = any(other.answered for other in others)
        for channel in members:
            leg = channel.leg
            leg.group = call_id
            if channel is a_leg and channel.originated:
                # Only a b-leg of this call is in the log: the phone it rang is who answered.
                leg.sequence = 0
                leg.person_answered = channel.answered
                if channel.answered:
                    leg.answered_by, leg.answered_by_direct = channel.destination or None, True
            elif channel is a_leg:
                leg.sequence = 0
                # Answered through a b-leg in the log: that b-leg's phone and moment count.
                leg.person_answered = channel.answered and channel.bridged and not answered_elsewhere
            else:
                leg.sequence = 1
                leg.caller = leg.caller or a_leg.leg.caller
                leg.person_answered = channel.answered
                if leg.outcome is Disposition.abandoned:
                    # A phone's leg is cancelled when the caller's goes, whyever it went: the
                    # caller's own leg says whether they gave up; this phone just did not answer.
                    leg.outcome = Disposition.no_answer
                if channel.answered and channel.destination != a_leg.destination:
                    leg.answered_by, leg.answered_by_direct = channel.destination or None, True
                elif channel.answered:
                    leg.answered_by = None  # the far end of a call placed through a gateway
            legs.append(leg)
    return legs


def _join_strays(groups: list[list[Channel]]) -> list[list[Channel]]:
    """Lone unanswered channels joined to the call of the same caller that was ringing when they
    started: the b-legs a CSV log cannot link (a ring group's losers, a ring-no-answer). One that
    dialled the same number as that call's a-leg is another call from the same line (a company's
    switchboard number calling twice at once) and stays one."""
    groups.sort(key=lambda members: min(c.leg.started_at for c in members))
    kept: list[list[Channel]] = []
    ringing: dict[str, list[Channel]] = {}
    for members in groups:
        if len(members) == 1 and not members[0].answered and not members[0].links:
            stray = members[0]
            host = ringing.get(stray.leg.caller)
            if (
                host is not None
                and stray.leg.caller
                and stray.destination != _a_leg(host).destination  # a b-leg rings a phone, not the line
                and min(c.leg.started_at for c in host)
                <= stray.leg.started_at
                <= max(c.leg.ended_at for c in host)
            ):
                host.append(stray)
                continue
        kept.append(members)
        caller = _a_leg(members).leg.caller
        if caller:
            ringing[caller] = members
    return kept


def _a_leg(members: list[Channel]) -> Channel:
    return min(members, key=lambda c: (c.originated, c.leg.started_at, not c.bridged, c.leg.line))
