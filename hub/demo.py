"""Bilingual demo data: the company's teams and people, three clients, one partner, a channel of
every kind and tickets in several states, created through the real use-cases (ingest, reply,
status) so the event log and audit trail look like a week of real work.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from hub import demo_quality
from hub.accounts import accounts
from hub.actors import CLI, Actor
from hub.core import Hub
from hub.domain import (
    ChannelKind,
    DeliveryStatus,
    OrganizationKind,
    OutboxStatus,
    Priority,
    Role,
    Scenario,
    TicketStatus,
    Tier,
)
from hub.intake import channel_instances, history, ingest
from hub.intake.inbound import InboundMessage, Sender, WindowGrant
from hub.models import Channel, Message, Organization, Outbox, Team, User
from hub.portal import demo as portal_demo
from hub.reporting import demo_history
from hub.tickets import tickets

DEMO_PASSWORD = "demo1234"  # noqa: S105 - the documented demo login
DEMO_DOMAIN = "demo.test"
DEMO_MAILBOX = "support@company.example"
DEMO_MAILBOX_NAME = f"客服邮箱 {DEMO_MAILBOX}"
#: The web chat of the demo shop page (``/widget/demo`` finds its channel by this name).
DEMO_WEBCHAT_NAME = "网站在线客服 Website chat"
#: What a WeChat user's message grants, as the connector records it: 48 hours, 5 replies.
WECHAT_WINDOW = WindowGrant(seconds=48 * 3600, replies=5)
DEMO_WECHAT_APP = "wx1234567890abcdef"
#: The demo's mailbox has an address (``hub serve --demo`` adds a local SMTP server); its WeChat
#: account has an app id and WeChat's reply window, but no credentials: nothing to connect to.
DEMO_CHANNEL_CONFIG: dict[ChannelKind, dict[str, object]] = {
    ChannelKind.EMAIL: {"address": DEMO_MAILBOX},
    ChannelKind.PHONE: {"numbers": ["4008001234"]},
    # Set up as a real account is (its token answers the console's URL check); with no AppSecret
    # in the environment, replies and profile fetches say so instead of reaching WeChat.
    ChannelKind.WECHAT: {
        "app_id": DEMO_WECHAT_APP,
        "token": "demo-wechat-token",
        "secret_env": "DEMO_WECHAT_APPSECRET",
    },
    # The demo shop page's origins are added at each start (``hub serve --demo``).
    ChannelKind.WEBCHAT: {"origins": ["http://localhost:8000"]},
}


class SteppingClock:
    """Demo history: each read moves time forward a little from a start in the past."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        self.current += timedelta(seconds=7)
        return self.current

    def jump(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclasses.dataclass
class _Cast:
    admin: User
    supervisor: User
    agent1: User
    agent2: User
    service: Team
    after_sales: Team
    core_client: Organization
    trading: Organization
    retail: Organization
    partner: Organization
    channels: dict[ChannelKind, Channel]


async def seed_demo(hub: Hub) -> str:
    """Create the demo data unless it is there already; returns a one-line summary."""
    async with hub.uow() as uow:
        exists = await uow.session.scalar(sa.select(User.id).where(User.email == f"admin@{DEMO_DOMAIN}"))
    if exists:
        return "demo data already present (log in as admin@demo.test / demo1234)"
    clock = SteppingClock(datetime.now(UTC) - timedelta(days=6))
    demo_hub = dataclasses.replace(hub, clock=clock)
    cast = await _people_and_places(demo_hub)
    count = await _conversations(demo_hub, clock, cast)
    await demo_quality.seed_quality(
        demo_hub,
        clock,
        manager=cast.agent2,
        backup=cast.agent1,
        password=DEMO_PASSWORD,
        domain=DEMO_DOMAIN,
    )
    await _mark_history_delivered(hub)
    orders = await portal_demo.seed(
        hub, cast.partner, manager=cast.agent2, backup=cast.agent1, password=DEMO_PASSWORD, domain=DEMO_DOMAIN
    )
    # A month of earlier conversations, as a company imports its previous helpdesk's: the reports
    # (hub report summary, /api/v1/reports) have a month to show.
    past = demo_history.conversations(
        [cast.agent1.email, cast.agent2.email], [cast.core_client.name], datetime.now(UTC) - timedelta(days=6)
    )
    imported = await history.import_history(hub, past)
    # The monthly review opens on the last full month: when the month above barely reaches into it
    # (early in a month), that month gets conversations of its own.
    month_end = datetime.now(demo_history.SHANGHAI).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    month_days = (month_end - timedelta(days=1)).day
    reached = (datetime.now(UTC) - timedelta(days=36)).astimezone(demo_history.SHANGHAI)
    if reached > month_end - timedelta(days=month_days - 10):
        extra = demo_history.conversations(
            [cast.agent1.email, cast.agent2.email],
            [cast.core_client.name],
            month_end,
            count=20,
            days=month_days,
            prefix="demo-month",
        )
        imported.imported += (await history.import_history(hub, extra)).imported
    return (
        f"demo data loaded: 3 clients, 2 partners, 2 teams, a channel of every kind, {count} tickets, "
        f"{imported.imported} earlier conversations; {orders}"
    )


async def deliver_demo_mail_to(hub: Hub, host: str, port: int) -> bool:
    """Point the demo mailbox's SMTP at ``host:port`` (``hub serve --demo``'s local mail catcher,
    on a new port each start). False when the data holds no demo mailbox."""
    found = [c for c in await channel_instances.list_channels(hub) if c.name == DEMO_MAILBOX_NAME]
    if not found or found[0].kind is not ChannelKind.EMAIL:
        return False
    smtp = {"address": DEMO_MAILBOX, "smtp_host": host, "smtp_port": port, "smtp_tls": "none"}
    await channel_instances.update_channel(hub, CLI, found[0].id, config={**found[0].config, **smtp})
    return True


async def allow_demo_chat_from(hub: Hub, origins: list[str]) -> bool:
    """Let the demo shop page (``/widget/demo``, served by this very hub) use the demo's web chat:
    its channel allows the origins the hub is reached at this start (``hub serve --demo`` may run
    on another port each time). False when the data holds no demo web chat."""
    found = [c for c in await channel_instances.list_channels(hub) if c.name == DEMO_WEBCHAT_NAME]
    if not found or found[0].kind is not ChannelKind.WEBCHAT:
        return False
    config = found[0].config
    allowed = list(config.get("origins") or [])
    if all(origin in allowed for origin in origins):
        return True
    # Sealed settings (the identity secret) are kept by the update when they are not given again.
    settings = {key: value for key, value in config.items() if not key.endswith("_sealed")}
    settings["origins"] = allowed + [origin for origin in origins if origin not in allowed]
    await channel_instances.update_channel(hub, CLI, found[0].id, config=settings)
    return True


async def _mark_history_delivered(hub: Hub) -> None:
    """The demo's replies belong to its past: record them as delivered when they were written,
    rather than sending them now through channels that have no real mailbox or account behind them."""
    async with hub.uow() as uow:
        delivered = await uow.session.scalars(
            sa.update(Outbox)
            .where(Outbox.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.SENT, sent_at=Outbox.created_at)
            .returning(Outbox.message_id)
        )
        await uow.session.execute(
            sa.update(Message)
            .where(Message.id.in_(list(delivered)))
            .values(delivery_status=DeliveryStatus.SENT, meta={"demo_history": True})
        )
        await uow.commit()


async def _people_and_places(hub: Hub) -> _Cast:
    async with hub.uow() as uow:
        service = Team(id=uuid.uuid4(), name="Customer Service", name_zh="客户服务部")
        after_sales = Team(id=uuid.uuid4(), name="After-Sales", name_zh="售后服务部")
        uow.session.add_all([service, after_sales])
        await uow.commit()

    async def person(local: str, name: str, role: Role, team: Team | None = None, **extra: object) -> User:
        return await accounts.create_user(
            hub,
            CLI,
            accounts.NewUser(
                email=f"{local}@{DEMO_DOMAIN}",
                name=name,
                role=role,
                password=DEMO_PASSWORD,
                team_id=team.id if team else None,
                **extra,  # type: ignore[arg-type]
            ),
        )

    admin = await person("admin", "系统管理员 Admin", Role.ADMIN)
    supervisor = await person("supervisor", "王芳 Wang Fang", Role.SUPERVISOR, service)
    agent1 = await person("agent1", "李伟 Li Wei", Role.AGENT, service, capacity=30)
    agent2 = await person("agent2", "张敏 Zhang Min", Role.AGENT, after_sales, capacity=30)
    async with hub.uow() as uow:
        # The escalation ladder and hand-offs have someone to reach: Wang Fang leads both teams,
        # each team's liaison is its agent, and the administrator stands in for management.
        for team, liaison in ((service, agent1), (after_sales, agent2)):
            await uow.session.execute(
                sa.update(Team).where(Team.id == team.id).values(lead_id=supervisor.id, liaison_id=liaison.id)
            )
        await uow.session.execute(sa.update(User).where(User.id == admin.id).values(is_management=True))
        await uow.commit()

    async with hub.uow() as uow:
        core_client = Organization(
            id=uuid.uuid4(),
            name="华东精密制造有限公司 East China Precision Manufacturing",
            kind=OrganizationKind.CLIENT,
            tier=Tier.CORE,
            domains=["ecprecision.cn"],
            account_manager_id=agent1.id,
            backup_manager_id=agent2.id,
        )
        trading = Organization(
            id=uuid.uuid4(),
            name="深圳蓝海贸易有限公司 Blue Ocean Trading",
            kind=OrganizationKind.CLIENT,
            tier=Tier.STANDARD,
            domains=["blueocean-trade.com"],
        )
        retail = Organization(
            id=uuid.uuid4(),
            name="Northwind Retail Ltd.",
            kind=OrganizationKind.CLIENT,
            tier=Tier.STANDARD,
            domains=["northwind.example"],
        )
        partner = Organization(
            id=uuid.uuid4(),
            name="苏州恒达物流 Hengda Logistics",
            kind=OrganizationKind.PARTNER,
            tier=Tier.CORE,
            domains=["hengda-logistics.cn"],
            account_manager_id=agent2.id,
            backup_manager_id=agent1.id,
        )
        uow.session.add_all([core_client, trading, retail, partner])
        await uow.commit()
    await person("partner", "周强 Zhou Qiang (恒达物流)", Role.PARTNER, organization_id=partner.id)

    made: dict[ChannelKind, Channel] = {}
    for kind, name, team in [
        (ChannelKind.EMAIL, DEMO_MAILBOX_NAME, service),
        (ChannelKind.WECHAT, "微信公众号 Company Official Account", service),
        (ChannelKind.WEBCHAT, DEMO_WEBCHAT_NAME, service),
        (ChannelKind.PHONE, "客服热线 400-800-1234", after_sales),
        (ChannelKind.API, "ERP 集成 ERP integration", after_sales),
    ]:
        config = DEMO_CHANNEL_CONFIG.get(kind)
        created = await channel_instances.add_channel(
            hub, CLI, kind=kind, name=name, team_id=team.id, config=config
        )
        made[kind] = created.channel
    return _Cast(
        admin, supervisor, agent1, agent2, service, after_sales, core_client, trading, retail, partner, made
    )


async def _conversations(hub: Hub, clock: SteppingClock, cast: _Cast) -> int:
    def actor(user: User) -> Actor:
        return Actor(kind="user", user_id=user.id, role=user.role, name=user.name)

    async def inbound(kind: ChannelKind, sender: str, name: str, text: str, **fields: object) -> uuid.UUID:
        message = InboundMessage(
            channel_id=cast.channels[kind].id,
            external_id=f"demo-{uuid.uuid4()}",
            sender=Sender(identity=sender, name=name),
            text=text,
            **fields,  # type: ignore[arg-type]
        )
        ticket_id = (await ingest.ingest(hub, message)).ticket_id
        assert ticket_id is not None  # demo messages are not notices: each opens or joins a ticket
        return ticket_id

    agent1, agent2 = actor(cast.agent1), actor(cast.agent2)

    # 1. Core client, e-mail, answered and waiting on the client.
    t1 = await inbound(
        ChannelKind.EMAIL,
        "chen.jing@ecprecision.cn",
        "陈静 Chen Jing",
        "您好，我们 3 月份的订单 PO-2024-0318 还没有发货，请帮忙确认一下预计发货时间。\n谢谢！",
        subject="订单 PO-2024-0318 发货时间咨询",
    )
    clock.jump(minutes=25)
    await tickets.reply(
        hub,
        agent1,
        t1,
        tickets.Draft(
            text="陈经理您好，订单 PO-2024-0318 已排产，预计本周五发货，发货后会第一时间告知物流单号。"
        ),
    )
    await tickets.set_status(hub, agent1, t1, TicketStatus.PENDING)

    # 2. Core client, phone call log: a complaint, high priority, open.
    clock.jump(hours=5)
    t2 = await inbound(
        ChannelKind.PHONE,
        "+86 138 0013 8000",
        "刘洋 Liu Yang",
        "来电投诉：收到的第二批轴承有 12 件尺寸超差，要求尽快换货并给出原因分析。通话时长 6 分 12 秒。",
        type="call",
        subject="投诉：第二批轴承尺寸超差",
    )
    await tickets.set_scenario(hub, agent1, t2, Scenario.COMPLAINT)
    await tickets.set_priority(hub, agent1, t2, Priority.HIGH)
    await tickets.change_tags(hub, agent1, t2, add=["质量 quality", "换货 exchange"], remove=[])
    await tickets.note(
        hub,
        agent1,
        t2,
        tickets.Draft(text="已联系质检部，明天上午出具检测报告。Quality team will report tomorrow."),
    )

    # 3. Standard client, WeChat, a simple inquiry resolved.
    clock.jump(days=1)
    t3 = await inbound(
        ChannelKind.WECHAT,
        f"{DEMO_WECHAT_APP}:oDemoOpenId_blueocean01",
        "蓝海小林",
        "请问你们的产品目录有英文版吗？我们要发给海外客户。",
        window=WECHAT_WINDOW,
    )
    clock.jump(minutes=2)
    await tickets.reply(
        hub,
        agent1,
        t3,
        tickets.Draft(text="有的，英文版产品目录已发送到您的邮箱，请查收。如有其他需要随时联系我们。"),
    )
    await tickets.set_status(hub, agent1, t3, TicketStatus.RESOLVED)

    # 4. English client, web chat, new and unassigned-looking traffic.
    clock.jump(days=1, hours=3)
    await inbound(
        ChannelKind.WEBCHAT,
        "visitor-7f3a9c",
        "Emma Clarke (Northwind)",
        "Hi, we would like a quote for 500 units of model HX-200 delivered to Rotterdam. What is the lead time?",
        subject="Quote request: 500 x HX-200",
    )

    # 5. Partner, e-mail: delivery plan discussion with the account manager.
    clock.jump(hours=6)
    t5 = await inbound(
        ChannelKind.EMAIL,
        "dispatch@hengda-logistics.cn",
        "恒达物流调度中心",
        "下周一到周三的提货计划已更新，共 3 车次。周二的车次需要贵司提前一天确认装货时间。",
        subject="下周提货计划更新 Delivery plan for next week",
    )
    clock.jump(minutes=40)
    await tickets.reply(
        hub,
        agent2,
        t5,
        tickets.Draft(text="收到，周二装货时间定为上午 9:00，仓库会提前备货。Thanks, 9:00 on Tuesday."),
    )

    # 6. Integration (ERP) channel: after-sales request opened by the ERP.
    clock.jump(days=1)
    t6 = await inbound(
        ChannelKind.API,
        "erp:customer/C-1024",
        "Northwind Retail Ltd.",
        "RMA request RMA-5531: 3 units of HX-200 arrived with damaged casing. Photos attached in ERP.",
        subject="RMA-5531 damaged casing",
        thread_ref="RMA-5531",
    )
    await tickets.set_scenario(hub, agent2, t6, Scenario.AFTER_SALES)

    # 7. Core client, WeChat, a requirement; later closed after confirmation.
    clock.jump(days=1)
    t7 = await inbound(
        ChannelKind.WECHAT,
        f"{DEMO_WECHAT_APP}:oDemoOpenId_ecp_buyer",
        "华东精密-采购部 小王",
        "我们希望以后每批货都附带材质证明（材质单），可以安排吗？",
        window=WECHAT_WINDOW,
    )
    await tickets.set_scenario(hub, agent1, t7, Scenario.REQUIREMENT)
    clock.jump(minutes=1)
    await tickets.reply(
        hub,
        agent1,
        t7,
        tickets.Draft(text="可以的，已记录您的需求，从下一批货开始随货附材质证明，3 个工作日内给您确认。"),
    )
    await tickets.set_status(hub, agent1, t7, TicketStatus.RESOLVED)
    await tickets.set_status(hub, agent1, t7, TicketStatus.CLOSED)

    # 8. Standard client, e-mail, still new: arrives just now.
    clock.current = datetime.now(UTC) - timedelta(minutes=12)
    await inbound(
        ChannelKind.EMAIL,
        "purchasing@blueocean-trade.com",
        "Blue Ocean Purchasing",
        "Please send us the updated price list for Q3 and confirm whether the 5% volume discount still applies.",
        subject="Q3 price list and volume discount",
    )
    return 8
