"""Every route of the app, asked by nobody and by each role: who gets in and who is refused.

The table below must name every route; a new route fails this test until it is classified, and
a route that opts out of authentication fails unless it is one of the known public ones. Pages
(``PAGE``) admit every role like ``ANY`` routes, but send an anonymous visitor to the login page
(303 to ``/login?next=<the page>``) where an API route answers 401.
"""

from __future__ import annotations

import re
import uuid

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute, WebSocketRoute

from hub.domain import Role

pytestmark = pytest.mark.anyio

PUBLIC, ANY, STAFF, SUPERVISOR, ADMIN, PAGE = "public", "any", "staff", "supervisor", "admin", "page"
#: A page for staff only (the playbook library): anonymous visitors go to the login page, partners get 403.
STAFF_PAGE = "staff page"
#: The admin pages: administrators only, or supervisors too (read-only, their own tokens); the
#: audit log is a supervisor page too.
ADMIN_PAGE, SUPERVISOR_PAGE = "admin page", "supervisor page"
#: The partner portal's pages: anonymous visitors go to the login page, staff get 403.
PARTNER_PAGE = "partner page"
PAGES = {PAGE, STAFF_PAGE, ADMIN_PAGE, SUPERVISOR_PAGE, PARTNER_PAGE}
#: The partner portal's API: partner logins only (staff use the company-side routes).
PARTNER = "partner"
ALLOWED = {
    ADMIN_PAGE: {Role.ADMIN},
    SUPERVISOR_PAGE: {Role.SUPERVISOR, Role.ADMIN},
    ANY: {Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.PARTNER},
    PAGE: {Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.PARTNER},
    STAFF_PAGE: {Role.AGENT, Role.SUPERVISOR, Role.ADMIN},
    STAFF: {Role.AGENT, Role.SUPERVISOR, Role.ADMIN},
    SUPERVISOR: {Role.SUPERVISOR, Role.ADMIN},
    ADMIN: {Role.ADMIN},
    PARTNER: {Role.PARTNER},
    PARTNER_PAGE: {Role.PARTNER},
}

ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/login"): PUBLIC,
    ("GET", "/"): PAGE,
    ("GET", "/inbox/rows"): PAGE,
    ("GET", "/inbox/counts"): PAGE,
    ("GET", "/tickets/{ticket_id:uuid}"): PAGE,
    ("GET", "/tickets/{ticket_id:uuid}/parts"): PAGE,
    ("GET", "/playbooks"): STAFF_PAGE,
    ("GET", "/decisions"): STAFF_PAGE,
    ("GET", "/decisions/{decision_id:uuid}"): STAFF_PAGE,
    ("GET", "/audit"): SUPERVISOR_PAGE,
    ("GET", "/reports/monthly"): SUPERVISOR_PAGE,
    ("GET", "/reports/monthly.pdf"): SUPERVISOR_PAGE,
    # The dashboards: an agent's /dashboard sends them to their own numbers; team pages and the
    # slow links are supervisors'; an agent opens their own page and the clients they manage.
    ("GET", "/dashboard"): STAFF_PAGE,
    ("GET", "/dashboard/teams/{team_id:uuid}"): SUPERVISOR_PAGE,
    ("GET", "/dashboard/agents/{user_id:uuid}"): STAFF_PAGE,
    ("GET", "/dashboard/clients/{organization_id:uuid}"): STAFF_PAGE,
    ("GET", "/dashboard/slow-links"): SUPERVISOR_PAGE,
    ("GET", "/dashboard/samples"): STAFF_PAGE,
    ("GET", "/dashboard/export.csv"): STAFF_PAGE,
    ("GET", "/dashboard/export.xlsx"): STAFF_PAGE,
    # A satisfaction survey's landing page: the link's signature is the credential.
    ("GET", "/csat/{token:str}"): PUBLIC,
    ("POST", "/csat/{token:str}"): PUBLIC,
    ("GET", "/admin"): SUPERVISOR_PAGE,
    ("GET", "/admin/channels"): ADMIN_PAGE,
    ("GET", "/admin/channels/new/{kind:str}"): ADMIN_PAGE,
    ("GET", "/admin/channels/{channel_id:uuid}"): ADMIN_PAGE,
    ("GET", "/admin/users"): SUPERVISOR_PAGE,
    ("GET", "/admin/teams"): SUPERVISOR_PAGE,
    ("GET", "/admin/organizations"): SUPERVISOR_PAGE,
    ("GET", "/admin/sla"): ADMIN_PAGE,
    ("GET", "/admin/calendars"): SUPERVISOR_PAGE,
    ("GET", "/admin/calendars/{name:str}"): SUPERVISOR_PAGE,
    ("GET", "/admin/tokens"): SUPERVISOR_PAGE,
    ("GET", "/admin/notifications"): ADMIN_PAGE,
    ("GET", "/admin/surveys"): ADMIN_PAGE,
    ("POST", "/api/v1/channels/{channel_id:uuid}/check"): ADMIN,
    ("POST", "/api/v1/users/{user_id:uuid}/2fa/reset"): ADMIN,
    ("GET", "/api/v1/auth/tokens"): STAFF,
    ("GET", "/api/v1/calendars"): SUPERVISOR,
    ("GET", "/api/v1/calendars/{name:str}"): SUPERVISOR,
    ("POST", "/api/v1/calendars"): ADMIN,
    ("PUT", "/api/v1/calendars/{name:str}/days/{day:date}"): ADMIN,
    ("DELETE", "/api/v1/calendars/{name:str}/days/{day:date}"): ADMIN,
    ("GET", "/api/v1/notification-settings"): ADMIN,
    ("PUT", "/api/v1/notification-settings"): ADMIN,
    ("GET", "/portal"): PARTNER_PAGE,
    ("GET", "/portal/orders"): PARTNER_PAGE,
    ("GET", "/portal/orders/{order_id:uuid}"): PARTNER_PAGE,
    ("GET", "/portal/deliveries"): PARTNER_PAGE,
    ("GET", "/portal/users"): PARTNER_PAGE,
    ("GET", "/partners/{organization_id:uuid}"): STAFF_PAGE,
    ("GET", "/date-proposals"): STAFF_PAGE,
    ("GET", "/contacts/{contact_id:uuid}"): STAFF_PAGE,
    ("GET", "/tickets/new"): STAFF_PAGE,
    ("GET", "/notifications/menu"): PAGE,
    ("GET", "/messages/{message_id:uuid}/html"): PAGE,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/channels/{channel_id:uuid}/messages"): PUBLIC,
    ("GET", "/channels/wechat/{channel_id:uuid}"): PUBLIC,
    # Web chat's widget on a customer's site: the allowed origin and the visitor's signed token
    # (docs/webchat.md), never a login.
    **{
        (method, f"/widget/v1/{{channel_id:uuid}}/{name}"): PUBLIC
        for method, name in [
            ("GET", "config"),
            ("POST", "sessions"),
            ("POST", "messages"),
            ("GET", "messages"),
            ("POST", "attachments"),
            ("POST", "identify"),
            ("POST", "typing"),
            ("POST", "read"),
            ("POST", "email"),
            ("POST", "csat"),
            ("GET", "files"),
        ]
    },
    ("POST", "/channels/wechat/{channel_id:uuid}"): PUBLIC,
    ("GET", "/widget.js"): PUBLIC,
    ("GET", "/widget/demo"): PUBLIC,
    ("POST", "/channels/phone/{channel_id:uuid}/calls"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): ANY,
    ("GET", "/api/v1/auth/me"): ANY,
    ("POST", "/api/v1/auth/2fa/setup"): ANY,
    ("POST", "/api/v1/auth/2fa/enable"): ANY,
    ("POST", "/api/v1/auth/2fa/disable"): ANY,
    ("POST", "/api/v1/auth/tokens"): STAFF,
    ("DELETE", "/api/v1/auth/tokens/{token_id:uuid}"): STAFF,
    ("GET", "/api/v1/tickets"): ANY,
    ("GET", "/api/v1/tickets/{ticket_id:uuid}"): ANY,
    ("GET", "/api/v1/tickets/{ticket_id:uuid}/events"): STAFF,
    ("POST", "/api/v1/tickets/{ticket_id:uuid}/reply"): STAFF,
    ("POST", "/api/v1/tickets/{ticket_id:uuid}/notes"): STAFF,
    ("POST", "/api/v1/tickets/{ticket_id:uuid}/calls"): STAFF,
    ("POST", "/api/v1/tickets/{ticket_id:uuid}/assign"): STAFF,
    ("POST", "/api/v1/tickets/{ticket_id:uuid}/status"): STAFF,
    ("POST", "/api/v1/tickets/{ticket_id:uuid}/escalate"): SUPERVISOR,
    ("POST", "/api/v1/tickets/{ticket_id:uuid}/priority"): STAFF,
    ("POST", "/api/v1/tickets/{ticket_id:uuid}/scenario"): STAFF,
    ("POST", "/api/v1/tickets/{ticket_id:uuid}/tags"): STAFF,
    ("GET", "/api/v1/contacts"): STAFF,
    ("GET", "/api/v1/contacts/{contact_id:uuid}"): STAFF,
    ("GET", "/api/v1/contacts/{contact_id:uuid}/avatar"): STAFF,
    ("POST", "/api/v1/contacts/merge"): STAFF,
    ("GET", "/api/v1/organizations"): ANY,
    ("GET", "/api/v1/organizations/{organization_id:uuid}"): ANY,
    ("POST", "/api/v1/organizations"): ADMIN,
    ("PATCH", "/api/v1/organizations/{organization_id:uuid}"): ADMIN,
    ("GET", "/api/v1/users"): STAFF,
    ("POST", "/api/v1/users"): ADMIN,
    ("PATCH", "/api/v1/users/me"): ANY,
    ("PATCH", "/api/v1/users/{user_id:uuid}"): ADMIN,
    ("POST", "/api/v1/users/{user_id:uuid}/handover"): SUPERVISOR,
    ("GET", "/api/v1/teams"): STAFF,
    ("POST", "/api/v1/teams"): ADMIN,
    ("PATCH", "/api/v1/teams/{team_id:uuid}"): ADMIN,
    ("GET", "/api/v1/channels"): ADMIN,
    ("GET", "/api/v1/channels/kinds"): ADMIN,
    ("POST", "/api/v1/channels"): ADMIN,
    ("PATCH", "/api/v1/channels/{channel_id:uuid}"): ADMIN,
    ("GET", "/api/v1/channels/{channel_id:uuid}/extensions"): ADMIN,
    ("PUT", "/api/v1/channels/{channel_id:uuid}/extensions/{extension:str}"): ADMIN,
    ("DELETE", "/api/v1/channels/{channel_id:uuid}/extensions/{extension:str}"): ADMIN,
    ("GET", "/api/v1/attachments/{attachment_id:uuid}"): ANY,
    ("GET", "/api/v1/sla-policies"): ADMIN,
    ("POST", "/api/v1/sla-policies"): ADMIN,
    ("GET", "/api/v1/sla-policies/{policy_id:uuid}"): ADMIN,
    ("PATCH", "/api/v1/sla-policies/{policy_id:uuid}"): ADMIN,
    ("DELETE", "/api/v1/sla-policies/{policy_id:uuid}"): ADMIN,
    ("GET", "/api/v1/tickets/{ticket_id:uuid}/sla"): STAFF,
    ("GET", "/api/v1/playbooks"): STAFF,
    ("GET", "/api/v1/tickets/{ticket_id:uuid}/playbook"): STAFF,
    ("POST", "/api/v1/tickets/{ticket_id:uuid}/playbook"): STAFF,
    ("GET", "/api/v1/tickets/{ticket_id:uuid}/snippets"): STAFF,
    ("GET", "/api/v1/notifications"): ANY,
    ("POST", "/api/v1/notifications/{notification_id:uuid}/read"): ANY,
    ("POST", "/api/v1/tickets/{ticket_id:uuid}/requirements"): STAFF,
    ("GET", "/api/v1/requirements"): STAFF,
    ("GET", "/api/v1/requirements/{requirement_id:uuid}"): STAFF,
    ("POST", "/api/v1/requirements/{requirement_id:uuid}/transfer"): STAFF,
    ("POST", "/api/v1/requirements/{requirement_id:uuid}/transition"): STAFF,
    ("POST", "/api/v1/requirements/{requirement_id:uuid}/feedback"): STAFF,
    ("POST", "/api/v1/tickets/{ticket_id:uuid}/handoffs"): STAFF,
    ("GET", "/api/v1/tickets/{ticket_id:uuid}/handoffs"): STAFF,
    ("GET", "/api/v1/handoffs"): STAFF,
    ("POST", "/api/v1/handoffs/{handoff_id:uuid}/answer"): STAFF,
    ("POST", "/api/v1/tickets/{ticket_id:uuid}/typing"): STAFF,
    ("GET", "/api/v1/csat/settings"): ADMIN,
    ("PUT", "/api/v1/csat/settings"): ADMIN,
    ("POST", "/api/v1/decisions"): SUPERVISOR,
    ("GET", "/api/v1/decisions"): SUPERVISOR,
    ("GET", "/api/v1/decisions/mine"): STAFF,
    ("GET", "/api/v1/decisions/lateness"): SUPERVISOR,
    ("GET", "/api/v1/decisions/{decision_id:uuid}"): STAFF,
    ("POST", "/api/v1/decisions/{decision_id:uuid}/read"): STAFF,
    ("POST", "/api/v1/decisions/{decision_id:uuid}/feedback"): STAFF,
    ("GET", "/api/v1/audit"): SUPERVISOR,
    # Reports: staff (an agent reads only their own samples), never partners.
    ("POST", "/api/v1/portal/tickets/{ticket_id:uuid}/csat"): PARTNER,
    ("GET", "/api/v1/reports/summary"): STAFF,
    ("GET", "/api/v1/reports/trend"): STAFF,
    ("GET", "/api/v1/reports/samples"): STAFF,
    ("GET", "/api/v1/reports/tickets/{ref:str}"): STAFF,
    ("GET", "/api/v1/reports/export.csv"): STAFF,
    ("GET", "/api/v1/reports/export.xlsx"): STAFF,
    ("GET", "/api/v1/audit/export.csv"): SUPERVISOR,
    ("GET", "/api/v1/portal/waiting"): PARTNER,
    ("GET", "/api/v1/portal/orders"): PARTNER,
    ("GET", "/api/v1/portal/orders/{order_id:uuid}"): PARTNER,
    ("POST", "/api/v1/portal/orders/{order_id:uuid}/lines/{line:int}/confirm"): PARTNER,
    ("POST", "/api/v1/portal/orders/{order_id:uuid}/lines/{line:int}/reject"): PARTNER,
    ("POST", "/api/v1/portal/orders/{order_id:uuid}/lines/{line:int}/proposals"): PARTNER,
    ("GET", "/api/v1/portal/deliveries"): PARTNER,
    ("POST", "/api/v1/portal/deliveries/{schedule_id:uuid}/changes"): PARTNER,
    ("GET", "/api/v1/portal/deliveries/{schedule_id:uuid}/changes"): PARTNER,
    ("GET", "/api/v1/portal/shipping-notices"): PARTNER,
    ("POST", "/api/v1/portal/shipping-notices"): PARTNER,
    ("GET", "/api/v1/portal/shipping-notices/{notice_id:uuid}"): PARTNER,
    ("PUT", "/api/v1/portal/shipping-notices/{notice_id:uuid}"): PARTNER,
    ("POST", "/api/v1/portal/shipping-notices/{notice_id:uuid}/cancel"): PARTNER,
    ("GET", "/api/v1/portal/users"): PARTNER,
    ("POST", "/api/v1/portal/users"): PARTNER,
    ("PATCH", "/api/v1/portal/users/{user_id:uuid}"): PARTNER,
    ("DELETE", "/api/v1/portal/users/{user_id:uuid}"): PARTNER,
    ("GET", "/api/v1/organizations/{organization_id:uuid}/orders"): STAFF,
    ("GET", "/api/v1/organizations/{organization_id:uuid}/late-lines"): STAFF,
    ("GET", "/api/v1/organizations/{organization_id:uuid}/scorecard"): STAFF,
    ("GET", "/api/v1/date-proposals"): STAFF,
    ("POST", "/api/v1/date-proposals/{proposal_id:uuid}/decision"): STAFF,
    ("POST", "/api/v1/delivery-changes/{change_id:uuid}/decision"): STAFF,
    # The ERP sync: an integration token of scope sync (tests/web/test_portal_sync_api.py) or an admin.
    ("PUT", "/api/v1/sync/{entity:str}/{source:str}/{external_ref:str}"): ADMIN,
    ("POST", "/api/v1/sync/{batch:str}"): ADMIN,
    ("GET", "/api/v1/portal/quality-cases"): ANY,
    ("GET", "/api/v1/portal/quality-cases/{case_id:uuid}"): ANY,
    ("POST", "/api/v1/portal/quality-cases/{case_id:uuid}/steps/{discipline:str}/answer"): PARTNER,
    ("POST", "/api/v1/portal/quality-cases/{case_id:uuid}/steps/{discipline:str}/review"): STAFF,
    ("POST", "/api/v1/portal/quality-cases/{case_id:uuid}/cancel"): STAFF,
    ("GET", "/api/v1/portal/action-items"): ANY,
    ("PATCH", "/api/v1/portal/action-items/{item_id:uuid}"): ANY,
    ("GET", "/api/v1/portal/meetings"): ANY,
    ("GET", "/api/v1/portal/meetings/{meeting_id:uuid}"): ANY,
    ("PUT", "/api/v1/portal/meetings/{meeting_id:uuid}/minutes"): STAFF,
    ("POST", "/api/v1/portal/meetings/{meeting_id:uuid}/publish"): STAFF,
    ("GET", "/api/v1/portal/messages"): ANY,
    ("POST", "/api/v1/portal/messages"): PARTNER,
    ("POST", "/api/v1/portal/links"): STAFF,
    # A single-use link with its one-time code is the credential (tests/portal/test_messages_and_links.py).
    ("POST", "/api/v1/portal/act/{token:str}"): PUBLIC,
    ("POST", "/api/v1/organizations/{organization_id:uuid}/quality-cases"): STAFF,
    ("PUT", "/api/v1/organizations/{organization_id:uuid}/quality-timings"): STAFF,
    ("POST", "/api/v1/organizations/{organization_id:uuid}/meeting-series"): STAFF,
    ("POST", "/api/v1/organizations/{organization_id:uuid}/action-items"): STAFF,
    ("GET", "/portal/quality"): PAGE,
    ("GET", "/portal/quality/{case_id:uuid}"): PAGE,
    ("GET", "/portal/meetings"): PAGE,
    ("GET", "/portal/meetings/{meeting_id:uuid}"): PAGE,
    ("GET", "/portal/action-items"): PAGE,
    ("GET", "/portal/messages"): PAGE,
    # The page a single-use link opens: the link is the credential, and acting needs its code too.
    ("GET", "/portal/act/{token:str}"): PUBLIC,
    ("GET", "/organizations/{organization_id:uuid}/portal"): STAFF_PAGE,
    ("POST", "/api/v1/tickets"): STAFF,
    ("POST", "/api/v1/tickets/{ticket_id:uuid}/presence"): STAFF,
    ("POST", "/api/v1/tickets/{ticket_id:uuid}/messages/{message_id:uuid}/retry"): STAFF,
    ("POST", "/api/v1/tickets/bulk"): STAFF,
    ("POST", "/api/v1/tickets/{ticket_id:uuid}/merge"): STAFF,
    ("POST", "/api/v1/tickets/{ticket_id:uuid}/split"): STAFF,
    ("GET", "/api/v1/tickets/{ticket_id:uuid}/merges"): STAFF,
    ("POST", "/api/v1/tickets/merges/{merge_id:uuid}/undo"): SUPERVISOR,
    ("GET", "/api/v1/views"): STAFF,
    ("POST", "/api/v1/views"): STAFF,
    ("DELETE", "/api/v1/views/{view_id:uuid}"): STAFF,
    ("GET", "/api/v1/tickets/{ticket_id:uuid}/drafts"): STAFF,
    ("PUT", "/api/v1/tickets/{ticket_id:uuid}/drafts/{kind:str}"): STAFF,
}
#: The OpenAPI documents and viewers are public, whatever Litestar adds under /schema, and so
#: are the pages' stylesheet, script and icons (the login page needs them).
PUBLIC_PREFIXES = ("/schema", "/static")
WEBSOCKETS = {"/api/v1/stream", "/widget/v1/{channel_id:uuid}/socket"}
#: Sockets a web-chat visitor opens: authenticated by the first frame (the visitor's token).
PUBLIC_SOCKETS = {"/widget/v1/{channel_id:uuid}/socket"}
_PARAM = re.compile(r"\{[^}:]+:([a-z]+)\}")


def _http_routes(app: Litestar) -> dict[tuple[str, str], object]:
    found = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods - {"OPTIONS", "HEAD"}:
                found[(method, route.path)] = handler
    return found


def _url(path: str) -> str:
    samples = {"uuid": str(uuid.uuid4()), "int": "1", "str": "x", "path": "x", "date": "2026-10-01"}
    return _PARAM.sub(lambda m: samples.get(m.group(1), "x"), path)


async def _call(client, method: str, path: str, headers: dict[str, str] | None = None):
    body = {"json": {}} if method in {"POST", "PUT", "PATCH"} else {}
    return await client.request(method, _url(path), headers=headers or {}, **body)


async def test_every_route_is_classified_and_guarded(client) -> None:
    routes = _http_routes(client.app)
    unclassified = {k for k in routes if k not in ACCESS and not k[1].startswith(PUBLIC_PREFIXES)}
    assert not unclassified, f"classify these routes in ACCESS: {sorted(unclassified)}"
    assert not set(ACCESS) - set(routes), "ACCESS names routes the app no longer has"
    for key, handler in routes.items():
        public = key[1].startswith(PUBLIC_PREFIXES) or ACCESS[key] == PUBLIC
        opted_out = bool(handler.opt.get("exclude_from_auth"))  # type: ignore[attr-defined]
        if opted_out:
            assert public, f"{key} skips authentication but is not a known public route"
        if not public:
            assert handler.resolve_guards(), f"{key} has no role guard"  # type: ignore[attr-defined]
    sockets = [r for r in client.app.routes if isinstance(r, WebSocketRoute)]
    assert {r.path for r in sockets} == WEBSOCKETS
    for route in sockets:
        if route.path not in PUBLIC_SOCKETS:
            assert route.route_handler.resolve_guards(), f"{route.path} has no role guard"


async def test_anonymous_requests_are_refused_except_on_public_routes(client) -> None:
    for (method, path), access in sorted(ACCESS.items()):
        if access == PUBLIC:
            continue
        url = _url(path)
        response = await client.request(
            method,
            url,
            follow_redirects=False,
            **({"json": {}} if method in {"POST", "PUT", "PATCH"} else {}),
        )
        if access in PAGES:
            assert response.status_code == 303, f"{method} {path}: {response.status_code}"
            assert response.headers["location"] == f"/login?next={url}", f"{method} {path}"
            continue
        assert response.status_code == 401, f"{method} {path}: {response.status_code}"
        assert response.json()["code"] == "not_authenticated"
    for public in ("/healthz", "/metrics", "/schema/openapi.json", "/login"):
        assert (await client.get(public)).status_code == 200, public
    login = await client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.test", "password": "x" * 10}
    )
    assert login.json()["code"] == "login_failed"  # reached the handler, not the auth middleware
    inbound = await client.post(
        f"/api/v1/channels/{uuid.uuid4()}/messages", json={"external_id": "1", "sender": {"identity": "a"}}
    )
    assert inbound.json()["code"] == "invalid_channel_token"


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.PARTNER])
async def test_each_role_reaches_exactly_its_routes(client, cast, role: Role) -> None:
    headers = cast.as_(role)
    for (method, path), access in sorted(ACCESS.items()):
        if access == PUBLIC:
            continue
        response = await _call(client, method, path, headers)
        where = f"{role.value} {method} {path}: {response.status_code} {response.text[:200]}"
        if role in ALLOWED[access]:
            assert response.status_code < 500 and response.status_code not in (401, 403), where
        else:
            assert response.status_code == 403, where
            if access not in PAGES:  # a page answers its refusal as a page
                assert response.json()["code"] == "forbidden", where


async def test_options_on_any_route_answers_without_an_error(client) -> None:
    """Found by fuzzing: Litestar answers OPTIONS itself without authenticating, and a controller's
    role guard then read a user that was never set (500). It tells only which methods a path has."""
    for path in sorted({path for _, path in ACCESS}):
        response = await client.request("OPTIONS", _url(path), follow_redirects=False)
        assert response.status_code < 500, f"OPTIONS {path}: {response.status_code} {response.text}"
        if response.status_code < 300:  # the allowed methods, and nothing of the data behind them
            assert "allow" in response.headers and not response.content, f"OPTIONS {path}"
