"""A single-use portal link reaches a partner user with a WeChat identity on WeChat too, against the
fake WeChat API: a customer-service message while its 48-hour window is open, the account's
template message (opening the link's page) once it closed; the code never goes by WeChat."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from hub.actors import CLI
from hub.domain import ChannelKind
from hub.models import ContactIdentity, ReplyWindow
from hub.portal import action_items, links
from hub.portal.terms import LinkObject
from tests.portal.helpers import partner
from tests.wechat import pushes
from tests.wechat.conftest import Pusher, process_pending

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def _wechat_partner(runtime, push: Pusher, fake, openid: str):
    """A partner's logistics clerk who follows the Official Account and once wrote to it."""
    hub = runtime.hub
    who = await partner(hub)
    await push.plain(pushes.text(openid, "你好，我是供应商的物流"))
    fake.user_spoke(openid)
    await process_pending(runtime)
    async with hub.uow() as uow:
        identity = await uow.session.scalar(
            sa.select(ContactIdentity).where(
                ContactIdentity.kind == ChannelKind.WECHAT,
                ContactIdentity.value == f"{pushes.APP_ID}:{openid}",
            )
        )
        assert identity is not None
        # The same person's e-mail address on that contact: the hub knows them as one.
        uow.session.add(
            ContactIdentity(
                id=uuid.uuid4(),
                contact_id=identity.contact_id,
                kind=ChannelKind.EMAIL,
                value=who.clerk.email.lower(),
            )
        )
        await uow.commit()
    item = await action_items.create(
        hub,
        CLI,
        who.organization.id,
        action_items.NewActionItem(title="寄样品 Ship samples", owner_user_id=who.clerk.id),
    )
    return who, item


async def test_inside_the_window_the_link_is_a_customer_service_message(runtime, push, fake) -> None:
    hub = runtime.hub
    who, item = await _wechat_partner(runtime, push, fake, "oPartnerClerk1")
    issued = await links.issue(hub, CLI, who.clerk.id, LinkObject.ACTION_ITEM, item.id)
    sent = fake.sent[-1]
    assert sent["touser"] == "oPartnerClerk1" and sent["msgtype"] == "text"
    assert f"{hub.settings.base_url}{issued.path}" in sent["text"]["content"]
    assert issued.code not in sent["text"]["content"], "the code travels apart, by e-mail"
    assert fake.templates == []


async def test_outside_the_window_the_template_message_opens_the_link(runtime, push, fake) -> None:
    hub = runtime.hub
    who, item = await _wechat_partner(runtime, push, fake, "oPartnerClerk2")
    async with hub.uow() as uow:
        await uow.session.execute(sa.update(ReplyWindow).values(expires_at=hub.clock.now()))
        await uow.commit()
    before = len(fake.sent)
    issued = await links.issue(hub, CLI, who.clerk.id, LinkObject.ACTION_ITEM, item.id)
    (template,) = fake.templates
    assert template["touser"] == "oPartnerClerk2" and template["template_id"] == "tmpl-reply"
    assert template["url"] == f"{hub.settings.base_url}{issued.path}"
    assert issued.code not in str(template) and len(fake.sent) == before


async def test_a_partner_user_without_a_wechat_identity_gets_no_wechat_message(runtime, wechat, fake) -> None:
    hub = runtime.hub
    who = await partner(hub)
    item = await action_items.create(
        hub, CLI, who.organization.id, action_items.NewActionItem(title="Samples", owner_user_id=who.clerk.id)
    )
    await links.issue(hub, CLI, who.clerk.id, LinkObject.ACTION_ITEM, item.id)
    assert fake.sent == [] and fake.templates == []
