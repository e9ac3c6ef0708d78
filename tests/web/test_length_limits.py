"""Every length limit of the schema is checked when a request is decoded: a clear 422, never a 500.

A ``varchar(N)`` column refuses a longer value only at the INSERT, as an error the API answered
with 500. The request bodies take their limits from the columns (:func:`hub.commands.fits`); the
walk below fails when a body field stored in a ``varchar`` column has no limit or another one.
"""

from __future__ import annotations

import typing
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import AsyncTestClient

from hub.core import Hub
from hub.domain import ChannelKind, Role
from hub.models import (
    ActionItem,
    ApiToken,
    Attachment,
    BusinessCalendar,
    CalendarDay,
    Channel,
    Decision,
    Handoff,
    Meeting,
    MeetingSeries,
    Message,
    Organization,
    QualityCase,
    Requirement,
    SavedView,
    ScheduleChange,
    ShippingNotice,
    SlaPolicy,
    Team,
    Ticket,
    TicketDraft,
    TicketMerge,
    User,
)
from tests import factories
from tests.web.helpers import Cast, assert_problem

pytestmark = pytest.mark.anyio

#: Request body -> the table its fields are stored in, column by column of the same name.
STORED_IN: dict[str, type] = {
    "TokenIn": ApiToken,
    "DraftIn": Message,
    "web.api.tickets.AttachmentIn": Attachment,
    "TagsIn": Ticket,
    "OrganizationIn": Organization,
    "OrganizationPatch": Organization,
    "UserIn": User,
    "UserPatch": User,
    "ProfilePatch": User,
    "TeamIn": Team,
    "TeamPatch": Team,
    "ChannelIn": Channel,
    "ChannelPatch": Channel,
    "PolicyIn": SlaPolicy,
    "PolicyPatch": SlaPolicy,
    "RequirementIn": Requirement,
    "HandoffIn": Handoff,
    "NoticeIn": ShippingNotice,
    "ScheduleChangeIn": ScheduleChange,
    "InvitationIn": User,
    "CalendarIn": BusinessCalendar,
    "MergeIn": TicketMerge,
    "UndoIn": TicketMerge,
    "SplitIn": Ticket,
    "SavedViewIn": SavedView,
    "DayIn": CalendarDay,  # the note is text; the periods are stored parsed, as a list
    "web.api.decisions.DecisionIn": Decision,
    "NewCaseIn": QualityCase,
    "SeriesIn": MeetingSeries,
    "MinutesIn": Meeting,
    "web.api.portal_company.DecisionIn": ActionItem,
    "ActionItemIn": ActionItem,
    "DraftTextIn": TicketDraft,
}
#: Bodies whose text is not stored in a column of its own name, and why.
NOT_STORED: dict[str, str] = {
    "LoginIn": "compared with the stored address, never written",
    "CodeIn": "a one-time code, compared",
    "AssignIn": "the reason goes into the ticket's event data (jsonb)",
    "EscalateIn": "the reason goes into the ticket's event data (jsonb)",
    "HandoverIn": "the reason goes into the audit trail (text)",
    "TransferIn": "the reason goes into the requirement's events (jsonb)",
    "TransitionIn": "the reason goes into the requirement's events (jsonb)",
    "FeedbackIn": "the note goes into the requirement's events (jsonb)",
    "AnswerIn": "a message text (text)",
    "ChannelMessageIn": "the inbound funnel checks each limit of a message from any channel",
    "SenderIn": "the inbound funnel checks each limit of a message from any channel",
    "channels.api.inbound.AttachmentIn": "the inbound funnel checks each limit of a message from any channel",
    "ExtensionIn": "the user's address or id, looked up, never written",
    "CallLogIn": "the notes go into the message text (text), the number into its call record (jsonb)",
    "PlaybookIn": "the playbook's id is looked up in the library, the step in its version; the skip reason goes into jsonb",
    "DoneIn": "form values and the note go into the run's jsonb, each checked against its field",
    "RenderIn": "fills a reply in, stores nothing",
    "ConfirmIn": "a date proposal's reason (varchar 500), checked by the use case",
    "RejectIn": "the line's reject reason (varchar 500), limited to it",
    "ProposalIn": "a date proposal's reason (varchar 500), limited to it",
    "CancelIn": "the reason goes into the audit trail (text)",
    "AcceptIn": "the proposal's comment (varchar 500), limited to it",
    "RejectDecisionIn": "the proposal's comment (varchar 500), limited to it",
    "ReviewIn": "the comment goes into the step's review (text) and the case's conversation (a message)",
    "MessageIn": "the inbound funnel checks each limit of a message from any channel",
    "ActIn": "the code is compared, never written; the answer is a step's answer (text)",
    "NewTicketIn": "the inbound funnel checks each limit of the message that opens the ticket",
    "NewCallIn": "the call's times and outcome go into its call record (jsonb)",
    "PresenceIn": "a state kept in Redis for a few seconds",
    "SurveyAnswerIn": "the comment goes into the survey's comment (text) and the ticket's event data (jsonb)",
}


def _request_structs(app: Litestar) -> set[type[msgspec.Struct]]:
    found: set[type[msgspec.Struct]] = set()

    def walk(annotation: Any) -> None:
        for argument in typing.get_args(annotation):
            walk(argument)
        if (
            isinstance(annotation, type)
            and issubclass(annotation, msgspec.Struct)
            and annotation not in found
        ):
            found.add(annotation)
            for field in msgspec.structs.fields(annotation):
                walk(field.type)

    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if (data := handler.parsed_fn_signature.parameters.get("data")) is not None:
                walk(data.annotation)
    return found


def _key(struct: type) -> str:
    if struct.__name__ in STORED_IN or struct.__name__ in NOT_STORED:
        return struct.__name__
    return f"{struct.__module__}.{struct.__name__}"


def _text_limit(info: Any) -> tuple[bool, int | None]:
    """Whether a field's type takes text, and its max_length."""
    kinds = info.types if isinstance(info, msgspec.inspect.UnionType) else (info,)
    texts = [kind for kind in kinds if isinstance(kind, msgspec.inspect.StrType)]
    return bool(texts), texts[0].max_length if texts else None


async def test_every_text_a_request_stores_in_a_varchar_is_limited_to_its_length(
    client: AsyncTestClient,
) -> None:
    checked = 0
    for struct in _request_structs(client.app):
        info = msgspec.inspect.type_info(struct)
        assert isinstance(info, msgspec.inspect.StructType)
        texts = {field.name: _text_limit(field.type) for field in info.fields}
        if not any(is_text for is_text, _ in texts.values()):
            continue
        key = _key(struct)
        assert key in STORED_IN or key in NOT_STORED, f"{key}: say which table its text is stored in"
        if key in NOT_STORED:
            continue
        table: sa.Table = STORED_IN[key].__table__  # type: ignore[attr-defined]
        for name, (is_text, limit) in texts.items():
            column = table.c.get(name)
            length = getattr(column.type, "length", None) if column is not None and is_text else None
            if length is not None:
                assert limit == length, f"{key}.{name}: max_length {limit}, column varchar({length})"
                checked += 1
    assert checked >= 25


async def test_the_schema_publishes_the_limits(client: AsyncTestClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    assert schema["ChannelIn"]["properties"]["name"]["maxLength"] == 120
    assert schema["UserIn"]["properties"]["email"]["maxLength"] == 320


@pytest.mark.parametrize(
    ("path", "body", "field", "limit"),
    [
        ("/api/v1/channels", {"kind": "email", "name": "x" * 121}, "name", 120),
        ("/api/v1/teams", {"name": "t" * 121}, "name", 120),
        ("/api/v1/organizations", {"name": "o" * 201, "kind": "partner"}, "name", 200),
        ("/api/v1/users", {"email": "a" * 310 + "@example.com", "name": "A", "role": "agent"}, "email", 320),
        ("/api/v1/sla-policies", {"name": "p" * 121}, "name", 120),
        ("/api/v1/auth/tokens", {"name": "k" * 121}, "name", 120),
    ],
)
async def test_a_text_over_its_column_is_a_422_in_both_languages(
    client: AsyncTestClient, cast: Cast, path: str, body: dict[str, Any], field: str, limit: int
) -> None:
    for language, words in (("en", f"at most {limit} characters"), ("zh-CN", f"最多 {limit} 个字符")):
        headers = {**cast.as_(Role.ADMIN), "Accept-Language": language}
        problem = assert_problem(await client.post(path, json=body, headers=headers), 422, "invalid_input")
        assert field in problem["detail"] and words in problem["detail"], problem["detail"]


async def test_renaming_a_channel_to_a_taken_name_with_a_team_is_a_conflict(
    client: AsyncTestClient, hub: Hub, cast: Cast
) -> None:
    existing = await factories.channel(hub, ChannelKind.EMAIL)
    other = await factories.channel(hub, ChannelKind.PHONE)
    team = await factories.team(hub)
    response = await client.patch(
        f"/api/v1/channels/{other.id}",
        json={"name": existing.name, "team_id": str(team.id)},
        headers=cast.as_(Role.ADMIN),
    )
    assert_problem(response, 409, "conflict")
