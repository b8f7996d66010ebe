"""Letters to the person: acknowledgement, clarification or identity request, extension
notice, answer and reasoned refusal — as e-mail text and as PDF.

Each letter is a whole Jinja2 document per language (``templates/letters/<kind>.<lang>.txt.j2``)
rather than gettext fragments: a letter with legal effect is read and approved as
a whole by the DPO, in each language. The template sets ``subject`` at top level;
the body is plain text (e-mail), and the PDF wraps the same paragraphs in a
letterhead (``letter.html.j2``, escaped), so both versions always say the same.

What each letter must say, and where it comes from:

* acknowledgement: reference, right, due date and what happens next (Art. 12(3));
* identity: the reasonable doubt (Art. 12(6)), the suspension of the time limit
  (décret n° 2019-536), that a copy is deleted once checked (CNIL);
* clarification: what is unclear (Recital 63);
* extension: the reasons and the new date, within the first month (Art. 12(3));
* refusal: the reasons and the right to complain to the CNIL (Art. 77) and to
  seek a judicial remedy (Art. 79), as Art. 12(4) requires;
* answer: the proposed text of :mod:`rgpd.requests.rights` per activity, for the
  DPO to complete.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from rgpd.errors import InvalidInput, RgpdError
from rgpd.i18n import _, _n, format_date, use_language
from rgpd.registry.model import Activity, Organisation
from rgpd.requests import rights
from rgpd.requests.mailer import Attachment, Mail, Mailer
from rgpd.requests.model import Action, RequesterRole
from rgpd.requests.service import RequestRecord

TEMPLATE_DIR = Path(__file__).parent / "templates" / "letters"
LANGS = ("fr", "en")


class LetterKind(StrEnum):
    VERIFICATION = "verification"  # web only: confirm the e-mail address
    ACKNOWLEDGEMENT = "acknowledgement"
    IDENTITY = "identity"
    CLARIFICATION = "clarification"
    EXTENSION = "extension"
    ANSWER = "answer"
    REFUSAL = "refusal"


#: The action whose recorded reason a letter quotes, and which must have happened.
_NEEDS: dict[LetterKind, Action] = {
    LetterKind.IDENTITY: Action.ASK_IDENTITY,
    LetterKind.CLARIFICATION: Action.ASK_CLARIFICATION,
    LetterKind.EXTENSION: Action.EXTEND,
    LetterKind.REFUSAL: Action.REFUSE,
}

_COMMAND: dict[LetterKind, str] = {
    LetterKind.IDENTITY: "ask-identity --reason",
    LetterKind.CLARIFICATION: "pause --reason",
    LetterKind.EXTENSION: "extend --reason",
    LetterKind.REFUSAL: "refuse --reason",
}


@dataclass(frozen=True, slots=True)
class Letter:
    kind: LetterKind
    lang: str
    reference: str
    to: str | None  # e-mail address, None for paper-only requests
    subject: str
    text: str
    html: str

    @property
    def filename(self) -> str:
        return f"{self.reference}-{self.kind.value}-{self.lang}.pdf"


@cache
def _env(autoescape: bool) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _paragraphs(text: str) -> list[list[str]]:
    """Blank-line separated paragraphs, each a list of lines (for the PDF layout)."""
    paras: list[list[str]] = []
    for block in text.strip().split("\n\n"):
        lines = [ln.rstrip() for ln in block.strip("\n").split("\n")]
        if any(lines):
            paras.append(lines)
    return paras


def compose(
    org: Organisation,
    record: RequestRecord,
    kind: LetterKind | str,
    *,
    activities: Sequence[Activity],
    lang: str | None = None,
    link: str | None = None,
    link_expires: datetime | None = None,
    today: date,
) -> Letter:
    """Render one letter for a revealed request record (``service.get(..., reveal=True)``).

    ``today``: the letter's date, in the organisation's time zone (``ws.today()``).
    """
    kind = LetterKind(kind)
    sub = record.submission
    if sub is None:
        raise InvalidInput("record", "letters need the revealed request (reveal=True)")
    lang = lang or record.lang or "fr"
    if lang not in LANGS:
        raise InvalidInput("lang", _("unsupported language {lang} (fr, en)", lang=lang))
    reason = ""
    if kind in _NEEDS:
        action = _NEEDS[kind]
        if not any(e.action is action for e in record.request.events):
            raise InvalidInput(
                "kind",
                _(
                    "no {kind} letter for {ref}: record it first with `rgpd requests {cmd}`",
                    kind=kind.value,
                    ref=record.reference,
                    cmd=_COMMAND[kind],
                ),
            )
        reason = record.last_reason(action)
    if kind is LetterKind.VERIFICATION and not link:
        raise InvalidInput("link", "the verification letter needs its link")
    by_ref = {a.ref: a for a in activities}
    concerned = [by_ref[r] for r in record.request.activities if r in by_ref]
    with use_language(lang):
        answer = rights.assess_request(record.type, concerned)
        granted = [
            a.proposed_text
            for a in answer.assessments
            if a.applicability is not rights.Applicability.DOES_NOT_APPLY
        ]
        refused = [
            a.proposed_text
            for a in answer.assessments
            if a.applicability is rights.Applicability.DOES_NOT_APPLY
        ]
        dl = record.deadline
        acting_for = sub.requester_role is not RequesterRole.SELF
        ctx: dict[str, Any] = {
            "org": org,
            "ref": record.reference,
            "right_label": _(record.type.label),
            "article": _(record.type.article),
            "received": format_date(record.request.received_on, lang=lang),
            "due": format_date(dl.due, lang=lang),
            "original_due": format_date(dl.original_due, lang=lang),
            "extension_notice_due": format_date(dl.extension_notice_due, lang=lang),
            "extended": dl.extended,
            "today": format_date(today, lang=lang),
            "person": sub.full_name,
            "addressee": sub.requester_name if acting_for and sub.requester_name else sub.full_name,
            "acting_for": acting_for,
            "activities": [a.name for a in concerned] or list(record.request.activities),
            "reason": reason,
            "link": link or "",
            "link_expires": format_date(link_expires, lang=lang) if link_expires else "",
            "granted": granted,
            "refused": refused,
            "dpo_name": org.dpo_name or "",
            "dpo_email": org.dpo_email or "",
            "channel": record.request.channel.value,
        }
        module = _env(False).get_template(f"{kind.value}.{lang}.txt.j2").make_module(ctx)
        text = str(module).strip() + "\n"
        subject = str(getattr(module, "subject", "")).strip() or record.reference
        html = (
            _env(True)
            .get_template("letter.html.j2")
            .render(
                lang=lang,
                org=org,
                subject=subject,
                ref=record.reference,
                today=ctx["today"],
                addressee=ctx["addressee"],
                address=sub.address,
                email=sub.contact_email,
                paragraphs=_paragraphs(text),
                labels=_labels(lang),
                logo=org.logo if (org.logo or "").startswith("data:image/") else None,
            )
        )
    return Letter(kind, lang, record.reference, sub.contact_email or None, subject, text, html)


def _labels(lang: str) -> dict[str, str]:
    if lang == "en":
        return {"subject": "Subject:", "ref": "Reference:", "dpo": "Data protection officer:"}
    return {
        "subject": "Objet\u00a0:",
        "ref": "Référence\u00a0:",
        "dpo": "Délégué à la protection des données\u00a0:",
    }


def to_pdf(letter: Letter) -> bytes:
    """The letter as PDF, offline: nothing but embedded ``data:`` images is fetched."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    no_fetch = URLFetcher(allowed_protocols={"data"})
    return bytes(HTML(string=letter.html, url_fetcher=no_fetch).write_pdf())


def render_letter(
    ws: Any,
    org: str,
    ref: str,
    kind: LetterKind | str,
    *,
    lang: str | None = None,
    link: str | None = None,
    link_expires: datetime | None = None,
) -> Letter:
    """Load the request (revealed, audited) and the register, then :func:`compose`."""
    from rgpd.requests import service

    record = service.get(ws, org, ref, reveal=True)
    return compose(
        service.organisation(ws, org),
        record,
        kind,
        activities=service.offered_activities(ws, org),
        lang=lang,
        link=link,
        link_expires=link_expires,
        today=service.local_today(ws),
    )


# --------------------------------------------------------------------------- sending


@dataclass(frozen=True, slots=True)
class Sent:
    letter: Letter
    mailed: bool
    error: str | None = None  # why it was not mailed (no address, mail server down)


def send_letter(
    ws: Any,
    org: str,
    ref: str,
    kind: LetterKind | str,
    mailer: Mailer,
    *,
    lang: str | None = None,
    link: str | None = None,
    link_expires: datetime | None = None,
    pdf: bool = False,
) -> Sent:
    """Render and e-mail one letter (PDF attached on request); never raises for the mail."""
    letter = render_letter(ws, org, ref, kind, lang=lang, link=link, link_expires=link_expires)
    if not letter.to:
        return Sent(letter, False, _("no e-mail address: print the letter and post it"))
    attachments = (Attachment(letter.filename, to_pdf(letter)),) if pdf else ()
    try:
        mailer.send(Mail(letter.to, letter.subject, letter.text, attachments))
    except RgpdError as exc:
        return Sent(letter, False, str(exc))
    return Sent(letter, True)


@dataclass(frozen=True, slots=True)
class IdentityAsked:
    record: RequestRecord
    link: str
    expires_at: datetime
    sent: Sent


def ask_identity(
    ws: Any,
    org: str,
    ref: str,
    *,
    reason: str,
    base_url: str,
    mailer: Mailer | None,
) -> IdentityAsked:
    """Record the identity request (clock suspended), then e-mail the one-time upload link.

    The step is recorded first: if the e-mail fails the agent still has the link
    to give by other means, and the letter can be sent again.
    """
    from rgpd.requests import service

    asked = service.ask_identity(ws, org, ref, reason=reason)
    token = service.sign_link(ws, "upload", org, asked.secret)
    link = f"{base_url.rstrip('/')}/o/{org}/upload/{token}"
    if mailer is None:
        letter = render_letter(
            ws, org, ref, LetterKind.IDENTITY, link=link, link_expires=asked.expires_at
        )
        sent = Sent(letter, False, _("not sent (--no-mail)"))
    else:
        sent = send_letter(
            ws, org, ref, LetterKind.IDENTITY, mailer, link=link, link_expires=asked.expires_at
        )
    return IdentityAsked(asked.record, link, asked.expires_at, sent)


def due_reminder(
    org: Organisation, records: Sequence[RequestRecord], *, today: date, lang: str = "fr"
) -> Mail | None:
    """The weekly reminder for the DPO: what must be answered by Sunday, overdue first."""
    if not org.dpo_email or not records:
        return None
    from rgpd import deadlines

    with use_language(lang):
        lines = [
            _(
                "Requests to answer by {day} for {org}:",
                day=format_date(today, lang=lang),
                org=org.name,
            ),
            "",
        ]
        for r in records:
            late = r.deadline.status is deadlines.DeadlineStatus.OVERDUE
            lines.append(
                f"- {r.reference}  {_(r.type.label)}  "
                + (
                    _("OVERDUE since {due}", due=format_date(r.due, lang=lang))
                    if late
                    else _("due {due}", due=format_date(r.due, lang=lang))
                )
                + (f"  [{r.assignee}]" if r.assignee else "")
            )
        lines += ["", _("Details: rgpd --org {slug} requests list", slug=org.slug)]
        subject = _n(
            "{n} request to answer this week — {org}",
            "{n} requests to answer this week — {org}",
            len(records),
            org=org.name,
        )
    return Mail(org.dpo_email, subject, "\n".join(lines) + "\n")
