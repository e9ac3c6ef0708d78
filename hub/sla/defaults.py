"""The promises the hub keeps with zero configuration, in one place.

Ticket defaults (issue #5, the company's promises): web chat, phone and WeChat are answered within 3 business
minutes, e-mail within one business day. The same figure applies to every later customer message
(next response): the promise is about each wait, not only the first. Any other channel (the API,
later the partner portal) gets the e-mail promise. No resolution target by default: the company
set none; complaints get the escalation ladder instead.

Targets of objects other than tickets live here too, so the requirement loop and internal
hand-offs (issue #5 part 3) take their figures from the same module.
"""

from __future__ import annotations

from hub.calendars.durations import parse_duration
from hub.domain import ChannelKind
from hub.sla.policy_choice import PolicyRule, SlaTargets

CHAT_RESPONSE = parse_duration("3bm")
EMAIL_RESPONSE = parse_duration("1bd")

#: Feedback to the client on a recorded requirement (需求记录-传递-落地闭环).
REQUIREMENT_FEEDBACK = parse_duration("3bd")
#: A team liaison's answer to an internal hand-off (跨部门沟通对接人).
INTERNAL_HANDOFF = parse_duration("2bh")
#: The complaint ladder (冲突分级处理): unresolved this long since the cycle began, a complaint
#: goes to the team lead (level 1), the department head (level 2), then management (level 3).
ESCALATION_LADDER = (parse_duration("1bd"), parse_duration("3bd"), parse_duration("5bd"))

_CHAT = SlaTargets(first_response=CHAT_RESPONSE, next_response=CHAT_RESPONSE)
_EMAIL = SlaTargets(first_response=EMAIL_RESPONSE, next_response=EMAIL_RESPONSE)

BUILTIN_POLICIES: tuple[PolicyRule, ...] = (
    PolicyRule(name="default-webchat", channel_kind=ChannelKind.WEBCHAT, targets=_CHAT, builtin=True),
    PolicyRule(name="default-phone", channel_kind=ChannelKind.PHONE, targets=_CHAT, builtin=True),
    PolicyRule(name="default-wechat", channel_kind=ChannelKind.WECHAT, targets=_CHAT, builtin=True),
    PolicyRule(name="default-email", channel_kind=ChannelKind.EMAIL, targets=_EMAIL, builtin=True),
    PolicyRule(name="default", targets=_EMAIL, builtin=True),
)
