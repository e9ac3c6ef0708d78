"""The survey settings admins edit: on or off, the delays, the per-contact cap and the texts.

Texts default to the catalogue's ``csat_<name>`` entries in both languages; an admin's text for one
locale replaces only that one, so a change to the Chinese wording leaves the English default alone.
Every change is audited (``csat.settings_updated``) with the values before and after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hub.actors import Actor
from hub.errors import InvalidInput
from hub.events.admin import SettingsChanged
from hub.i18n import SUPPORTED_LOCALES, translate
from hub.models import CsatSettings
from hub.permissions import require_admin

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from hub.core import Hub

#: The texts an admin may change; each has ``csat_<name>`` in the catalogue.
TEXT_NAMES = (
    "email_subject",
    "intro",
    "chat_question",
    "wechat_text",
    "comment_prompt",
    "thanks",
    "rating_1",
    "rating_2",
    "rating_3",
    "rating_4",
    "rating_5",
)
MAX_TEXT = 2000
MAX_DELAY_MINUTES = 7 * 24 * 60
MAX_CAP_DAYS = 365


@dataclass(frozen=True)
class SurveySettings:
    enabled: bool = True
    #: After the resolution, how long a survey waits (a reopen in between cancels it).
    delay_minutes: int = 60
    #: Web chat asks at once by default: the visitor is still on the page.
    webchat_delay_minutes: int = 0
    #: At most one survey per contact within this many days.
    contact_cap_days: int = 7
    texts: dict[str, dict[str, str]] = field(default_factory=dict)

    def text(self, name: str, locale: str, **params: Any) -> str:
        """The admin's text for this locale, else the catalogue's; ``{number}``-style fields filled."""
        custom = self.texts.get(locale, {}).get(name)
        if custom is None:
            return translate(f"csat_{name}", locale, **params)
        try:
            return custom.format(**params)
        except (KeyError, IndexError, ValueError):
            return custom

    def as_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "delay_minutes": self.delay_minutes,
            "webchat_delay_minutes": self.webchat_delay_minutes,
            "contact_cap_days": self.contact_cap_days,
            "texts": {locale: dict(values) for locale, values in self.texts.items()},
        }


async def load(session: AsyncSession) -> SurveySettings:
    row = await session.get(CsatSettings, 1)
    if row is None:
        return SurveySettings()
    return SurveySettings(
        enabled=row.enabled,
        delay_minutes=row.delay_minutes,
        webchat_delay_minutes=row.webchat_delay_minutes,
        contact_cap_days=row.contact_cap_days,
        texts={locale: dict(values) for locale, values in (row.texts or {}).items()},
    )


def defaults(locale: str) -> dict[str, str]:
    """The catalogue's texts, as an admin form shows them beside their own."""
    return {name: translate(f"csat_{name}", locale) for name in TEXT_NAMES}


def _check_texts(texts: dict[str, dict[str, str | None]]) -> None:
    for locale, values in texts.items():
        if locale not in SUPPORTED_LOCALES:
            raise InvalidInput(detail=f"texts: unknown language {locale!r} (zh-CN or en)")
        for name, value in values.items():
            if name not in TEXT_NAMES:
                raise InvalidInput(detail=f"texts.{locale}: unknown text {name!r}")
            if value is not None and (not value.strip() or len(value) > MAX_TEXT):
                raise InvalidInput(detail=f"texts.{locale}.{name}: 1 to {MAX_TEXT} characters")


def _check_range(name: str, value: int | None, top: int) -> None:
    if value is not None and not 0 <= value <= top:
        raise InvalidInput(detail=f"{name}: 0 to {top}")


async def update(
    hub: Hub,
    actor: Actor,
    *,
    enabled: bool | None = None,
    delay_minutes: int | None = None,
    webchat_delay_minutes: int | None = None,
    contact_cap_days: int | None = None,
    texts: dict[str, dict[str, str | None]] | None = None,
) -> SurveySettings:
    """Change what is given; a text set to ``None`` goes back to the catalogue's default."""
    require_admin(actor)
    _check_range("delay_minutes", delay_minutes, MAX_DELAY_MINUTES)
    _check_range("webchat_delay_minutes", webchat_delay_minutes, MAX_DELAY_MINUTES)
    _check_range("contact_cap_days", contact_cap_days, MAX_CAP_DAYS)
    _check_texts(texts or {})
    async with hub.uow() as uow:
        now = hub.clock.now()
        row = await uow.session.get(CsatSettings, 1, with_for_update=True)
        before = (await load(uow.session)).as_dict()
        if row is None:
            row = CsatSettings(
                id=1, enabled=True, delay_minutes=60, webchat_delay_minutes=0, contact_cap_days=7, texts={}
            )
            uow.session.add(row)
        if enabled is not None:
            row.enabled = enabled
        if delay_minutes is not None:
            row.delay_minutes = delay_minutes
        if webchat_delay_minutes is not None:
            row.webchat_delay_minutes = webchat_delay_minutes
        if contact_cap_days is not None:
            row.contact_cap_days = contact_cap_days
        if texts:
            merged = {locale: dict(values) for locale, values in (row.texts or {}).items()}
            for locale, values in texts.items():
                mine = merged.setdefault(locale, {})
                for name, value in values.items():
                    if value is None:
                        mine.pop(name, None)
                    else:
                        mine[name] = value
            row.texts = {locale: values for locale, values in merged.items() if values}
        row.updated_at = now
        row.updated_by_id = actor.user_id
        await uow.session.flush()
        after = (await load(uow.session)).as_dict()
        uow.emit(
            SettingsChanged.of(actor, "csat.settings_updated", "settings", at=now, before=before, after=after)
        )
        await uow.commit()
        return await load(uow.session)
