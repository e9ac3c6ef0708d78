"""The shape every channel kind shares: settings schemas as forms, plain problems, sealed secrets."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
import pytest

from channels import catalogue
from channels.spec import ChannelSpec, SettingsProblem, check_form, form_fields, setting
from hub.security import unseal

KEY = "a-master-key-for-tests-0123456789abcdef"


class LineSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    numbers: Annotated[list[str], setting("The line's numbers.", "线路号码")] = msgspec.field(
        default_factory=list
    )
    region: Annotated[
        str, setting("a two-letter region code, e.g. CN", "默认地区", pattern=r"^[A-Z]{2}$")
    ] = "CN"
    pin: Annotated[str, setting("The PBX's PIN.", "PBX 密码", sealed=True, required=True)] | None = None


LINE = ChannelSpec(kind="line", title={"zh-CN": "线路", "en": "Line"}, form=LineSettings)


def test_a_schema_becomes_form_fields_in_declaration_order() -> None:
    numbers, region, pin = form_fields(LineSettings)
    assert (numbers.name, numbers.kind, numbers.default, numbers.required) == ("numbers", "list", [], False)
    assert (region.kind, region.default, region.pattern) == ("text", "CN", r"^[A-Z]{2}$")
    assert region.help == {"en": "a two-letter region code, e.g. CN", "zh-CN": "默认地区"}
    assert pin.sealed and pin.required and pin.default is None


@pytest.mark.parametrize("kind", sorted(catalogue.KINDS))
def test_every_shipped_kind_has_a_form_a_title_in_both_languages_and_help_for_each_setting(kind: str) -> None:
    spec = catalogue.spec(kind)
    assert spec.kind == kind and set(spec.title) == {"zh-CN", "en"}
    for field in form_fields(spec.form):
        assert field.help.get("en") and field.help.get("zh-CN"), field.name


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"region": "cn"}, "region: must be a two-letter region code, e.g. CN"),
        ({"numbers": "4008001234"}, "numbers: expected `array`, got `str`"),
        ({"pin_code": "1"}, "pin_code: is not a setting of this kind of channel"),
    ],
)
def test_a_problem_names_the_setting_in_plain_words(given: dict[str, object], says: str) -> None:
    with pytest.raises(SettingsProblem) as caught:
        check_form(LineSettings, given)
    assert str(caught.value) == says


def test_sealed_settings_are_sealed_to_the_channel_and_kept_when_not_given_again() -> None:
    channel = uuid.uuid4()
    with pytest.raises(SettingsProblem, match=r"^pin: is required$"):
        catalogue.configure(LINE, channel, KEY, {"numbers": ["4008001234"]})
    stored = catalogue.configure(LINE, channel, KEY, {"numbers": ["4008001234"], "pin": "2468"})
    assert "2468" not in str(stored) and "pin" not in stored
    assert unseal(KEY, f"channel:{channel}:line:pin", stored["pin_sealed"]) == "2468"
    assert stored == {"numbers": ["4008001234"], "pin_sealed": stored["pin_sealed"]}, "defaults not frozen in"
    updated = catalogue.configure(LINE, channel, KEY, {"region": "HK"}, previous=stored)
    assert updated == {"region": "HK", "pin_sealed": stored["pin_sealed"]}


def test_a_kind_without_a_folder_takes_no_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The core knows every channel kind before its connector lands (the demo kept web-chat and
    phone tickets before theirs): a build without the kind's folder gives it no settings."""
    monkeypatch.delitem(catalogue.KINDS, "phone")
    plain = catalogue.spec("phone")
    assert catalogue.configure(plain, uuid.uuid4(), KEY, {}) == {}
    with pytest.raises(SettingsProblem, match="numbers: is not a setting"):
        catalogue.configure(plain, uuid.uuid4(), KEY, {"numbers": []})
