"""Site use cases. Every change is audited (``site.set``, ``site.deleted``)."""

from __future__ import annotations

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.core.contrast import AA_NORMAL_TEXT, WHITE, contrast_ratio
from prefcenter.errors import Conflict, InvalidInput, NotFound
from prefcenter.sites.origins import canonical_origin
from prefcenter.sites.schemas import SiteBranding, SiteRead, SiteWrite
from prefcenter.store.models_sites import Site
from prefcenter.store.unit_of_work import Actor, UnitOfWork


def canonical_origins(origins: list[str]) -> list[str]:
    """Each origin in canonical form, duplicates dropped, order kept; ``InvalidInput`` names a bad one."""
    seen: dict[str, None] = {}
    for text in origins:
        try:
            seen.setdefault(canonical_origin(text))
        except ValueError as exc:
            raise InvalidInput(str(exc), origin=text) from exc
    return list(seen)


async def put_site(uow: UnitOfWork, actor: Actor, key: str, body: SiteWrite) -> SiteRead:
    name = body.name.strip()
    if not name:
        raise InvalidInput("a site needs a name")
    origins = canonical_origins(body.origins)
    branding = body.branding or SiteBranding()
    if branding.accent_colour and contrast_ratio(branding.accent_colour, WHITE) < AA_NORMAL_TEXT:
        ratio = contrast_ratio(branding.accent_colour, WHITE)
        raise InvalidInput(
            f"accent colour {branding.accent_colour} has {ratio:.2f}:1 contrast with white text; "
            f"buttons and links need {AA_NORMAL_TEXT}:1 (WCAG AA): choose a darker colour",
            field="branding.accent_colour",
        )
    others = (await uow.session.execute(select(Site).where(Site.key != key))).scalars()
    for other in others:
        taken = sorted(set(origins) & set(other.origins))
        if taken:
            raise Conflict(
                f"origin {taken[0]} belongs to site {other.key} already; remove it there first",
                site=other.key,
            )
    site = await uow.session.get(Site, key)
    created = site is None
    if site is None:
        site = Site(key=key, created_at=uow.now)
        uow.session.add(site)
    site.name, site.origins, site.touchpoint, site.updated_at = name, origins, body.touchpoint, uow.now
    site.company_name, site.logo_url = branding.company_name, branding.logo_url
    site.accent_colour = branding.accent_colour.lower() if branding.accent_colour else None
    await uow.append_event(
        "site.set",
        actor=actor,
        data={
            "key": key,
            "name": name,
            "origins": origins,
            "touchpoint": body.touchpoint,
            "branding": msgspec.to_builtins(branding_of(site)),
            "created": created,
        },
    )
    return site_read(site)


async def delete_site(uow: UnitOfWork, actor: Actor, key: str) -> None:
    site = await uow.session.get(Site, key)
    if site is None:
        raise NotFound(f"no site {key}")
    await uow.session.delete(site)
    await uow.append_event("site.deleted", actor=actor, data={"key": key, "origins": list(site.origins)})


async def get_site(session: AsyncSession, key: str) -> SiteRead:
    site = await session.get(Site, key)
    if site is None:
        raise NotFound(f"no site {key}")
    return site_read(site)


async def list_sites(session: AsyncSession) -> list[SiteRead]:
    return [site_read(s) for s in (await session.execute(select(Site).order_by(Site.key))).scalars()]


async def all_site_origins(session: AsyncSession) -> frozenset[str]:
    """Every origin of every site."""
    rows = (await session.execute(select(Site.origins))).scalars()
    return frozenset(origin for origins in rows for origin in origins)


def branding_of(site: Site) -> SiteBranding | None:
    """The site's branding, or None when it has none."""
    if not (site.company_name or site.logo_url or site.accent_colour):
        return None
    return SiteBranding(
        company_name=site.company_name, logo_url=site.logo_url, accent_colour=site.accent_colour
    )


def site_read(site: Site) -> SiteRead:
    return SiteRead(
        key=site.key,
        name=site.name,
        origins=list(site.origins),
        touchpoint=site.touchpoint,
        branding=branding_of(site),
        created_at=site.created_at,
        updated_at=site.updated_at,
    )
