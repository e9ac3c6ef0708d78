from __future__ import annotations

from urllib.parse import unquote

from web.api.attachments import content_disposition, media_type


def test_disposition_keeps_chinese_names_and_cannot_break_out() -> None:
    assert (
        content_disposition("报价单.xlsx") == "attachment; filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95.xlsx"
    )
    hostile = content_disposition('a"; filename=evil.html\r\nX-Injected: 1/../b.txt')
    assert (
        "\r" not in hostile
        and "\n" not in hostile
        and '"' not in hostile
        and ";" not in hostile[len("attachment;") :]
    )
    assert unquote(hostile.split("''", 1)[1]) == "a_; filename=evil.html__X-Injected: 1_.._b.txt"
    assert content_disposition("") == "attachment; filename*=UTF-8''attachment"


def test_media_type_falls_back_to_octet_stream() -> None:
    assert media_type("image/PNG") == "image/png"
    assert media_type("text/plain; charset=gbk") == "text/plain"
    assert media_type("text/html\r\nSet-Cookie: x=1") == "application/octet-stream"
    assert media_type("") == "application/octet-stream"
    assert media_type("nonsense") == "application/octet-stream"
