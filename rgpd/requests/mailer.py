"""Outgoing e-mail: one small interface, an SMTP implementation, and a fake for tests.

The server and the CLI take a :class:`Mailer`; tests pass :class:`FakeMailer`
and read what would have been sent. Message bodies carry personal data (the
person's name, the reference), so nothing here logs them.
"""

from __future__ import annotations

import os
import secrets
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol

from rgpd.config import Smtp
from rgpd.errors import ConfigError, RgpdError
from rgpd.i18n import _


class MailError(RgpdError):
    """The message could not be handed to the mail server (exit 4, like storage)."""

    exit_code = 4


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes
    mime: str = "application/pdf"


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None


class Mailer(Protocol):
    def send(self, mail: Mail) -> None: ...


def build_message(mail: Mail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or None)
    msg["Auto-Submitted"] = "auto-generated"
    if mail.reply_to:
        msg["Reply-To"] = mail.reply_to
    msg.set_content(mail.text)
    for a in mail.attachments:
        maintype, _sep, subtype = a.mime.partition("/")
        msg.add_attachment(a.content, maintype=maintype, subtype=subtype, filename=a.filename)
    return msg


@dataclass
class SmtpMailer:
    """Sends through ``[smtp]`` of rgpd.toml; the password comes from ``password_env``."""

    config: Smtp
    timeout: float = 30.0

    def send(self, mail: Mail) -> None:
        msg = build_message(mail, self.config.sender)
        password = None
        if self.config.username:
            if not self.config.password_env or self.config.password_env not in os.environ:
                raise ConfigError(
                    _("smtp: username given but no password: set password_env and that variable")
                )
            password = os.environ[self.config.password_env]
        try:
            with smtplib.SMTP(self.config.host, self.config.port, timeout=self.timeout) as smtp:
                if self.config.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.config.username and password is not None:
                    smtp.login(self.config.username, password)
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            # the recipient address is personal data: not in the message
            raise MailError(
                _(
                    "cannot send e-mail through {host}:{port}: {error}",
                    host=self.config.host,
                    port=self.config.port,
                    error=exc.__class__.__name__,
                )
            ) from exc


@dataclass
class DirectoryMailer:
    """Writes each message as an ``.eml`` file (demos, browser tests, air-gapped installs).

    Files are created 0600: they hold the person's name and the one-time links.
    """

    directory: Path
    sender: str = "rgpd@localhost"

    def send(self, mail: Mail) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{secrets.token_hex(4)}.eml"
        fd = os.open(self.directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(bytes(build_message(mail, self.sender)))


@dataclass
class FakeMailer:
    """Keeps messages in memory; ``fail=True`` simulates a mail server that is down."""

    sent: list[Mail] = field(default_factory=list)
    fail: bool = False

    def send(self, mail: Mail) -> None:
        if self.fail:
            raise MailError("fake mail server is down")
        self.sent.append(mail)

    def last_to(self, address: str) -> Mail:
        for m in reversed(self.sent):
            if m.to == address:
                return m
        raise LookupError(f"no mail to {address}")
