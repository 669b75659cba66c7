"""Senders: SMTP (configured by settings) or, when no SMTP host is set, a maildir under ``var/mail``."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol

from prefcenter.private_files import open_private
from prefcenter.settings import MailSettings


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    html: str | None = None


class Sender(Protocol):
    async def send(self, message: Message) -> None: ...


def _email(message: Message, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">") or "prefcenter.local")
    email.set_content(message.text)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    return email


class SmtpSender:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    def _send_sync(self, email: EmailMessage) -> None:
        s = self.settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout_seconds) as smtp:
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password or "")
            smtp.send_message(email)

    async def send(self, message: Message) -> None:
        await asyncio.to_thread(self._send_sync, _email(message, self.settings.sender))


class MaildirSender:
    """Development delivery: each message is written as an .eml file, so `make run` works without SMTP."""

    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = directory
        self.sender = sender

    async def send(self, message: Message) -> None:
        path = self.directory / f"{uuid.uuid4().hex}.eml"
        with open_private(path, "wb", exclusive=True) as out:  # 0600 in a 0700 directory: personal data
            out.write(bytes(_email(message, self.sender)))


def sender_from_settings(settings: MailSettings, var_dir: Path) -> Sender:
    if settings.smtp_host:
        return SmtpSender(settings)
    return MaildirSender(var_dir / "mail", settings.sender)
