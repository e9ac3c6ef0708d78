"""Server-rendered pages for agents and partners: login, the unified inbox and the ticket page.

Every handler here is marked ``opt["page"]`` (by the router), which makes errors answer as pages:
a login redirect instead of 401, a readable page instead of problem JSON (:mod:`web.pages.errors`).
Each has a role guard like any API route; the RBAC route table test holds them to it.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Router
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from web.pages import calls
from web.pages.admin import ADMIN_PAGES
from web.pages.audit import audit_page
from web.pages.contact import contact_page
from web.pages.csat import survey_answer, survey_page
from web.pages.dashboard import PAGES as DASHBOARD_PAGES
from web.pages.decisions import decision_page, decisions_page
from web.pages.inbox import inbox_counts, inbox_page, inbox_rows
from web.pages.inline_images import inline_images
from web.pages.login import login_page
from web.pages.mail_html import has_remote_images, message_html
from web.pages.monthly import monthly_page, monthly_pdf
from web.pages.new_ticket import new_ticket_page
from web.pages.notifications import notifications_menu
from web.pages.playbooks import playbooks_page
from web.pages.portal import PAGES as PORTAL_PAGES
from web.pages.portal_quality import PAGES as PORTAL_QUALITY_PAGES
from web.pages.security import PAGE_HEADERS
from web.pages.static import static_router
from web.pages.ticket import ticket_page, ticket_parts
from web.pages.widget import widget_demo, widget_js

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def page_router() -> Router:
    return Router(
        path="/",
        route_handlers=[
            login_page,
            inbox_page,
            inbox_rows,
            inbox_counts,
            ticket_page,
            ticket_parts,
            widget_demo,
            playbooks_page,
            survey_page,
            survey_answer,
            decisions_page,
            decision_page,
            audit_page,
            monthly_page,
            monthly_pdf,
            *DASHBOARD_PAGES,
            *ADMIN_PAGES,
            *PORTAL_PAGES,
            *PORTAL_QUALITY_PAGES,
            message_html,
            contact_page,
            new_ticket_page,
            notifications_menu,
        ],
        opt={"page": True},
        response_headers=PAGE_HEADERS,
        include_in_schema=False,
    )


def template_config() -> TemplateConfig:
    """Autoescaping on for every template (not only ``.html``), and undefined names fail loudly."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["inline_images"] = inline_images
    env.filters["call_time"] = calls.when
    env.filters["call_length"] = calls.seconds
    env.filters["playable"] = calls.playable
    env.filters["remote_images"] = has_remote_images
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))


__all__ = ["page_router", "static_router", "template_config", "widget_js"]
