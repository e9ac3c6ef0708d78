"""The words and addresses by which each MTA's and mail service's delivery notices are known.

Kept as tables, each pattern beside the MTA or service it comes from, so a new shape met in the
wild is one line here and a sample in the tests, not a change to the reading in ``bounces``.
Two kinds of evidence are kept apart on purpose: *who* sent a mail (a robot's address or name, an
empty envelope sender, a notice's own headers) and *what* it says (a notice's subject or its
template's sentences). A person may write any words and a robot may send mail that is no notice
(postmaster is a person's mailbox too), so only both together make a notice, except for the
daemon addresses no person writes from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Mark:
    #: The MTA or service whose notices carry it.
    source: str
    pattern: re.Pattern[str]


def _marks(*rows: tuple[str, str]) -> tuple[Mark, ...]:
    return tuple(Mark(source, re.compile(pattern, re.I | re.M)) for source, pattern in rows)


def found(marks: tuple[Mark, ...], text: str) -> Mark | None:
    """The first mark present in ``text``: which shape it is, for the reason and for debugging."""
    return next((mark for mark in marks if mark.pattern.search(text)), None)


#: Addresses only robots send from: their mail is a notice whatever its words.
DAEMON_SENDERS = _marks(
    ("sendmail, Postfix, Exim, qmail, Gmail, Yahoo, AOL, QQ, Sina...", r"^mailer[-_]?daemon(@|$)"),
    ("older Unix MTAs", r"^mail-?daemon(@|$)"),
    ("MDaemon", r"^mdaemon@"),
    ("Exchange 2007 and later", r"^microsoftexchange[0-9a-f]{32}@"),
    ("various gateways", r"^mail-?delivery(-?system)?@"),
)

#: Addresses robots and people share (RFC 5321's postmaster is read by a person): a notice only
#: when its words are a notice's too.
ROBOT_SENDERS = _marks(
    ("RFC 5321 postmaster (Exchange, GroupWise, Domino, Hotmail, NetEase, Aliyun, Sohu...)", r"^postmaster@"),
    ("Lotus Notes router", r"^mail-?router@"),
)

#: Display names robots sign notices with.
ROBOT_NAMES = _marks(
    ("sendmail, Postfix, Exim, Gmail, AOL", r"^mail delivery (system|subsystem|service)$"),
    ("Exchange 5.5-2003", r"^system administrator$"),
    ("Exchange 2007 and later, Microsoft 365", r"^microsoft (exchange|outlook)$"),
    ("Lotus Notes", r"^mail router$"),
    ("mail gateways", r"^(mail administrator|postmaster|mail relay)$"),
    ("QQ Mail, Tencent Exmail", r"^(系统退信|系統退信)$"),
    ("Aliyun Mail", r"^阿里邮箱系统$"),
)

#: Headers only notices carry.
NOTICE_HEADERS = (
    ("Exim", "X-Failed-Recipients"),
    ("Exchange", "X-MS-Exchange-Message-Is-Ndr"),
)

#: Notice subjects, anchored at the start: a reply or an auto-reply puts its own prefix first.
SUBJECTS = _marks(
    ("Postfix", r"^Undelivered Mail Returned to Sender"),
    ("Postfix (delay)", r"^Delayed Mail \(still being retried\)"),
    ("Postfix, sendmail (success report)", r"^Successful Mail Delivery Report"),
    ("sendmail, AOL", r"^Returned mail:"),
    ("sendmail (delay)", r"^Warning: could not send message for past"),
    ("Exim, many gateways", r"^(Mail delivery (failed|failure)|Delivery failure|Message delivery failure)"),
    ("Exim (delay)", r"^Warning: message \S+ delayed"),
    ("qmail, Yahoo", r"^failure (notice|delivery)"),
    ("Gmail, Hotmail, Exchange (DSN)", r"^Delivery Status Notification"),
    ("Exchange, Outlook", r"^Undeliverable( mail)?:"),
    ("Exchange (delay)", r"^Delivery delayed:"),
    (
        "Exchange, localised",
        r"^(Unzustellbar|Non remis|Non recapitabile|No se puede entregar|Onbestelbaar)\s*:",
    ),
    ("hMailServer, Kerio, Exchange Online Protection", r"^(Message undeliverable|Undeliverable message)"),
    ("Exchange, Outlook (Chinese)", r"^(无法送达|無法傳遞|无法传递|未送達)[:：]"),
    ("Lotus Notes, Domino", r"^(DELIVERY FAILURE:|Delivery Notification: Delivery has failed)"),
    ("GroupWise", r"^Message status - undeliverable"),
    ("Smail", r"^mail failed, returning to sender"),
    ("MDaemon", r"^Permanent Delivery Failure"),
    ("mail gateways", r"^(Mail System Error - Returned Mail|Nondeliverable mail)"),
    ("QQ Mail, Tencent Exmail, NetEase 163/126", r"^(系统退信|系統退信|退信[:：])"),
    ("Aliyun Mail", r"^退信通知"),
    ("Sina Mail", r"^邮件投递失败"),
    ("Sohu Mail", r"^邮件发送失败"),
    ("139 Mail", r"^投递状态通知"),
    ("NetEase (Traditional Chinese)", r"^郵件傳遞失敗"),
)

#: Sentences of the notices' templates, searched in the notice's own text (not the returned mail).
BODY_MARKS = _marks(
    ("Postfix", r"This is the (mail system|Postfix program) at host"),
    ("Postfix", r"I'm sorry to have to inform you that (your|the) message"),
    ("qmail", r"This is the qmail-send program at"),
    ("Exim", r"This message was created automatically by mail delivery software"),
    ("sendmail, AOL", r"-+ The following addresses had permanent fatal errors -+"),
    ("sendmail", r"-+ Transcript of session follows -+"),
    ("Exchange 2007 and later", r"Delivery (has failed|is delayed) to these recipients"),
    ("Exchange 2000/2003", r"Your message did not reach some or all of the intended recipients"),
    ("Exchange 5.5", r"^did not reach the following recipient"),
    ("Microsoft 365", r"^Your message to \S+ couldn't be delivered"),
    ("Exchange (German)", r"Die Zustellung an folgende Empfänger"),
    ("Exchange (French)", r"La remise aux destinataires ou groupes suivants a échoué"),
    ("Exchange (Chinese)", r"传递给这些收件人或组失败|下列收件者或群組傳遞失敗"),
    ("Lotus Notes, Domino", r"^was not delivered to:|\*+ Delivery Report \*+"),
    ("GroupWise", r"The message that you sent was undeliverable to the following"),
    ("Yahoo", r"(Sorry, we were unable|Unable) to deliver (your )?message to the following address"),
    ("AOL", r"could not be delivered because they are not accepting mail"),
    ("Gmail, Hotmail", r"Delivery to the following recipients? failed"),
    ("MDaemon", r"The following addresses did NOT receive a copy of your message"),
    ("Smail", r"Failed addresses follow:"),
    ("usa.net, InterScan", r"^Intended recipient:"),
    ("Exim-like gateways", r"A message that you sent could not be delivered"),
    ("QQ Mail, Tencent Exmail", r"很抱歉您发送的邮件被退回"),
    ("NetEase 163/126", r"的邮件被退回"),
    ("Sina Mail", r"邮件未能投递到以下收件人"),
    ("139 Mail", r"以下邮件仍无法送达"),
    ("Sohu Mail", r"您的邮件无法送达以下地址"),
    ("NetEase (Traditional Chinese)", r"您的郵件無法傳遞給以下收件人"),
    ("Aliyun Mail", r"您发送的邮件未能成功投递"),
)

#: Tags a spam filter or gateway puts before a subject (``[SPAM]``, ``***SPAM***``): not the sender's words.
SUBJECT_TAGS = re.compile(r"^\s*((\[[^\]]{1,40}\]|\*{1,3}[^*\s]{1,20}\*{1,3})\s*)+")

#: Words of a warning that delivery is late but still being tried.
DELAY_MARKS = _marks(
    ("Postfix, sendmail", r"THIS IS A WARNING (MESSAGE )?ONLY"),
    ("Postfix, sendmail", r"^(Delayed Mail|Warning: could not send message)"),
    ("Exim", r"has not yet been delivered to one or more|^Warning: message \S+ delayed"),
    ("Exchange", r"Delivery is delayed to these recipients|^Delivery delayed:"),
)

#: Where the notice's own text ends and the returned mail, pasted below it, begins.
RETURNED_COPY = _marks(
    ("Postfix, Yahoo, Gmail, 163, 139", r"^-+\s*(Original message|原邮件|原始邮件)"),
    ("Exim", r"^-+\s*This is a copy of the message"),
    ("qmail, Yahoo", r"^-+\s*Below this line is"),
    ("sendmail", r"^\s*-+\s*Unsent message follows"),
    ("usa.net", r"^-+RETURNED MAIL FOLLOWS"),
    ("Smail", r"Message text follows:"),
    ("GroupWise", r"^Possibly truncated original message follows"),
    ("any, pasted without a marker", r"^(Return-Path|Received):"),
)
