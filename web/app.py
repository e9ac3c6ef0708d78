"""The Litestar application: pages, API, realtime stream, health and metrics, wired to one Hub."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from litestar import Litestar
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig
from redis.asyncio import Redis

from hub import heap
from hub.config import Settings
from hub.db import POOL_SIZE, open_connections
from web import access_log, openapi_contract
from web.allow import exact_allow
from web.api.attachments import download_attachment
from web.api.audit import AuditController
from web.api.calendars import CalendarController
from web.api.channels import ChannelController
from web.api.contacts import ContactController
from web.api.csat import CsatController
from web.api.decisions import DecisionController
from web.api.handoffs import HandoffController
from web.api.notification_settings import NotificationSettingsController
from web.api.notifications import NotificationController
from web.api.organizations import OrganizationController
from web.api.partner_orders import PartnerOrdersController
from web.api.playbooks import act_on_playbook, list_playbooks, ticket_playbook, ticket_snippets
from web.api.portal import PortalController
from web.api.portal_company import PortalCompanyController
from web.api.portal_csat import answer_portal_survey
from web.api.portal_quality import PortalQualityController, act_on_link
from web.api.presence import ticket_presence
from web.api.reports import ReportController
from web.api.requirements import RequirementController
from web.api.saved_views import SavedViewController
from web.api.sla_policies import SlaPolicyController
from web.api.sync import SyncController
from web.api.teams import TeamController
from web.api.ticket_sla import ticket_sla
from web.api.tickets import TicketController
from web.api.typing import ticket_typing
from web.api.users import UserController
from web.auth.middleware import HubAuthMiddleware
from web.auth.ratelimit import LoginThrottle
from web.auth.routes import AuthController
from web.auth.sessions import SessionStore
from web.channel_routes import channel_routes
from web.deps import provide_hub, provide_session
from web.edge import EdgeMiddleware
from web.errors import EXCEPTION_HANDLERS
from web.pages import page_router, static_router, template_config, widget_js
from web.pages.errors import page_aware
from web.realtime import channels_plugin, event_stream
from web.runtime import open_runtime
from web.system import healthz, prometheus_metrics
from web.worker import build_worker

log = logging.getLogger(__name__)

PUBLIC_DOCS = r"^/schema(/|$)"

ROUTES = [
    AuthController,
    TicketController,
    ContactController,
    OrganizationController,
    UserController,
    TeamController,
    ChannelController,
    SlaPolicyController,
    NotificationController,
    SavedViewController,
    RequirementController,
    HandoffController,
    CsatController,
    DecisionController,
    AuditController,
    CalendarController,
    NotificationSettingsController,
    PortalController,
    PartnerOrdersController,
    SyncController,
    ReportController,
    ticket_sla,
    ticket_typing,
    ticket_presence,
    list_playbooks,
    ticket_playbook,
    act_on_playbook,
    ticket_snippets,
    PortalQualityController,
    PortalCompanyController,
    act_on_link,
    answer_portal_survey,
    download_attachment,
    event_stream,
    healthz,
    prometheus_metrics,
    widget_js,
]


def max_request_bytes(settings: Settings) -> int:
    """Litestar's default (10 MB) refused attachments far below HUB_ATTACHMENT_MAX_BYTES: allow one
    of the largest accepted size, base64-encoded (4/3) inside a JSON body, plus room for the rest."""
    return 4 * -(-settings.attachment_max_bytes // 3) + 1024 * 1024


def create_app(settings: Settings, *, run_worker: bool = False, warm_up: bool = False) -> Litestar:
    """The web app. ``settings`` must name the servers (``hub serve`` resolves embedded ones first).

    The app opens its own runtime in its lifespan, on its own event loop. ``run_worker`` also runs
    the arq worker in this process: ``hub serve`` does so with the embedded servers, so one command
    runs everything; with real servers, ``hub worker`` runs separately and scales on its own.
    ``warm_up`` (``hub serve``) opens the database pool's connections before serving, so the first
    requests do not wait for them (tests skip it: they make many apps and a handful of requests).
    """
    if not (settings.database_url and settings.redis_url):
        raise ValueError("create_app needs resolved server URLs; see web.runtime.resolve_servers")
    access_log.install()
    pubsub_redis = Redis.from_url(settings.redis_url)

    @contextlib.asynccontextmanager
    async def runtime_lifespan(app: Litestar) -> AsyncIterator[None]:
        async with open_runtime(settings) as runtime:
            if warm_up:
                await open_connections(runtime.engine, POOL_SIZE)
                heap.settle()  # the long-lived start-up heap, out of every later collection
            app.state.runtime = runtime
            app.state.hub = runtime.hub
            app.state.redis = runtime.redis
            app.state.sessions = SessionStore(runtime.redis, ttl_seconds=settings.session_hours * 3600)
            app.state.login_throttle = LoginThrottle(
                runtime.redis, attempts=settings.login_attempts_per_15min
            )
            worker = build_worker(runtime, handle_signals=False) if run_worker else None
            task = asyncio.create_task(worker.async_run(), name="hub-inline-worker") if worker else None
            try:
                yield
            finally:
                if worker is not None and task is not None:
                    await worker.close()
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                await pubsub_redis.aclose()

    app = Litestar(
        route_handlers=[*ROUTES, *channel_routes(), page_router(), static_router()],
        request_max_body_size=max_request_bytes(settings),
        lifespan=[runtime_lifespan],
        dependencies={"hub": Provide(provide_hub, sync_to_thread=False), "db": Provide(provide_session)},
        middleware=[
            PrometheusConfig(
                app_name="hub", prefix="hub_http", group_path=True, exclude=["/metrics"]
            ).middleware,
            EdgeMiddleware(),
            # The OpenAPI documents and viewers describe the API to anyone about to log in.
            DefineMiddleware(HubAuthMiddleware, exclude=[PUBLIC_DOCS]),
        ],
        exception_handlers=page_aware(EXCEPTION_HANDLERS),
        template_config=template_config(),
        plugins=[channels_plugin(pubsub_redis)],
        openapi_config=OpenAPIConfig(
            title="hub API",
            version="1",
            description=(
                "Omnichannel communication hub. Authenticate with `POST /api/v1/auth/login`, "
                "then send `Authorization: Bearer <token>`."
            ),
            render_plugins=[ScalarRenderPlugin()],
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
            ),
        ),
        before_send=[exact_allow],
        debug=False,
    )
    openapi_contract.install(app)
    return app
