"""The YAML format (``schema: hub.playbook/v1`` and ``hub.snippets/v1``) as typed structures.

msgspec decodes a file's mapping into these and names the path of anything of the wrong shape;
:mod:`playbooks.validate` maps that path back to the file's line. What the types cannot say (step
ids unique, variables declared, both languages present, durations in the SLA units) is checked
there too.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

PLAYBOOK_SCHEMA = "hub.playbook/v1"
SNIPPETS_SCHEMA = "hub.snippets/v1"
AUTOREPLY_SCHEMA = "hub.autoreply/v1"

#: The ticket scenarios a playbook is written for (``hub.domain.Scenario``).
SCENARIOS = ("inquiry", "complaint", "after_sales", "requirement", "partner", "other")
CHANNELS = ("email", "wechat", "webchat", "phone", "api")
STEP_KINDS = ("reply", "checklist", "form", "action", "wait", "branch", "handoff")
FIELD_TYPES = ("str", "text", "enum", "bool", "date", "int")

#: A text in each language: ``{zh-CN: …, en: …}``.
Localised = dict[str, str]
#: One declarative action: a mapping with one action name and its argument (``{set_priority: high}``).
Action = dict[str, Any]


class _Struct(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    pass


class Trigger(_Struct, kw_only=True):
    """When a ticket is suggested this playbook. ``channels``, ``tiers`` and ``organization_kinds``
    narrow; a matching scenario or keyword suggests, and the match is the reason shown."""

    manual: bool = True
    scenarios: list[str] = msgspec.field(default_factory=list)
    keywords: dict[str, list[str]] = msgspec.field(default_factory=dict)
    channels: list[str] = msgspec.field(default_factory=list)
    tiers: list[str] = msgspec.field(default_factory=list)
    organization_kinds: list[str] = msgspec.field(default_factory=list)
    #: Suggest it when the client answers the ticket's survey with this rating or lower (1-5).
    csat_at_most: int | None = None


class Field(_Struct, kw_only=True):
    key: str
    type: str = "str"
    label: Localised
    values: list[str] = msgspec.field(default_factory=list)
    pattern: str | None = None
    optional: bool = False


class Sla(_Struct, kw_only=True):
    """Targets while the playbook runs, in the SLA engine's units (``3bm``, ``2bh``, ``1bd``); they
    replace the ticket's policy's. A complaint's escalation ladder is the hub's own (1/3/5 business
    days, ``hub.sla.escalation``); a playbook escalates further with the ``escalate`` action."""

    first_response: dict[str, str] | str | None = None
    next_response: str | None = None
    resolution: str | None = None


class ForbiddenPhrase(_Struct, kw_only=True):
    text: str
    severity: Literal["warn", "block"] = "warn"


class RequiredPhrases(_Struct, kw_only=True):
    any_of: list[str]


class Tone(_Struct, kw_only=True):
    forbidden: dict[str, list[ForbiddenPhrase]] = msgspec.field(default_factory=dict)
    #: The first reply sent while the playbook runs must contain one of these (an apology).
    required_first_reply: dict[str, RequiredPhrases] = msgspec.field(default_factory=dict)
    required_severity: Literal["warn", "block"] = "block"


class Due(_Struct, kw_only=True):
    within: str
    #: ``start`` or ``step:<id>``.
    start: str = "start"


class BranchRule(_Struct, kw_only=True):
    when: str | None = None
    goto: str


class Step(_Struct, kw_only=True):
    id: str
    kind: str
    title: Localised
    required: bool = False
    due: Due | None = None
    template: str | None = None
    items: list[Localised] = msgspec.field(default_factory=list)
    fields: list[str] = msgspec.field(default_factory=list)
    actions: list[Action] = msgspec.field(default_factory=list)
    branch: list[BranchRule] = msgspec.field(default_factory=list)
    #: ``wait``: how long the client has to answer.
    wait: str | None = None
    #: ``handoff``: the team asked (by name) and the question, in both languages.
    team: str | None = None
    question: Localised | None = None
    #: Where to go after this step: another step's id, or ``end`` (steps after it do not apply).
    next: str | None = None


class Ask(_Struct, kw_only=True):
    key: str
    label: Localised


class EmailVariant(_Struct, kw_only=True):
    subject: Localised
    body: Localised


class TextVariant(_Struct, kw_only=True):
    text: Localised


class PhoneVariant(_Struct, kw_only=True):
    script: Localised


class ChannelVariants(_Struct, kw_only=True):
    email: EmailVariant | None = None
    wechat: TextVariant | None = None
    #: Sent as the Official Account's approved template outside the 48-hour window.
    wechat_template: TextVariant | None = None
    webchat: TextVariant | None = None
    #: Read aloud by the agent, never sent.
    phone: PhoneVariant | None = None


class Template(_Struct, kw_only=True):
    text: Localised
    ask: list[Ask] = msgspec.field(default_factory=list)
    channels: ChannelVariants | None = None


class Playbook(_Struct, kw_only=True):
    schema: str
    id: str
    version: int
    title: Localised
    scenario: str
    locales: list[str]
    trigger: Trigger = msgspec.field(default_factory=Trigger)
    fields: list[Field] = msgspec.field(default_factory=list)
    sla: Sla | None = None
    tone: Tone | None = None
    on_start: list[Action] = msgspec.field(default_factory=list)
    steps: list[Step]
    templates: dict[str, Template] = msgspec.field(default_factory=dict)
    #: Snippets (by id) an agent may insert in the reply steps of this playbook.
    snippets: list[str] = msgspec.field(default_factory=list)


class Snippet(_Struct, kw_only=True):
    id: str
    #: Typed after ``::`` in the composer.
    shortcut: str
    title: Localised
    text: Localised


class Snippets(_Struct, kw_only=True):
    schema: str
    snippets: list[Snippet]


class AutoReply(_Struct, kw_only=True):
    """A message the hub sends by itself (the e-mail acknowledgement of a new ticket). It goes to
    someone whose language the hub does not know yet, so it says it in both: the zh-CN text, then
    the English (subjects joined by " / ")."""

    schema: str
    id: str
    version: int
    #: What makes the hub send it: a new ticket.
    event: Literal["ticket_opened"] = "ticket_opened"
    channels: list[str]
    #: At most one automatic message per contact within this time (calendar units: ``1h``).
    once_per: str = "1h"
    subject: Localised | None = None
    text: Localised
