"""Charset rescue, header decoding, quote stripping and our ids, one rule at a time."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from channels.email import charsets, headers, ids, quotes
from channels.email.sender import reply_subject


def test_gbk_bytes_under_a_gb2312_label_decode_as_gb18030() -> None:
    data = "朱镕基".encode("gbk")
    assert charsets.decode(data, "gb2312") == ("朱镕基", "gb18030")


def test_valid_utf8_wins_over_a_wrong_label() -> None:
    assert charsets.decode("退货".encode(), "iso-8859-1")[0] == "退货"
    assert charsets.decode("合同".encode(), "gb2312")[0] == "合同"


def test_big5_and_unlabelled_gbk() -> None:
    assert charsets.decode("客服中心".encode("big5"), "big5")[0] == "客服中心"
    assert charsets.decode("您好，请问发票何时寄出".encode("gbk"), None)[0] == "您好，请问发票何时寄出"


def test_an_unknown_label_falls_back() -> None:
    assert charsets.decode("你好".encode(), "x-made-up")[0] == "你好"


@given(st.binary(max_size=200), st.sampled_from([None, "gb2312", "utf-8", "big5", "latin1", "bogus"]))
def test_decode_never_raises(data: bytes, label: str | None) -> None:
    text, codec = charsets.decode(data, label)
    assert isinstance(text, str) and codec


def test_encoded_words_split_inside_a_character_are_joined() -> None:
    raw = "订单延迟".encode()
    value = (
        f"=?utf-8?B?{base64.b64encode(raw[:4]).decode()}?= =?utf-8?B?{base64.b64encode(raw[4:]).decode()}?="
    )
    assert headers.text(value) == "订单延迟"


def test_encoded_words_and_plain_text_mix() -> None:
    word = base64.b64encode("发票".encode("gbk")).decode()
    assert headers.text(f"Re: =?gbk?B?{word}?= [#10042]") == "Re: 发票 [#10042]"
    assert headers.text("=?utf-8?Q?caf=C3=A9_ok?=") == "café ok"


def test_raw_8bit_header_bytes_are_recovered() -> None:
    escaped = "邮件".encode("gbk").decode("ascii", "surrogateescape")
    assert headers.text(escaped) == "邮件"


def test_message_ids_are_kept_in_angle_brackets_in_order() -> None:
    assert headers.message_ids("<a@x> <b@y>\r\n <a@x>") == ["<a@x>", "<b@y>"]
    assert headers.message_ids("bare@id") == ["<bare@id>"]


def test_quote_headers_of_chinese_and_english_clients() -> None:
    cases = {
        "好的\n\n张三 <a@b.c> 于2025年1月6日周一 10:00写道：\n> 旧内容": "好的",
        "好的\n\n在 2025年1月6日，张三 寫道:\n> 舊內容": "好的",
        "收到\n\n------------------ 原始邮件 ------------------\n发件人: x": "收到",
        "收到\n\n------------------ Original ------------------\nFrom: x": "收到",
        "可以\n\n________________________________\n发件人: 客服\n发送时间: 2025年1月15日\n主题: x": "可以",
        "OK\n\nFrom: Support <s@h.x>\nSent: Monday\nTo: me\nSubject: y\n\nold": "OK",
        "Sure\n\nOn Mon, 6 Jan 2025 at 10:00, Support <s@h.x> wrote:\n> old": "Sure",
        "Thanks\n-- \nPeter\nACME": "Thanks",
        "好的\n\n发自我的iPhone": "好的",
        "-----Original Message-----\nonly a quote": "-----Original Message-----\nonly a quote",
    }
    for text, expected in cases.items():
        assert quotes.strip_reply(text) == expected, text


def test_a_from_line_without_a_date_line_is_not_a_quote() -> None:
    text = "Please change the order.\nFrom: our warehouse in Suzhou\nThanks"
    assert quotes.strip_reply(text) == text


@given(st.text(max_size=300))
def test_stripping_never_loses_everything(text: str) -> None:
    result = quotes.strip_reply(text)
    assert (result == "") == (text.strip() == "")


def test_our_ids_and_reply_addresses() -> None:
    token = "0123456789abcdef01234567"
    message_id = ids.ours(token, "5f0c0e6f7a9b4c1d8e2f3a4b5c6d7e8f", "hub.example")
    assert ids.parse_ours(message_id, frozenset({"hub.example"})) == (
        token,
        "5f0c0e6f7a9b4c1d8e2f3a4b5c6d7e8f",
    )
    assert ids.parse_ours(message_id, frozenset({"other.example"})) is None
    assert ids.parse_ours("<CA123@mail.gmail.com>") is None
    address = ids.reply_address("support@hub.example", token)
    assert address == f"support+{token}@hub.example"
    assert ids.token_in_address(address.upper(), frozenset({"support@hub.example"})) == token
    assert ids.token_in_address(f"sales+{token}@hub.example", frozenset({"support@hub.example"})) is None


def test_long_message_ids_become_a_digest() -> None:
    long_id = "<" + "x" * 600 + "@y>"
    assert ids.normalise(long_id) == ids.normalise(long_id) and len(ids.normalise(long_id)) < 100


def test_reply_subjects_carry_one_re_and_one_token() -> None:
    assert reply_subject("订单问题", 10001) == "Re: 订单问题 [#10001]"
    assert reply_subject("Re: 回复：答复: 订单问题 [#10001]", 10001) == "Re: 订单问题 [#10001]"
    assert reply_subject("RE[3]: AW: Delivery", 7) == "Re: Delivery [#7]"
    assert reply_subject("", 5) == "[#5]"
