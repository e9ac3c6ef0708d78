"""Tone rules: phrases an agent must not say to a client, and what a first reply must contain.

Checked over the templates when a file loads, and over the agent's edited text when a reply is
sent while the playbook runs: a ``warn`` phrase is reported and sent, a ``block`` one stops the send.
Matching ignores case and runs of spaces, so "Calm  down" is caught as "calm down".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from playbooks.format import ForbiddenPhrase, Tone


@dataclass(frozen=True)
class ToneHit:
    phrase: str
    severity: str
    #: ``forbidden`` (the phrase was said) or ``missing`` (none of the required phrases was).
    rule: str


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).casefold()


def forbidden_in(tone: Tone | None, locale: str, text: str) -> list[ToneHit]:
    if tone is None:
        return []
    said = _normal(text)
    return [
        ToneHit(phrase.text, phrase.severity, "forbidden")
        for phrase in _phrases(tone, locale)
        if _normal(phrase.text) in said
    ]


def _phrases(tone: Tone, locale: str) -> list[ForbiddenPhrase]:
    """A phrase forbidden in any language is forbidden in every reply: agents mix languages."""
    ordered = [*tone.forbidden.get(locale, [])]
    for other, phrases in tone.forbidden.items():
        if other != locale:
            ordered.extend(phrases)
    return ordered


def check(tone: Tone | None, locale: str, text: str, *, first_reply: bool) -> list[ToneHit]:
    """Every rule the text breaks; ``first_reply`` adds the required-phrase rule."""
    hits = forbidden_in(tone, locale, text)
    if tone is not None and first_reply and tone.required_first_reply:
        # The reply's language is the agent's choice: a phrase of any language counts.
        accepted = [phrase for rule in tone.required_first_reply.values() for phrase in rule.any_of]
        said = _normal(text)
        if not any(_normal(phrase) in said for phrase in accepted):
            shown = tone.required_first_reply.get(locale) or next(iter(tone.required_first_reply.values()))
            hits.append(ToneHit(" / ".join(shown.any_of), tone.required_severity, "missing"))
    return hits
