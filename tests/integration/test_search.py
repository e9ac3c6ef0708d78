"""Ticket search and cursor pagination through GET /api/v1/tickets, as agents and partners use them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.contacts import contacts
from hub.core import Hub
from hub.domain import ChannelKind, OrganizationKind, Role, Scenario, TicketStatus
from hub.intake import ingest
from hub.intake.inbound import InboundMessage, IngestResult, Sender
from hub.models import Message, Organization, Ticket, User
from hub.tickets import search, tickets
from tests import factories

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

URL = "/api/v1/tickets"


async def _numbers(client, headers: dict[str, str], **params: Any) -> list[int]:
    response = await client.get(URL, params={"limit": 200, **params}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return [item["number"] for item in response.json()["items"]]


@dataclass
class Corpus:
    agent: User
    acme: Organization
    partner: User
    order_delayed: int  # subject 订单延迟, contact 李伟 of Acme
    order_in_text: int  # 订单 only in a message
    refund: int  # English, contact 王芳
    invoice: int  # no 订单, an internal note with secret words
    other_org: int  # 订单 in a ticket of another organization


@pytest.fixture
async def corpus(hub: Hub) -> Corpus:
    agent = await factories.user(hub, Role.AGENT)
    acme = await factories.organization(hub, kind=OrganizationKind.PARTNER, domains=["acme.cn"])
    await factories.organization(hub, domains=["globex.cn"])
    partner = await factories.user(hub, Role.PARTNER, organization_id=acme.id)
    email = await factories.channel(hub, ChannelKind.EMAIL)

    async def ticket(sender: str, name: str, subject: str, text: str) -> int:
        result = await factories.inbound(hub, email.id, sender=sender, name=name, subject=subject, text=text)
        return (await factories.get(hub, Ticket, result.ticket_id)).number

    order_delayed = await ticket("li.wei@acme.cn", "李伟", "订单延迟", "我的货还没有发货，很着急")
    order_in_text = await ticket("zhao@acme.cn", "赵敏", "物流问题", "订单号 123 的物流一直没有更新")
    refund = await ticket("wang@globex.cn", "王芳", "Refund request", "I want a refund for my order #42")
    invoice = await ticket("qian@acme.cn", "钱进", "发票问题", "需要开增值税发票")
    other_org = await ticket("sun@globex.cn", "孙悦", "订单取消", "请取消订单")
    invoice_id = await _ticket_id(hub, invoice)
    await tickets.note(
        hub,
        factories.actor(agent),
        invoice_id,
        tickets.Draft(text="内部备注：客户是老朋友 zebracode，订单优先"),
    )
    return Corpus(agent, acme, partner, order_delayed, order_in_text, refund, invoice, other_org)


async def _ticket_id(hub: Hub, number: int) -> uuid.UUID:
    async with hub.uow() as uow:
        found = await uow.session.scalar(sa.select(Ticket.id).where(Ticket.number == number))
        assert found is not None
        return found


async def test_a_two_character_chinese_word_matches_subjects_and_message_texts(client, corpus) -> None:
    staff = await factories.login(client, corpus.agent)
    assert set(await _numbers(client, staff, q="订单")) == {
        corpus.order_delayed,
        corpus.order_in_text,
        corpus.other_org,
    }


async def test_a_contact_name_matches(client, corpus) -> None:
    staff = await factories.login(client, corpus.agent)
    assert await _numbers(client, staff, q="李伟") == [corpus.order_delayed]
    assert await _numbers(client, staff, q="王芳") == [corpus.refund]


async def test_english_words_match_as_prefixes_and_case_insensitively(client, corpus) -> None:
    staff = await factories.login(client, corpus.agent)
    assert await _numbers(client, staff, q="ord") == [corpus.refund]
    assert await _numbers(client, staff, q="REFUND") == [corpus.refund]
    assert await _numbers(client, staff, q="Ｒｅｆｕｎｄ") == [corpus.refund]  # full-width input


async def test_a_mail_domain_in_a_message_matches(client, hub, corpus) -> None:
    staff = await factories.login(client, corpus.agent)
    email = await factories.channel(hub, ChannelKind.EMAIL)
    result = await factories.inbound(hub, email.id, text="请回复到 li.wei@acme-logistics.com 谢谢")
    number = (await factories.get(hub, Ticket, result.ticket_id)).number
    assert await _numbers(client, staff, q="acme-logistics.com") == [number]
    assert await _numbers(client, staff, q="li.wei@acme-logistics.com") == [number]


async def test_multiple_words_must_all_match(client, corpus) -> None:
    staff = await factories.login(client, corpus.agent)
    assert await _numbers(client, staff, q="refund order") == [corpus.refund]
    assert await _numbers(client, staff, q="订单 取消") == [corpus.other_org]
    assert await _numbers(client, staff, q="refund 发票") == []


async def test_words_may_match_across_the_subject_the_contact_and_the_messages(client, corpus) -> None:
    """People type a name and a topic: 李伟 is the contact, 发货 is in a message."""
    staff = await factories.login(client, corpus.agent)
    assert await _numbers(client, staff, q="李伟 发货") == [corpus.order_delayed]
    assert await _numbers(client, staff, q="延迟 着急") == [corpus.order_delayed]
    assert await _numbers(client, staff, q="李伟 发票") == []


async def test_internal_notes_are_not_searchable(client, corpus) -> None:
    staff = await factories.login(client, corpus.agent)
    partner = await factories.login(client, corpus.partner)
    for headers in (staff, partner):
        assert await _numbers(client, headers, q="zebracode") == []
        assert await _numbers(client, headers, q="老朋友") == []
    # The note's ticket is found by its own subject, and the note did not make it match 订单.
    assert await _numbers(client, staff, q="发票") == [corpus.invoice]
    assert corpus.invoice not in await _numbers(client, staff, q="订单")


async def test_a_blank_query_is_no_filter(client, corpus) -> None:
    staff = await factories.login(client, corpus.agent)
    assert len(await _numbers(client, staff, q="   ")) == len(await _numbers(client, staff)) == 5


async def test_notes_carry_no_search_document(hub, corpus) -> None:
    async with hub.uow() as uow:
        notes = (
            await uow.session.execute(sa.select(Message.search).where(Message.direction == "note"))
        ).all()
    assert notes == [(None,)]


async def test_partners_search_only_their_own_organization(client, corpus) -> None:
    partner = await factories.login(client, corpus.partner)
    assert set(await _numbers(client, partner, q="订单")) == {corpus.order_delayed, corpus.order_in_text}
    assert await _numbers(client, partner, q="王芳") == []


@pytest.mark.parametrize("q", ["!!!", "？？。。", "'", "\\", "''\\'", "&|!()", ":*", "<->", "---"])
async def test_a_query_of_only_punctuation_finds_nothing_without_an_error(client, corpus, q: str) -> None:
    staff = await factories.login(client, corpus.agent)
    assert await _numbers(client, staff, q=q) == []


@pytest.mark.parametrize("q", ["o'brien", "a\\b", "x' | 'y", "order':*|'refund", "订单'&'发票"])
async def test_quotes_and_backslashes_in_a_query_cannot_change_its_meaning(client, corpus, q: str) -> None:
    staff = await factories.login(client, corpus.agent)
    response = await client.get(URL, params={"q": q}, headers=staff)
    assert response.status_code == 200, response.text
    numbers = [item["number"] for item in response.json()["items"]]
    if q == "order':*|'refund":  # two words, both required: the | is not an OR
        assert numbers == [corpus.refund]
    if q == "订单'&'发票":
        assert numbers == []


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=40))
async def test_any_text_is_found_by_a_query_for_itself(runtime, text: str) -> None:
    """PostgreSQL parses every query the tokenizer builds, and a text always matches itself."""
    condition = search.matches(search.document(text), text)
    if condition is None:
        assert search.query_terms(text) == []
        return
    async with runtime.engine.connect() as connection:
        assert await connection.scalar(sa.select(condition)), (text, search.tsquery_text(text))


async def _found_by(hub: Hub, query: str) -> set[uuid.UUID]:
    condition = search.matches(Ticket.search, query)
    assert condition is not None
    async with hub.uow() as uow:
        return set(await uow.session.scalars(sa.select(Ticket.id).where(condition)))


async def test_a_name_learnt_later_finds_the_contacts_earlier_tickets(hub) -> None:
    """A WeChat follower is nameless until the profile job fetches the nickname; a mail sender may
    give a display name only on a later mail. Either way the earlier tickets become findable."""
    wechat = await factories.channel(hub, ChannelKind.WECHAT)
    first = await factories.inbound(hub, wechat.id, sender="wx:o-follower", text="在吗")
    assert await _found_by(hub, "王小明") == set()
    await contacts.update_identity(hub, ChannelKind.WECHAT, "wx:o-follower", profile={}, name="王小明")
    assert await _found_by(hub, "王小明") == {first.ticket_id}

    mailbox = await factories.channel(hub, ChannelKind.EMAIL)
    one = await factories.inbound(hub, mailbox.id, sender="li@client.example", text="first")
    await factories.inbound(hub, mailbox.id, sender="li@client.example", text="again", name="Li Lei")
    assert one.ticket_id in await _found_by(hub, "lei")

    batched = await factories.inbound(hub, mailbox.id, sender="han@client.example", text="first")
    named = InboundMessage(
        channel_id=mailbox.id,
        external_id="han-2",
        sender=Sender(identity="han@client.example", name="Han Meimei"),
        text="again",
    )
    [result] = await ingest.ingest_many(hub, [(named, None)])  # the bulk path (hub ingest email) too
    assert isinstance(result, IngestResult)
    assert batched.ticket_id in await _found_by(hub, "meimei")


async def test_a_quoted_lexeme_is_one_lexeme_to_postgresql(runtime) -> None:
    async with runtime.engine.connect() as connection:
        for lexeme in ["x' | 'y", "a\\b", "'", "\\", "o''brien", "a:*", "!(b)"]:
            row = (
                await connection.execute(
                    sa.text(
                        "SELECT numnode(CAST(:q AS tsquery)), "
                        "array_to_tsvector(ARRAY[CAST(:lexeme AS text)]) @@ CAST(:q AS tsquery)"
                    ),
                    {"q": search._quote(lexeme), "lexeme": lexeme},
                )
            ).one()
            assert row == (1, True), lexeme


# --- cursor pagination -------------------------------------------------------------------------


@dataclass
class Dataset:
    me: User
    org_ids: list[uuid.UUID]
    count: int


@pytest.fixture
async def dataset(hub: Hub) -> Dataset:
    """Twenty-odd tickets spread over statuses, assignees, channels, organizations, scenarios and tags."""
    me = await factories.user(hub, Role.AGENT)
    colleague = await factories.user(hub, Role.AGENT)
    orgs = [await factories.organization(hub, domains=[f"org{i}.cn"]) for i in range(2)]
    channels = [await factories.channel(hub, kind) for kind in (ChannelKind.EMAIL, ChannelKind.WEBCHAT)]
    actor = factories.actor(me)
    statuses = [TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.RESOLVED]
    scenarios = [Scenario.INQUIRY, Scenario.COMPLAINT, Scenario.AFTER_SALES]
    count = 23
    for i in range(count):
        channel = channels[i % 2]
        domain = f"org{i % 3}.cn" if i % 3 < 2 else "walk-in.cn"
        sender = f"c{i}@{domain}" if channel.kind is ChannelKind.EMAIL else f"visitor-{i}"
        text = "订单 order" if i % 4 == 0 else "其他问题"
        result = await factories.inbound(hub, channel.id, sender=sender, text=text)
        ticket_id = result.ticket_id
        assignee = [me.id, colleague.id, None][i % 3]
        if assignee:
            await tickets.assign(hub, actor, ticket_id, assignee)
        if statuses[i % 4] is not TicketStatus.NEW:
            await tickets.set_status(hub, actor, ticket_id, statuses[i % 4])
        if scenarios[i % 3] is not Scenario.INQUIRY:
            await tickets.set_scenario(hub, actor, ticket_id, scenarios[i % 3])
        if i % 5 in (0, 2):
            await tickets.change_tags(hub, actor, ticket_id, add=["vip"], remove=[])
    return Dataset(me=me, org_ids=[o.id for o in orgs], count=count)


async def _all_pages(client, headers: dict[str, str], limit: int, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(200):
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = await client.get(URL, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert len(page["items"]) == limit, "only the last page may be short"
    raise AssertionError("pagination did not end")


def _filters(dataset: Dataset) -> list[tuple[dict[str, Any], Any]]:
    me, org = str(dataset.me.id), str(dataset.org_ids[0])
    return [
        ({}, lambda t: True),
        ({"status": "open"}, lambda t: t["status"] == "open"),
        ({"status": ["new", "pending"]}, lambda t: t["status"] in {"new", "pending"}),
        ({"assignee": "me"}, lambda t: t["assignee_id"] == me),
        ({"assignee": "none"}, lambda t: t["assignee_id"] is None),
        ({"channel": "webchat"}, lambda t: t["channel"] == "webchat"),
        ({"organization": org}, lambda t: t["organization_id"] == org),
        ({"scenario": "complaint"}, lambda t: t["scenario"] == "complaint"),
        ({"tag": "vip"}, lambda t: "vip" in t["tags"]),
        (
            {"status": ["open", "new"], "channel": "email", "tag": "vip"},
            lambda t: t["status"] in {"open", "new"} and t["channel"] == "email" and "vip" in t["tags"],
        ),
        (
            {"assignee": "me", "scenario": "inquiry"},
            lambda t: t["assignee_id"] == me and t["scenario"] == "inquiry",
        ),
        ({"q": "订单"}, lambda t: t["subject"] == "订单 order"),
        ({"q": "order", "status": "new"}, lambda t: t["subject"] == "订单 order" and t["status"] == "new"),
    ]


async def test_pages_return_every_matching_ticket_exactly_once(client, dataset: Dataset) -> None:
    headers = await factories.login(client, dataset.me)
    everything = await _all_pages(client, headers, 200)
    assert len(everything) == dataset.count
    numbers = [t["number"] for t in everything]
    assert numbers == sorted(numbers, reverse=True)
    for params, keep in _filters(dataset):
        expected = [t["number"] for t in everything if keep(t)]
        assert expected, f"the dataset has no ticket for {params}"
        for limit in (1, 2, 3, 7, 200):
            got = [t["number"] for t in await _all_pages(client, headers, limit, **params)]
            assert got == expected, (params, limit)


async def test_a_ticket_arriving_between_pages_neither_repeats_nor_shifts_them(
    client, hub, dataset: Dataset
) -> None:
    headers = await factories.login(client, dataset.me)
    first = await client.get(URL, params={"limit": 5}, headers=headers)
    channel = await factories.channel(hub, ChannelKind.EMAIL)
    await factories.inbound(hub, channel.id, sender="late@new.cn")
    rest = await _all_pages(client, headers, 5, cursor=first.json()["next_cursor"])
    seen = [t["number"] for t in first.json()["items"]] + [t["number"] for t in rest]
    assert len(seen) == len(set(seen)) == dataset.count


async def test_a_broken_cursor_is_a_clear_error(client, dataset: Dataset) -> None:
    headers = await factories.login(client, dataset.me)
    response = await client.get(URL, params={"cursor": "not-a-cursor!"}, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_cursor"
