"""``GET /widget.js`` and the demo shop page over HTTP: the served script carries the catalogue's
words in both languages, stays under its size budget, is cached and revalidated, and the demo page
exists only with the demo's web chat. The widget itself runs in Chromium in tests/browser."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from hub.actors import CLI
from hub.core import Hub
from hub.demo import DEMO_WEBCHAT_NAME
from hub.domain import ChannelKind, Role
from hub.intake import channel_instances
from tests import factories
from web.pages.text import UI
from web.pages.widget import TEXT_MARK, widget_script

pytestmark = pytest.mark.anyio

SOURCE = Path(__file__).resolve().parents[2] / "web" / "static" / "widget.js"
#: ``t("send")`` and ``t("launcher_unread", {...})`` in the script.
_LITERAL = re.compile(r"""\bt\(\s*"([a-z_]+)"\s*[,)]""")
#: Keys the script builds from values: a message's status, a pre-chat field, the missing-field error.
BUILT = [
    *(f"status_{s}" for s in ("sent", "delivered", "read")),
    *(f"prechat_{f}" for f in ("name", "email", "phone")),
    "prechat_missing",
]
BUDGET = 30 * 1024


def test_every_word_the_widget_uses_is_in_the_catalogue_in_both_languages() -> None:
    used = set(_LITERAL.findall(SOURCE.read_text())) | set(BUILT)
    assert len(used) > 20, "the pattern found too few keys"
    missing = sorted(key for key in used if f"widget.{key}" not in UI)
    assert missing == []
    for key in used:
        assert set(UI[f"widget.{key}"]) == {"en", "zh-CN"}, key


async def test_the_script_is_served_with_its_words_gzipped_and_under_budget(client: AsyncTestClient) -> None:
    response = await client.get("/widget.js", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    script = widget_script()
    assert len(script.gzipped) < BUDGET, f"{len(script.gzipped)} bytes gzipped"
    # The test client undoes the encoding: what the browser runs is the plain script.
    assert response.content == script.plain == gzip.decompress(script.gzipped)
    text = response.text
    assert TEXT_MARK not in text
    assert '"send":"发送"' in text and '"send":"Send"' in text
    assert "innerHTML" not in text and "insertAdjacentHTML" not in text and "eval(" not in text
    plain = await client.get("/widget.js", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == script.plain


async def test_the_plain_url_revalidates_and_the_versioned_one_is_immutable(client: AsyncTestClient) -> None:
    first = await client.get("/widget.js")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=300"
    again = await client.get("/widget.js", headers={"if-none-match": etag})
    assert again.status_code == 304 and not again.content
    changed = await client.get("/widget.js", headers={"if-none-match": '"something-else"'})
    assert changed.status_code == 200
    version = widget_script().version
    versioned = await client.get(f"/widget.js?v={version}")
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    stale = await client.get("/widget.js?v=0123")
    assert stale.headers["cache-control"] == "public, max-age=300"


async def test_the_demo_page_exists_only_with_the_demo_web_chat(hub: Hub, client: AsyncTestClient) -> None:
    assert (await client.get("/widget/demo")).status_code == 404
    created = await channel_instances.add_channel(
        hub,
        CLI,
        kind=ChannelKind.WEBCHAT,
        name=DEMO_WEBCHAT_NAME,
        config={"origins": ["http://127.0.0.1:8000"]},
    )
    channel_id = created.channel.id
    page = await client.get("/widget/demo", headers={"accept-language": "en"})
    assert page.status_code == 200
    embed = f'<script src="{client.base_url}/widget.js" data-channel="{channel_id}" async></script>'
    assert embed.replace('"', "&#34;").replace("<", "&lt;").replace(">", "&gt;") in page.text
    assert f'data-channel="{channel_id}" async></script>' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    await channel_instances.update_channel(hub, CLI, channel_id, is_active=False)
    assert (await client.get("/widget/demo")).status_code == 404


async def test_staff_find_the_demo_page_from_the_inbox(hub: Hub, client: AsyncTestClient) -> None:
    agent = await factories.user(hub, Role.AGENT)
    login = {"email": agent.email, "password": factories.PASSWORD}
    assert (await client.post("/api/v1/auth/login", json=login)).status_code == 200
    assert 'href="/widget/demo"' not in (await client.get("/")).text
    await channel_instances.add_channel(
        hub,
        CLI,
        kind=ChannelKind.WEBCHAT,
        name=DEMO_WEBCHAT_NAME,
        config={"origins": ["http://127.0.0.1:8000"]},
    )
    assert 'href="/widget/demo"' in (await client.get("/")).text
