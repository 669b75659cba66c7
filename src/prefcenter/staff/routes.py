from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import Parameter, QueryParameter
from litestar.response import Redirect

from prefcenter.auth.guards import requires
from prefcenter.context import AppContext
from prefcenter.staff import service, sso
from prefcenter.staff.schemas import PasswordLinkRead, StaffCreate, StaffCreated, StaffList, StaffRead
from prefcenter.staff.session import SESSION_TTL_SECONDS, cookie_name, issue_session

StaffId = Annotated[str, Parameter(description="The staff member's id (UUID)", max_length=36)]


class StaffController(Controller):
    path = "/v1/staff"
    tags = ["staff"]
    guards = [requires("admin")]

    @get("/", operation_id="listStaff")
    async def list_staff(self, ctx: AppContext) -> StaffList:
        """List staff members: who may sign in to the console, with which role."""
        async with ctx.db.read_session() as session:
            return StaffList(items=[service.to_read(m) for m in await service.list_staff(session)])

    @post("/", operation_id="createStaff", status_code=201)
    async def create(self, ctx: AppContext, request: Request, data: StaffCreate) -> StaffCreated:
        """Add a staff member; the answer holds their one-time set-password link (valid 24 hours)."""
        async with ctx.unit_of_work() as uow:
            member, link = await service.add_staff(
                uow, request.user.actor, data.email, data.name, data.role, data.time_zone
            )
            made = service.to_read(member)
        return StaffCreated(staff=made, password_link=link.read(made.id, ctx.settings.server.public_url))

    @post("/{staff_id:str}/disable", operation_id="disableStaff", status_code=200)
    async def disable(self, ctx: AppContext, request: Request, staff_id: StaffId) -> StaffRead:
        """Disable a staff member: their sessions end and they cannot sign in. The last active admin stays (409)."""
        async with ctx.unit_of_work() as uow:
            return service.to_read(await service.disable_staff(uow, request.user.actor, staff_id))

    @post("/{staff_id:str}/password-links", operation_id="issueStaffPasswordLink", status_code=201)
    async def password_link(self, ctx: AppContext, request: Request, staff_id: StaffId) -> PasswordLinkRead:
        """Issue a new one-time set-password link (24 hours) for a staff member; earlier links stop working."""
        async with ctx.unit_of_work() as uow:
            member = await service.get_member(uow.session, staff_id)
            link = await service.issue_password_link(uow, request.user.actor, member)
        return link.read(staff_id, ctx.settings.server.public_url)


def _secure(ctx: AppContext, request: Request) -> bool:
    return request.url.scheme == "https" or ctx.settings.server.public_url.startswith("https://")


class SsoController(Controller):
    """Single sign-on for the console: browser redirects, not part of the API document."""

    path = "/admin/sso"
    include_in_schema = False

    @get("/start", operation_id="startStaffSso")
    async def start(self, ctx: AppContext, request: Request) -> Redirect:
        """Send the browser to the OpenID Connect provider (code flow, PKCE, state and nonce)."""
        started = await sso.start(ctx)
        return Redirect(
            started.url,
            status_code=302,
            cookies=[
                Cookie(
                    key=sso.STATE_COOKIE,
                    value=started.state_token,
                    path="/admin/sso",
                    max_age=sso.STATE_TTL_SECONDS,
                    httponly=True,
                    secure=_secure(ctx, request),
                    samesite="lax",  # the provider sends the browser back with a top-level GET
                )
            ],
            headers={"Cache-Control": "no-store"},
        )

    @get("/callback", operation_id="finishStaffSso")
    async def callback(
        self,
        ctx: AppContext,
        request: Request,
        code: Annotated[str | None, Parameter(max_length=2000)] = None,
        # ``state`` is a name Litestar reserves for the app state: read the query parameter under another name
        oauth_state: Annotated[str | None, QueryParameter(name="state", max_length=2000)] = None,
    ) -> Response:
        """The provider's answer: check state, exchange the code, validate the ID token, start a staff session."""
        result = await sso.finish(ctx, code, oauth_state, request.cookies.get(sso.STATE_COOKIE))
        secure = _secure(ctx, request)
        return Redirect(
            "/admin",
            status_code=303,
            cookies=[
                Cookie(
                    key=cookie_name(secure),
                    value=issue_session(ctx, result.member, result.role, "sso"),
                    path="/" if secure else "/admin",
                    max_age=SESSION_TTL_SECONDS,
                    httponly=True,
                    secure=secure,
                    samesite="lax",
                ),
                Cookie(
                    key=sso.STATE_COOKIE, value="", path="/admin/sso", max_age=0, httponly=True, secure=secure
                ),
            ],
            headers={"Cache-Control": "no-store"},
        )
