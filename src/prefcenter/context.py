"""What request handlers, the CLI and jobs share: settings, database, keys, token issuer, origin allow-list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TypeVar

from prefcenter.auth.tokens import TokenIssuer
from prefcenter.keys import KeyMaterial, load_keys
from prefcenter.notify.sender import Sender, sender_from_settings
from prefcenter.notify.sms import TextSender, text_sender_from_settings
from prefcenter.settings import Settings
from prefcenter.sites.allow_list import OriginAllowList
from prefcenter.store.database import Database
from prefcenter.store.unit_of_work import UnitOfWork, unit_of_work, write

T = TypeVar("T")


@dataclass
class AppContext:
    settings: Settings
    db: Database
    keys: KeyMaterial
    tokens: TokenIssuer
    sender: Sender
    origins: OriginAllowList  # browsers' allowed origins: PREFCENTER_CORS_ORIGINS and every site's
    texts: TextSender  # SMS: the configured sender, or files under var/sms
    # The last whole-log verification and when it ran (audit.service.recent_verification), for pages that
    # show the log's state on every load without re-hashing a large log each time.
    last_verification: tuple | None = None

    @classmethod
    def build(cls, settings: Settings) -> AppContext:
        keys = load_keys(settings.keys)
        db = Database(settings.database.url)
        return cls(
            settings=settings,
            db=db,
            keys=keys,
            tokens=TokenIssuer(
                keys.signing_key,
                settings.auth.issuer,
                settings.auth.token_ttl_seconds,
                settings.auth.subject_token_ttl_seconds,
            ),
            sender=sender_from_settings(settings.mail, settings.var_dir),
            origins=OriginAllowList(db, settings.server.cors_origins),
            texts=text_sender_from_settings(settings.mail.sms_sender, settings.var_dir),
        )

    def unit_of_work(self) -> AbstractAsyncContextManager[UnitOfWork]:
        return unit_of_work(self.db, self.keys)

    async def write(self, use_case: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """``use_case`` in a unit of work, committed; run again when it must be (``unit_of_work.write``: on
        PostgreSQL first as one statement)."""
        return await write(self.db, self.keys, use_case)
