"""One place for user-facing text in Chinese and English.

Codes are stable identifiers; templates use ``str.format`` fields filled from error parameters.
"""

from __future__ import annotations

from typing import Any

SUPPORTED_LOCALES = ("zh-CN", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "hub_error": {"en": "Something went wrong.", "zh-CN": "出错了。"},
    "not_found": {"en": "{what} not found.", "zh-CN": "未找到{what}。"},
    "forbidden": {"en": "You are not allowed to do this.", "zh-CN": "您无权执行此操作。"},
    "portal_permission_needed": {
        "en": "This needs the portal permission “{permission}”; ask your company's portal admin.",
        "zh-CN": "此操作需要门户权限“{permission}”，请联系贵公司的门户管理员。",
    },
    "invalid_input": {"en": "Invalid input: {detail}", "zh-CN": "输入无效：{detail}"},
    "malformed_call": {"en": "Not a call record: {detail}", "zh-CN": "无法识别的通话记录：{detail}"},
    "conflict": {"en": "Conflict: {detail}", "zh-CN": "冲突：{detail}"},
    "invalid_transition": {
        "en": "A ticket cannot go from {current} to {target}.",
        "zh-CN": "工单不能从“{current}”变为“{target}”。",
    },
    "ingest_failed": {
        "en": "The message was stored but could not be processed: {detail}. It can be retried.",
        "zh-CN": "消息已保存但处理失败：{detail}。可以重试。",
    },
    "processing_error": {"en": "an internal error", "zh-CN": "内部错误"},
    "login_failed": {"en": "Wrong e-mail or password.", "zh-CN": "邮箱或密码错误。"},
    "otp_required": {
        "en": "Enter the code from your authenticator app.",
        "zh-CN": "请输入身份验证器应用中的验证码。",
    },
    "otp_invalid": {"en": "The authentication code is wrong.", "zh-CN": "验证码错误。"},
    "too_many_attempts": {
        "en": "Too many failed attempts. Try again in {seconds} seconds.",
        "zh-CN": "失败次数过多，请在 {seconds} 秒后重试。",
    },
    "not_authenticated": {"en": "Please log in.", "zh-CN": "请先登录。"},
    "csrf_failed": {
        "en": "The form expired or came from another site (CSRF check failed). Reload and try again.",
        "zh-CN": "表单已过期或来自其他网站（CSRF 校验失败），请刷新后重试。",
    },
    "two_factor_required": {
        "en": "Administrators must enable two-factor authentication first.",
        "zh-CN": "管理员必须先启用双重验证。",
    },
    "invalid_channel_token": {
        "en": "The channel token is missing or wrong.",
        "zh-CN": "渠道令牌缺失或错误。",
    },
    "channel_inactive": {"en": "This channel is disabled.", "zh-CN": "该渠道已停用。"},
    "attachment_too_large": {
        "en": "Attachment {filename} is larger than {limit} bytes.",
        "zh-CN": "附件 {filename} 超过 {limit} 字节上限。",
    },
    "calendar_not_found": {
        "en": "No calendar named {name} (calendars: {known}).",
        "zh-CN": "没有名为 {name} 的日历（现有日历：{known}）。",
    },
    "bad_cursor": {"en": "The page cursor is not valid.", "zh-CN": "分页游标无效。"},
    "too_long": {"en": "at most {limit} characters", "zh-CN": "最多 {limit} 个字符"},
    "too_short": {"en": "at least {limit} characters", "zh-CN": "至少 {limit} 个字符"},
    "pattern_words": {
        "en": "must say something (not empty, not only spaces)",
        "zh-CN": "不能为空，也不能只有空格",
    },
    "pattern_duration": {
        "en": "not a duration of at most 100000 units: use <n>m, <n>h or <n>d for calendar time, "
        "<n>bm, <n>bh or <n>bd for business time (e.g. 30m, 24h, 3bd)",
        "zh-CN": "不是有效的时长（最多 100000 个单位）：自然时间用 <n>m、<n>h、<n>d，工作时间用 <n>bm、<n>bh、<n>bd（例如 30m、24h、3bd）",
    },
    "pattern_target": {
        "en": "a target must be at least one unit and at most 100000: use <n>m, <n>h or <n>d for calendar "
        "time, <n>bm, <n>bh or <n>bd for business time (e.g. 3bm, 24h, 3bd)",
        "zh-CN": "目标时长至少 1 个单位、最多 100000 个单位：自然时间用 <n>m、<n>h、<n>d，工作时间用 <n>bm、<n>bh、<n>bd（例如 3bm、24h、3bd）",
    },
    "pattern_user_or_me": {"en": "must be a user id or 'me'", "zh-CN": "必须是用户 ID 或 'me'"},
    "pattern_assignee": {"en": "must be a user id, 'me' or 'none'", "zh-CN": "必须是用户 ID、'me' 或 'none'"},
    "pattern_calendar": {
        "en": "must be a short lower-case name such as 'cn'",
        "zh-CN": "必须是简短的小写名称，例如 'cn'",
    },
    "pattern_email": {"en": "not an e-mail address", "zh-CN": "不是有效的电子邮件地址"},
    "pattern_week": {
        "en": "not a DAYS=PERIODS line (e.g. mon-fri=09:00-12:00,13:00-18:00)",
        "zh-CN": "不是 DAYS=PERIODS 格式（例如 mon-fri=09:00-12:00,13:00-18:00）",
    },
    "pattern_periods": {
        "en": "not working periods HH:MM-HH:MM (e.g. 09:00-12:00,13:00-18:00)",
        "zh-CN": "不是 HH:MM-HH:MM 格式的工作时段（例如 09:00-12:00,13:00-18:00）",
    },
    "pattern_other": {
        "en": "does not have the expected form ({pattern})",
        "zh-CN": "格式不正确（应符合 {pattern}）",
    },
    "nul_character": {
        "en": "Text must not contain the NUL character (U+0000).",
        "zh-CN": "文本不能包含 NUL 字符（U+0000）。",
    },
    "json_too_deep": {
        "en": "The JSON body is nested more than {depth} levels deep.",
        "zh-CN": "JSON 请求体的嵌套超过 {depth} 层。",
    },
    "body_too_large": {
        "en": "The request body is larger than {limit} bytes.",
        "zh-CN": "请求体超过 {limit} 字节。",
    },
    "body_timeout": {
        "en": "The request body stopped arriving for {seconds} seconds.",
        "zh-CN": "请求体已 {seconds} 秒未继续发送。",
    },
    "headers_too_large": {
        "en": "Too many or too large request headers (at most {count} headers, {size} KB in all).",
        "zh-CN": "请求头过多或过大（最多 {count} 个，共 {size} KB）。",
    },
    "status_new": {"en": "new", "zh-CN": "新建"},
    "status_open": {"en": "open", "zh-CN": "处理中"},
    "status_pending": {"en": "pending", "zh-CN": "等待客户"},
    "status_resolved": {"en": "resolved", "zh-CN": "已解决"},
    "status_closed": {"en": "closed", "zh-CN": "已关闭"},
    "ticket": {"en": "Ticket", "zh-CN": "工单"},
    "contact": {"en": "Contact", "zh-CN": "联系人"},
    "user": {"en": "User", "zh-CN": "用户"},
    "extension": {"en": "Extension", "zh-CN": "分机"},
    "team": {"en": "Team", "zh-CN": "团队"},
    "channel": {"en": "Channel", "zh-CN": "渠道"},
    "organization": {"en": "Organization", "zh-CN": "组织"},
    "attachment": {"en": "Attachment", "zh-CN": "附件"},
    "message": {"en": "Message", "zh-CN": "消息"},
    "outbox": {"en": "Delivery", "zh-CN": "投递"},
    "unavailable": {"en": "Service unavailable: {detail}", "zh-CN": "服务不可用：{detail}"},
    "sla_policy": {"en": "SLA policy", "zh-CN": "SLA 策略"},
    "notification": {"en": "Notification", "zh-CN": "通知"},
    "sla_first_response": {"en": "first response", "zh-CN": "首次响应"},
    "sla_next_response": {"en": "next response", "zh-CN": "后续响应"},
    "sla_resolution": {"en": "resolution", "zh-CN": "解决"},
    "notification_sla_warning": {
        "en": "Ticket #{number} ({subject}): the {target} is due at {due}.",
        "zh-CN": "工单 #{number}（{subject}）：{target}将于 {due} 到期。",
    },
    "notification_sla_breached": {
        "en": "Ticket #{number} ({subject}): the {target} target was missed at {due}.",
        "zh-CN": "工单 #{number}（{subject}）：{target}已于 {due} 超时。",
    },
    "notification_subject": {"en": "[hub] Ticket #{number}: reminder", "zh-CN": "[hub] 工单 #{number}：提醒"},
    "requirement": {"en": "Requirement", "zh-CN": "需求"},
    "handoff": {"en": "Hand-off", "zh-CN": "转交"},
    "playbook": {"en": "Playbook", "zh-CN": "话术手册"},
    "playbook_step": {"en": "Playbook step", "zh-CN": "话术手册步骤"},
    "playbook_steps_open": {
        "en": "The ticket cannot be resolved yet: required steps of playbook {playbook} are open ({steps}).",
        "zh-CN": "工单暂不能解决：话术手册 {playbook} 还有必做步骤未完成（{steps}）。",
    },
    "playbook_tone_blocked": {
        "en": "The reply was not sent: it breaks the playbook's tone rules ({phrases}).",
        "zh-CN": "回复未发送：不符合话术手册的用语要求（{phrases}）。",
    },
    "notification_playbook": {
        "en": "Ticket #{number} ({subject}): playbook {playbook} asks for your attention.",
        "zh-CN": "工单 #{number}（{subject}）：话术手册 {playbook} 请您关注。",
    },
    "notification_playbook_followup": {
        "en": "Ticket #{number} ({subject}): the follow-up playbook {playbook} set for {due} is due. {note}",
        "zh-CN": "工单 #{number}（{subject}）：话术手册 {playbook} 设定于 {due} 的跟进已到期。{note}",
    },
    "notification_playbook_webhook_failed": {
        "en": "Ticket #{number}: playbook {playbook} could not notify {url}: {reason}",
        "zh-CN": "工单 #{number}：话术手册 {playbook} 未能通知 {url}：{reason}",
    },
    "invalid_requirement_transition": {
        "en": "A requirement cannot go from {current} to {target}.",
        "zh-CN": "需求不能从“{current}”变为“{target}”。",
    },
    "requirement_recorded": {"en": "recorded", "zh-CN": "已记录"},
    "requirement_accepted": {"en": "accepted", "zh-CN": "已受理"},
    "requirement_in_progress": {"en": "in progress", "zh-CN": "处理中"},
    "requirement_delivered": {"en": "delivered", "zh-CN": "已交付"},
    "requirement_confirmed": {"en": "confirmed", "zh-CN": "已确认"},
    "requirement_rejected": {"en": "rejected", "zh-CN": "已拒绝"},
    "requirement_cancelled": {"en": "cancelled", "zh-CN": "已取消"},
    "notification_requirement_recorded": {
        "en": "Ticket #{number}: requirement “{requirement}” recorded; the client hears back by {due}.",
        "zh-CN": "工单 #{number}：已记录需求“{requirement}”，须在 {due} 前反馈客户。",
    },
    "notification_requirement_transferred": {
        "en": "Ticket #{number}: requirement “{requirement}” was passed to you: {reason}.",
        "zh-CN": "工单 #{number}：需求“{requirement}”已转交给您：{reason}。",
    },
    "notification_requirement_feedback_warning": {
        "en": "Ticket #{number}: feedback to the client on “{requirement}” is due at {due}.",
        "zh-CN": "工单 #{number}：需求“{requirement}”须在 {due} 前反馈客户。",
    },
    "notification_requirement_feedback_breached": {
        "en": "Ticket #{number}: feedback to the client on “{requirement}” was due at {due} and is overdue.",
        "zh-CN": "工单 #{number}：需求“{requirement}”应于 {due} 前反馈客户，现已超时。",
    },
    "notification_handoff_requested": {
        "en": "Ticket #{number} ({subject}) is handed to your team: {note} Please answer by {due}.",
        "zh-CN": "工单 #{number}（{subject}）转交贵部门：{note} 请在 {due} 前答复。",
    },
    "notification_handoff_warning": {
        "en": "Ticket #{number} ({subject}): the hand-off to your team is due at {due}.",
        "zh-CN": "工单 #{number}（{subject}）：转交贵部门的事项须在 {due} 前答复。",
    },
    "notification_handoff_breached": {
        "en": "Ticket #{number} ({subject}): the hand-off was due at {due} and is still unanswered.",
        "zh-CN": "工单 #{number}（{subject}）：转交事项应于 {due} 前答复，至今未答复。",
    },
    "notification_handoff_answered": {
        "en": "Ticket #{number} ({subject}): your hand-off was answered.",
        "zh-CN": "工单 #{number}（{subject}）：您发起的转交已得到答复。",
    },
    "duration_m": {"en": "{n} minute{s}", "zh-CN": "{n} 分钟"},
    "duration_h": {"en": "{n} hour{s}", "zh-CN": "{n} 小时"},
    "duration_d": {"en": "{n} day{s}", "zh-CN": "{n} 天"},
    "duration_bm": {"en": "{n} working minute{s}", "zh-CN": "{n} 个工作分钟"},
    "duration_bh": {"en": "{n} working hour{s}", "zh-CN": "{n} 个工作小时"},
    "duration_bd": {"en": "{n} working day{s}", "zh-CN": "{n} 个工作日"},
    "escalation_level_1": {"en": "team lead", "zh-CN": "组长"},
    "escalation_level_2": {"en": "department head", "zh-CN": "部门负责人"},
    "escalation_level_3": {"en": "management", "zh-CN": "公司管理层"},
    "escalation_unresolved": {"en": "unresolved after {after}", "zh-CN": "{after}仍未解决"},
    "notification_escalated": {
        "en": "Ticket #{number} ({subject}) is escalated to level {level}, {audience}: {why}.",
        "zh-CN": "工单 #{number}（{subject}）已升级至第 {level} 级（{audience}）：{why}。",
    },
    "window_closed": {
        "en": "Window closed: {channel} no longer accepts replies to this customer ({reason}). {way}",
        "zh-CN": "回复窗口已关闭：{channel} 目前无法再回复该客户（{reason}）。{way}",
    },
    "window_way_template": {
        "en": "Send the channel's template message instead.",
        "zh-CN": "可以改发模板消息。",
    },
    "window_way_channels": {
        "en": "Answer on another channel of the contact instead.",
        "zh-CN": "可以通过该联系人的其他渠道回复。",
    },
    "window_way_both": {
        "en": "Send the channel's template message, or answer on another channel of the contact.",
        "zh-CN": "可以发送模板消息，或通过该联系人的其他渠道回复。",
    },
    "window_way_none": {
        "en": "No template message is configured and the contact has no other channel: "
        "the next reply is possible once the customer writes again.",
        "zh-CN": "未配置模板消息，该联系人也没有其他渠道：客户再次发来消息后才能回复。",
    },
    "window_reason_expired": {
        "en": "the customer's last message is older than the channel allows, 48 hours on WeChat",
        "zh-CN": "距客户最近一条消息已超过渠道允许的时限（微信为 48 小时）",
    },
    "window_reason_quota": {
        "en": "the replies allowed per customer message are used up, 5 on WeChat",
        "zh-CN": "每条客户消息允许的回复条数已用完（微信为 5 条）",
    },
    "window_reason_left": {"en": "the customer unfollowed the account", "zh-CN": "客户已取消关注"},
    "window_reason_never": {
        "en": "the customer has not written on this channel",
        "zh-CN": "客户尚未通过该渠道发来消息",
    },
    "delivery_window_closed": {
        "en": "Window closed: the channel refused the reply because the customer's 48-hour window is over ({detail}). "
        "Send the template message or answer on another channel.",
        "zh-CN": "回复窗口已关闭：客户的 48 小时窗口已结束，渠道拒绝了回复（{detail}）。请发送模板消息或改用其他渠道。",
    },
    "delivery_quota_exhausted": {
        "en": "Window closed: the replies allowed for the customer's last message are used up ({detail}). "
        "Wait for the customer to write again, or send the template message.",
        "zh-CN": "回复窗口已关闭：客户最近一条消息允许的回复条数已用完（{detail}）。请等待客户再次发消息，或发送模板消息。",
    },
    "delivery_recipient_left": {
        "en": "The customer unfollowed the account and can no longer be messaged there ({detail}).",
        "zh-CN": "客户已取消关注，无法再通过该公众号联系（{detail}）。",
    },
    "delivery_recipient_invalid": {
        "en": "The recipient is not known to this account ({detail}).",
        "zh-CN": "该公众号不认识此收件人（{detail}）。",
    },
    "delivery_recipient_blocked": {
        "en": "The customer refuses messages from this account ({detail}).",
        "zh-CN": "客户已拒收该公众号的消息（{detail}）。",
    },
    "delivery_rate_limited": {
        "en": "The channel's API call limit is reached ({detail}); the delivery is retried later.",
        "zh-CN": "渠道接口调用次数已达上限（{detail}），稍后将重试。",
    },
    "delivery_not_authorized": {
        "en": "The channel is not allowed to send this ({detail}); an administrator must check its setup.",
        "zh-CN": "渠道无权发送此消息（{detail}），请管理员检查渠道配置。",
    },
    "delivery_misconfigured": {
        "en": "The channel is not set up correctly: {detail}",
        "zh-CN": "渠道配置有误：{detail}",
    },
    "delivery_bad_media": {
        "en": "The attachment was refused by the channel ({detail}).",
        "zh-CN": "渠道拒绝了附件（{detail}）。",
    },
    "delivery_unreachable": {
        "en": "The channel's servers did not answer in time ({detail}); the delivery is retried.",
        "zh-CN": "渠道服务器未及时响应（{detail}），将自动重试。",
    },
    "delivery_refused": {
        "en": "The channel refused the message ({detail}).",
        "zh-CN": "渠道拒绝了该消息（{detail}）。",
    },
    "delivery_outcome_unknown": {
        "en": "The hub stopped while sending this message, so it may or may not have reached the client. "
        "Check with the client before sending it again.",
        "zh-CN": "发送过程中系统中断，无法确认客户是否已收到此消息。请先向客户确认，再决定是否重新发送。",
    },
    "delivery_no_sender": {
        "en": "No sender is set up for {kind} channels; an administrator must check the installation.",
        "zh-CN": "{kind} 渠道没有可用的发送程序，请管理员检查安装配置。",
    },
    "delivery_no_callback": {
        "en": "The API channel has no callback URL (callback_url) to send replies to; an administrator must set one.",
        "zh-CN": "该 API 渠道未配置回调地址（callback_url），无法发送回复，请管理员设置。",
    },
    "delivery_callback_refused": {
        "en": "The integration refused the message (HTTP {status}: {detail}).",
        "zh-CN": "对接系统拒绝了该消息（HTTP {status}：{detail}）。",
    },
    "delivery_server_unreachable": {
        "en": "The server {server} did not answer ({detail}).",
        "zh-CN": "服务器 {server} 无响应（{detail}）。",
    },
    "delivery_no_address": {
        "en": "The mailbox channel has no sender address; an administrator must set one.",
        "zh-CN": "该邮箱渠道未配置发件地址，请管理员设置。",
    },
    "delivery_no_recipient": {
        "en": "The contact has no e-mail address to answer.",
        "zh-CN": "该联系人没有可回复的邮箱地址。",
    },
    "delivery_no_smtp": {
        "en": "The mailbox has no SMTP server (smtp_host); an administrator must set one.",
        "zh-CN": "该邮箱未配置 SMTP 服务器（smtp_host），请管理员设置。",
    },
    "delivery_smtp_refused": {
        "en": "The mail server refused the message: {detail}",
        "zh-CN": "邮件服务器拒收了该邮件：{detail}",
    },
    "delivery_bounced": {
        "en": "The message was sent, then reported undelivered: {detail}",
        "zh-CN": "消息已发出，但随后被退回：{detail}",
    },
    "media_failed": {
        "en": "The file could not be downloaded from the channel: {detail}",
        "zh-CN": "无法从渠道下载该文件：{detail}",
    },
    "delivery_webchat_no_mailbox": {
        "en": "The visitor left the chat and asked to continue by e-mail ({email}), but there is no e-mail "
        "channel to send from: add one (hub channel add email) or answer them another way.",
        "zh-CN": "访客已离开聊天并希望通过邮件继续（{email}），但没有可用的邮件渠道发送："
        "请添加邮件渠道（hub channel add email），或通过其他方式回复。",
    },
    "webchat_origin_refused": {
        "en": "This site is not allowed to open a chat with us.",
        "zh-CN": "此网站未获准开启与我们的聊天。",
    },
    "webchat_token_required": {
        "en": "The chat session is missing or not valid; reload the page.",
        "zh-CN": "聊天会话缺失或无效，请刷新页面。",
    },
    "webchat_rate_limited": {
        "en": "Too many messages; try again in {seconds} s.",
        "zh-CN": "发送过于频繁，请 {seconds} 秒后再试。",
    },
    "webchat_too_long": {
        "en": "The message is longer than {limit} characters.",
        "zh-CN": "消息超过 {limit} 个字符。",
    },
    "webchat_too_large": {"en": "The request is too large.", "zh-CN": "请求内容过大。"},
    "webchat_empty": {"en": "The message is empty.", "zh-CN": "消息为空。"},
    "webchat_bad_email": {"en": "That is not an e-mail address.", "zh-CN": "邮箱地址格式不正确。"},
    "webchat_prechat_required": {
        "en": "Please fill in before chatting: {fields}.",
        "zh-CN": "开始聊天前请填写：{fields}。",
    },
    "webchat_attachment_refused": {
        "en": "Files of this type are not accepted here: {filename}",
        "zh-CN": "不接收此类型的文件：{filename}",
    },
    "webchat_attachment_too_large": {
        "en": "{filename} is larger than {limit} bytes.",
        "zh-CN": "{filename} 超过 {limit} 字节。",
    },
    # The partner portal's orders and the ERP sync.
    "sync_stale": {
        "en": "An older version than the one stored (source_updated_at {stored}): nothing was changed.",
        "zh-CN": "比已保存的版本更旧（source_updated_at {stored}）：未作任何修改。",
    },
    "sync_several_matches": {
        "en": "{count} records match; link one by its id and push again. Nothing was changed.",
        "zh-CN": "有 {count} 条记录匹配，请用其 id 关联后重新推送。未作任何修改。",
    },
    "idempotency_key_reused": {
        "en": "This Idempotency-Key was used with another body; use a new key for a new request.",
        "zh-CN": "该 Idempotency-Key 已用于另一个请求体；新请求请使用新的键。",
    },
    "notification_date_proposal": {
        "en": "{partner} proposes {new_date} instead of {old_date} for order {order} line {line}. Please decide by {due}.",
        "zh-CN": "{partner} 建议将订单 {order} 第 {line} 行的日期由 {old_date} 改为 {new_date}，请在 {due} 前处理。",
    },
    "notification_date_proposal_applied": {
        "en": "{partner} (trusted) moved order {order} line {line} from {old_date} to {new_date}.",
        "zh-CN": "{partner}（受信任）已将订单 {order} 第 {line} 行的日期由 {old_date} 改为 {new_date}。",
    },
    "notification_date_proposal_warning": {
        "en": "{partner}'s proposal of {new_date} for order {order} line {line} is still undecided: answer by {due}.",
        "zh-CN": "{partner} 对订单 {order} 第 {line} 行提出的日期 {new_date} 尚未处理，请在 {due} 前答复。",
    },
    "notification_date_proposal_breached": {
        "en": "{partner}'s proposal of {new_date} for order {order} line {line} was due for an answer at {due} and is still undecided.",
        "zh-CN": "{partner} 对订单 {order} 第 {line} 行提出的日期 {new_date} 应于 {due} 前答复，至今未处理。",
    },
    "notification_schedule_change": {
        "en": "{partner} asks to deliver order {order} line {line} on {new_date} ({new_quantity}) instead of {old_date} ({old_quantity}).",
        "zh-CN": "{partner} 申请将订单 {order} 第 {line} 行的交货改为 {new_date}（{new_quantity}），原为 {old_date}（{old_quantity}）。",
    },
    "notification_order_line_rejected": {
        "en": "{partner} rejected order {order} line {line}: {reason}",
        "zh-CN": "{partner} 拒绝了订单 {order} 第 {line} 行：{reason}",
    },
    # The partner portal, part 2: quality cases, meetings, action items, links.
    "quality case": {"en": "Quality case", "zh-CN": "质量问题单"},
    "quality step": {"en": "Quality step", "zh-CN": "8D 步骤"},
    "meeting": {"en": "Meeting", "zh-CN": "会议"},
    "action item": {"en": "Action item", "zh-CN": "待办事项"},
    "quality_step": {"en": "Quality step", "zh-CN": "8D 步骤"},
    "action_item": {"en": "Action item", "zh-CN": "待办事项"},
    "link_invalid": {
        "en": "This link is not valid: it was used, it expired, or too many wrong codes were tried.",
        "zh-CN": "此链接无效：已使用、已过期，或验证码错误次数过多。",
    },
    "link_object_closed": {
        "en": "This link is for something already closed or cancelled; nothing is left to do there.",
        "zh-CN": "此链接对应的事项已关闭或取消，无需再处理。",
    },
    "link_code_wrong": {
        "en": "The code is wrong. Use the six digits from the second e-mail.",
        "zh-CN": "验证码错误，请输入第二封邮件中的六位数字。",
    },
    "portal_link_subject": {"en": "Action needed: {title}", "zh-CN": "待您处理：{title}"},
    "portal_link_wechat": {
        "en": "Please answer “{title}” here, without logging in: {url} (the code comes by e-mail)",
        "zh-CN": "请通过以下链接处理“{title}”，无需登录：{url}（验证码已发送至您的邮箱）",
    },
    "portal_link_text": {
        "en": "Please answer “{title}” here, without logging in: {url}\n"
        "The code it asks for comes in a separate e-mail. The link works once and for 72 hours.",
        "zh-CN": "请通过以下链接直接处理“{title}”，无需登录：{url}\n"
        "所需验证码将另行邮件发送。链接仅可使用一次，72 小时内有效。",
    },
    "portal_code_subject": {"en": "Your one-time code", "zh-CN": "您的一次性验证码"},
    "portal_code_text": {
        "en": "Your code is {otp}. Enter it on the page the link opened.",
        "zh-CN": "您的验证码是 {otp}，请在链接打开的页面中输入。",
    },
    "notification_quality_step_answered": {
        "en": "Ticket #{number}: the partner answered {discipline} of quality case {case}; please review it.",
        "zh-CN": "工单 #{number}：合作方已答复质量问题单 {case} 的 {discipline}，请审核。",
    },
    "notification_quality_step_overdue": {
        "en": "Ticket #{number}: {discipline} of quality case {case} was due at {due} and is still unanswered.",
        "zh-CN": "工单 #{number}：质量问题单 {case} 的 {discipline} 应于 {due} 前答复，至今未答复。",
    },
    "notification_meeting_published": {
        "en": "The minutes of “{meeting}” are published.",
        "zh-CN": "会议“{meeting}”的纪要已发布。",
    },
    # The agent inbox: collisions, retries, new tickets.
    "reply_collision": {
        "en": "{names} answered this ticket while you were writing. Read it above; your text is kept, send again to send it.",
        "zh-CN": "您撰写期间，{names} 已回复此工单。请先阅读上方的回复；您的内容已保留，再次发送即可。",
    },
    "delivery_not_failed": {
        "en": "Only a reply whose delivery failed can be sent again.",
        "zh-CN": "只有发送失败的回复才能重新发送。",
    },
    "new_ticket_no_template": {
        "en": "The WeChat account {name} has no template message configured.",
        "zh-CN": "公众号 {name} 未配置模板消息。",
    },
    "new_ticket_channel_kind": {
        "en": "A new ticket can start with an e-mail, a WeChat template message or a phone call, not on {kind}.",
        "zh-CN": "新建工单只能通过邮件、微信模板消息或电话，不支持 {kind}。",
    },
    # The inbox: merges, splits and bulk actions (hub.tickets.merge, hub.tickets.bulk_actions).
    "ticket_merge": {"en": "Merge", "zh-CN": "合并记录"},
    "merge_into_itself": {"en": "A ticket cannot be merged into itself.", "zh-CN": "工单不能合并到自身。"},
    "ticket_already_merged": {
        "en": "That ticket was already merged into another.",
        "zh-CN": "该工单已被合并到其他工单。",
    },
    "merge_already_undone": {"en": "That merge was already undone.", "zh-CN": "该合并已被撤销。"},
    "ticket_no_longer_merged": {"en": "That ticket is no longer merged.", "zh-CN": "该工单已不在合并状态。"},
    "split_only_message": {
        "en": "The ticket's only message cannot be split out.",
        "zh-CN": "工单仅有这一条消息，无法拆分。",
    },
    "bulk_nothing_selected": {"en": "Select at least one ticket.", "zh-CN": "请至少选择一个工单。"},
    "bulk_too_many": {"en": "At most {limit} tickets at once.", "zh-CN": "一次最多处理 {limit} 个工单。"},
    "bulk_needs_status": {"en": "Choose the status.", "zh-CN": "请选择状态。"},
    "bulk_needs_priority": {"en": "Choose the priority.", "zh-CN": "请选择优先级。"},
    "bulk_needs_tags": {"en": "Give tags to add or remove.", "zh-CN": "请填写要添加或移除的标签。"},
    "bulk_needs_merge": {
        "en": "Select two tickets or more and choose the one they are merged into.",
        "zh-CN": "请选择两个或以上工单，并指定合并到哪一个。",
    },
    "saved_view_name": {
        "en": "Give the view a name (1 to 80 characters).",
        "zh-CN": "请为视图命名（1 至 80 个字符）。",
    },
    "saved_view": {"en": "Saved view", "zh-CN": "已保存视图"},
}


# Satisfaction surveys (the defaults admins may replace), decisions to the front line, the audit log.
MESSAGES.update(
    {
        "csat_email_subject": {
            "en": "How did we do? Request #{number}",
            "zh-CN": "请为我们的服务评分：工单 #{number}",
        },
        "csat_intro": {
            "en": "Your request #{number} “{subject}” has been resolved. How satisfied are you with our help? "
            "One click is enough.",
            "zh-CN": "您的工单 #{number}“{subject}”已处理完毕。您对我们的服务满意吗？点击一下即可评分。",
        },
        "csat_chat_question": {
            "en": "How would you rate this conversation?",
            "zh-CN": "您对本次咨询满意吗？请评分。",
        },
        "csat_wechat_text": {
            "en": "Your request #{number} has been resolved. Please rate our service: {link}",
            "zh-CN": "您的工单 #{number} 已处理完毕，请为本次服务评分：{link}",
        },
        "csat_comment_prompt": {
            "en": "Anything you would like to tell us? (optional)",
            "zh-CN": "还有什么想告诉我们的吗？（选填）",
        },
        "csat_thanks": {"en": "Thank you for your feedback!", "zh-CN": "感谢您的评价！"},
        "csat_rating_1": {"en": "Very dissatisfied", "zh-CN": "非常不满意"},
        "csat_rating_2": {"en": "Dissatisfied", "zh-CN": "不满意"},
        "csat_rating_3": {"en": "Neutral", "zh-CN": "一般"},
        "csat_rating_4": {"en": "Satisfied", "zh-CN": "满意"},
        "csat_rating_5": {"en": "Very satisfied", "zh-CN": "非常满意"},
        "csat_survey": {"en": "Survey", "zh-CN": "满意度调查"},
        "csat_closed": {
            "en": "This survey is closed: it was answered already, it expired or the request was closed.",
            "zh-CN": "此调查已结束：已评价过、已过期或工单已关闭。",
        },
        "notification_csat_low": {
            "en": "Ticket #{number} was rated {rating}/5 by the client: please follow it up. {comment}",
            "zh-CN": "工单 #{number} 被客户评为 {rating}/5 分，请跟进。{comment}",
        },
        "decision": {"en": "Decision", "zh-CN": "决策"},
        "notification_decision_published": {
            "en": "New {kind_word}: “{title}”. Please confirm you have read it by {due}.",
            "zh-CN": "新{kind_word}：“{title}”，请在 {due} 前确认已读。",
        },
        "decision_kind_decision": {"en": "decision", "zh-CN": "决策"},
        "decision_kind_guideline": {"en": "guideline", "zh-CN": "指引"},
    }
)


def negotiate(accept_language: str | None, default: str = "zh-CN") -> str:
    """Pick zh-CN or en from an Accept-Language header (first supported language wins)."""
    if not accept_language:
        return default
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return default


def translate(code: str, locale: str, **params: Any) -> str:
    entry = MESSAGES.get(code) or MESSAGES["hub_error"]
    template = entry.get(locale) or entry["en"]
    localized = {key: _word(value, locale) for key, value in params.items()}
    try:
        return template.format(**localized)
    except (KeyError, IndexError):
        return template


def _word(value: Any, locale: str) -> Any:
    """Parameters that are themselves catalogue codes (``what="ticket"``) are translated too."""
    if isinstance(value, str) and value in MESSAGES:
        return MESSAGES[value].get(locale) or MESSAGES[value]["en"]
    return value
