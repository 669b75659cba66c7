"""The schema comes only from Alembic migrations, and the migrated schema equals the models, on both engines."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from prefcenter.store import migrate
from prefcenter.store.schema import metadata


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine_name(request):
    return request.param


def _diff(sync_conn):
    dialect = sync_conn.dialect.name

    def for_this_engine(obj, _name, _type, reflected, _compare_to) -> bool:
        # an index declared for one engine only (``Index(...).ddl_if(dialect=...)``); autogenerate ignores ddl_if
        condition = getattr(obj, "_ddl_if", None)
        return reflected or condition is None or condition.dialect in (None, dialect)

    context = MigrationContext.configure(
        sync_conn,
        opts={"compare_type": True, "compare_server_default": False, "include_object": for_this_engine},
    )
    return compare_metadata(context, metadata)


async def test_migrated_schema_matches_the_models(new_backend, engine_name):
    settings = new_backend(engine_name)
    engine = create_async_engine(settings.database.url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff)
    finally:
        await engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


async def test_downgrade_to_base_and_upgrade_again(new_backend, engine_name):
    settings = new_backend(engine_name)
    migrate.downgrade(settings.database.url, "base")
    engine = create_async_engine(settings.database.url)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()) - {"alembic_version"})
        assert tables == set()
        migrate.upgrade(settings.database.url)
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert set(metadata.tables) <= tables
    finally:
        await engine.dispose()
