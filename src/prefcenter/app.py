"""The app factory: a thin ``create_app``; ``PrefcenterPlugin`` wires everything in small steps."""

from __future__ import annotations

import gc

from litestar import Litestar, Request, Router
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins import InitPluginProtocol

from prefcenter import __version__
from prefcenter.areas import AREAS
from prefcenter.auth.guards import bearer_authentication, hoist_route_guards, run_route_guards
from prefcenter.auth.openapi_scopes import document_scopes
from prefcenter.checks.fast_path import consent_check_fast_path
from prefcenter.checks.worker_pool import close_check_workers
from prefcenter.context import AppContext
from prefcenter.http.cors import cors_middleware
from prefcenter.http.health import health, ready
from prefcenter.http.idempotency import IdempotencyMiddleware
from prefcenter.http.json_body import DepthBoundedRequest
from prefcenter.http.openapi import (
    StructSchemaFromMsgspec,
    answer_options_with_every_method,
    document_answer_media_types,
    document_parameters_as_sent,
    document_problem_responses,
)
from prefcenter.http.pages import template_config
from prefcenter.http.problems import EXCEPTION_HANDLERS
from prefcenter.http.rate_limit import rate_limit_middleware
from prefcenter.http.request_context import request_context_middleware
from prefcenter.http.strict_query import StrictQuery
from prefcenter.logs import configure_logging
from prefcenter.settings import Settings

# Open, or authenticating themselves (signed links, the admin pages' cookie session): no bearer token.
PUBLIC_ROUTES = [health, ready, *(route for area in AREAS for route in area.load_public_routes())]
# Everything under /v1 needs a bearer token; writes there honour Idempotency-Key.
API_ROUTES = [route for area in AREAS for route in area.load_routes()]


class PrefcenterPlugin(InitPluginProtocol):
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        self._configure_routes(app_config)
        self._configure_errors(app_config)
        self._configure_middleware(app_config)
        self._configure_openapi(app_config)
        self._configure_templates(app_config)
        self._configure_state(app_config)
        return app_config

    def _configure_routes(self, config: AppConfig) -> None:
        api = Router(
            path="/",
            route_handlers=API_ROUTES,
            middleware=[
                bearer_authentication(),
                rate_limit_middleware,
                IdempotencyMiddleware,
            ],
        )
        config.route_handlers.extend([*PUBLIC_ROUTES, api])

    def _configure_errors(self, config: AppConfig) -> None:
        config.exception_handlers.update(EXCEPTION_HANDLERS)
        config.before_request = _before_request(StrictQuery())
        # JSON bodies are decoded by this request class: too deep a nesting is a 400, not a RecursionError
        config.request_class = DepthBoundedRequest

    def _configure_middleware(self, config: AppConfig) -> None:
        # CORS is not configured here: http/cors.py wraps the whole app in create_app (its origins change at runtime).
        config.middleware.insert(0, request_context_middleware)

    def _configure_openapi(self, config: AppConfig) -> None:
        config.openapi_config = OpenAPIConfig(
            title="prefcenter",
            version=__version__,
            description="Preference and consent management with a tamper-evident audit log and GDPR tooling.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        bearer_format="JWT",
                        description="An access token from POST /oauth/token, or a widget subject token.",
                    )
                }
            ),
            use_handler_docstrings=True,
        )

    def _configure_templates(self, config: AppConfig) -> None:
        # Every HTML page (admin, hosted pages, links, demo) is a Jinja template rendered by this engine.
        config.template_config = template_config()

    def _configure_state(self, config: AppConfig) -> None:
        ctx = self.ctx
        config.state = State({"ctx": ctx})
        config.dependencies["ctx"] = Provide(lambda: ctx, sync_to_thread=False, use_cache=True)
        config.on_startup.append(_freeze_startup_heap)
        config.on_shutdown.append(lambda: close_check_workers(ctx))
        config.on_shutdown.append(ctx.db.dispose)


def _before_request(strict_query: StrictQuery):
    """The app's one ``before_request`` hook: the route's scope guards (``hoist_route_guards``), then the
    strict query check, in the order Litestar ran them before."""

    async def before_request(request: Request) -> None:
        await run_route_guards(request)
        await strict_query(request)

    return before_request


def _freeze_startup_heap() -> None:
    """Move what start-up made (modules, routes, the OpenAPI document, templates: ~150,000 objects) out of
    the collector's reach: a full collection walked them all, ~90 ms here, a pause every few thousand writes
    that set the write path's p99.9."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    configure_logging(settings.log)
    # request_max_body_size must go to the constructor: Litestar 2.25 ignores it when a plugin sets it.
    ctx = AppContext.build(settings)
    app = Litestar(
        plugins=[PrefcenterPlugin(ctx), StructSchemaFromMsgspec()],
        request_max_body_size=settings.server.max_body_bytes,
        logging_config=None,  # structlog (prefcenter.logs) owns logging
    )
    document_problem_responses(app.openapi_schema)
    document_answer_media_types(app, app.openapi_schema)
    document_parameters_as_sent(app.openapi_schema)
    document_scopes(app, app.openapi_schema)
    answer_options_with_every_method(app)
    hoist_route_guards(app, app.before_request)  # after document_scopes, which reads them from Litestar
    # Outermost, where Litestar puts its own CORS: error responses (401, 403, 429) get CORS headers too.
    # Inside CORS: the lean path for GET /v1/consent-checks (checks/fast_path.py); the rest goes to Litestar.
    app.asgi_handler = cors_middleware(consent_check_fast_path(app), ctx.origins)
    return app
