"""The pages' words in Chinese and English: the UI half of the one catalogue.

Error messages and nouns the API also uses stay in :mod:`hub.i18n`; :class:`Translator` looks a code
up here first and then there, so a page and the problem details it shows never disagree. Keys are
dotted by area (``inbox.*``, ``status.*``) so a missing one is easy to spot; the unit tests check
that every key used by a template exists in both languages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub import i18n
from web.pages.portal_text import PORTAL_QUALITY_UI

UI: dict[str, dict[str, str]] = {
    "app.name": {"en": "hub", "zh-CN": "hub"},
    "app.tagline": {"en": "One inbox for every channel", "zh-CN": "全渠道统一收件箱"},
    "nav.inbox": {"en": "Inbox", "zh-CN": "收件箱"},
    "nav.api": {"en": "API reference", "zh-CN": "API 文档"},
    "nav.logout": {"en": "Log out", "zh-CN": "退出登录"},
    "nav.skip": {"en": "Skip to content", "zh-CN": "跳到主要内容"},
    "nav.language": {"en": "Language", "zh-CN": "语言"},
    "nav.main": {"en": "Main", "zh-CN": "主导航"},
    "lang.zh-CN": {"en": "中文", "zh-CN": "中文"},
    "lang.en": {"en": "English", "zh-CN": "English"},
    "nav.signed_in_as": {"en": "Signed in as {name}", "zh-CN": "当前用户：{name}"},
    "live.on": {"en": "Live", "zh-CN": "实时"},
    "live.off": {"en": "Reconnecting…", "zh-CN": "正在重新连接…"},
    "live.label": {"en": "Live updates", "zh-CN": "实时更新"},
    "login.title": {"en": "Log in", "zh-CN": "登录"},
    "login.email": {"en": "E-mail", "zh-CN": "邮箱"},
    "login.password": {"en": "Password", "zh-CN": "密码"},
    "login.otp": {"en": "Authentication code", "zh-CN": "验证码"},
    "login.otp_hint": {
        "en": "Six digits from your authenticator app.",
        "zh-CN": "身份验证器应用中的六位数字。",
    },
    "login.submit": {"en": "Log in", "zh-CN": "登录"},
    "login.busy": {"en": "Logging in…", "zh-CN": "正在登录…"},
    "login.expired": {"en": "Please log in to continue.", "zh-CN": "请登录后继续。"},
    "role.agent": {"en": "Agent", "zh-CN": "坐席"},
    "role.supervisor": {"en": "Supervisor", "zh-CN": "主管"},
    "role.admin": {"en": "Administrator", "zh-CN": "管理员"},
    "role.partner": {"en": "Partner", "zh-CN": "合作方"},
    "inbox.title": {"en": "Inbox", "zh-CN": "收件箱"},
    "inbox.partner_title": {"en": "Our tickets", "zh-CN": "我方工单"},
    "inbox.views": {"en": "Views", "zh-CN": "视图"},
    "view.mine": {"en": "Mine", "zh-CN": "我的"},
    "view.unassigned": {"en": "Unassigned", "zh-CN": "未分配"},
    "view.open": {"en": "All open", "zh-CN": "全部未结"},
    "view.breached": {"en": "Breached", "zh-CN": "已超时"},
    "view.callbacks": {"en": "Callbacks due", "zh-CN": "待回电"},
    "inbox.callback_due": {"en": "Call back", "zh-CN": "待回电"},
    "view.all": {"en": "All", "zh-CN": "全部"},
    "filter.label": {"en": "Filter tickets", "zh-CN": "筛选工单"},
    "filter.search": {"en": "Search", "zh-CN": "搜索"},
    "filter.search_placeholder": {
        "en": "Words in subjects, messages, names",
        "zh-CN": "主题、消息、联系人中的词",
    },
    "filter.status": {"en": "Status", "zh-CN": "状态"},
    "filter.channel": {"en": "Channel", "zh-CN": "渠道"},
    "filter.scenario": {"en": "Scenario", "zh-CN": "场景"},
    "filter.any": {"en": "Any", "zh-CN": "全部"},
    "filter.apply": {"en": "Apply", "zh-CN": "应用"},
    "filter.reset": {"en": "Reset", "zh-CN": "重置"},
    "col.number": {"en": "No.", "zh-CN": "编号"},
    "col.subject": {"en": "Subject", "zh-CN": "主题"},
    "col.contact": {"en": "Contact", "zh-CN": "联系人"},
    "col.organization": {"en": "Organization", "zh-CN": "组织"},
    "col.channel": {"en": "Channel", "zh-CN": "渠道"},
    "col.status": {"en": "Status", "zh-CN": "状态"},
    "col.priority": {"en": "Priority", "zh-CN": "优先级"},
    "col.assignee": {"en": "Assignee", "zh-CN": "处理人"},
    "col.activity": {"en": "Last activity", "zh-CN": "最近活动"},
    "inbox.empty": {"en": "No tickets here.", "zh-CN": "这里没有工单。"},
    "inbox.more": {"en": "More", "zh-CN": "加载更多"},
    "inbox.updated": {"en": "The list was updated.", "zh-CN": "列表已更新。"},
    "inbox.no_subject": {"en": "(no subject)", "zh-CN": "（无主题）"},
    "inbox.nobody": {"en": "—", "zh-CN": "—"},
    "status.new": {"en": "New", "zh-CN": "新建"},
    "status.open": {"en": "Open", "zh-CN": "处理中"},
    "status.pending": {"en": "Pending", "zh-CN": "等待中"},
    "status.resolved": {"en": "Resolved", "zh-CN": "已解决"},
    "status.closed": {"en": "Closed", "zh-CN": "已关闭"},
    "priority.low": {"en": "Low", "zh-CN": "低"},
    "priority.normal": {"en": "Normal", "zh-CN": "普通"},
    "priority.high": {"en": "High", "zh-CN": "高"},
    "priority.urgent": {"en": "Urgent", "zh-CN": "紧急"},
    "scenario.inquiry": {"en": "Inquiry", "zh-CN": "咨询"},
    "scenario.complaint": {"en": "Complaint", "zh-CN": "投诉"},
    "scenario.after_sales": {"en": "After-sales", "zh-CN": "售后"},
    "scenario.requirement": {"en": "Requirement", "zh-CN": "需求"},
    "scenario.partner": {"en": "Partner", "zh-CN": "合作方"},
    "scenario.other": {"en": "Other", "zh-CN": "其他"},
    "channel.email": {"en": "E-mail", "zh-CN": "邮件"},
    "channel.wechat": {"en": "WeChat", "zh-CN": "微信"},
    "channel.webchat": {"en": "Web chat", "zh-CN": "网页聊天"},
    "channel.phone": {"en": "Phone", "zh-CN": "电话"},
    "channel.api": {"en": "API", "zh-CN": "API"},
    "delivery.queued": {"en": "Queued", "zh-CN": "排队中"},
    "delivery.sending": {"en": "Sending", "zh-CN": "发送中"},
    "delivery.sent": {"en": "Sent", "zh-CN": "已发送"},
    "delivery.failed": {"en": "Failed", "zh-CN": "发送失败"},
    "ticket.back": {"en": "Back to the inbox", "zh-CN": "返回收件箱"},
    "ticket.number": {"en": "Ticket #{number}", "zh-CN": "工单 #{number}"},
    "ticket.thread": {"en": "Conversation", "zh-CN": "会话"},
    "ticket.details": {"en": "Details", "zh-CN": "详情"},
    "ticket.contact": {"en": "Contact", "zh-CN": "联系人"},
    "webchat.title": {"en": "Web-chat visitor", "zh-CN": "网页访客"},
    "webchat.presence": {"en": "On the page", "zh-CN": "是否在页面"},
    "webchat.here": {"en": "On the page now", "zh-CN": "正在页面上"},
    "webchat.away": {"en": "Left the page", "zh-CN": "已离开页面"},
    "webchat.url": {"en": "Current page", "zh-CN": "当前页面"},
    "webchat.title_of_page": {"en": "Page title", "zh-CN": "页面标题"},
    "webchat.referrer": {"en": "Came from", "zh-CN": "来源页面"},
    "webchat.browser": {"en": "Browser", "zh-CN": "浏览器"},
    "webchat.language": {"en": "Language", "zh-CN": "语言"},
    "webchat.email": {"en": "E-mail for offline replies", "zh-CN": "离线回复邮箱"},
    "webchat.verified": {"en": "Verified user id", "zh-CN": "已验证用户 ID"},
    "webchat.typing": {"en": "The visitor is typing…", "zh-CN": "访客正在输入…"},
    "ticket.identities": {"en": "Identities", "zh-CN": "身份标识"},
    "ticket.organization": {"en": "Organization", "zh-CN": "组织"},
    "ticket.assignee": {"en": "Assignee", "zh-CN": "处理人"},
    "ticket.unassigned": {"en": "Unassigned", "zh-CN": "未分配"},
    "ticket.assign_me": {"en": "Assign to me", "zh-CN": "分配给我"},
    "ticket.tags": {"en": "Tags", "zh-CN": "标签"},
    "ticket.no_tags": {"en": "No tags", "zh-CN": "无标签"},
    "ticket.add_tag": {"en": "Add a tag", "zh-CN": "添加标签"},
    "ticket.add": {"en": "Add", "zh-CN": "添加"},
    "ticket.remove_tag": {"en": "Remove tag {tag}", "zh-CN": "移除标签 {tag}"},
    "ticket.status": {"en": "Status", "zh-CN": "状态"},
    "ticket.priority": {"en": "Priority", "zh-CN": "优先级"},
    "ticket.scenario": {"en": "Scenario", "zh-CN": "场景"},
    "ticket.channel": {"en": "Channel", "zh-CN": "渠道"},
    "ticket.created": {"en": "Created", "zh-CN": "创建时间"},
    "ticket.other_tickets": {"en": "Other tickets of this contact", "zh-CN": "该联系人的其他工单"},
    "ticket.empty_thread": {"en": "No messages yet.", "zh-CN": "暂无消息。"},
    "ticket.reopened": {"en": "Reopened {count} times", "zh-CN": "已重新打开 {count} 次"},
    "ticket.escalated": {
        "en": "Escalated: level {level}, {audience}",
        "zh-CN": "已升级：第 {level} 级（{audience}）",
    },
    "ticket.linked": {"en": "Follows ticket", "zh-CN": "接续工单"},
    "ticket.save": {"en": "Save", "zh-CN": "保存"},
    "ticket.saved": {"en": "Saved.", "zh-CN": "已保存。"},
    "ticket.unchanged": {"en": "Nothing was changed.", "zh-CN": "没有需要保存的更改。"},
    "msg.inbound": {"en": "Customer", "zh-CN": "客户"},
    "msg.outbound": {"en": "Reply", "zh-CN": "回复"},
    "msg.note": {"en": "Internal note", "zh-CN": "内部备注"},
    "msg.system": {"en": "System", "zh-CN": "系统"},
    "msg.auto": {"en": "Automatic", "zh-CN": "自动"},
    "msg.staff": {"en": "Support team", "zh-CN": "客服团队"},
    "msg.attachments": {"en": "Attachments", "zh-CN": "附件"},
    "msg.show_all": {"en": "Show all", "zh-CN": "显示全部"},
    "msg.show_less": {"en": "Show less", "zh-CN": "收起"},
    "msg.truncated": {
        "en": "This message is too long to show whole: the first {kept} of its {chars} characters are "
        "shown; all of it is in the attachment {file}.",
        "zh-CN": "消息过长，此处只显示 {chars} 个字符中的前 {kept} 个；完整内容见附件 {file}。",
    },
    "msg.delivery_error": {"en": "Delivery failed: {error}", "zh-CN": "投递失败：{error}"},
    "msg.delivery_retrying": {
        "en": "Attempt {attempts} failed, retrying: {error}",
        "zh-CN": "第 {attempts} 次发送失败，稍后重试：{error}",
    },
    "msg.delivery_gave_up": {
        "en": "Delivery failed after {attempts} attempts: {error}",
        "zh-CN": "尝试 {attempts} 次后投递失败：{error}",
    },
    "msg.full_original": {
        "en": "Show the full original (quoted text included)",
        "zh-CN": "查看完整原文（含引用内容）",
    },
    "msg.attachment_omitted": {
        "en": "Attachment {name} ({size}) was too large to keep; it remains in the original mail.",
        "zh-CN": "附件 {name}（{size}）超过大小上限，未单独保存，仍保留在原始邮件中。",
    },
    "compose.reply": {"en": "Reply to the customer", "zh-CN": "回复客户"},
    "compose.reply_placeholder": {
        "en": "Your answer, sent on the ticket's channel",
        "zh-CN": "您的答复，将通过该工单的渠道发送",
    },
    "compose.send": {"en": "Send reply", "zh-CN": "发送回复"},
    "compose.note": {"en": "Internal note", "zh-CN": "内部备注"},
    "compose.note_placeholder": {
        "en": "Only your colleagues see this",
        "zh-CN": "仅同事可见",
    },
    "compose.add_note": {"en": "Add note", "zh-CN": "添加备注"},
    "compose.attach": {"en": "Attach files", "zh-CN": "添加附件"},
    "compose.hint": {"en": "Ctrl+Enter sends", "zh-CN": "Ctrl+Enter 发送"},
    "compose.busy": {"en": "Sending…", "zh-CN": "正在发送…"},
    "compose.reply_done": {
        "en": "Reply queued for delivery; its status shows on the message.",
        "zh-CN": "回复已进入发送队列，投递状态显示在消息上。",
    },
    "compose.note_done": {"en": "Note added.", "zh-CN": "备注已添加。"},
    "compose.reply_sent": {"en": "Reply delivered to the channel.", "zh-CN": "回复已送达渠道。"},
    "compose.reply_failed": {
        "en": "The reply could not be delivered; the reason shows under the message.",
        "zh-CN": "回复发送失败，原因显示在消息下方。",
    },
    "compose.via": {"en": "Send via", "zh-CN": "发送方式"},
    "compose.via_ticket": {"en": "This ticket's channel", "zh-CN": "本工单渠道"},
    "compose.via_template": {"en": "Template message", "zh-CN": "模板消息"},
    "compose.via_other": {"en": "{kind}: {name}", "zh-CN": "{kind}渠道：{name}"},
    "window.title": {"en": "Reply window", "zh-CN": "回复窗口"},
    "window.open": {
        "en": "Window open: {left} of {allowed} replies left, until {until}",
        "zh-CN": "回复窗口开放：截至 {until} 还可回复 {left}/{allowed} 条",
    },
    "window.closed": {"en": "Window closed: {reason}.", "zh-CN": "回复窗口已关闭：{reason}。"},
    "window.offer": {
        "en": "Send the template message or answer on another channel (choose under “Send via”).",
        "zh-CN": "可发送模板消息或改用其他渠道回复（在“发送方式”中选择）。",
    },
    "window.no_offer": {
        "en": "No template message is configured and the contact has no other channel.",
        "zh-CN": "未配置模板消息，该联系人也没有其他渠道。",
    },
    "col.due": {"en": "Due", "zh-CN": "时限"},
    "sla.title": {"en": "Service levels", "zh-CN": "服务时限"},
    "sla.target.first_response": {"en": "First response", "zh-CN": "首次响应"},
    "sla.target.next_response": {"en": "Next response", "zh-CN": "后续响应"},
    "sla.target.resolution": {"en": "Resolution", "zh-CN": "解决"},
    "sla.state.active": {"en": "Running", "zh-CN": "计时中"},
    "sla.state.paused": {"en": "Paused", "zh-CN": "已暂停"},
    "sla.state.met": {"en": "Met", "zh-CN": "已达成"},
    "sla.state.breached": {"en": "Breached", "zh-CN": "已超时"},
    "sla.state.void": {"en": "Not counted", "zh-CN": "不计入"},
    "sla.due": {"en": "due {at}", "zh-CN": "截止 {at}"},
    "sla.no_targets": {
        "en": "No target has started: nothing the client wrote asks for an answer yet.",
        "zh-CN": "尚无计时目标：客户还没有需要答复的消息。",
    },
    "sla.met_at": {"en": "at {at}", "zh-CN": "于 {at}"},
    "sla.paused": {
        "en": "Waiting on the client: the clock stopped at {at}.",
        "zh-CN": "等待客户回复：计时自 {at} 起暂停。",
    },
    "sla.policy": {"en": "Policy {name}, calendar {calendar}", "zh-CN": "策略 {name}，日历 {calendar}"},
    "sla.by_playbook": {
        "en": "The targets of playbook {name} while it runs, calendar {calendar}",
        "zh-CN": "话术手册 {name} 执行期间的时限，日历 {calendar}",
    },
    "pb.title": {"en": "Playbook", "zh-CN": "话术手册"},
    "pb.library": {"en": "Playbooks", "zh-CN": "话术手册"},
    "pb.library_note": {
        "en": "The shipped playbooks and the company's own (HUB_PLAYBOOKS_DIR), as loaded at start-up. "
        "Edit the YAML files and check them with `hub playbooks validate`; a running playbook keeps the version it started with.",
        "zh-CN": "系统自带的话术手册和本公司的话术手册（HUB_PLAYBOOKS_DIR），启动时加载。"
        "修改 YAML 文件后用 `hub playbooks validate` 检查；已开始执行的手册沿用开始时的版本。",
    },
    "pb.col.title": {"en": "Playbook", "zh-CN": "手册"},
    "pb.col.version": {"en": "Version", "zh-CN": "版本"},
    "pb.col.digest": {"en": "Content digest", "zh-CN": "内容摘要"},
    "pb.col.source": {"en": "File", "zh-CN": "文件"},
    "pb.col.state": {"en": "Checks", "zh-CN": "检查结果"},
    "pb.valid": {"en": "No problems", "zh-CN": "检查通过"},
    "pb.problems": {"en": "{count} problems", "zh-CN": "{count} 个问题"},
    "pb.none": {"en": "No playbook is loaded.", "zh-CN": "没有加载任何话术手册。"},
    "compose.snippets": {
        "en": "Type ::shortcut and press Tab to insert a canned answer.",
        "zh-CN": "输入 ::快捷词 后按 Tab 键插入常用语。",
    },
    "pb.suggested": {"en": "Suggested for this ticket", "zh-CN": "建议使用"},
    "pb.no_suggestion": {"en": "No playbook matches this ticket yet.", "zh-CN": "暂无匹配此工单的话术手册。"},
    "pb.reason.scenario": {"en": "Scenario: {detail}", "zh-CN": "场景：{detail}"},
    "pb.reason.keyword": {"en": "The client wrote “{detail}”", "zh-CN": "客户提到“{detail}”"},
    "pb.reason.organization": {"en": "A partner's ticket", "zh-CN": "合作方的工单"},
    "pb.start": {"en": "Start", "zh-CN": "开始"},
    "pb.choose": {"en": "Another playbook", "zh-CN": "其他话术手册"},
    "pb.started": {"en": "Playbook started.", "zh-CN": "已开始执行话术手册。"},
    "pb.version": {"en": "version {version}", "zh-CN": "第 {version} 版"},
    "pb.run.active": {"en": "Running", "zh-CN": "进行中"},
    "pb.run.completed": {"en": "Completed", "zh-CN": "已完成"},
    "pb.gate": {
        "en": "Before this ticket can be resolved: {steps}.",
        "zh-CN": "解决工单前还需完成：{steps}。",
    },
    "pb.required": {"en": "Required", "zh-CN": "必做"},
    "pb.state.done": {"en": "Done", "zh-CN": "已完成"},
    "pb.state.skipped": {"en": "Skipped", "zh-CN": "已跳过"},
    "pb.state.open": {"en": "To do", "zh-CN": "待办"},
    "pb.state.later": {"en": "Later", "zh-CN": "稍后"},
    "pb.state.not_applicable": {"en": "Not needed", "zh-CN": "不适用"},
    "pb.due": {"en": "Due {at}", "zh-CN": "截止 {at}"},
    "pb.by": {"en": "{name}, {at}", "zh-CN": "{name} 于 {at}"},
    "pb.reason": {"en": "Reason: {reason}", "zh-CN": "原因：{reason}"},
    "pb.save": {"en": "Save", "zh-CN": "保存"},
    "pb.done": {"en": "Mark done", "zh-CN": "标记完成"},
    "pb.run_actions": {"en": "Run these actions", "zh-CN": "执行"},
    "pb.fill": {"en": "Fill in the reply box", "zh-CN": "填入回复框"},
    "pb.sent_done": {"en": "Reply sent: mark done", "zh-CN": "已发送，标记完成"},
    "pb.filled": {
        "en": "The reply is in the reply box: read it, adapt it, send it.",
        "zh-CN": "已填入回复框，请核对修改后发送。",
    },
    "pb.script": {"en": "Read aloud: {text}", "zh-CN": "请照此说明：{text}"},
    "pb.skip": {"en": "Skip", "zh-CN": "跳过"},
    "pb.skip_reason": {"en": "Why skip it", "zh-CN": "跳过原因"},
    "pb.choose_value": {"en": "Choose…", "zh-CN": "请选择…"},
    "pb.yes": {"en": "Yes", "zh-CN": "是"},
    "pb.no": {"en": "No", "zh-CN": "否"},
    "pb.saved": {"en": "Saved.", "zh-CN": "已保存。"},
    "msgtype.image": {"en": "Image", "zh-CN": "图片"},
    "msgtype.voice": {"en": "Voice", "zh-CN": "语音"},
    "msgtype.video": {"en": "Video", "zh-CN": "视频"},
    "msgtype.shortvideo": {"en": "Short video", "zh-CN": "小视频"},
    "msgtype.location": {"en": "Location", "zh-CN": "位置"},
    "msgtype.link": {"en": "Link", "zh-CN": "链接"},
    "msgtype.file": {"en": "File", "zh-CN": "文件"},
    "msgtype.miniprogrampage": {"en": "Mini program card", "zh-CN": "小程序卡片"},
    "msgtype.event": {"en": "Event", "zh-CN": "事件"},
    "call.inbound": {"en": "Incoming call", "zh-CN": "来电"},
    "compose.call": {"en": "Log a call", "zh-CN": "记录通话"},
    "compose.call_direction": {"en": "Direction", "zh-CN": "方向"},
    "compose.call_number": {"en": "Client's number", "zh-CN": "客户号码"},
    "compose.call_start": {"en": "Started", "zh-CN": "开始时间"},
    "compose.call_minutes": {"en": "Minutes", "zh-CN": "时长（分钟）"},
    "compose.call_notes": {"en": "Notes", "zh-CN": "备注"},
    "compose.call_log": {"en": "Log the call", "zh-CN": "保存通话记录"},
    "compose.call_done": {"en": "Call logged.", "zh-CN": "通话已记录。"},
    "call.outbound": {"en": "Outgoing call", "zh-CN": "去电"},
    "call.internal": {"en": "Internal call", "zh-CN": "内部通话"},
    "call.from_to": {"en": "From {caller} to {callee}", "zh-CN": "{caller} 拨打 {callee}"},
    "call.unreadable": {
        "en": "Not a readable phone number, kept as given: {numbers}",
        "zh-CN": "无法识别的号码，已按原样保存：{numbers}",
    },
    "call.agent": {"en": "Agent", "zh-CN": "坐席"},
    "call.extension": {"en": "ext. {extension}", "zh-CN": "分机 {extension}"},
    "call.queue": {"en": "Queue", "zh-CN": "队列"},
    "call.started": {"en": "Started", "zh-CN": "开始"},
    "call.answered": {"en": "Answered", "zh-CN": "接听"},
    "call.ended": {"en": "Ended", "zh-CN": "结束"},
    "call.wait": {"en": "Wait", "zh-CN": "等待"},
    "call.talk": {"en": "Talk time", "zh-CN": "通话时长"},
    "call.outcome": {"en": "Outcome", "zh-CN": "结果"},
    "call.recording": {"en": "Recording", "zh-CN": "录音"},
    "call.callback": {"en": "Missed: call the client back", "zh-CN": "未接来电：请回电"},
    "call.by_hand": {"en": "Logged by hand", "zh-CN": "手工记录"},
    "disposition.answered": {"en": "Answered", "zh-CN": "已接通"},
    "disposition.no_answer": {"en": "No answer", "zh-CN": "无人接听"},
    "disposition.busy": {"en": "Busy", "zh-CN": "占线"},
    "disposition.failed": {"en": "Failed", "zh-CN": "呼叫失败"},
    "disposition.abandoned": {"en": "Abandoned (caller hung up)", "zh-CN": "来电方挂断"},
    "disposition.voicemail": {"en": "Voicemail", "zh-CN": "语音信箱"},
    "msgtype.call": {"en": "Phone call", "zh-CN": "通话记录"},
    "msgtype.unknown": {"en": "Unsupported type: {type}", "zh-CN": "不支持的消息类型：{type}"},
    "msg.recognition": {"en": "Recognised speech", "zh-CN": "语音识别"},
    "msg.via_template": {"en": "Template message", "zh-CN": "模板消息"},
    "msg.raw_fields": {"en": "Fields as received", "zh-CN": "收到的原始字段"},
    "msg.coordinates": {"en": "Coordinates {latitude}, {longitude}", "zh-CN": "坐标 {latitude}, {longitude}"},
    "media.pending": {"en": "Downloading the file from WeChat…", "zh-CN": "正在从微信下载文件…"},
    "media.retrying": {"en": "Download failed, retrying: {detail}", "zh-CN": "下载失败，正在重试：{detail}"},
    "event.subscribe": {"en": "Followed the account", "zh-CN": "关注了公众号"},
    "event.subscribe_scan": {
        "en": "Followed the account by scanning QR code {scene}",
        "zh-CN": "扫描二维码 {scene} 关注了公众号",
    },
    "event.unsubscribe": {"en": "Unfollowed the account", "zh-CN": "取消关注了公众号"},
    "event.scan": {"en": "Scanned QR code {scene}", "zh-CN": "扫描了二维码 {scene}"},
    "event.click": {"en": "Clicked menu item {key}", "zh-CN": "点击了菜单 {key}"},
    "event.view": {"en": "Opened menu link {url}", "zh-CN": "打开了菜单链接 {url}"},
    "event.templatesendjobfinish": {
        "en": "Template message {msg_id} delivery: {status}",
        "zh-CN": "模板消息 {msg_id} 送达结果：{status}",
    },
    "event.location": {
        "en": "Reported location {latitude}, {longitude}",
        "zh-CN": "上报了位置 {latitude}, {longitude}",
    },
    "event.other": {"en": "WeChat event {event}", "zh-CN": "微信事件 {event}"},
    "error.title": {"en": "Something went wrong", "zh-CN": "出错了"},
    "error.not_found": {"en": "This page does not exist.", "zh-CN": "页面不存在。"},
    "error.back": {"en": "Back to the inbox", "zh-CN": "返回收件箱"},
    "error.network": {
        "en": "The hub could not be reached. Check the connection and try again.",
        "zh-CN": "无法连接到服务器，请检查网络后重试。",
    },
    "size.bytes": {"en": "{n} B", "zh-CN": "{n} B"},
    "size.kib": {"en": "{n} KB", "zh-CN": "{n} KB"},
    "size.mib": {"en": "{n} MB", "zh-CN": "{n} MB"},
    # The web-chat widget (web/static/widget.js gets these when it is served; see web/pages/widget.py).
    "widget.title": {"en": "Chat with us", "zh-CN": "在线客服"},
    "widget.launcher": {"en": "Chat with us", "zh-CN": "在线咨询"},
    "widget.launcher_unread": {"en": "Chat with us ({count} new)", "zh-CN": "在线咨询（{count} 条新消息）"},
    "widget.close": {"en": "Close the chat", "zh-CN": "关闭聊天窗口"},
    "widget.online": {"en": "Online", "zh-CN": "在线"},
    "widget.offline": {"en": "Offline", "zh-CN": "离线"},
    "widget.agent_typing": {"en": "{name} is typing…", "zh-CN": "{name} 正在输入…"},
    "widget.someone_typing": {"en": "Typing…", "zh-CN": "对方正在输入…"},
    "widget.input_label": {"en": "Your message", "zh-CN": "您的消息"},
    "widget.input_placeholder": {"en": "Type a message…", "zh-CN": "输入消息…"},
    "widget.input_hint": {
        "en": "Enter sends, Shift+Enter starts a new line.",
        "zh-CN": "按 Enter 发送，Shift+Enter 换行。",
    },
    "widget.send": {"en": "Send", "zh-CN": "发送"},
    "widget.attach": {"en": "Attach a file", "zh-CN": "添加附件"},
    "widget.attachment": {"en": "Attachment", "zh-CN": "附件"},
    "widget.status_sending": {"en": "Sending…", "zh-CN": "发送中…"},
    "widget.status_retrying": {"en": "Not sent yet, trying again…", "zh-CN": "尚未发出，正在重试…"},
    "widget.status_failed": {"en": "Not sent", "zh-CN": "未发送"},
    "widget.status_sent": {"en": "Sent", "zh-CN": "已发送"},
    "widget.status_delivered": {"en": "Delivered", "zh-CN": "已送达"},
    "widget.status_read": {"en": "Read", "zh-CN": "已读"},
    "widget.file_too_large": {"en": "the file is larger than {limit}", "zh-CN": "文件超过 {limit} 上限"},
    "widget.file_type": {"en": "files of this type cannot be sent", "zh-CN": "不能发送此类型的文件"},
    "widget.offline_notice": {
        "en": "We are not online right now. Leave your e-mail address and we will answer you by e-mail; "
        "you can still write your question below.",
        "zh-CN": "我们现在不在线。请留下您的邮箱，我们会通过邮件回复您；您也可以先在下方留言。",
    },
    "widget.email_label": {"en": "Your e-mail address", "zh-CN": "您的邮箱"},
    "widget.email_submit": {"en": "Answer me by e-mail", "zh-CN": "通过邮件回复我"},
    "widget.email_invalid": {"en": "Please enter a valid e-mail address.", "zh-CN": "请输入有效的邮箱地址。"},
    "widget.email_thanks": {
        "en": "Thank you. We will answer you at {email}.",
        "zh-CN": "谢谢！我们会回复到 {email}。",
    },
    "widget.unreachable": {
        "en": "The chat could not be reached. Please try again in a moment.",
        "zh-CN": "暂时无法连接在线客服，请稍后再试。",
    },
    "widget.prechat_intro": {
        "en": "Before we start, please tell us who you are.",
        "zh-CN": "开始对话前，请留下您的联系方式。",
    },
    "widget.prechat_name": {"en": "Name", "zh-CN": "姓名"},
    "widget.prechat_email": {"en": "E-mail", "zh-CN": "邮箱"},
    "widget.prechat_phone": {"en": "Phone", "zh-CN": "电话"},
    "widget.optional": {"en": "(optional)", "zh-CN": "（选填）"},
    "widget.prechat_missing": {"en": "Please fill in: {field}.", "zh-CN": "请填写{field}。"},
    "widget.prechat_start": {"en": "Start the chat", "zh-CN": "开始对话"},
    # The demo shop page that embeds the widget (/widget/demo, `hub serve --demo` only).
    "demo_shop.title": {"en": "Demo shop · web chat", "zh-CN": "演示商城 · 网页在线客服"},
    "demo_shop.name": {"en": "East China Precision Parts (demo shop)", "zh-CN": "华东精密零件商城（演示）"},
    "demo_shop.nav": {"en": "Shop", "zh-CN": "商城导航"},
    "demo_shop.products": {"en": "Products", "zh-CN": "产品"},
    "demo_shop.about": {"en": "About us", "zh-CN": "关于我们"},
    "demo_shop.heading": {
        "en": "A customer's web site, with the hub's chat",
        "zh-CN": "客户网站示例：嵌入了 hub 在线客服",
    },
    "demo_shop.explain": {
        "en": "This page stands for a company's own web site. The chat button in the corner is the hub's "
        "web-chat widget, added with this one line:",
        "zh-CN": "本页模拟企业自己的网站。角落里的聊天按钮就是 hub 的网页在线客服，只需加入下面这一行代码：",
    },
    "demo_shop.agents": {
        "en": "What you write reaches the demo agents' inbox; log in there in another window "
        "(agent1@demo.test / demo1234) and answer.",
        "zh-CN": "您发出的消息会进入演示坐席的收件箱；请在另一个窗口登录（agent1@demo.test / demo1234）后回复。",
    },
    "demo_shop.inbox": {"en": "Open the inbox", "zh-CN": "打开收件箱"},
    "demo_shop.p1": {"en": "Deep-groove ball bearing 6204", "zh-CN": "深沟球轴承 6204"},
    "demo_shop.p1_text": {"en": "Chrome steel, sealed both sides.", "zh-CN": "轴承钢，双面密封。"},
    "demo_shop.p2": {"en": "Linear guide rail, 1 m", "zh-CN": "直线导轨 1 米"},
    "demo_shop.p2_text": {
        "en": "Ground to 0.01 mm, with two carriages.",
        "zh-CN": "精磨至 0.01 毫米，含两个滑块。",
    },
    "demo_shop.p3": {"en": "Flexible shaft coupling", "zh-CN": "弹性联轴器"},
    "demo_shop.p3_text": {"en": "Aluminium, bores 8 to 14 mm.", "zh-CN": "铝合金，孔径 8 至 14 毫米。"},
    "demo_shop.about_text": {
        "en": "A made-up shop for the demo. Ask the chat about an order, a delivery or a price.",
        "zh-CN": "这是演示用的虚构商城。可以在在线客服里咨询订单、发货或价格。",
    },
    "nav.widget_demo": {"en": "Web chat demo", "zh-CN": "网页客服演示"},
}

#: Singular forms for the languages that inflect, chosen when the ``count`` field is 1 ("Reopened
#: once", never "Reopened 1 times"); Chinese nouns do not inflect, so it needs none.
ONE: dict[str, dict[str, str]] = {
    "ticket.reopened": {"en": "Reopened once"},
    "pb.problems": {"en": "1 problem"},
}

UI.update(PORTAL_QUALITY_UI)

#: The strings the browser module needs, sent in a JSON data block (no inline script).
SCRIPT_KEYS = (
    "live.on",
    "live.off",
    "login.busy",
    "login.submit",
    "compose.busy",
    "error.network",
    "inbox.updated",
    "error.title",
    "ticket.unchanged",
    "compose.reply_sent",
    "compose.reply_failed",
    "msg.show_all",
    "msg.show_less",
    "pb.filled",
    "pb.script",
)


def locale_for(preference: str | None, default: str = "zh-CN") -> str:
    """A user's stored locale (``zh-CN``, ``en``, maybe ``en-GB`` one day) as one we have."""
    return i18n.negotiate(preference, default=default)


@dataclass(frozen=True)
class Translator:
    """``t("inbox.title")`` in templates; falls back to the hub's catalogue, then to the key."""

    locale: str

    def __call__(self, key: str, /, **params: Any) -> str:
        entry = UI.get(key)
        if entry is None:
            if key in i18n.MESSAGES:
                return i18n.translate(key, self.locale, **params)
            return key
        template = entry.get(self.locale) or entry["en"]
        if params.get("count") == 1:
            template = ONE.get(key, {}).get(self.locale, template)
        try:
            return template.format(**params) if params else template
        except (KeyError, IndexError):
            return template

    def has(self, key: str) -> bool:
        """Whether ``key`` has a text: labels built from open-ended values (a message type a channel
        or integration invents) show the value itself rather than a bare key."""
        return key in UI or key in i18n.MESSAGES

    def script_texts(self) -> dict[str, str]:
        return {key: self(key) for key in SCRIPT_KEYS}
