"""The profile: everything the preference center shows about one subject (settings, preferences, current
consents), composed from the subjects and consents areas, from the rows of one profile read
(``store/profile_reads.py``): committed state through the projection reader, or a write's own state through
its session."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.catalog.service import catalog_at
from prefcenter.consents.schemas import ConsentRead, PreferenceCenterRead, ProfileRead
from prefcenter.errors import NotFound
from prefcenter.keys import KeyMaterial
from prefcenter.store.database import Database
from prefcenter.store.projection_rows import ProfileRows, ProjectionReader
from prefcenter.store.projections import projection_reader
from prefcenter.store.unit_of_work import UnitOfWork
from prefcenter.store.write_statements import transaction_statements
from prefcenter.subjects.schemas import PreferenceRead, SettingsRead
from prefcenter.subjects.service import subject_from_rows


def profile_read(keys: KeyMaterial, rows: ProfileRows) -> ProfileRead:
    subject = rows.subject
    return ProfileRead(
        subject=subject_from_rows(keys, rows),
        revision=subject.revision,
        settings=SettingsRead(
            do_not_contact=subject.do_not_contact,
            preferred_channel=subject.preferred_channel,
            language=subject.language,
            frequency=subject.frequency,
        ),
        preferences=[PreferenceRead(*p) for p in rows.preferences],
        consents=[ConsentRead(*c) for c in rows.consents],
    )


def _known(subject_id: str) -> None:
    try:
        uuid.UUID(subject_id)
    except ValueError:
        raise NotFound(f"no subject {subject_id}") from None


async def read_profile(reader: ProjectionReader, keys: KeyMaterial, subject_id: str) -> ProfileRead:
    """The committed profile (GET): one read through the projection reader, no session."""
    _known(subject_id)
    rows = await reader.profile(subject_id)
    if rows is None:
        raise NotFound(f"no subject {subject_id}")
    return profile_read(keys, rows)


async def read_preference_center(
    db: Database, keys: KeyMaterial, subject_id: str, company_name: str, locale: str
) -> PreferenceCenterRead:
    """The committed profile and the catalog in ``locale`` (the widget's first paint): the catalog version
    comes with the profile's rows (one snapshot), so the kept catalog costs no statement of its own."""
    _known(subject_id)
    rows = await projection_reader(db).profile(subject_id)
    if rows is None:
        raise NotFound(f"no subject {subject_id}")
    catalog = await catalog_at(db, rows.catalog_version, company_name, locale)
    return PreferenceCenterRead(catalog=catalog, profile=profile_read(keys, rows))


async def read_profile_in(session: AsyncSession, keys: KeyMaterial, subject_id: str) -> ProfileRead:
    """The profile as ``session`` sees it: a write answering with what it just changed (its request
    transaction may not have committed yet)."""
    _known(subject_id)
    rows = await (await transaction_statements(session)).profile(subject_id)
    if rows is None:
        raise NotFound(f"no subject {subject_id}")
    return profile_read(keys, rows)


async def written_profile(uow: UnitOfWork, subject_id: str) -> ProfileRead:
    """A write's answer: the state its commit makes, without a second transaction (and on PostgreSQL a
    second connection checkout) after it (``UnitOfWork.profile_rows``)."""
    _known(subject_id)
    rows = await uow.profile_rows(subject_id)
    if rows is None:
        raise NotFound(f"no subject {subject_id}")
    return profile_read(uow.keys, rows)
