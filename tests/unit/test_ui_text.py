"""The pages' catalogue: every word a template or the script asks for exists in both languages,
and the Chinese side has no English left in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from channels.phone.records import Disposition
from channels.wechat.inbound import KNOWN_TYPES as WECHAT_TYPES
from hub import i18n
from hub.domain import ChannelKind, DeliveryStatus, Direction, Priority, Role, Scenario, TicketStatus
from hub.sla.targets import ClockStatus, Target
from web.pages.inbox import STAFF_VIEWS
from web.pages.text import ONE, SCRIPT_KEYS, UI, Translator

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
#: ``t('inbox.title')`` or ``t('ticket.number', number=...)``; ``t('status.' ~ value)`` is checked below.
_LITERAL = re.compile(r"""\bt\(\s*['"]([^'"]+)['"]\s*[,)]""")
_CJK = re.compile(r"[\u3400-\u9fff]")
#: Chinese UI text that rightly has no Chinese characters in it.
NOT_TRANSLATED = {"app.name", "channel.api", "lang.en", "inbox.nobody", "size.bytes", "size.kib", "size.mib"}


def _known(key: str) -> bool:
    return key in UI or key in i18n.MESSAGES


def test_every_entry_has_both_languages() -> None:
    for key, entry in UI.items():
        assert set(entry) == {"en", "zh-CN"}, key
        assert all(text.strip() for text in entry.values()), key


def test_every_literal_key_in_the_templates_exists() -> None:
    used = {key for path in TEMPLATES.glob("**/*.html") for key in _LITERAL.findall(path.read_text())}
    assert used, "the pattern found no keys"
    assert not {key for key in used if not _known(key)}


@pytest.mark.parametrize(
    ("prefix", "values"),
    [
        ("status.", [s.value for s in TicketStatus]),
        ("priority.", [p.value for p in Priority]),
        ("scenario.", [s.value for s in Scenario]),
        ("channel.", [c.value for c in ChannelKind]),
        ("delivery.", [d.value for d in DeliveryStatus]),
        ("msg.", [d.value for d in Direction]),
        ("role.", [r.value for r in Role]),
        ("view.", list(STAFF_VIEWS)),
        ("lang.", list(i18n.SUPPORTED_LOCALES)),
        ("sla.target.", [t.value for t in Target]),
        ("sla.state.", [s.value for s in ClockStatus]),
        ("pb.state.", ["done", "skipped", "open", "later", "not_applicable"]),
        ("pb.run.", ["active", "completed"]),
        ("pb.reason.", ["scenario", "keyword", "organization"]),
        # Text shows as text; "call" is a phone call log (the phone channel, the demo).
        ("msgtype.", [*sorted(WECHAT_TYPES - {"text"}), "event", "unknown", "call"]),
        ("disposition.", [d.value for d in Disposition]),
        ("call.", ["inbound", "outbound", "internal"]),
    ],
)
def test_keys_built_from_values_exist(prefix: str, values: list[str]) -> None:
    assert [v for v in values if prefix + v not in UI] == []


def test_script_keys_exist_and_chinese_has_no_english_left() -> None:
    assert all(key in UI for key in SCRIPT_KEYS)
    leftovers = [k for k, e in UI.items() if k not in NOT_TRANSLATED and not _CJK.search(e["zh-CN"])]
    assert leftovers == []


def test_translator_falls_back_to_the_hub_catalogue_and_fills_fields() -> None:
    zh = Translator("zh-CN")
    assert zh("login_failed") == "邮箱或密码错误。"
    assert zh("ticket.number", number=10001) == "工单 #10001"
    assert Translator("en")("ticket.remove_tag", tag="vip") == "Remove tag vip"
    assert zh("no.such.key") == "no.such.key"
    assert zh.has("msgtype.call")
    assert not zh.has("msgtype.fax")


def test_counts_of_one_take_the_singular_form() -> None:
    en, zh = Translator("en"), Translator("zh-CN")
    assert en("ticket.reopened", count=1) == "Reopened once"
    assert en("ticket.reopened", count=2) == "Reopened 2 times"
    assert zh("ticket.reopened", count=1) == "已重新打开 1 次"


def test_singular_forms_belong_to_keys_that_count() -> None:
    for key, forms in ONE.items():
        assert "{count}" in UI[key]["en"], key
        assert set(forms) <= set(i18n.SUPPORTED_LOCALES), key
