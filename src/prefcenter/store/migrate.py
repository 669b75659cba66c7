"""Schema migrations through Alembic (the only way the schema is created)."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.config import Config

from prefcenter.store.database import keep_sqlite_files_private, sqlite_file


def migrations_dir() -> Path:
    configured = os.environ.get("PREFCENTER_MIGRATIONS_DIR")
    if configured:
        return Path(configured)
    # repo layout (editable install, Docker image): <root>/src/prefcenter/store/migrate.py -> <root>/migrations
    return Path(__file__).resolve().parents[3] / "migrations"


def alembic_config(url: str) -> Config:
    """Alembic's configuration for the database at ``url`` (a SQLAlchemy URL)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d-%%(slug)s")
    path = sqlite_file(url)
    if path is not None:
        keep_sqlite_files_private(path)
    return config


def _outside_event_loop(fn, *args) -> None:
    """Alembic's env runs its own event loop; from inside a running loop, run it on a helper thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        fn(*args)
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(fn, *args).result()


def upgrade(url: str, revision: str = "heads", keys: object | None = None) -> None:
    """Upgrade the schema of the database at ``url``. Data migrations that decrypt (re-hashing identities)
    read ``keys`` (the key settings, handed through to them as they are), else the key settings of the
    environment, and only when there is data."""
    config = alembic_config(url)
    config.attributes["key_settings"] = keys
    _outside_event_loop(command.upgrade, config, revision)


def downgrade(url: str, revision: str) -> None:
    _outside_event_loop(command.downgrade, alembic_config(url), revision)


def current(url: str) -> None:
    command.current(alembic_config(url), verbose=False)
