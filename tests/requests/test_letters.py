"""Letters to the person: every kind in both languages, legal mentions, PDF, escaping."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from rgpd.errors import InvalidInput
from rgpd.i18n import format_date
from rgpd.requests import intake, letters, service
from rgpd.requests.mailer import FakeMailer
from rgpd.requests.model import Channel
from rgpd.workspace import Workspace
from tests.requests.intake_fixtures import ORG, form, setup_org

SCRIPT = "<script>alert(1)</script>"


def _request(ws: Workspace, **over: object) -> service.RequestRecord:
    sub = intake.validate(
        form(**over),
        service.offered_activities(ws, ORG),
        today=service.local_today(ws),
        offered_only=False,
    )
    received = service.local_today(ws) - timedelta(days=3)
    return service.submit(ws, ORG, sub, channel=Channel.MAIL, received_on=received).record


@pytest.fixture
def rec(ws: Workspace) -> service.RequestRecord:
    setup_org(ws)
    r = _request(ws, email="lettre@example.org")
    service.start(ws, ORG, r.reference)
    service.pause(ws, ORG, r.reference, reason="Précisez l'année scolaire concernée.")
    service.resume(ws, ORG, r.reference)
    service.extend(ws, ORG, r.reference, reason="Dossiers répartis sur trois écoles.")
    service.refuse(ws, ORG, r.reference, reason="Mission de service public (art. 17(3)(b)).")
    return service.get(ws, ORG, r.reference)


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(
    "kind",
    [
        k
        for k in letters.LetterKind
        if k not in (letters.LetterKind.VERIFICATION, letters.LetterKind.IDENTITY)
    ],
)
def test_every_letter_names_the_request_and_its_dates(
    ws: Workspace, rec: service.RequestRecord, kind: letters.LetterKind, lang: str
) -> None:
    letter = letters.render_letter(ws, ORG, rec.reference, kind, lang=lang)
    assert letter.lang == lang and letter.kind is kind
    assert rec.reference in letter.subject
    assert rec.reference in letter.text
    assert format_date(rec.request.received_on, lang=lang) in letter.text
    assert letter.to == "lettre@example.org"
    assert "{{" not in letter.text and "{%" not in letter.text
    assert f'<html lang="{lang}">' in letter.html


def test_french_and_english_letters_differ(ws: Workspace, rec: service.RequestRecord) -> None:
    fr = letters.render_letter(ws, ORG, rec.reference, "refusal", lang="fr")
    en = letters.render_letter(ws, ORG, rec.reference, "refusal", lang="en")
    assert fr.text != en.text and fr.subject != en.subject


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_refusal_states_reasons_and_remedies(
    ws: Workspace, rec: service.RequestRecord, lang: str
) -> None:
    text = letters.render_letter(ws, ORG, rec.reference, "refusal", lang=lang).text
    assert "Mission de service public (art. 17(3)(b))." in text
    assert "CNIL" in text
    assert "77" in text and "79" in text  # complaint (Art. 77) and judicial remedy (Art. 79)
    assert "12" in text  # Art. 12(4)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_extension_notice_gives_reasons_and_new_date(
    ws: Workspace, rec: service.RequestRecord, lang: str
) -> None:
    text = letters.render_letter(ws, ORG, rec.reference, "extension", lang=lang).text
    assert "Dossiers répartis sur trois écoles." in text
    assert format_date(rec.deadline.due, lang=lang) in text
    assert format_date(rec.deadline.original_due, lang=lang) in text
    assert rec.deadline.due > rec.deadline.original_due


def test_clarification_quotes_the_question(ws: Workspace, rec: service.RequestRecord) -> None:
    text = letters.render_letter(ws, ORG, rec.reference, "clarification").text
    assert "Précisez l'année scolaire concernée." in text


def test_acknowledgement_gives_due_date_and_next_steps(ws: Workspace) -> None:
    setup_org(ws)
    r = _request(ws)
    for lang in ("fr", "en"):
        text = letters.render_letter(ws, ORG, r.reference, "acknowledgement", lang=lang).text
        assert format_date(r.due, lang=lang) in text
        assert format_date(r.deadline.extension_notice_due, lang=lang) in text
        assert "Restauration scolaire" in text


def test_letter_for_a_step_not_taken_is_refused(ws: Workspace) -> None:
    setup_org(ws)
    r = _request(ws)
    for kind in ("refusal", "extension", "clarification", "identity"):
        with pytest.raises(InvalidInput, match="rgpd requests"):
            letters.render_letter(ws, ORG, r.reference, kind)


def test_answer_uses_the_register_assessment(ws: Workspace) -> None:
    setup_org(ws)
    r = _request(ws, right="erasure", activities=["cantine", "newsletter"])
    text = letters.render_letter(ws, ORG, r.reference, "answer", lang="en").text
    assert "Lettre d'information" in text and "Restauration scolaire" in text
    assert "17(3)(b)" in text  # public task: not erased


def test_acting_for_someone_names_both(ws: Workspace) -> None:
    setup_org(ws)
    r = _request(
        ws,
        first_name="Léa",
        last_name="Enfant",
        requester_role="parent",
        requester_name="Paul Parent",
        requester_email="paul@example.org",
    )
    letter = letters.render_letter(ws, ORG, r.reference, "acknowledgement")
    assert letter.to == "paul@example.org"
    assert letter.text.startswith("Bonjour Paul Parent")
    assert "Léa Enfant" in letter.text


def test_pdf_is_a_real_pdf_with_the_reference(ws: Workspace, rec: service.RequestRecord) -> None:
    letter = letters.render_letter(ws, ORG, rec.reference, "refusal")
    pdf = letters.to_pdf(letter)
    assert pdf.startswith(b"%PDF-")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert rec.reference in text
    assert "CNIL" in text


def test_hostile_names_are_escaped_in_the_pdf_html(ws: Workspace) -> None:
    setup_org(ws)
    r = _request(ws, first_name=SCRIPT, last_name=SCRIPT, address=None)
    letter = letters.render_letter(ws, ORG, r.reference, "acknowledgement")
    assert SCRIPT in letter.text  # plain-text e-mail: shown as typed, never interpreted
    assert SCRIPT not in letter.html
    assert "&lt;script&gt;" in letter.html


def test_identity_request_mails_a_one_time_link(ws: Workspace) -> None:
    setup_org(ws)
    r = _request(ws, email="id@example.org")
    mailer = FakeMailer()
    res = letters.ask_identity(
        ws,
        ORG,
        r.reference,
        reason="L'adresse diffère de celle connue",
        base_url="https://rgpd.example.org/",
        mailer=mailer,
    )
    assert res.sent.mailed
    [mail] = mailer.sent
    assert mail.to == "id@example.org"
    assert res.link.startswith(f"https://rgpd.example.org/o/{ORG}/upload/")
    assert res.link in mail.text
    assert "L'adresse diffère de celle connue" in mail.text
    assert "2019-536" in mail.text  # the clock is suspended, and the letter says why


def test_mail_failure_is_reported_not_raised(ws: Workspace, rec: service.RequestRecord) -> None:
    sent = letters.send_letter(ws, ORG, rec.reference, "refusal", FakeMailer(fail=True))
    assert not sent.mailed and sent.error
    ok = letters.send_letter(ws, ORG, rec.reference, "refusal", mailer := FakeMailer(), pdf=True)
    assert ok.mailed
    assert mailer.sent[0].attachments[0].content.startswith(b"%PDF-")


def test_paper_request_without_email_is_not_mailed(ws: Workspace) -> None:
    setup_org(ws)
    sub = intake.validate(
        form(email="", address="2 rue Exemple\n99999 Exemple"),
        service.offered_activities(ws, ORG),
        today=service.local_today(ws),
        require_email=False,
        offered_only=False,
    )
    r = service.submit(ws, ORG, sub, channel=Channel.MAIL).record
    sent = letters.send_letter(ws, ORG, r.reference, "acknowledgement", FakeMailer())
    assert not sent.mailed
    assert "2 rue Exemple" in sent.letter.html


def test_due_reminder_lists_overdue_first(ws: Workspace) -> None:
    setup_org(ws)
    today = service.local_today(ws)
    old = service.submit(
        ws,
        ORG,
        intake.validate(form(), service.offered_activities(ws, ORG), today=today),
        channel=Channel.MAIL,
        received_on=today - timedelta(days=60),
    ).record
    records = service.due_this_week(ws, ORG, today=today)
    mail = letters.due_reminder(service.organisation(ws, ORG), records, today=today, lang="en")
    assert mail is not None and mail.to == f"dpo@{ORG}.example.org"
    assert old.reference in mail.text and "OVERDUE" in mail.text
    assert letters.due_reminder(service.organisation(ws, ORG), [], today=today) is None
