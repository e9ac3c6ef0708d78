"""The admin pages (``/admin``): channels, users, teams, organisations, SLA policies, business
calendars, API tokens, notification settings and the satisfaction surveys.

The pages only read and render; every change is a form that posts to the same JSON API the CLI's
use cases sit behind (``web/static/admin.js``), so a form validates, words its problems and audits
its changes exactly as the API does. Administrators edit everything; supervisors read the people
and calendars (and hand tickets over), keep their own API tokens, and see no form they could not
submit; agents and partners are refused.
"""

from __future__ import annotations

from web.pages.admin.channels import channel_new_page, channel_page, channels_page
from web.pages.admin.common import admin_home
from web.pages.admin.people import organizations_page, teams_page, users_page
from web.pages.admin.settings import (
    calendar_page,
    calendars_page,
    notifications_page,
    sla_page,
    surveys_page,
    tokens_page,
)

ADMIN_PAGES = [
    admin_home,
    channels_page,
    channel_new_page,
    channel_page,
    users_page,
    teams_page,
    organizations_page,
    sla_page,
    calendars_page,
    calendar_page,
    tokens_page,
    notifications_page,
    surveys_page,
]

__all__ = ["ADMIN_PAGES"]
