"""Text messages (SMS): a pluggable sender. Without one configured, each message is written as a JSON file
under ``var/sms`` (development, like ``var/mail``); production names a factory in ``PREFCENTER_SMS_SENDER``
(``package.module:factory``, called with the data directory) that returns an object with ``send``."""

from __future__ import annotations

import importlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from prefcenter.private_files import open_private


@dataclass(frozen=True)
class TextMessage:
    to: str  # E.164 phone number
    text: str


class TextSender(Protocol):
    async def send(self, message: TextMessage) -> None: ...


class DataDirTextSender:
    """Development delivery: each text is written as ``<uuid>.json`` ({"to", "text"}), owner-only."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: TextMessage) -> None:
        path = self.directory / f"{uuid.uuid4().hex}.json"
        with open_private(path, "w", exclusive=True, encoding="utf-8") as out:
            json.dump({"to": message.to, "text": message.text}, out, ensure_ascii=False)


def text_sender_from_settings(factory: str | None, var_dir: Path) -> TextSender:
    if not factory:
        return DataDirTextSender(var_dir / "sms")
    module, _, name = factory.partition(":")
    return getattr(importlib.import_module(module), name)(var_dir)
