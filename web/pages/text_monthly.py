"""The monthly review's words in Chinese and English (page, ``hub report monthly``, the PDF and the
supervisors' mail), merged into the one catalogue by :mod:`web.pages.text`."""

from __future__ import annotations

MONTHLY_UI: dict[str, dict[str, str]] = {
    "nav.monthly": {"en": "Monthly review", "zh-CN": "沟通复盘"},
    "mr.title": {"en": "Monthly review", "zh-CN": "沟通复盘"},
    "mr.heading": {"en": "Monthly review {month}", "zh-CN": "{month} 沟通复盘"},
    "mr.period": {
        "en": "{start} to {end}, compared with {previous}. Generated {at}.",
        "zh-CN": "统计期间 {start} 至 {end}，与 {previous} 对比。生成于 {at}。",
    },
    "mr.month": {"en": "Month", "zh-CN": "月份"},
    "mr.show": {"en": "Show", "zh-CN": "查看"},
    "mr.pdf": {"en": "Download PDF", "zh-CN": "下载 PDF"},
    "mr.empty": {"en": "Nothing was measured this month.", "zh-CN": "本月没有统计数据。"},
    "mr.none": {"en": "None this month.", "zh-CN": "本月没有。"},
    "mr.previous": {"en": "Previous month", "zh-CN": "上月"},
    "mr.change": {"en": "Change", "zh-CN": "变化"},
    # Promises.
    "mr.promises": {"en": "Compliance per promise", "zh-CN": "各项承诺达成率"},
    "mr.col.promise": {"en": "Promise", "zh-CN": "承诺"},
    "mr.col.met": {"en": "Met", "zh-CN": "达成"},
    "mr.col.breached": {"en": "Breached", "zh-CN": "超时"},
    "mr.col.active": {"en": "Running", "zh-CN": "进行中"},
    "mr.col.percent": {"en": "Compliance", "zh-CN": "达成率"},
    "mr.promise.chat_response": {
        "en": "Chat, phone and WeChat answered within 3 minutes",
        "zh-CN": "在线咨询、电话、微信 3 分钟内响应",
    },
    "mr.promise.written_response": {
        "en": "E-mail and other written channels answered within 1 business day",
        "zh-CN": "邮件等书面渠道 1 个工作日内响应",
    },
    "mr.promise.requirement_feedback": {
        "en": "Requirement feedback within 3 business days",
        "zh-CN": "客户需求 3 个工作日内反馈",
    },
    "mr.promise.liaison": {
        "en": "Cross-department requests answered within 2 business hours",
        "zh-CN": "跨部门请求 2 小时内答复",
    },
    "mr.promise.escalation_1": {
        "en": "Complaints resolved by the front line within 1 business day",
        "zh-CN": "一线投诉 1 个工作日内解决",
    },
    "mr.promise.escalation_2": {
        "en": "Cross-department complaints resolved within 3 business days",
        "zh-CN": "跨部门投诉 3 个工作日内解决",
    },
    "mr.promise.escalation_3": {
        "en": "Major complaints resolved by management within 5 business days",
        "zh-CN": "重大投诉 5 个工作日内由管理层解决",
    },
    # The worst breaches.
    "mr.worst": {"en": "Worst breaches", "zh-CN": "超时最严重的工单"},
    "mr.col.ticket": {"en": "Ticket", "zh-CN": "工单"},
    "mr.col.subject": {"en": "Subject", "zh-CN": "主题"},
    "mr.col.target": {"en": "Promise", "zh-CN": "承诺"},
    "mr.col.due": {"en": "Due", "zh-CN": "到期时间"},
    "mr.col.late": {"en": "Late by (business time)", "zh-CN": "超时（工作时间）"},
    "mr.target.first_response": {"en": "First response", "zh-CN": "首次响应"},
    "mr.target.next_response": {"en": "Next response", "zh-CN": "后续响应"},
    "mr.target.resolution": {"en": "Resolution", "zh-CN": "解决"},
    "mr.target.liaison": {"en": "Liaison answer", "zh-CN": "对接人答复"},
    "mr.target.requirement_feedback": {"en": "Requirement feedback", "zh-CN": "需求反馈"},
    "mr.target.escalation_1": {"en": "Escalation tier 1", "zh-CN": "一级升级时限"},
    "mr.target.escalation_2": {"en": "Escalation tier 2", "zh-CN": "二级升级时限"},
    "mr.target.escalation_3": {"en": "Escalation tier 3", "zh-CN": "三级升级时限"},
    "mr.minutes": {"en": "{n} min", "zh-CN": "{n} 分钟"},
    "mr.under_a_minute": {"en": "under 1 min", "zh-CN": "不到 1 分钟"},
    "mr.hours": {"en": "{n} h", "zh-CN": "{n} 小时"},
    # Satisfaction.
    "mr.csat": {"en": "Client satisfaction", "zh-CN": "客户满意度"},
    "mr.csat.score": {"en": "Satisfied (4–5)", "zh-CN": "满意率（4–5 分）"},
    "mr.csat.mean": {"en": "Mean rating", "zh-CN": "平均评分"},
    "mr.csat.sent": {"en": "Surveys sent", "zh-CN": "已发送调查"},
    "mr.csat.responses": {"en": "Answers", "zh-CN": "已评价"},
    "mr.csat.rate": {"en": "Response rate", "zh-CN": "回复率"},
    "mr.comments": {"en": "Comments", "zh-CN": "客户评论"},
    "mr.col.rating": {"en": "Rating", "zh-CN": "评分"},
    "mr.col.comment": {"en": "Comment", "zh-CN": "评论"},
    "mr.col.at": {"en": "When", "zh-CN": "时间"},
    # Escalations.
    "mr.escalations": {"en": "Escalations and resolution rate", "zh-CN": "投诉升级与解决率"},
    "mr.esc.reached": {"en": "Reached level {level}", "zh-CN": "升级至第 {level} 级"},
    "mr.esc.resolved": {"en": "Resolved within the ladder", "zh-CN": "在时限内解决"},
    "mr.esc.failed": {"en": "Past the last tier", "zh-CN": "超过最终时限"},
    "mr.esc.rate": {"en": "Resolution rate", "zh-CN": "解决率"},
    "mr.esc.target": {"en": "The plan's target: at least {target} %", "zh-CN": "方案目标：不低于 {target}%"},
    "mr.esc.ok": {"en": "target met", "zh-CN": "已达标"},
    "mr.esc.miss": {"en": "below target", "zh-CN": "未达标"},
    # Requirements and volumes.
    "mr.requirements": {"en": "Requirement fulfilment", "zh-CN": "需求落实"},
    "mr.req.recorded": {"en": "Recorded this month", "zh-CN": "本月记录"},
    "mr.req.delivered": {"en": "Delivered", "zh-CN": "已交付"},
    "mr.req.rejected": {"en": "Rejected", "zh-CN": "已拒绝"},
    "mr.req.open": {"en": "Still open", "zh-CN": "仍在处理"},
    "mr.req.fulfilment": {"en": "Fulfilment", "zh-CN": "落实率"},
    "mr.volumes": {"en": "Tickets", "zh-CN": "工单量"},
    "mr.vol.created": {"en": "Created", "zh-CN": "新建"},
    "mr.vol.resolved": {"en": "Resolved", "zh-CN": "已解决"},
    # Partners.
    "mr.partners": {"en": "Partner delivery and quality scorecards", "zh-CN": "合作方交付与质量评分"},
    "mr.partner": {"en": "Partner", "zh-CN": "合作方"},
    "mr.partners_note": {
        "en": "Scorecards as of the review's generation, over each partner's records.",
        "zh-CN": "评分截至本报告生成时，基于各合作方的全部记录。",
    },
    # The supervisors' mail.
    "mr.mail_subject": {"en": "Monthly review {month}", "zh-CN": "{month} 沟通复盘"},
}
