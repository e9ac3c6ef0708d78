"""What a survey says on each channel, in the contact's language, from the admins' texts.

E-mail gets five links (one per rating, each opening the landing page with that rating chosen)
as plain text and as HTML; WeChat, an API integration and a template message get one line with the
landing page's link; web chat and the partner portal get the question, and the widget and the
request's page in the portal draw the faces themselves.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from hub.csat.settings import SurveySettings
from hub.domain import ChannelKind
from hub.html import sanitise

RATINGS = (5, 4, 3, 2, 1)


@dataclass(frozen=True)
class Content:
    text: str
    html: str | None
    subject: str


def landing_url(base_url: str, token: str, rating: int | None = None) -> str:
    url = f"{base_url}/csat/{token}"
    return f"{url}?rating={rating}" if rating else url


def compose(
    settings: SurveySettings,
    *,
    kind: ChannelKind,
    locale: str,
    number: int,
    subject: str,
    base_url: str,
    token: str,
) -> Content:
    fields = {"number": number, "subject": subject}
    title = settings.text("email_subject", locale, **fields)
    if kind in (ChannelKind.WEBCHAT, ChannelKind.PORTAL):
        # The widget and the portal's request page draw the faces themselves.
        return Content(text=settings.text("chat_question", locale, **fields), html=None, subject=title)
    if kind is not ChannelKind.EMAIL:
        link = landing_url(base_url, token)
        return Content(
            text=settings.text("wechat_text", locale, link=link, **fields), html=None, subject=title
        )
    intro = settings.text("intro", locale, **fields)
    lines = [intro, ""]
    items = []
    for rating in RATINGS:
        label = settings.text(f"rating_{rating}", locale)
        url = landing_url(base_url, token, rating)
        lines.append(f"{rating} – {label}: {url}")
        items.append(f'<li><a href="{html.escape(url)}">{rating} – {html.escape(label)}</a></li>')
    body = f"<p>{html.escape(intro)}</p><ul>{''.join(items)}</ul>"
    return Content(text="\n".join(lines), html=sanitise(body), subject=title)
