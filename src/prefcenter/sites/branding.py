"""Which company a customer-facing page or email speaks for: the site's branding, else the company settings.

Links carry the site they belong to, signed (a ``site`` claim in manage and confirm links, the site's key in
an unsubscribe token); a consent given in the widget belongs to its token's site, else to the site its
token's origin is served from.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.store.models_sites import Site


@dataclass(frozen=True, slots=True)
class Branding:
    company: str
    logo_url: str | None = None
    accent_colour: str | None = None
    site: str | None = None  # the site's key, carried on to the links a page or email makes


async def branding_for(session: AsyncSession, default_company: str, site_key: object = None) -> Branding:
    """The branding of site ``site_key`` (unknown or none: the company settings' name, no logo)."""
    site = await session.get(Site, site_key) if isinstance(site_key, str) and site_key else None
    if site is None:
        return Branding(company=default_company)
    return Branding(
        company=site.company_name or default_company,
        logo_url=site.logo_url,
        accent_colour=site.accent_colour,
        site=site.key,
    )


async def site_of_origin(session: AsyncSession, origin: str | None) -> str | None:
    """The key of the site served from ``origin`` (canonical), if any."""
    if not origin:
        return None
    for key, origins in (await session.execute(select(Site.key, Site.origins))).all():
        if origin in origins:
            return key
    return None
