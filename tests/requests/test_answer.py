"""Decisions taken out of the CLI: which procedure answers which right; the weekly due list."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rgpd.requests import reminders, rights, service
from rgpd.requests.intake import Submission
from rgpd.requests.mailer import FakeMailer
from rgpd.requests.model import Channel, RequestType
from rgpd.requests.rights import Procedure
from rgpd.workspace import Workspace

from .intake_fixtures import ORG, setup_org


@pytest.mark.parametrize(
    ("right", "procedure"),
    [
        (RequestType.ACCESS, Procedure.ACCESS),
        (RequestType.PORTABILITY, Procedure.ACCESS),
        (RequestType.ERASURE, Procedure.ERASURE),
        (RequestType.OBJECTION, Procedure.ERASURE),  # upheld: erased under Art. 17(1)(c)
        (RequestType.RECTIFICATION, Procedure.RECTIFICATION),
        (RequestType.RESTRICTION, Procedure.RESTRICTION),
        (RequestType.POST_MORTEM, Procedure.LETTER),
        (RequestType.CADA, Procedure.LETTER),
    ],
)
def test_each_right_has_its_procedure(right: RequestType, procedure: Procedure) -> None:
    assert rights.procedure_for(right) is procedure


def test_every_right_is_in_the_table() -> None:
    assert set(rights.PROCEDURES) == set(RequestType)


def _received(ws: Workspace, days_ago: int) -> str:
    sub = Submission(
        right=RequestType.ACCESS,
        activities=(),
        first_name="Camille",
        last_name="Lefort",
        email="camille.lefort@example.org",
    )
    done = service.submit(
        ws,
        ORG,
        sub,
        channel=Channel.COUNTER,
        received_on=service.local_today(ws) - timedelta(days=days_ago),
        require_verification=False,
    )
    return done.record.reference


def test_due_list_flags_late_answers_and_reminds_the_dpo(ws: Workspace) -> None:
    setup_org(ws)
    mailer = FakeMailer()
    _received(ws, 3)  # due in about four weeks: not this week
    quiet = reminders.due_this_week(ws, ORG, mailer=mailer)
    assert quiet.records == [] and not quiet.overdue
    assert quiet.reminded is None and mailer.sent == []  # nothing due: no mail

    late = _received(ws, 45)
    due = reminders.due_this_week(ws, ORG)
    assert [r.reference for r in due.records] == [late] and due.overdue
    assert due.until.weekday() == 6 and due.reminded is None and mailer.sent == []

    due = reminders.due_this_week(ws, ORG, mailer=mailer, lang="en")
    [mail] = mailer.sent
    assert due.reminded == mail.to == f"dpo@{ORG}.example.org" and late in mail.text
