"""Loading one file and everything that can be wrong with it, as ``file:line: message``.

The shape comes from msgspec (:mod:`playbooks.format`); the rest is checked here: ids, both
languages everywhere, variables each reply uses (declared, the same in every language), the
rendered length on each channel, durations in the SLA engine's units, action names, tone rules
over the templates themselves, and the sandbox's refusals.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any

import msgspec
from jinja2.exceptions import TemplateError

from hub.calendars.durations import parse_duration
from hub.errors import InvalidInput
from playbooks import actions, tone
from playbooks.format import (
    AUTOREPLY_SCHEMA,
    CHANNELS,
    FIELD_TYPES,
    PLAYBOOK_SCHEMA,
    SCENARIOS,
    SNIPPETS_SCHEMA,
    STEP_KINDS,
    AutoReply,
    Playbook,
    Snippets,
    Template,
)
from playbooks.render import ASK_SAMPLE, CHANNEL_LIMITS, CONTEXT, FIELD_SAMPLE, RenderError, environment
from playbooks.render import render as fill
from playbooks.render import variables as template_variables
from playbooks.source import Path, Source, SourceError, msgspec_path, parse

REQUIRED_LOCALES = ("zh-CN", "en")
_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
TIERS = ("core", "standard")
ORGANIZATION_KINDS = ("client", "partner")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class Loaded:
    """One file: what it holds (when it could be read) and its problems."""

    path: FilePath
    digest: str
    problems: list[Problem] = field(default_factory=list)
    playbook: Playbook | None = None
    snippets: Snippets | None = None
    autoreply: AutoReply | None = None
    #: The file's data as plain JSON-able values: what a running instance pins.
    document: dict[str, Any] | None = None


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def load_file(path: FilePath) -> Loaded:
    data = path.read_bytes()
    loaded = Loaded(path=path, digest=digest_of(data))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        loaded.problems.append(Problem(str(path), 1, "the file is not UTF-8"))
        return loaded
    return load_text(text, path, loaded)


def load_text(text: str, path: FilePath, loaded: Loaded | None = None) -> Loaded:
    loaded = loaded or Loaded(path=path, digest=digest_of(text.encode()))
    name = str(path)
    try:
        source = parse(text)
    except SourceError as exc:
        loaded.problems.append(Problem(name, exc.line, exc.message))
        return loaded
    if not isinstance(source.data, dict):
        loaded.problems.append(Problem(name, 1, "the file must be a mapping"))
        return loaded
    schema = source.data.get("schema")
    kinds: dict[str, type[Playbook] | type[Snippets] | type[AutoReply]] = {
        PLAYBOOK_SCHEMA: Playbook,
        SNIPPETS_SCHEMA: Snippets,
        AUTOREPLY_SCHEMA: AutoReply,
    }
    kind = kinds.get(str(schema))
    if kind is None:
        loaded.problems.append(
            Problem(name, source.line(("schema",)), f"schema must be one of {', '.join(kinds)}")
        )
        return loaded
    try:
        decoded = msgspec.convert(source.data, kind)
    except msgspec.ValidationError as exc:
        where, message = msgspec_path(str(exc))
        shown = f" ({_show(where)})" if where else ""
        loaded.problems.append(Problem(name, source.line(where), message + shown))
        return loaded
    check = Checker(name, source)
    if isinstance(decoded, Playbook):
        check.playbook(decoded, path)
        loaded.playbook = decoded
    elif isinstance(decoded, AutoReply):
        check.autoreply(decoded, path)
        loaded.autoreply = decoded
    else:
        check.snippets(decoded)
        loaded.snippets = decoded
    loaded.problems.extend(check.problems)
    loaded.document = msgspec.to_builtins(decoded)
    return loaded


class Checker:
    def __init__(self, name: str, source: Source) -> None:
        self.name = name
        self.source = source
        self.problems: list[Problem] = []
        self.locales: tuple[str, ...] = REQUIRED_LOCALES

    def add(self, path: Path, message: str) -> None:
        self.problems.append(Problem(self.name, self.source.line(path), message))

    # -- pieces every object shares ----------------------------------------------------------

    def localised(self, path: Path, value: dict[str, str] | None) -> None:
        if value is None:
            return
        for locale in self.locales:
            if not (value.get(locale) or "").strip():
                self.add(path, f"{_show(path)}: the {locale} text is missing")
        for locale in value:
            if locale not in self.locales:
                self.add(
                    (*path, locale), f"{_show(path)}: {locale} is not one of the locales {list(self.locales)}"
                )

    def duration(self, path: Path, text: str | None) -> None:
        if text is None:
            return
        try:
            parse_duration(text)
        except InvalidInput as exc:
            self.add(path, f"{_show(path)}: {exc.params.get('detail')}")

    def choice(self, path: Path, value: str, choices: tuple[str, ...], what: str) -> None:
        if value not in choices:
            self.add(path, f"{what} {value!r} is not one of {', '.join(choices)}")

    # -- snippets ----------------------------------------------------------------------------

    def snippets(self, document: Snippets) -> None:
        ids: set[str] = set()
        shortcuts: set[str] = set()
        for index, snippet in enumerate(document.snippets):
            path: Path = ("snippets", index)
            if not _ID.match(snippet.id):
                self.add((*path, "id"), f"snippet id {snippet.id!r} must be lower-case letters, digits and _")
            if snippet.id in ids:
                self.add((*path, "id"), f"snippet id {snippet.id!r} is used twice")
            if not _SHORTCUT.match(snippet.shortcut) or snippet.shortcut in shortcuts:
                self.add((*path, "shortcut"), f"shortcut {snippet.shortcut!r} must be unique, a-z 0-9 _ -")
            ids.add(snippet.id)
            shortcuts.add(snippet.shortcut)
            self.localised((*path, "title"), snippet.title)
            self.localised((*path, "text"), snippet.text)
            for locale, text in snippet.text.items():
                self.template_text((*path, "text", locale), text, set(CONTEXT), None, "webchat")

    # -- automatic replies -------------------------------------------------------------------

    def autoreply(self, reply: AutoReply, path: FilePath) -> None:
        if not _ID.match(reply.id) or (path.suffix in (".yaml", ".yml") and path.stem != reply.id):
            self.add(
                ("id",), f"id {reply.id!r} must be lower-case letters, digits and _, and match the file name"
            )
        if not reply.channels:
            self.add(("channels",), "an automatic reply needs the channels it answers on")
        for index, value in enumerate(reply.channels):
            self.choice(("channels", index), value, CHANNELS, "channel")
        self.duration(("once_per",), reply.once_per)
        allowed = {"ticket.number", "ticket.subject", "contact.display_name"}
        for key, texts in (("subject", reply.subject), ("text", reply.text)):
            if texts is None:
                continue
            self.localised((key,), texts)
            for locale, text in texts.items():
                self.template_text((key, locale), text, allowed, None, "email")

    # -- playbooks ---------------------------------------------------------------------------

    def playbook(self, book: Playbook, path: FilePath) -> None:
        if not _ID.match(book.id):
            self.add(("id",), f"id {book.id!r} must be lower-case letters, digits and _")
        if path.suffix in (".yaml", ".yml") and path.stem != book.id:
            self.add(("id",), f"id {book.id!r} must match the file name {path.name}")
        if book.version < 1:
            self.add(("version",), "version must be 1 or more")
        missing = [locale for locale in REQUIRED_LOCALES if locale not in book.locales]
        if missing:
            self.add(("locales",), f"locales must include {', '.join(missing)}")
        self.locales = tuple(dict.fromkeys([*REQUIRED_LOCALES, *book.locales]))
        self.choice(("scenario",), book.scenario, SCENARIOS, "scenario")
        self.localised(("title",), book.title)
        self.trigger(book)
        self.fields(book)
        self.sla(book)
        self.tone_rules(book)
        for index, action in enumerate(book.on_start):
            self.action(("on_start", index), action, book)
        self.steps(book)
        self.templates(book)

    def trigger(self, book: Playbook) -> None:
        trigger = book.trigger
        for index, value in enumerate(trigger.scenarios):
            self.choice(("trigger", "scenarios", index), value, SCENARIOS, "scenario")
        for index, value in enumerate(trigger.channels):
            self.choice(("trigger", "channels", index), value, CHANNELS, "channel")
        for index, value in enumerate(trigger.tiers):
            self.choice(("trigger", "tiers", index), value, TIERS, "tier")
        for index, value in enumerate(trigger.organization_kinds):
            self.choice(
                ("trigger", "organization_kinds", index), value, ORGANIZATION_KINDS, "organization kind"
            )
        if trigger.csat_at_most is not None and not 1 <= trigger.csat_at_most <= 5:
            self.add(("trigger", "csat_at_most"), "csat_at_most must be a survey rating from 1 to 5")
        for locale, words in trigger.keywords.items():
            if locale not in self.locales:
                self.add(("trigger", "keywords", locale), f"keywords: {locale} is not one of the locales")
            if not all(word.strip() for word in words):
                self.add(("trigger", "keywords", locale), "keywords must not be empty")

    def fields(self, book: Playbook) -> None:
        seen: set[str] = set()
        for index, item in enumerate(book.fields):
            path: Path = ("fields", index)
            if not _ID.match(item.key):
                self.add((*path, "key"), f"field key {item.key!r} must be lower-case letters, digits and _")
            if item.key in seen:
                self.add((*path, "key"), f"field {item.key!r} is declared twice")
            seen.add(item.key)
            self.choice((*path, "type"), item.type, FIELD_TYPES, "field type")
            self.localised((*path, "label"), item.label)
            if item.type == "enum" and not item.values:
                self.add((*path, "values"), f"field {item.key!r}: an enum needs values")
            if item.pattern is not None:
                try:
                    re.compile(item.pattern)
                except re.error as exc:
                    self.add((*path, "pattern"), f"field {item.key!r}: the pattern does not compile: {exc}")

    def sla(self, book: Playbook) -> None:
        if book.sla is None:
            return
        first = book.sla.first_response
        if isinstance(first, dict):
            for channel, text in first.items():
                self.choice(("sla", "first_response", channel), channel, CHANNELS, "channel")
                self.duration(("sla", "first_response", channel), text)
        else:
            self.duration(("sla", "first_response"), first)
        self.duration(("sla", "next_response"), book.sla.next_response)
        self.duration(("sla", "resolution"), book.sla.resolution)

    def tone_rules(self, book: Playbook) -> None:
        if book.tone is None:
            return
        for locale, phrases in book.tone.forbidden.items():
            if locale not in self.locales:
                self.add(("tone", "forbidden", locale), f"tone: {locale} is not one of the locales")
            for index, phrase in enumerate(phrases):
                if not phrase.text.strip():
                    self.add(("tone", "forbidden", locale, index), "tone: an empty phrase forbids everything")
        for locale, rule in book.tone.required_first_reply.items():
            if locale not in self.locales or not rule.any_of:
                self.add(
                    ("tone", "required_first_reply", locale),
                    "tone: required phrases need a locale and a list",
                )

    def action(self, path: Path, action: Any, book: Playbook) -> None:
        for name, message in actions.problems(action):
            self.add((*path, name) if name else path, message)
        if isinstance(action, dict) and "record_requirement" in action:
            argument = action["record_requirement"]
            if isinstance(argument, dict) and argument.get("field") not in {f.key for f in book.fields}:
                self.add(
                    (*path, "record_requirement"),
                    f"record_requirement: field {argument.get('field')!r} is not declared",
                )

    def steps(self, book: Playbook) -> None:
        ids = [step.id for step in book.steps]
        declared = {f.key for f in book.fields}
        if not book.steps:
            self.add(("steps",), "a playbook needs at least one step")
        for index, step in enumerate(book.steps):
            path: Path = ("steps", index)
            if not _ID.match(step.id):
                self.add((*path, "id"), f"step id {step.id!r} must be lower-case letters, digits and _")
            if ids.count(step.id) > 1 and ids.index(step.id) == index:
                self.add((*path, "id"), f"step id {step.id!r} is used twice")
            self.localised((*path, "title"), step.title)
            if step.kind not in STEP_KINDS:
                self.add((*path, "kind"), f"step kind {step.kind!r} is not one of {', '.join(STEP_KINDS)}")
                continue
            if step.due is not None:
                self.duration((*path, "due", "within"), step.due.within)
                origin = step.due.start
                if origin != "start" and not (origin.startswith("step:") and origin[5:] in ids[:index]):
                    self.add(
                        (*path, "due", "start"),
                        f"due.start {origin!r} must be start or step:<an earlier step>",
                    )
            if step.next is not None and step.next != "end" and step.next not in ids:
                self.add((*path, "next"), f"next: no step {step.next!r}")
            self.step_kind(path, step, book, ids, declared)

    def step_kind(self, path: Path, step: Any, book: Playbook, ids: list[str], declared: set[str]) -> None:
        kind = step.kind
        if kind == "reply" and step.template not in book.templates:
            self.add((*path, "template"), f"step {step.id}: no template {step.template!r}")
        if kind == "checklist":
            if not step.items:
                self.add((*path, "items"), f"step {step.id}: a checklist needs items")
            for number, item in enumerate(step.items):
                self.localised((*path, "items", number), item)
        if kind == "form":
            if not step.fields:
                self.add((*path, "fields"), f"step {step.id}: a form needs fields")
            for number, key in enumerate(step.fields):
                if key not in declared:
                    self.add((*path, "fields", number), f"step {step.id}: field {key!r} is not declared")
        if kind == "action":
            if not step.actions:
                self.add((*path, "actions"), f"step {step.id}: an action step needs actions")
            for number, action in enumerate(step.actions):
                self.action((*path, "actions", number), action, book)
        if kind == "wait":
            if step.wait is None:
                self.add(path, f"step {step.id}: a wait needs wait: <duration>")
            self.duration((*path, "wait"), step.wait)
        if kind == "handoff":
            if not step.team or step.question is None:
                self.add(path, f"step {step.id}: a hand-off needs team and question")
            self.localised((*path, "question"), step.question)
        if kind == "branch":
            self.branch(path, step, ids, declared)

    def branch(self, path: Path, step: Any, ids: list[str], declared: set[str]) -> None:
        if not step.branch:
            self.add((*path, "branch"), f"step {step.id}: a branch needs rules")
        if step.required:
            self.add((*path, "required"), f"step {step.id}: a branch is decided, never done by hand")
        for number, rule in enumerate(step.branch):
            where = (*path, "branch", number)
            if rule.goto not in ids or ids.index(rule.goto) <= ids.index(step.id):
                self.add((*where, "goto"), f"step {step.id}: goto {rule.goto!r} must be a later step")
            if rule.when is None:
                if number != len(step.branch) - 1:
                    self.add(where, f"step {step.id}: the rule without when must be the last")
                continue
            try:
                used = template_variables("{{ " + rule.when + " }}")
                environment().compile_expression(rule.when)
            except (
                RenderError,
                TemplateError,
                ArithmeticError,
                TypeError,
                ValueError,
                RecursionError,
            ) as exc:
                self.add((*where, "when"), f"step {step.id}: when does not parse: {exc}")
                continue
            for name in used:
                if not (name.startswith("fields.") and name[7:] in declared) and name != "organization.tier":
                    self.add((*where, "when"), f"step {step.id}: when reads {name}, not a declared field")

    def templates(self, book: Playbook) -> None:
        fields = {f.key for f in book.fields}
        used = {step.template for step in book.steps if step.kind == "reply"}
        for key, template in book.templates.items():
            path: Path = ("templates", key)
            if key not in used:
                self.add(path, f"template {key!r} is used by no reply step")
            allowed = set(CONTEXT) | {f"fields.{name}" for name in fields} | {ask.key for ask in template.ask}
            for number, ask in enumerate(template.ask):
                self.localised((*path, "ask", number, "label"), ask.label)
            for variant, channel, texts in _variants(template):
                where = (*path, *variant)
                self.localised(where, texts)
                sets: dict[str, set[str]] = {}
                for locale, text in texts.items():
                    found = self.template_text((*where, locale), text, allowed, book, channel)
                    if found is not None:
                        sets[locale] = found
                if len({frozenset(names) for names in sets.values()}) > 1:
                    detail = "; ".join(
                        f"{locale}: {', '.join(sorted(names)) or '-'}" for locale, names in sets.items()
                    )
                    self.add(where, f"template {key}: the languages use different variables ({detail})")

    def template_text(
        self, path: Path, text: str, allowed: set[str], book: Playbook | None, channel: str
    ) -> set[str] | None:
        try:
            used = template_variables(text)
        except RenderError as exc:
            self.add(path, f"{_show(path)}: {exc}")
            return None
        for name in sorted(set(used) - allowed):
            self.add(path, f"{_show(path)}: variable {name} is not declared")
        sample = {name: _sample(name) for name in used}
        try:
            filled = fill(text, sample)
        except RenderError as exc:
            self.add(path, f"{_show(path)}: {exc}")
            return set(used)
        limit = CHANNEL_LIMITS.get(channel)
        if limit is not None and len(filled) > limit:
            self.add(
                path, f"{_show(path)}: {len(filled)} characters at the longest, over {channel}'s {limit}"
            )
        if book is not None and book.tone is not None:
            for hit in tone.forbidden_in(book.tone, path[-1] if isinstance(path[-1], str) else "", text):
                self.add(path, f"{_show(path)}: says the forbidden phrase {hit.phrase!r}")
        return set(used)


def _variants(template: Template) -> list[tuple[Path, str, dict[str, str]]]:
    found: list[tuple[Path, str, dict[str, str]]] = [(("text",), "webchat", template.text)]
    channels = template.channels
    if channels is None:
        return found
    if channels.email is not None:
        found.append((("channels", "email", "subject"), "email", channels.email.subject))
        found.append((("channels", "email", "body"), "email", channels.email.body))
    for name in ("wechat", "wechat_template", "webchat"):
        variant = getattr(channels, name)
        if variant is not None:
            found.append((("channels", name, "text"), name, variant.text))
    if channels.phone is not None:
        found.append((("channels", "phone", "script"), "phone", channels.phone.script))
    return found


def _sample(name: str) -> str:
    if name in CONTEXT:
        return CONTEXT[name]
    return FIELD_SAMPLE if name.startswith("fields.") else ASK_SAMPLE


def _show(path: Path) -> str:
    return ".".join(str(part) for part in path)


def validate_paths(paths: list[FilePath]) -> tuple[list[Loaded], list[Problem]]:
    """Every playbook and snippet file under ``paths`` (files or folders), with every problem,
    including an id defined by two files."""
    files: list[FilePath] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]))
        else:
            files.append(path)
    loaded = [load_file(file) for file in files]
    problems = [problem for item in loaded for problem in item.problems]
    owners: dict[str, FilePath] = {}
    for item in loaded:
        if item.playbook is not None:
            first = owners.setdefault(item.playbook.id, item.path)
            if first != item.path:
                problems.append(
                    Problem(str(item.path), 1, f"id {item.playbook.id!r} is also defined in {first}")
                )
    return loaded, problems
