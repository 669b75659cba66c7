"""Single sign-on with any OpenID Connect provider, through authlib's OAuth 2 / OpenID client.

``start`` discovers the provider (``{issuer}/.well-known/openid-configuration``), makes an authorization URL
for the code flow with PKCE (S256), a ``state`` and a ``nonce``, and hands back a signed, short-lived state
token for a cookie. ``finish`` checks the returned ``state`` against that cookie, exchanges the code (with the
PKCE verifier), and validates the ID token (signature from the provider's JWKS, ``iss``, ``aud``, ``exp``,
``nonce``, ``at_hash``). The person is found by their (verified) email: the role is the one the claim named
by PREFCENTER_OIDC_ROLE_CLAIM grants, else the one assigned in prefcenter. Someone who is neither staff nor
carries a valid role claim is refused; someone with a valid claim and no account gets one (just in time).
"""

from __future__ import annotations

import hmac
import uuid
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import BaseApp
from authlib.integrations.base_client.async_app import AsyncOAuth2Mixin
from authlib.integrations.base_client.async_openid import AsyncOpenIDMixin
from joserfc.errors import JoseError

with warnings.catch_warnings():
    # authlib 1.9 warns (always) that its httpx client will move to the httpx2 package; httpx is what this
    # project and Litestar's test client use. The warning would print on every ``prefcenter`` command.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

from prefcenter.core.normalise import InvalidIdentity
from prefcenter.core.staff_rules import normalise_staff_email, sso_role
from prefcenter.errors import NotFound, Unauthorized
from prefcenter.settings import StaffSettings
from prefcenter.staff.service import find_by_email, staff_actor
from prefcenter.staff.sign_in import record_failure, record_sign_in
from prefcenter.store.models_staff import StaffMember

if TYPE_CHECKING:
    from prefcenter.context import AppContext

STATE_PURPOSE = "sso-state"
STATE_TTL_SECONDS = 600
STATE_COOKIE = "prefcenter_sso"
CALLBACK_PATH = "/admin/sso/callback"
SCOPE = "openid email profile"
REFUSED = "single sign-on did not sign you in; ask an admin to add you as staff"


class SsoNotConfigured(NotFound):
    """PREFCENTER_OIDC_ISSUER is not set: the single sign-on routes do not exist."""


class OpenIdProvider(AsyncOAuth2Mixin, AsyncOpenIDMixin, BaseApp):
    """authlib's async OAuth 2 + OpenID client app (as its Starlette integration builds it), framework-free."""

    client_cls = AsyncOAuth2Client


_providers: dict[tuple[str, str], OpenIdProvider] = {}  # per issuer and client: discovery and JWKS cached


def provider(settings: StaffSettings) -> OpenIdProvider:
    if not settings.sso_enabled:
        raise SsoNotConfigured("single sign-on is not configured (PREFCENTER_OIDC_ISSUER)")
    key = (str(settings.oidc_issuer), str(settings.oidc_client_id))
    if key not in _providers:
        _providers[key] = OpenIdProvider(
            None,
            name="prefcenter",
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            server_metadata_url=f"{settings.oidc_issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "timeout": 10},
        )
    return _providers[key]


async def _discovered(ctx: AppContext, client: OpenIdProvider) -> None:
    metadata = await client.load_server_metadata()
    if metadata.get("issuer", "").rstrip("/") != ctx.settings.staff.oidc_issuer:
        # OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer it was fetched for
        raise Unauthorized("the identity provider's discovery document names another issuer")


@dataclass(frozen=True)
class SsoStart:
    url: str  # the provider's authorization endpoint, to redirect the browser to
    state_token: str  # for the STATE_COOKIE: state, nonce and PKCE verifier, signed, 10 minutes


@dataclass(frozen=True)
class SsoResult:
    member: StaffMember
    role: str


def callback_url(ctx: AppContext) -> str:
    return ctx.settings.server.public_url + CALLBACK_PATH


async def start(ctx: AppContext) -> SsoStart:
    client = provider(ctx.settings.staff)
    try:
        await _discovered(ctx, client)
        made = await client.create_authorization_url(callback_url(ctx))
    except (httpx.HTTPError, AuthlibBaseError, RuntimeError, ValueError) as exc:
        raise Unauthorized(f"the identity provider cannot be reached: {type(exc).__name__}") from exc
    token, _ttl = ctx.tokens.purpose_token(
        STATE_PURPOSE, made["state"], STATE_TTL_SECONDS, nonce=made["nonce"], verifier=made["code_verifier"]
    )
    return SsoStart(url=made["url"], state_token=token)


async def finish(ctx: AppContext, code: str | None, state: str | None, state_token: str | None) -> SsoResult:
    """The person signed in by the provider and the role granted, or Unauthorized (audited when it was a
    person the provider vouched for)."""
    if not state_token or not state or not code:
        raise Unauthorized("single sign-on was not started here, or it was cancelled; start again")
    saved = ctx.tokens.verify_purpose(state_token, STATE_PURPOSE)
    if not hmac.compare_digest(str(saved["sub"]), state):
        raise Unauthorized("single sign-on state does not match; start again")
    client = provider(ctx.settings.staff)
    try:
        token = await client.fetch_access_token(
            redirect_uri=callback_url(ctx), code=code, code_verifier=saved["verifier"]
        )
        claims = await client.parse_id_token(token, nonce=saved["nonce"])
    except (httpx.HTTPError, AuthlibBaseError, JoseError, RuntimeError, ValueError, KeyError) as exc:
        raise Unauthorized(f"single sign-on failed: {type(exc).__name__}") from exc
    if claims is None:
        raise Unauthorized("the identity provider sent no ID token")
    return await _admit(ctx, dict(claims))


async def _admit(ctx: AppContext, claims: dict) -> SsoResult:
    email = claims.get("email")
    if not isinstance(email, str) or claims.get("email_verified") is False:
        await record_failure(ctx, None, "sso", "no_verified_email")
        raise Unauthorized(REFUSED)
    async with ctx.db.read_session() as session:
        member = await find_by_email(session, email)
    role_claim = ctx.settings.staff.oidc_role_claim
    role = sso_role(claims.get(role_claim) if role_claim else None, member.role if member else None)
    if member is not None and member.disabled:
        await record_failure(ctx, member, "sso", "disabled")
        raise Unauthorized(REFUSED)
    if role is None:
        await record_failure(ctx, None, "sso", "not_staff")
        raise Unauthorized(REFUSED)
    if member is None:
        member = await _provision(ctx, email, str(claims.get("name") or email), role)
    await record_sign_in(ctx, member, "sso", role=role)
    return SsoResult(member=member, role=role)


async def _provision(ctx: AppContext, email: str, name: str, role: str) -> StaffMember:
    """A person the provider grants a role to, first seen here: their account, made just in time."""
    try:
        normalised = normalise_staff_email(email)
    except InvalidIdentity:
        raise Unauthorized(REFUSED) from None
    async with ctx.unit_of_work() as uow:
        member = StaffMember(
            id=str(uuid.uuid4()),
            email=normalised,
            name=name[:200],
            role=role,
            disabled=False,
            time_zone="UTC",
            created_at=uow.now,
            updated_at=uow.now,
        )
        uow.session.add(member)
        await uow.session.flush()
        await uow.append_event(
            "staff.created",
            actor=staff_actor(member),
            data={"staff_id": member.id, "role": role, "via": "sso"},
        )
    return member
