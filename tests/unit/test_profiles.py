from __future__ import annotations

import pytest

from hub.accounts.organizations import normalise_domain
from hub.contacts import profiles
from hub.errors import InvalidInput


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Example.COM", "example.com"), ("@mail.example.cn.", "mail.example.cn"), ("南方.中国", "南方.中国")],
)
def test_domains_are_normalised(raw: str, expected: str) -> None:
    assert normalise_domain(raw) == expected


@pytest.mark.parametrize("raw", ["localhost", "a b.com", "x@y.com", "-bad.com", "", "..", "a..b.com"])
def test_bad_domains_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput):
        normalise_domain(raw)


def test_profile_fields() -> None:
    assert profiles.name("  王   小明 ") == "王 小明"
    assert profiles.time_zone("Asia/Shanghai") == "Asia/Shanghai"
    assert profiles.locale("en") == "en"
    for bad in (lambda: profiles.name(" "), lambda: profiles.name("x" * 201), lambda: profiles.locale("fr")):
        with pytest.raises(InvalidInput):
            bad()
    for zone in ("Mars/Base", "../etc/passwd", "", "Asia", "A" * 65):
        with pytest.raises(InvalidInput):
            profiles.time_zone(zone)
    with pytest.raises(InvalidInput):
        profiles.capacity(-1)
