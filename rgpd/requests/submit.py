"""A citizen's web submission, end to end: store → verification e-mail → discard on failure.

This is the library call the intake server makes (issue 16: no orchestration in
the Flask layer); another front end (a kiosk, a batch import of a partner's
forms) makes the same call and gets the same guarantees:

* the request is stored in one transaction, retried whole a bounded number of
  times when it lost a lock race (:func:`rgpd.storage.db.retry_busy`), so a busy
  database never stores it twice and never half;
* the verification link is built from the configured public base URL only —
  never from a request's ``Host`` header (issue 13 item 3: Host-header injection
  would make the commune's own mail server send phishing links);
* if the e-mail cannot be sent, the stored submission is discarded again
  (audited), so nothing is kept about a person who was told "nothing recorded".

:func:`confirm` is the other half: the link is consumed once (one conditional
UPDATE, :mod:`rgpd.requests.tokens`) and the acknowledgement is mailed once.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from rgpd.errors import RgpdError
from rgpd.requests import letters, service, tokens
from rgpd.requests.intake import Submission
from rgpd.requests.mailer import Mail, Mailer, MailError
from rgpd.storage.db import retry_busy
from rgpd.workspace import Workspace

log = logging.getLogger(__name__)


class VerificationNotSent(MailError):
    """The verification e-mail could not be sent; the submission was discarded."""


@dataclass(frozen=True, slots=True)
class Received:
    reference: str
    email: str


@dataclass(frozen=True, slots=True)
class Confirmed:
    record: service.RequestRecord
    acknowledged: bool  # the acknowledgement e-mail was handed to the mail server


def link(base_url: str, path: str) -> str:
    """An absolute link on the configured public URL (never on the request's Host)."""
    return base_url.rstrip("/") + path


def receive(
    ws: Workspace, org: str, sub: Submission, *, mailer: Mailer, base_url: str, lang: str
) -> Received:
    """Store a web submission and e-mail its verification link; nothing kept if mail fails."""
    done = retry_busy(lambda: service.submit(ws, org, sub))
    assert done.verify_secret is not None  # web submissions always wait for their e-mail
    ref = done.record.reference
    try:
        token = tokens.sign_link(ws, tokens.VERIFY_EMAIL, org, done.verify_secret)
        # the letter is composed from what the citizen just sent: no need to open the
        # sealed copy again (and no "read" entry in the log for the server's own mail)
        record = dataclasses.replace(done.record, submission=sub)
        letter = letters.compose(
            service.organisation(ws, org),
            record,
            letters.LetterKind.VERIFICATION,
            activities=service.offered_activities(ws, org),
            lang=lang,
            link=link(base_url, f"/o/{org}/verify/{token}"),
            today=service.local_today(ws),
        )
        mailer.send(Mail(sub.email, letter.subject, letter.text))
    except (MailError, RgpdError) as exc:
        retry_busy(
            lambda: service.discard(ws, org, ref, why="verification e-mail failed"), attempts=8
        )
        raise VerificationNotSent(exc.__class__.__name__) from exc
    return Received(ref, sub.email)


def confirm(ws: Workspace, org: str, secret: str, *, mailer: Mailer, lang: str) -> Confirmed:
    """Consume a verification link once; the request becomes visible and is acknowledged.

    Raises :class:`tokens.LinkRefused` for an unknown, expired or used link. The
    acknowledgement e-mail is best effort: the request is recorded either way and
    the page the citizen sees is the proof of receipt.
    """
    record = retry_busy(lambda: service.confirm_email(ws, org, secret))
    acknowledged = False
    try:
        full = service.get(ws, org, record.reference, reveal=True)
        ack = letters.compose(
            service.organisation(ws, org),
            full,
            letters.LetterKind.ACKNOWLEDGEMENT,
            activities=service.offered_activities(ws, org),
            lang=lang,
            today=service.local_today(ws),
        )
        if ack.to:
            mailer.send(Mail(ack.to, ack.subject, ack.text))
            acknowledged = True
    except (MailError, RgpdError) as exc:
        log.warning("acknowledgement not e-mailed: %s", exc.__class__.__name__)
    return Confirmed(record, acknowledged)
