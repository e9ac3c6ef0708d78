"""What every page template gets: the viewer, their language and time zone, and static URLs.

Language: a logged-in user's stored locale wins (it follows them across devices; the switch
saves it); before login, the ``hub_lang`` cookie the switch sets, then ``Accept-Language``.
Times are stored in UTC and shown in the viewer's own time zone (``users.time_zone``), with the
hub's default business zone before login.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, tzinfo
from typing import Any, NamedTuple

from litestar import Request
from litestar.response import Template

from hub.i18n import SUPPORTED_LOCALES, negotiate
from web.auth.identity import CurrentUser
from web.pages.static import static_url
from web.pages.text import Translator, locale_for

LANG_COOKIE = "hub_lang"
DEFAULT_ZONE = "Asia/Shanghai"


def viewer(request: Request) -> CurrentUser | None:
    """The logged-in user, or None on public pages (where auth did not run)."""
    user = request.scope.get("user")
    return user if isinstance(user, CurrentUser) else None


def page_locale(request: Request) -> str:
    user = viewer(request)
    if user is not None:
        return locale_for(user.locale)
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in SUPPORTED_LOCALES:
        return chosen
    return negotiate(request.headers.get("accept-language"), default="zh-CN")


def zone_of(user: CurrentUser | None) -> tzinfo:
    try:
        return zoneinfo.ZoneInfo(user.time_zone if user else DEFAULT_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_ZONE)


class Stamp(NamedTuple):
    iso: str
    full: str
    short: str


class Clock:
    """Formats UTC instants in the viewer's zone: short in lists, full in threads."""

    def __init__(self, zone: tzinfo, now: datetime) -> None:
        self.zone = zone
        self.today = now.astimezone(zone).date()

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone)

    def short(self, at: datetime | None) -> str:
        return self._short(self.local(at)) if at else ""

    def _short(self, local: datetime) -> str:
        if local.date() == self.today:
            return local.strftime("%H:%M")
        if local.year == self.today.year:
            return local.strftime("%m-%d %H:%M")
        return local.strftime("%Y-%m-%d")

    def full(self, at: datetime | None) -> str:
        return self.local(at).strftime("%Y-%m-%d %H:%M") if at else ""

    def iso(self, at: datetime | None) -> str:
        return self.local(at).isoformat(timespec="seconds") if at else ""

    def stamp(self, at: datetime | None) -> Stamp:
        """The three forms a ``<time>`` element shows, from one conversion (a list's rows have two
        each: three calls apiece were a tenth of the inbox's rendering)."""
        if at is None:
            return Stamp("", "", "")
        local = self.local(at)
        return Stamp(
            local.isoformat(timespec="seconds"), local.strftime("%Y-%m-%d %H:%M"), self._short(local)
        )


class Once:
    """``once(ui.status, ticket.status)``: a macro's markup for a value, made once per page.

    A list's badges (channel, status, priority) take a handful of values over its 50 rows, yet each
    was a macro call with its own translations and icon URL, row after row: a fifth of a page's
    rendering."""

    def __init__(self) -> None:
        self._made: dict[tuple[str, Any], Any] = {}

    def __call__(self, macro: Any, value: Any) -> Any:
        key = (macro.name, value)
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = macro(value)
        return made


def human_size(t: Translator, size: int) -> str:
    if size < 1024:
        return t("size.bytes", n=size)
    if size < 1024 * 1024:
        return t("size.kib", n=round(size / 1024, 1))
    return t("size.mib", n=round(size / 1024 / 1024, 1))


def base_context(request: Request) -> dict[str, Any]:
    user = viewer(request)
    locale = page_locale(request)
    t = Translator(locale)
    clock = Clock(zone_of(user), request.app.state.hub.clock.now())
    return {
        "t": t,
        "lang": locale,
        "languages": SUPPORTED_LOCALES,
        "user": user,
        "is_staff": bool(user and user.is_staff),
        "clock": clock,
        "static": static_url,
        "size": lambda n: human_size(t, n),
        "once": Once(),
        "script_text": t.script_texts(),
        # A text given in each language (a playbook's titles): the viewer's, else English.
        "loc": lambda texts: (texts or {}).get(locale) or (texts or {}).get("en") or "",
    }


def render(request: Request, template: str, *, status_code: int = 200, **data: Any) -> Template:
    return Template(
        template_name=template, context={**base_context(request), **data}, status_code=status_code
    )
