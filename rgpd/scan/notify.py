"""The end-of-run e-mail to the DPO: new findings, new contradictions with the register, errors.

:func:`compose_summary` builds the message (no I/O: text from a run result, in
the configured language, French by default); :func:`send_summary` hands it to
the configured SMTP server with ``smtplib``. The message carries masked
information only: sources, entity types, shares — never a detected value.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections import Counter
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from rgpd import labels
from rgpd.config import Settings, Smtp
from rgpd.errors import ConfigError, SourceUnreachable
from rgpd.i18n import _, _n, format_date, format_percent, use_language

#: Lines listed per section (the counts stay complete).
MAX_LINES = 50


def compose_summary(result: Any, settings: Settings, *, lang: str = "fr") -> EmailMessage:
    """The summary of a :class:`~rgpd.scan.profiles.ProfileRunResult` as an e-mail."""
    with use_language(lang):
        subject, body = _text(result)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = settings.smtp.sender
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=settings.smtp.sender.rsplit("@", 1)[-1] or None)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
    msg.set_content(body, charset="utf-8")
    return msg


def _status_word(code: int) -> str:
    return {
        0: _("clean"),
        1: _("findings"),
        3: _("errors"),
        5: _("clean, some files unreadable by design"),
    }.get(code, str(code))


def _source_line(src: Any) -> str:
    kind = _("files") if src.kind == "files" else _("database")
    return f"  - {kind} {src.name}{_(': ')}{labels.scan_status(src.status)}"


def _text(r: Any) -> tuple[str, str]:
    code = r.exit_code
    subject = _(
        "[rgpd] {profile} ({org}): {status} — {findings}, {contradictions}, {errors}",
        profile=r.profile,
        org=r.org,
        status=_status_word(code),
        findings=_n("{n} new finding", "{n} new findings", len(r.new_findings)),
        contradictions=_n(
            "{n} contradiction with the register",
            "{n} contradictions with the register",
            len(r.contradictions),
        ),
        errors=_n("{n} error", "{n} errors", len(r.errors)),
    )
    lines: list[str] = [
        _(
            "Scan profile {profile} for {org}, run #{run}",
            profile=r.profile,
            org=r.org,
            run=r.run_id,
        ),
        _(
            "Started {start}, finished {end}.",
            start=format_date(r.started_at),
            end=format_date(r.finished_at),
        ),
        "",
        _("Sources scanned:"),
    ]
    lines += [_source_line(src) for src in r.sources]
    failed = [s for s in r.sources if s.status != "completed"]
    if failed:
        lines += [
            "",
            _("Sources that could not be read (the run is NOT complete):"),
            *(_source_line(s) for s in failed),
        ]
    lines += [
        "",
        _(
            "New findings: {n} (personal data found now, not seen before; {total} findings in "
            "the sources of this run)",
            n=len(r.new_findings),
            total=r.findings_total,
        ),
    ]
    by_entity = Counter(f.entity_type for f in r.new_findings)
    if by_entity:
        lines.append("  " + labels.counts("entity", dict(by_entity)))
    for f in r.new_findings[:MAX_LINES]:
        flag = _(" [special category, Art. 9]") if f.special_category else ""
        share = f" ({format_percent(f.ratio)})" if f.ratio is not None else ""
        lines.append(f"  - {labels.entity(f.entity_type)}{flag}{share}{_(': ')}{f.source}")
    if len(r.new_findings) > MAX_LINES:
        lines.append(_("  ... and {n} more", n=len(r.new_findings) - MAX_LINES))
    lines += [
        "",
        _(
            "Contradictions with the register: {n} ({new} new, {resolved} resolved since the "
            "last run)",
            n=len(r.contradictions),
            new=len(r.new_contradictions),
            resolved=r.resolved_contradictions,
        ),
    ]
    for c in r.new_contradictions[:MAX_LINES]:
        who = f" [{c.activity_ref}]" if c.activity_ref else ""
        lines.append(f"  - {c.article}{who} {c.message}")
    if len(r.new_contradictions) > MAX_LINES:
        lines.append(_("  ... and {n} more", n=len(r.new_contradictions) - MAX_LINES))
    lines += ["", _("Errors: {n}", n=len(r.errors))]
    for e in r.errors[:MAX_LINES]:
        lines.append(f"  - {e.source}{_(': ')}{labels.error_reason(e.reason)} — {e.message}")
    if len(r.errors) > MAX_LINES:
        lines.append(_("  ... and {n} more", n=len(r.errors) - MAX_LINES))
    lines += [
        "",
        _("Details: rgpd --org {org} findings list; rgpd --org {org} reconcile", org=r.org),
        _("This message was sent automatically by rgpd; it holds no detected value."),
    ]
    return subject, "\n".join(lines) + "\n"


def send_summary(
    smtp: Smtp, recipients: list[str], msg: EmailMessage, *, timeout: float = 30
) -> None:
    """Deliver through the configured server; problems become ``SourceUnreachable``."""
    if not recipients:
        return
    password: str | None = None
    if smtp.password_env:
        password = os.environ.get(smtp.password_env)
        if password is None:
            raise ConfigError(_("SMTP password variable {name} is not set", name=smtp.password_env))
    if "To" not in msg:
        msg["To"] = ", ".join(recipients)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as server:
            if smtp.starttls:
                server.starttls(context=ssl.create_default_context())
            if smtp.username and password is not None:
                server.login(smtp.username, password)
            refused = server.send_message(msg, from_addr=smtp.sender, to_addrs=recipients)
    except (OSError, smtplib.SMTPException) as exc:
        raise SourceUnreachable(
            _(
                "cannot send the summary through {host}:{port}: {error}",
                host=smtp.host,
                port=smtp.port,
                error=type(exc).__name__,
            )
        ) from exc
    if refused:
        raise SourceUnreachable(
            _n(
                "the SMTP server refused {n} recipient",
                "the SMTP server refused {n} recipients",
                len(refused),
            )
        )
