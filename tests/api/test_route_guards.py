"""Scope guards run in the app's before_request hook (auth/guards.py: hoist_route_guards), not Litestar's guard step."""

from __future__ import annotations

import pytest
from litestar import Litestar, get

from prefcenter.auth.guards import hoist_route_guards, requires, route_guards, run_route_guards


def _app(**handler_options) -> Litestar:
    @get("/thing", guards=[requires("preferences:read")], sync_to_thread=False, **handler_options)
    def thing() -> str:
        return "ok"

    return Litestar([thing], before_request=run_route_guards)


def test_guards_move_to_the_hook_and_stay_readable():
    app = _app()
    (handler,) = [
        h for r in app.routes if r.path == "/thing" for h in r.route_handlers if "GET" in h.http_methods
    ]
    guard = handler.resolve_guards()[0]
    hoist_route_guards(app, app.before_request)
    assert handler.resolve_guards() == []  # Litestar's guard step has nothing left to run (and copy for)
    assert route_guards(handler) == [guard]  # auth/openapi_scopes.py still documents the scope


def test_a_route_with_its_own_before_request_is_refused_at_start_up():
    async def other(_request) -> None:
        return None

    app = _app(before_request=other)
    with pytest.raises(RuntimeError, match="before_request"):
        hoist_route_guards(app, app.before_request)


async def test_no_route_of_the_app_keeps_a_litestar_guard_step(api):
    handlers = [h for r in api.app.routes for h in getattr(r, "route_handlers", ())]
    assert [h for h in handlers if h.resolve_guards()] == []
    assert any(route_guards(h) for h in handlers)
