"""Every mail of the corpus (tests/fixtures/email, written by build_corpus.py) parsed as expected:
the sender, the subject, the display text without quotes, the attachments, is_auto, threading keys."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from channels.email.parse import Mailbox, ParsedMail, Unparsable, parse
from tests.fixtures.email.build_corpus import FILES, OUR_ID, TOKEN

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "email"
MAILBOX = Mailbox(
    channel_id=uuid.UUID(int=1),
    our_addresses=frozenset({"support@hub.example"}),
    our_domains=frozenset({"hub.example"}),
    max_attachment_bytes=256 * 1024,
)

#: file -> (sender, name, subject, display text, attachment names, is_auto)
MESSAGES = {
    "gbk_labelled_gb2312.eml": (
        "wang@client.example",
        "王小明",
        "关于朱镕基路仓库的订单",
        "您好，朱镕基路仓库的订单 A-1001 还没有发货，请帮忙查询。",
        [],
        False,
    ),
    "big5.eml": (
        "chan@client.example.hk",
        "陳大文",
        "客服中心：查詢發票",
        "請問發票何時寄出？謝謝。",
        [],
        False,
    ),
    "utf8_labelled_latin1.eml": (
        "li.na@client.example",
        "Li Na",
        "退货申请 RMA-7",
        "我要退货，订单号 RMA-7，商品有划痕。",
        [],
        False,
    ),
    "raw_8bit_gbk_headers.eml": (
        "zhao@client.example",
        "赵六",
        "邮件传输问题咨询",
        "你好，我们的邮件系统经常收不到贵司的回复。",
        [],
        False,
    ),
    "rfc2047_split_word.eml": (
        "zhang.san@client.example",
        "张三",
        "订单延迟发货的投诉",
        "订单 B-2002 已经延迟一周了。",
        [],
        False,
    ),
    "rfc2231_filenames.eml": (
        "sun@client.example",
        "Sun Qi",
        "报价单和发票",
        "附件是报价单和发票。",
        ["报价单.pdf", "镕基发票.xls"],
        False,
    ),
    "related_cid_image.eml": (
        "zhou@client.example",
        "Zhou",
        "Screenshot of the error",
        "The error is in the screenshot below.",
        ["part-2.png"],
        False,
    ),
    "outlook_html_only_zh.eml": (
        "liu@client.example",
        "刘经理",
        "答复: 样品寄送 [#10001]",
        "样品已收到，谢谢！",
        [],
        False,
    ),
    "gmail_reply_zh.eml": (
        "wang@client.example",
        "Wang Xiaoming",
        "Re: 关于朱镕基路仓库的订单",
        "好的，收到，谢谢你们！",
        [],
        False,
    ),
    "qq_reply.eml": ("12345678@qq.com", "小李", "回复：发票问题", "发票抬头请改成公司全称。", [], False),
    "outlook_reply_zh_plain.eml": (
        "chen.jing@client.example",
        "Chen Jing",
        "答复: 到货时间",
        "明天上午到货可以。\n\n陈静",
        [],
        False,
    ),
    "gmail_reply_en_signature.eml": (
        "peter@client.example",
        "Peter Brown",
        "Re: Delivery schedule",
        "Thursday works for us.",
        [],
        False,
    ),
    "forwarded.eml": (
        "boss@client.example",
        "Boss",
        "Fwd: Damaged parcel",
        "Please handle this one.\n\n---------- Forwarded message ---------\nFrom: Clerk <clerk@client.example>\n"
        "Subject: Damaged parcel\n\nThe parcel arrived damaged.",
        ["Damaged parcel.eml"],
        False,
    ),
    "auto_reply_rfc3834.eml": (
        "zhang.san@client.example",
        "Zhang San",
        "自动回复: 订单延迟发货的投诉",
        "我正在休假，1月27日返回。",
        [],
        True,
    ),
    "precedence_bulk.eml": (
        "news@vendor.example",
        "Newsletter",
        "Our January newsletter",
        "New products this month.",
        [],
        True,
    ),
    "x_autoreply.eml": (
        "helpdesk@partner.example",
        "Helpdesk",
        "Re: Shipment 42",
        "Thank you, your request has been received.",
        [],
        True,
    ),
    "out_of_office_subject_en.eml": (
        "anna@client.example",
        "Anna",
        "Out of Office: Delivery schedule",
        "I am out of the office until Monday.",
        [],
        True,
    ),
    "exchange_oof_zh.eml": (
        "zhou.mgr@client.example",
        "周经理",
        "自动答复: 到货时间",
        "我外出开会，紧急事务请致电。",
        [],
        True,
    ),
    "huge_attachment.eml": (
        "eng@client.example",
        "Engineer",
        "Logs attached",
        "Full logs attached.",
        ["summary.txt"],
        False,
    ),
    "no_message_id.eml": (
        "old@client.example",
        "Old Mailer",
        "Question without an id",
        "Do you ship to Macau?",
        [],
        False,
    ),
    "subject_ticket_number.eml": (
        "wang@client.example",
        "Wang Xiaoming",
        "补充信息 [#10001]",
        "补充：收货人电话 138 0000 0000。",
        [],
        False,
    ),
    "plus_address_token.eml": (
        "wang@client.example",
        "Wang Xiaoming",
        "A fresh subject, but replying to the ticket address",
        "See above.",
        [],
        False,
    ),
    "utf8_labelled_gb2312.eml": (
        "huang@client.example",
        "Huang",
        "合同盖章",
        "合同已经盖章寄回。",
        [],
        False,
    ),
}
#: file -> (action, status, recipient, words of the reason)
BOUNCES = {
    "bounce_postfix_dsn.eml": ("failed", "5.1.1", "nobody@client.example", "User unknown"),
    "bounce_exim.eml": ("failed", "5.1.1", "gone@client.example", "mailbox unavailable"),
    "bounce_qmail.eml": ("failed", "5.1.1", "left@client.example", "no mailbox here"),
    "bounce_exchange_ndr.eml": ("failed", "5.1.10", "moved@client.example", "Recipient not found"),
    "bounce_qq_zh.eml": ("failed", None, "87654321@qq.com", "收件人邮箱不存在"),
    "bounce_163_zh.eml": ("failed", None, "nobody163@163.com", "User not found"),
    "dsn_delayed.eml": ("delayed", "4.4.1", "slow@client.example", "Connection timed out"),
}
UNPARSABLE = {"broken_no_sender.eml": "no sender address", "broken_binary.eml": "no mail headers"}
OWN = {"own_mail.eml"}


def _parse(name: str) -> ParsedMail:
    return parse((CORPUS / name).read_bytes(), MAILBOX)


def test_the_corpus_on_disk_is_what_the_builder_writes() -> None:
    for name, data in FILES.items():
        assert (CORPUS / name).read_bytes() == data, f"{name} is stale: run build_corpus.py"


def test_every_corpus_file_has_an_expectation() -> None:
    expected = set(MESSAGES) | set(BOUNCES) | set(UNPARSABLE) | OWN
    assert {p.name for p in CORPUS.glob("*.eml")} == expected


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_messages(name: str) -> None:
    sender, display, subject, text, files, is_auto = MESSAGES[name]
    parsed = _parse(name)
    assert parsed.kind == "message"
    message = parsed.message
    assert message is not None
    assert (message.sender.identity, message.sender.name) == (sender, display)
    assert message.subject == subject
    assert message.text == text
    assert [a.filename for a in message.attachments] == files
    assert message.is_auto is is_auto
    assert parsed.may_acknowledge is not is_auto
    assert not message.thread_by_recency
    if message.text != message.meta.get("full_text", message.text):
        assert message.text in message.meta["full_text"] or message.text.startswith(
            message.meta["full_text"][:5]
        )


@pytest.mark.parametrize("name", sorted(BOUNCES))
def test_bounces_name_our_message_and_the_reason(name: str) -> None:
    action, status, recipient, words = BOUNCES[name]
    parsed = _parse(name)
    assert parsed.kind == "bounce" and parsed.message is None
    bounce = parsed.bounce
    assert bounce is not None
    assert bounce.action == action
    assert bounce.status == status
    assert recipient in bounce.recipients
    assert words in bounce.reason
    assert OUR_ID in bounce.original_ids


@pytest.mark.parametrize("name", sorted(UNPARSABLE))
def test_unreadable_files_raise_with_a_reason(name: str) -> None:
    with pytest.raises(Unparsable, match=UNPARSABLE[name]):
        _parse(name)


def test_a_copy_of_our_own_mail_is_never_a_client_message() -> None:
    parsed = _parse("own_mail.eml")
    assert parsed.kind == "own" and parsed.message is None


def test_quotes_are_kept_in_full_text() -> None:
    message = _parse("gmail_reply_zh.eml").message
    assert message is not None
    assert "写道" in message.meta["full_text"] and "> 您好，订单已于今天发货。" in message.meta["full_text"]
    qq = _parse("qq_reply.eml").message
    assert qq is not None and "原始邮件" in qq.meta["full_text"]


def test_html_is_cut_at_the_quote_and_keeps_cid_images() -> None:
    outlook = _parse("outlook_html_only_zh.eml").message
    assert outlook is not None and outlook.html is not None
    assert (
        "样品已收到" in outlook.html
        and "divRplyFwdMsg" not in outlook.html
        and "样品今天寄出" not in outlook.html
    )
    related = _parse("related_cid_image.eml").message
    assert related is not None and related.html is not None
    assert 'src="cid:shot1@client.example"' in related.html
    (image,) = related.attachments
    assert image.content_id == "shot1@client.example" and image.data and image.data.startswith(b"\x89PNG")


def test_an_oversize_attachment_is_noted_not_dropped_silently() -> None:
    message = _parse("huge_attachment.eml").message
    assert message is not None
    assert message.meta["omitted_attachments"] == [
        {
            "filename": "full.log",
            "content_type": "application/octet-stream",
            "size": 307200,
            "reason": "too_large",
        }
    ]


def test_threading_keys() -> None:
    gmail = _parse("gmail_reply_zh.eml").message
    assert gmail is not None
    assert gmail.reply_token == TOKEN
    assert gmail.references == ("<gbk-1@client.example>", OUR_ID)
    plus = _parse("plus_address_token.eml").message
    assert plus is not None and plus.reply_token == TOKEN and plus.references == ()
    number = _parse("subject_ticket_number.eml").message
    assert number is not None and number.ticket_number_hint == 10001 and number.reply_token is None
    qq = _parse("qq_reply.eml").message
    assert qq is not None and qq.reply_token is None and qq.references == ("<unknown-parent@hub.example>",)


def test_a_mail_without_message_id_gets_a_stable_artificial_one() -> None:
    raw = (CORPUS / "no_message_id.eml").read_bytes()
    first = parse(raw, MAILBOX).message_id
    # The same mail as another transport hands it over: LF line ends, an extra Received header.
    again = parse(b"Received: from relay.example by mx.hub.example\n" + raw.replace(b"\r\n", b"\n"), MAILBOX)
    assert first == again.message_id and first.endswith("@no-message-id.hub>")
    other = parse(raw.replace(b"Macau", b"Taipei"), MAILBOX)
    assert other.message_id != first
