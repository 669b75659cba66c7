"""Bearer-token authentication for ``/v1`` and scope guards for each route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import Litestar, Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.middleware import DefineMiddleware
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, AsyncAnyCallable, Receive, Scope, Send

from prefcenter.auth.principal import Principal
from prefcenter.auth.tokens import TokenIssuer
from prefcenter.errors import Forbidden, NotFound, Unauthorized


def authenticate(authorization: str, origin: str | None, tokens: TokenIssuer) -> Principal:
    """The bearer rule (also used by ``checks/fast_path.py``): Unauthorized / Forbidden, or who is calling."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "send an access token: Authorization: Bearer <token> (get one at POST /oauth/token)"
        )
    principal = tokens.principal(token.strip())
    if principal.origin and origin and origin != principal.origin:
        raise Forbidden("this subject token is bound to another origin")
    return principal


class BearerAuthentication:
    """Sets ``scope["user"]`` (the ``Principal``) and ``scope["auth"]`` (the token) for every ``/v1`` request
    but ``OPTIONS``, or raises Unauthorized / Forbidden; what Litestar's ``AbstractAuthenticationMiddleware``
    did for us with ``exclude_http_methods=["OPTIONS"]``, without building a connection object, its
    ``Headers`` and an ``AuthenticationResult`` per request (~3 us): the two headers are read from the ASGI
    scope, the first of each, as ``Headers.get`` gives them (and as ``checks/fast_path.py`` reads them)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope.get("method") != "OPTIONS":
            authorization = origin = None
            for name, value in scope["headers"]:
                if name == b"authorization" and authorization is None:
                    authorization = value.decode("latin-1")
                elif name == b"origin" and origin is None:
                    origin = value.decode("latin-1")
            header = authorization or ""
            scope["user"] = authenticate(header, origin, scope["litestar_app"].state.ctx.tokens)
            scope["auth"] = header.partition(" ")[2]
        await self.app(scope, receive, send)


def bearer_authentication() -> DefineMiddleware:
    return DefineMiddleware(BearerAuthentication)


def requires(
    scope: str, *, subject_token: bool = False
) -> Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]:
    """Guard: the caller holds ``scope``; subject tokens pass only where ``subject_token`` is True.

    ``async`` on purpose: Litestar runs a plain-function guard in a worker thread (one thread hop per
    request, measured ~250 us of a ~700 us single check); this one only compares strings."""

    async def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        if connection.scope.get("method") == "OPTIONS":  # CORS preflight and Allow discovery carry no token
            return
        principal: Principal | None = connection.scope.get("user")
        if principal is None:
            raise Unauthorized("send an access token: Authorization: Bearer <token>")
        check_access(principal, scope, subject_token=subject_token)

    guard.required_scope = scope  # type: ignore[attr-defined]  # read by auth/openapi_scopes.py
    guard.subject_token = subject_token  # type: ignore[attr-defined]
    return guard


ROUTE_GUARDS = "prefcenter.route_guards"  # handler.opt key: the guards ``run_route_guards`` runs


def route_guards(handler: BaseRouteHandler) -> list:
    """A route handler's guards, wherever they run (Litestar's guard step, or hoisted by ``hoist_route_guards``)."""
    return list(handler.opt.get(ROUTE_GUARDS, ())) or handler.resolve_guards()


def hoist_route_guards(app: Litestar, before_request: AsyncAnyCallable) -> None:
    """Run each HTTP route's ``requires`` guards in the app's ``before_request`` hook (``run_route_guards``)
    instead of Litestar's guard step, which hands every guard a fresh ``copy`` of the route handler (an
    object of some seventy slots: ~10 us a request, a twentieth of a write's CPU outside the database).

    The hook runs at the same point of a request: inside the route's own exception handling, right after
    where Litestar runs guards (nothing but the response cache, unused here, comes between), before the
    body is read; the same guards in the same order, so the same answers (a 403 under an Idempotency-Key is
    still recorded). A handler with another ``before_request`` of its own would skip the hook: refused here,
    at start-up. Call it once the app is built (guards resolved), with the app's ``before_request``."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            guards = handler.resolve_guards()
            if not guards or not all(hasattr(guard, "required_scope") for guard in guards):
                continue  # no guards, or one of another kind: Litestar runs them
            if handler.resolve_before_request() is not before_request:
                raise RuntimeError(f"{handler}: a route with scope guards must keep the app's before_request")
            handler.opt[ROUTE_GUARDS] = tuple(guards)
            handler._resolved_guards = []  # Litestar's memo of resolve_guards(): nothing left for its guard step


async def run_route_guards(request: Request) -> None:
    """The ``before_request`` part of ``hoist_route_guards``: the route's guards, as Litestar would run them."""
    handler = request.scope["route_handler"]
    for guard in handler.opt.get(ROUTE_GUARDS, ()):
        await guard(request, handler)


def check_access(principal: Principal, scope: str, *, subject_token: bool = False) -> None:
    """The scope rule of ``requires`` (also used by ``checks/fast_path.py``)."""
    if principal.kind == "subject" and not subject_token:
        raise Forbidden("a subject token cannot use this operation")
    if not principal.has_scope(scope):
        raise Forbidden(f"this operation needs the scope {scope}")


def ensure_subject_access(principal: Principal, subject_id: str) -> None:
    """A subject token sees only its own subject; any other id looks like it does not exist."""
    if not principal.can_access_subject(subject_id):
        raise NotFound(f"no subject {subject_id}")
