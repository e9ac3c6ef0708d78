"""A month of past conversations for the demo, so its reports have something to say.

Generated from a fixed seed (the same demo every time) and imported the way a company brings its
previous helpdesk's history (``hub import history``): chats answered in seconds to minutes, mails
the next working day, calls picked up or called back, a bot that resolves some chats that come
back later (B1), waits on the client, and surveys with their ratings.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEED = 20261206


class _Script:
    """One conversation's events, each some time after the one before."""

    def __init__(self, start: datetime) -> None:
        self.moment = start
        self.events: list[dict[str, Any]] = []

    def add(self, kind: str, after: timedelta, **fields: Any) -> None:
        self.moment += after
        self.events.append({"at": self.moment.isoformat(), "kind": kind, **fields})


def _working_moment(rng: random.Random, day: datetime) -> datetime:
    hour = rng.choice([9, 10, 10, 11, 13, 14, 15, 16, 17, 20])
    return day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))


def conversations(
    agents: Sequence[str],
    organizations: Sequence[str],
    now: datetime,
    *,
    count: int = 30,
    days: int = 30,
    prefix: str = "demo",
) -> list[str]:
    """``count`` conversations (JSON lines) spread over the ``days`` before ``now``; their refs start
    with ``prefix`` (a second batch needs its own, or it is skipped as already imported)."""
    rng = random.Random(f"{SEED}:{prefix}" if prefix != "demo" else SEED)
    first_day = (now.astimezone(SHANGHAI) - timedelta(days=days)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    lines = []
    for n in range(count):
        start = _working_moment(rng, first_day + timedelta(days=rng.randrange(days - 2)))
        channel = rng.choice(["webchat", "webchat", "email", "phone"])
        agent = rng.choice(agents)
        script = _Script(start)
        add, events = script.add, script.events
        if channel == "phone":
            identity = f"+86139{n:08d}"
            if rng.random() < 0.6:
                add(
                    "call",
                    timedelta(),
                    direction="inbound",
                    disposition="answered",
                    talk_seconds=rng.randrange(60, 600),
                    by=agent,
                )
                add("customer_message", timedelta(hours=rng.randrange(1, 30)), text="我再确认一下发票抬头")
            else:
                add("call", timedelta(), direction="inbound", disposition="no_answer")
                add(
                    "call",
                    timedelta(minutes=rng.randrange(2, 90)),
                    direction="outbound",
                    disposition="no_answer",
                    by=agent,
                )
            add(
                "call",
                timedelta(minutes=rng.randrange(3, 240)),
                direction="outbound",
                disposition="answered",
                talk_seconds=rng.randrange(60, 300),
                by=agent,
            )
        elif channel == "webchat" and rng.random() < 0.3:
            identity = f"demo-visitor-{n}"
            add("customer_message", timedelta(), text="订单什么时候发货？")
            add("bot_message", timedelta(seconds=3), text="您的订单已发货，物流单号见订单详情。")
            add("resolved", timedelta(minutes=5))
            add(
                "customer_message",
                timedelta(days=rng.randrange(1, 4), minutes=rng.randrange(600)),
                text="还没收到，麻烦人工帮查",
            )
            add("handoff", timedelta(seconds=20))
            add(
                "agent_message",
                timedelta(minutes=rng.randrange(1, 15)),
                by=agent,
                text="您好，我来帮您查询物流。",
            )
        else:
            identity = (
                f"client{n}@{'ecprecision.cn' if rng.random() < 0.4 else 'northwind.example'}"
                if channel == "email"
                else f"demo-visitor-{n}"
            )
            add(
                "customer_message",
                timedelta(),
                text=rng.choice(["发票开错了，请重开", "Where is my refund?", "设备报警 E07 怎么处理？"]),
            )
            if channel == "email":
                add("auto_reply", timedelta(seconds=30), text="已收到您的邮件，我们会在一个工作日内回复。")
                delay = timedelta(minutes=rng.randrange(20, 60 * 28))
            else:
                delay = timedelta(seconds=rng.randrange(20, 420))
            add("agent_message", delay, by=agent, text="您好，已收到，马上处理。")
            if rng.random() < 0.4:
                add("pending", timedelta(minutes=2), by=agent)
                add("customer_message", timedelta(hours=rng.randrange(1, 48)), text="资料已补充")
                add("agent_message", timedelta(minutes=rng.randrange(1, 180)), by=agent, text="收到，谢谢。")
        add("resolved", timedelta(minutes=rng.randrange(5, 600)), by=agent)
        if rng.random() < 0.8:
            add("csat_sent", timedelta(minutes=1), channel=channel)
            if rng.random() < 0.6:
                add(
                    "csat_response",
                    timedelta(minutes=rng.randrange(1, 300)),
                    rating=rng.choice([5, 5, 4, 4, 3, 2]),
                )
        elif channel == "webchat":
            add("csat_not_sent", timedelta(minutes=1), reason="window_closed")
        if script.moment >= now:
            continue
        line: dict[str, Any] = {
            "ref": f"{prefix}-{n:03d}",
            "channel": channel,
            "subject": events[0].get("text") or "来电",
            "contact": {"identity": identity, "name": f"客户 {n}"},
            "events": events,
        }
        if organizations and channel == "email" and "ecprecision" in identity:
            line["organization"] = organizations[0]
        lines.append(json.dumps(line, ensure_ascii=False))
    return lines
