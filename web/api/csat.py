"""The satisfaction survey's settings over HTTP (admins): on or off, the delays, the per-contact
cap and the texts in each language (each shown beside the catalogue's default)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

import msgspec
from litestar import Controller, Request, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from hub.core import Hub
from hub.csat import settings as csat_settings
from hub.i18n import SUPPORTED_LOCALES
from web.auth.guards import BEARER, admins
from web.auth.identity import CurrentUser

Minutes = Annotated[int, msgspec.Meta(ge=0, le=csat_settings.MAX_DELAY_MINUTES)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=csat_settings.MAX_TEXT)]


class CsatSettingsOut(msgspec.Struct):
    enabled: bool
    delay_minutes: int
    webchat_delay_minutes: int
    contact_cap_days: int
    #: The admins' own texts, per language (``zh-CN``, ``en``) and name.
    texts: dict[str, dict[str, str]]
    #: The catalogue's texts, used wherever the admins set none.
    defaults: dict[str, dict[str, str]]

    @classmethod
    def of(cls, value: csat_settings.SurveySettings) -> CsatSettingsOut:
        return cls(
            enabled=value.enabled,
            delay_minutes=value.delay_minutes,
            webchat_delay_minutes=value.webchat_delay_minutes,
            contact_cap_days=value.contact_cap_days,
            texts=value.texts,
            defaults={locale: csat_settings.defaults(locale) for locale in SUPPORTED_LOCALES},
        )


Language = Literal["zh-CN", "en"]
#: The survey's texts an admin may replace (:data:`hub.csat.settings.TEXT_NAMES`), named in the
#: schema so a client learns them from it.
TextName = Literal[
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
]
assert set(get_args(TextName)) == set(csat_settings.TEXT_NAMES)


class CsatSettingsIn(msgspec.Struct, forbid_unknown_fields=True):
    enabled: bool | None = None
    delay_minutes: Minutes | None = None
    webchat_delay_minutes: Minutes | None = None
    contact_cap_days: Annotated[int, msgspec.Meta(ge=0, le=csat_settings.MAX_CAP_DAYS)] | None = None
    #: Per language, the texts to set; ``null`` puts one back to the catalogue's default. Names:
    #: email_subject, intro, chat_question, wechat_text (``{link}``), comment_prompt, thanks, rating_1…5.
    texts: dict[Language, dict[TextName, Text | None]] | None = None


class CsatController(Controller):
    path = "/api/v1/csat"
    security = BEARER
    tags = ["csat"]

    @get("/settings", guards=[admins])
    async def get_settings(self, db: NamedDependency[AsyncSession]) -> CsatSettingsOut:
        """The survey settings in force."""
        return CsatSettingsOut.of(await csat_settings.load(db))

    @put("/settings", guards=[admins])
    async def put_settings(
        self, request: Request, hub: NamedDependency[Hub], data: JSONBody[CsatSettingsIn]
    ) -> CsatSettingsOut:
        """Change what is given (audited as ``csat.settings_updated``, before and after)."""
        user: CurrentUser = request.user
        changed = await csat_settings.update(
            hub,
            user.actor,
            enabled=data.enabled,
            delay_minutes=data.delay_minutes,
            webchat_delay_minutes=data.webchat_delay_minutes,
            contact_cap_days=data.contact_cap_days,
            texts=data.texts,
        )
        return CsatSettingsOut.of(changed)
