"""Which web origins may embed the widget: every site's origins, ``PREFCENTER_CORS_ORIGINS`` and our own URL."""

from __future__ import annotations

from contextlib import suppress
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.errors import Forbidden, InvalidInput
from prefcenter.settings import Settings
from prefcenter.sites.origins import canonical_origin
from prefcenter.sites.service import all_site_origins
from prefcenter.store.models_sites import Site


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def allowed_origins(settings: Settings, site_origins: frozenset[str] = frozenset()) -> frozenset[str]:
    """The configured origins, the sites' and our own; empty when none are (the embedded development default)."""
    configured = set(settings.server.cors_origins)
    for origin in settings.server.cors_origins:
        with suppress(ValueError):
            configured.add(canonical_origin(origin))
    if not configured and not site_origins:
        return frozenset()
    return frozenset({*configured, *site_origins, origin_of(settings.server.public_url)})


async def ensure_origin_allowed(
    session: AsyncSession, settings: Settings, origin: str | None, site_key: str | None = None
) -> tuple[str | None, Site | None]:
    """The origin to bind a widget token to (canonical) and the site it belongs to, or an error.

    With a site, the origin must be one of that site's. Without, it must be a site's, configured in
    ``PREFCENTER_CORS_ORIGINS`` or our own; any origin may be bound while neither sites nor that list exist.
    """
    canonical = None
    if origin is not None:
        try:
            canonical = canonical_origin(origin)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
    if site_key is not None:
        site = await session.get(Site, site_key)
        if site is None:
            raise InvalidInput(f"no site {site_key}; create it with PUT /v1/sites/{site_key}", reason="site")
        if canonical is None:
            raise InvalidInput("a widget token for a site needs the page's origin")
        if canonical not in site.origins:
            raise Forbidden(
                f"origin {canonical} is not one of site {site_key}'s origins; add it with PUT /v1/sites/{site_key}",
                reason="origin",
            )
        return canonical, site
    if canonical is None:
        return None, None
    allowed = allowed_origins(settings, await all_site_origins(session))
    if allowed and canonical not in allowed:
        raise Forbidden(
            f"origin {canonical} may not embed the widget; add it to a site (PUT /v1/sites/{{key}}) "
            "or to PREFCENTER_CORS_ORIGINS",
            reason="origin",
        )
    return canonical, None
