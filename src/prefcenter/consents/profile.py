"""The profile: everything the preference center shows about one subject (settings, preferences, current
consents), composed from the subjects and consents areas."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from prefcenter.consents.schemas import ProfileRead
from prefcenter.consents.service import read_consents
from prefcenter.keys import KeyMaterial
from prefcenter.store.models import Preference
from prefcenter.subjects import service as subjects
from prefcenter.subjects.schemas import PreferenceRead, SettingsRead


async def read_profile(session: AsyncSession, keys: KeyMaterial, subject_id: str) -> ProfileRead:
    subject = await subjects.get_subject(session, subject_id)
    prefs = (
        await session.execute(
            select(Preference)
            .where(Preference.subject_id == subject_id)
            .order_by(Preference.channel, Preference.topic)
        )
    ).scalars()
    return ProfileRead(
        subject=await subjects.read_subject(session, keys, subject),
        revision=subject.revision,
        settings=SettingsRead(
            do_not_contact=subject.do_not_contact,
            preferred_channel=subject.preferred_channel,
            language=subject.language,
            frequency=subject.frequency,
        ),
        preferences=[
            PreferenceRead(channel=p.channel, topic=p.topic, status=p.status, updated_at=p.updated_at)
            for p in prefs
        ],
        consents=await read_consents(session, subject_id),
    )
