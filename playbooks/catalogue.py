"""The loaded library: the shipped playbooks and a company's folder, as the hub's port sees them.

Files are read once, at start-up (``HUB_PLAYBOOKS_DIR`` may name the company's folder; a playbook
there with the id of a shipped one replaces it). Each file is one immutable version named by its
content digest; a run stores the version's document when it starts, so rendering and tone checks
take the pinned document, never the file as it is now.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec

from hub.errors import InvalidInput
from hub.ports import (
    FilledSnippet,
    PlaybookListing,
    PlaybookSuggestion,
    PlaybookVersion,
    RenderedReply,
    TicketFacts,
    ToneIssue,
)
from playbooks import tone
from playbooks.format import AutoReply, Playbook, Snippet, Template
from playbooks.render import RenderError, environment, nest
from playbooks.render import render as fill
from playbooks.validate import Loaded, validate_paths

LIBRARY = Path(__file__).with_name("library")
ENV_DIR = "HUB_PLAYBOOKS_DIR"


def folders(extra: str | None = None) -> list[Path]:
    """The shipped library, then the company's folder (``HUB_PLAYBOOKS_DIR``) if set."""
    found = [LIBRARY]
    named = extra if extra is not None else os.environ.get(ENV_DIR, "")
    if named:
        found.append(Path(named))
    return found


class Catalogue:
    """:class:`hub.ports.PlaybookCatalogue` over the files of ``paths``."""

    def __init__(self, paths: list[Path] | None = None) -> None:
        self.loaded, problems = validate_paths(paths if paths is not None else folders())
        self.problems = [str(problem) for problem in problems]
        self.by_id: dict[str, Loaded] = {}
        self.snippets_loaded: list[Snippet] = []
        self.autoreplies: dict[str, AutoReply] = {}
        for item in self.loaded:
            if item.autoreply is not None and not item.problems:
                self.autoreplies[item.autoreply.id] = item.autoreply
            if item.playbook is not None:
                self.by_id[item.playbook.id] = item  # a later folder's playbook replaces the shipped one
            if item.snippets is not None and not item.problems:
                self.snippets_loaded.extend(item.snippets.snippets)
        #: The playbooks that can be suggested, each with its keywords case-folded once: a bulk
        #: import asks for suggestions for every ticket it opens.
        self.suggestible: list[tuple[Playbook, tuple[tuple[str, str], ...]]] = [
            (
                book,
                tuple((word, word.casefold()) for words in book.trigger.keywords.values() for word in words),
            )
            for item in self.by_id.values()
            if (book := item.playbook) is not None and not item.problems
        ]

    def listing(self) -> list[PlaybookListing]:
        return [
            PlaybookListing(
                playbook_id=book.id,
                version=book.version,
                digest=item.digest,
                scenario=book.scenario,
                title=dict(book.title),
                source=str(item.path),
                problems=tuple(str(problem) for problem in item.problems),
            )
            for item in self.by_id.values()
            if (book := item.playbook) is not None
        ]

    def current(self, playbook_id: str) -> PlaybookVersion | None:
        item = self.by_id.get(playbook_id)
        if item is None or item.playbook is None or item.problems or item.document is None:
            return None
        book = item.playbook
        return PlaybookVersion(
            playbook_id=book.id,
            version=book.version,
            digest=item.digest,
            scenario=book.scenario,
            title=dict(book.title),
            document=item.document,
        )

    def suggest(self, facts: TicketFacts) -> list[PlaybookSuggestion]:
        found: list[PlaybookSuggestion] = []
        said = facts.text.casefold()
        for book, keywords in self.suggestible:
            reason = _reason(book, facts, said, keywords)
            if reason is not None:
                found.append(
                    PlaybookSuggestion(
                        book.id, book.version, dict(book.title), reason=reason[0], detail=reason[1]
                    )
                )
        # A low rating's playbook first (what the client just told us), then the scenario's own,
        # then keyword matches.
        order = {"csat": 0, "scenario": 1, "organization": 2, "keyword": 3}
        return sorted(found, key=lambda s: (order[s.reason], s.playbook_id))

    def render(
        self,
        document: Mapping[str, Any],
        template: str,
        *,
        locale: str,
        channel: str,
        values: Mapping[str, Any],
        template_fallback: bool = False,
    ) -> RenderedReply:
        book = _decode(dict(document))
        chosen = book.templates.get(template)
        if chosen is None:
            raise InvalidInput(detail=f"the playbook has no template {template!r}")
        if locale not in book.locales:
            locale = book.locales[0]
        try:
            return _variant(chosen, locale, channel, values, template_fallback)
        except RenderError as exc:
            raise InvalidInput(detail=f"the reply cannot be filled in: {exc}") from None

    def tone(
        self, document: Mapping[str, Any], text: str, *, locale: str, first_reply: bool
    ) -> list[ToneIssue]:
        book = _decode(dict(document))
        return [
            ToneIssue(hit.phrase, hit.severity, hit.rule)
            for hit in tone.check(book.tone, locale, text, first_reply=first_reply)
        ]

    def snippets(self, *, locale: str, values: Mapping[str, Any]) -> list[FilledSnippet]:
        filled: list[FilledSnippet] = []
        for snippet in self.snippets_loaded:
            text = snippet.text.get(locale) or snippet.text["en"]
            try:
                filled.append(
                    FilledSnippet(snippet.id, snippet.shortcut, dict(snippet.title), fill(text, values))
                )
            except RenderError as exc:
                filled.append(
                    FilledSnippet(snippet.id, snippet.shortcut, dict(snippet.title), None, str(exc))
                )
        return filled

    def automatic_reply(
        self, kind: str, *, channel: str, values: Mapping[str, Any]
    ) -> tuple[RenderedReply, str] | None:
        reply = self.autoreplies.get(kind)
        if reply is None or channel not in reply.channels:
            return None
        try:
            text = "\n\n".join(fill(reply.text[locale], values) for locale in ("zh-CN", "en"))
            subject = (
                " / ".join(fill(reply.subject[locale], values) for locale in ("zh-CN", "en"))
                if reply.subject
                else None
            )
        except RenderError as exc:
            raise InvalidInput(detail=f"the automatic reply {kind} cannot be filled in: {exc}") from None
        return RenderedReply(text, subject=subject, variant=channel), reply.once_per

    def condition(self, expression: str, values: Mapping[str, Any]) -> bool:
        try:
            return bool(environment().compile_expression(expression)(**nest(values)))
        except Exception:  # a value of the wrong type: the rule does not match, the next one is tried
            return False


def _reason(
    book: Playbook, facts: TicketFacts, said: str, keywords: tuple[tuple[str, str], ...]
) -> tuple[str, str] | None:
    """Why ``book`` fits the ticket, if it does; ``said`` is the ticket's text case-folded and
    ``keywords`` the trigger's words, each with its case-folded form."""
    trigger = book.trigger
    if trigger.channels and facts.channel not in trigger.channels:
        return None
    if trigger.tiers and facts.tier not in trigger.tiers:
        return None
    if trigger.organization_kinds and facts.organization_kind not in trigger.organization_kinds:
        return None
    if trigger.csat_at_most is not None and facts.csat is not None and facts.csat <= trigger.csat_at_most:
        return ("csat", str(facts.csat))
    if facts.scenario in trigger.scenarios:
        return ("scenario", facts.scenario)
    for word, folded in keywords:
        if folded in said:
            return ("keyword", word)
    if trigger.organization_kinds and not trigger.keywords:
        return ("organization", facts.organization_kind or "")
    return None


def _variant(
    template: Template, locale: str, channel: str, values: Mapping[str, Any], fallback: bool
) -> RenderedReply:
    variants = template.channels
    if fallback:
        if variants is None or variants.wechat_template is None:
            raise RenderError("this reply has no WeChat template variant; answer on another channel")
        return RenderedReply(fill(variants.wechat_template.text[locale], values), variant="wechat_template")
    if variants is not None:
        if channel == "email" and variants.email is not None:
            return RenderedReply(
                fill(variants.email.body[locale], values),
                subject=fill(variants.email.subject[locale], values),
                variant="email",
            )
        if channel == "phone" and variants.phone is not None:
            return RenderedReply(
                fill(variants.phone.script[locale], values), script_only=True, variant="phone"
            )
        for name in ("wechat", "webchat"):
            variant = getattr(variants, name)
            if channel == name and variant is not None:
                return RenderedReply(fill(variant.text[locale], values), variant=name)
    return RenderedReply(fill(template.text[locale], values))


@lru_cache(maxsize=64)
def _decode_cached(raw: bytes) -> Playbook:
    return msgspec.json.decode(raw, type=Playbook)


def _decode(document: dict[str, Any]) -> Playbook:
    return _decode_cached(msgspec.json.encode(document))
