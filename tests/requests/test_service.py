"""The requests storage edge: sealed storage, workflow through the pure core, clock, audit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from rgpd import audit, deadlines
from rgpd.errors import Conflict, InvalidInput, NotFound, TransitionRefused
from rgpd.i18n import use_language
from rgpd.requests import intake, service
from rgpd.requests.model import Channel, RequestState, RequestType
from rgpd.storage.request_tables import RequestEventRow, RequestRow, RequestUploadRow
from rgpd.storage.tables import AuditRow
from rgpd.workspace import Workspace
from tests.race import split_refusals, together
from tests.requests.intake_fixtures import ORG, OTHER_ORG, form, setup_org

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are matched in English whatever the catalogs hold."""
    with use_language("en"):
        yield


@pytest.fixture
def org_ws(ws: Workspace) -> Workspace:
    setup_org(ws)
    return ws


def _sub(ws: Workspace, **over: object) -> intake.Submission:
    return intake.validate(
        form(**over),
        service.offered_activities(ws, ORG),
        today=service.local_today(ws),
        offered_only=False,
    )


def _counter(ws: Workspace, received: date | None = None, **over: object) -> service.RequestRecord:
    return service.submit(
        ws, ORG, _sub(ws, **over), channel=Channel.COUNTER, received_on=received
    ).record


def _count(ws: Workspace, model: type) -> int:
    with ws.db.session() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_reference_is_random_and_reveals_nothing(org_ws: Workspace) -> None:
    a = _counter(org_ws, last_name="Durand")
    b = _counter(org_ws, last_name="Durand")
    assert a.reference != b.reference
    for r in (a, b):
        assert r.reference.startswith(f"R-{r.request.received_on.year}-")
        assert len(r.reference) == len("R-2026-7KQ4-M9XA")
        assert "DURAND" not in r.reference


@pytest.mark.parametrize("alsace", [False, True])
@pytest.mark.parametrize("days_ago", [0, 3, 17, 31, 45])
def test_due_date_comes_from_the_clock(ws: Workspace, alsace: bool, days_ago: int) -> None:
    setup_org(ws, alsace_moselle=alsace)
    received = service.local_today(ws) - timedelta(days=days_ago)
    r = _counter(ws, received)
    assert r.due == deadlines.one_month_from(received, alsace_moselle=alsace)
    with ws.db.session() as s:
        assert s.execute(select(RequestRow.due_on)).scalar_one() == r.due


def test_alsace_moselle_setting_reaches_the_clock(ws: Workspace) -> None:
    # 26 December 2025 is a Friday: a working day in Paris, a holiday in Strasbourg.
    received = date(2025, 11, 26)
    setup_org(ws, alsace_moselle=True)
    setup_org(ws, OTHER_ORG)
    local = service.submit(ws, ORG, _sub(ws), channel=Channel.MAIL, received_on=received)
    paris = service.submit(ws, OTHER_ORG, _sub(ws), channel=Channel.MAIL, received_on=received)
    assert paris.record.due == date(2025, 12, 26)
    assert local.record.due == date(2025, 12, 29)


def test_received_in_the_future_is_refused(org_ws: Workspace) -> None:
    with pytest.raises(InvalidInput) as exc:
        _counter(org_ws, service.local_today(org_ws) + timedelta(days=1))
    assert exc.value.field == "received_on"
    assert _count(org_ws, RequestRow) == 0


def test_web_request_waits_for_its_email(org_ws: Workspace) -> None:
    done = service.submit(org_ws, ORG, _sub(org_ws))
    assert done.verify_secret
    assert done.record.pending_verification
    assert service.list_requests(org_ws, ORG) == []
    with pytest.raises(Conflict, match=done.record.reference):
        service.start(org_ws, ORG, done.record.reference)
    rec = service.confirm_email(org_ws, ORG, done.verify_secret)
    assert rec.email_verified and not rec.pending_verification
    assert [r.reference for r in service.list_requests(org_ws, ORG)] == [rec.reference]
    with pytest.raises(service.LinkRefused) as exc:
        service.confirm_email(org_ws, ORG, done.verify_secret)
    assert exc.value.reason == "used"


def test_verification_secret_is_bound_to_its_organisation(ws: Workspace) -> None:
    setup_org(ws)
    setup_org(ws, OTHER_ORG)
    done = service.submit(ws, ORG, _sub(ws))
    assert done.verify_secret
    with pytest.raises(service.LinkRefused):
        service.confirm_email(ws, OTHER_ORG, done.verify_secret)
    with pytest.raises(service.LinkRefused):
        service.read_link(
            ws,
            "verify",
            OTHER_ORG,
            service.sign_link(ws, "verify", ORG, done.verify_secret),
            service.VERIFY_TTL,
        )


def test_unconfirmed_requests_are_purged_after_the_ttl(org_ws: Workspace) -> None:
    old = service.submit(org_ws, ORG, _sub(org_ws))
    kept = _counter(org_ws)
    later = datetime.now(UTC) + service.VERIFY_TTL + timedelta(minutes=1)
    with pytest.raises(service.LinkRefused) as exc:
        assert old.verify_secret
        service.confirm_email(org_ws, ORG, old.verify_secret, now=later)
    assert exc.value.reason == "expired"
    assert service.purge_unverified(org_ws, now=later) == 1
    with pytest.raises(NotFound):
        service.get(org_ws, ORG, old.record.reference)
    assert service.get(org_ws, ORG, kept.reference).reference == kept.reference


def test_payload_is_sealed_and_not_in_a_raw_dump(org_ws: Workspace) -> None:
    email = "camille.secret-marker@example.org"
    r = _counter(
        org_ws,
        email=email,
        last_name="Zyxwvutsr",
        id_numero_famille="F-98765",
        details="Ma remarque très personnelle",
    )
    service.start(org_ws, ORG, r.reference)
    service.refuse(org_ws, ORG, r.reference, reason="Motif nominatif Zyxwvutsr")
    with org_ws.db.engine.connect() as conn:
        dump = "\n".join(conn.connection.dbapi_connection.iterdump())  # type: ignore[union-attr]
    for secret in (email, "Zyxwvutsr", "F-98765", "très personnelle"):
        assert secret not in dump
        assert secret.lower() not in dump.lower()
    full = service.get(org_ws, ORG, r.reference, reveal=True)
    assert full.submission is not None
    assert full.submission.email == email
    assert full.submission.identifiers == {"numero_famille": "F-98765"}
    assert full.last_reason(service.Action.REFUSE) == "Motif nominatif Zyxwvutsr"


def test_sealed_payload_cannot_be_moved_to_another_request(org_ws: Workspace) -> None:
    a = _counter(org_ws)
    b = _counter(org_ws)
    with org_ws.db.session() as s:
        pa = s.execute(
            select(RequestRow.payload).where(RequestRow.reference == a.reference)
        ).scalar_one()
        s.execute(
            RequestRow.__table__.update()
            .where(RequestRow.reference == b.reference)
            .values(payload=pa)
        )
    from rgpd.errors import CryptoError

    with pytest.raises(CryptoError):
        service.get(org_ws, ORG, b.reference, reveal=True)


def test_blind_index_finds_requests_without_decrypting(org_ws: Workspace) -> None:
    a = _counter(org_ws, email="Camille.Martin@Example.org", id_numero_famille="F 123-45")
    _counter(org_ws, email="autre@example.org", id_numero_famille="F-99999")
    found = service.list_requests(
        org_ws, ORG, service.ListFilter(email=" camille.martin@example.ORG ")
    )
    assert [r.reference for r in found] == [a.reference]
    assert service.find_by_identifier(org_ws, ORG, "numero_famille", "f12345") == [a.reference]


def test_organisations_never_see_each_other(ws: Workspace) -> None:
    setup_org(ws)
    setup_org(ws, OTHER_ORG)
    r = _counter(ws, email="shared@example.org")
    assert service.list_requests(ws, OTHER_ORG) == []
    assert (
        service.list_requests(ws, OTHER_ORG, service.ListFilter(email="shared@example.org")) == []
    )
    with pytest.raises(NotFound):
        service.get(ws, OTHER_ORG, r.reference)
    with pytest.raises(NotFound):
        service.start(ws, OTHER_ORG, r.reference)


def test_extension_only_within_the_first_month(org_ws: Workspace) -> None:
    today = service.local_today(org_ws)
    fresh = _counter(org_ws, today - timedelta(days=10))
    service.start(org_ws, ORG, fresh.reference)
    ext = service.extend(org_ws, ORG, fresh.reference, reason="Archives sur trois sites")
    assert ext.state is RequestState.EXTENDED
    assert ext.deadline.extended
    assert ext.due > fresh.due
    first_month = deadlines.add_months(fresh.request.received_on, 1)
    assert ext.due == deadlines.next_working_day(deadlines.add_months(first_month, 2))

    late = _counter(org_ws, today - timedelta(days=45))
    service.start(org_ws, ORG, late.reference)
    events_before = _count(org_ws, RequestEventRow)
    with pytest.raises(TransitionRefused, match=r"12\(3\)"):
        service.extend(org_ws, ORG, late.reference, reason="Trop tard")
    assert _count(org_ws, RequestEventRow) == events_before
    assert service.get(org_ws, ORG, late.reference).state is RequestState.IN_PROGRESS


def test_extension_needs_a_reason(org_ws: Workspace) -> None:
    r = _counter(org_ws)
    service.start(org_ws, ORG, r.reference)
    with pytest.raises(TransitionRefused, match="reason"):
        service.extend(org_ws, ORG, r.reference, reason="  ")


def test_pause_and_resume_move_the_due_date(org_ws: Workspace) -> None:
    today = service.local_today(org_ws)
    r = _counter(org_ws, today - timedelta(days=20))
    service.start(org_ws, ORG, r.reference, on=today - timedelta(days=19))
    paused = service.pause(
        org_ws, ORG, r.reference, reason="Quelle année scolaire ?", on=today - timedelta(days=15)
    )
    assert paused.state is RequestState.PAUSED
    assert paused.deadline.paused
    resumed = service.resume(org_ws, ORG, r.reference, on=today - timedelta(days=5))
    assert resumed.state is RequestState.IN_PROGRESS
    assert resumed.deadline.paused_days == 10
    expected = deadlines.next_working_day(
        deadlines.add_months(r.request.received_on, 1) + timedelta(days=10)
    )
    assert resumed.due == expected


def test_refusal_and_closing_are_final(org_ws: Workspace) -> None:
    r = _counter(org_ws)
    with pytest.raises(TransitionRefused):
        service.refuse(org_ws, ORG, r.reference, reason="")
    refused = service.refuse(org_ws, ORG, r.reference, reason="Demande manifestement infondée")
    assert refused.state is RequestState.REFUSED
    assert refused.deadline.status is deadlines.DeadlineStatus.CLOSED
    for step in (
        lambda: service.close(org_ws, ORG, r.reference),
        lambda: service.withdraw(org_ws, ORG, r.reference),
        lambda: service.start(org_ws, ORG, r.reference),
    ):
        with pytest.raises(TransitionRefused, match="closed"):
            step()
    assert service.list_requests(org_ws, ORG) == []
    assert [
        x.reference
        for x in service.list_requests(org_ws, ORG, service.ListFilter(include_closed=True))
    ] == [r.reference]


def test_close_needs_work_started(org_ws: Workspace) -> None:
    r = _counter(org_ws)
    with pytest.raises(TransitionRefused):
        service.close(org_ws, ORG, r.reference)
    service.start(org_ws, ORG, r.reference)
    assert service.close(org_ws, ORG, r.reference).state is RequestState.COMPLETED


def test_withdraw_and_assign(org_ws: Workspace) -> None:
    r = _counter(org_ws)
    a = service.assign(org_ws, ORG, r.reference, agent="service scolaire")
    assert a.assignee == "service scolaire"
    assert [
        x.reference
        for x in service.list_requests(
            org_ws, ORG, service.ListFilter(assigned_to="service scolaire")
        )
    ] == [r.reference]
    assert service.withdraw(org_ws, ORG, r.reference).state is RequestState.WITHDRAWN


def test_someone_acting_for_another_needs_the_mandate_checked(org_ws: Workspace) -> None:
    r = _counter(
        org_ws,
        requester_role="parent",
        requester_name="Parent Exemple",
        requester_email="parent@example.org",
    )
    with pytest.raises(TransitionRefused, match="mandate"):
        service.verify(org_ws, ORG, r.reference, method="counter")
    ok = service.verify(org_ws, ORG, r.reference, method="counter", mandate=True)
    assert ok.state is RequestState.IN_PROGRESS
    assert ok.request.requester.mandate_verified


def test_identity_upload_is_deleted_once_verified(org_ws: Workspace) -> None:
    r = _counter(org_ws)
    link = service.ask_identity(org_ws, ORG, r.reference, reason="Adresse inconnue du service")
    assert link.record.state is RequestState.IDENTITY_PENDING
    assert link.record.deadline.paused
    with pytest.raises(InvalidInput) as bad:
        service.store_upload(org_ws, ORG, link.secret, filename="x.exe", data=b"MZ\x90\x00" * 20)
    assert bad.value.field == "document"
    with pytest.raises(InvalidInput):
        service.store_upload(
            org_ws, ORG, link.secret, filename="big.pdf", data=PDF + b"0" * service.MAX_UPLOAD
        )
    stored = service.store_upload(org_ws, ORG, link.secret, filename="carte.png", data=PNG)
    assert stored.uploads == 1
    with pytest.raises(service.LinkRefused) as again:
        service.store_upload(org_ws, ORG, link.secret, filename="carte.png", data=PNG)
    assert again.value.reason == "used"
    docs = service.identity_documents(org_ws, ORG, r.reference)
    assert [(d.filename, d.content_type, d.content) for d in docs] == [
        ("carte.png", "image/png", PNG)
    ]

    done = service.verify(org_ws, ORG, r.reference, method="document")
    assert done.state is RequestState.IN_PROGRESS
    assert done.uploads == 0
    assert _count(org_ws, RequestUploadRow) == 0
    assert done.identity is not None
    assert done.identity.method == "document"
    assert done.identity.by == "test"
    assert done.identity.on == service.local_today(org_ws)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (b"GIF89a" + b"\x00" * 10, None),
        (b"<html><script>", None),
        (b"", None),
    ],
)
def test_document_type_comes_from_magic_bytes(data: bytes, kind: str | None) -> None:
    assert service.sniff_document(data) == kind


def test_list_puts_overdue_first_then_by_due_date(org_ws: Workspace) -> None:
    today = service.local_today(org_ws)
    soon = _counter(org_ws, today - timedelta(days=25))
    later = _counter(org_ws, today - timedelta(days=2))
    overdue = _counter(org_ws, today - timedelta(days=70))
    overdue2 = _counter(org_ws, today - timedelta(days=40))
    closed = _counter(org_ws, today - timedelta(days=80))
    service.withdraw(org_ws, ORG, closed.reference)
    listed = service.list_requests(org_ws, ORG)
    assert [r.reference for r in listed] == [
        overdue.reference,
        overdue2.reference,
        soon.reference,
        later.reference,
    ]
    assert all(r.deadline.status is deadlines.DeadlineStatus.OVERDUE for r in listed[:2])
    only = service.list_requests(org_ws, ORG, service.ListFilter(overdue_only=True))
    assert [r.reference for r in only] == [overdue.reference, overdue2.reference]
    week = service.due_this_week(org_ws, ORG, today=today)
    assert {r.reference for r in week} >= {overdue.reference, overdue2.reference}
    assert later.reference not in {r.reference for r in week}
    assert all(r.due <= service.end_of_week(today) for r in week)


def test_list_filters_by_state_and_type(org_ws: Workspace) -> None:
    acc = _counter(org_ws)
    era = _counter(org_ws, right="erasure", activities=["newsletter"], id_numero_famille=None)
    service.start(org_ws, ORG, era.reference)
    by_type = service.list_requests(org_ws, ORG, service.ListFilter(types=[RequestType.ERASURE]))
    assert [r.reference for r in by_type] == [era.reference]
    by_state = service.list_requests(
        org_ws, ORG, service.ListFilter(states=[RequestState.RECEIVED])
    )
    assert [r.reference for r in by_state] == [acc.reference]


def test_every_change_is_audited_without_personal_data(org_ws: Workspace) -> None:
    email = "audit-marker@example.org"
    r = _counter(org_ws, email=email, last_name="Nomaudit")
    service.start(org_ws, ORG, r.reference)
    service.extend(org_ws, ORG, r.reference, reason="Motif Nomaudit")
    service.get(org_ws, ORG, r.reference, reveal=True)
    with org_ws.db.session() as s:
        rows = s.execute(select(AuditRow).where(AuditRow.entity_ref == r.reference)).scalars().all()
        actions = [row.action for row in rows]
        assert audit.verify(s).ok
    assert actions == ["request.receive", "request.instruire", "request.prolonger", "request.read"]
    for row in rows:
        assert email not in row.details and "Nomaudit" not in row.details
        assert row.org == ORG


def test_key_rotation_reseals_request_columns(org_ws: Workspace) -> None:
    from rgpd.keys import rotate

    r = _counter(org_ws, email="rotate@example.org")
    service.refuse(org_ws, ORG, r.reference, reason="Motif")
    other = _counter(org_ws)
    link = service.ask_identity(org_ws, ORG, other.reference, reason="Doute")
    service.store_upload(org_ws, ORG, link.secret, filename="id.pdf", data=PDF)
    res = rotate(org_ws)
    assert res.resealed >= 5  # 2 payloads, 2 reasons (refuse, ask), upload name + content
    with org_ws.db.session() as s:
        kids = {org_ws.keys.key_id_of(p) for p in s.execute(select(RequestRow.payload)).scalars()}
    assert kids == {res.new_key}
    full = service.get(org_ws, ORG, r.reference, reveal=True)
    assert full.submission is not None and full.submission.email == "rotate@example.org"
    assert full.last_reason(service.Action.REFUSE) == "Motif"
    assert service.identity_documents(org_ws, ORG, other.reference)[0].content == PDF


def test_full_flow_on_each_database(ws_any: Workspace) -> None:
    setup_org(ws_any)
    done = service.submit(ws_any, ORG, _sub(ws_any, details="Détails <b>accentués</b> é"))
    assert done.verify_secret
    rec = service.confirm_email(ws_any, ORG, done.verify_secret)
    link = service.ask_identity(ws_any, ORG, rec.reference, reason="Doute raisonnable")
    service.store_upload(ws_any, ORG, link.secret, filename="id.jpg", data=JPEG)
    service.verify(ws_any, ORG, rec.reference, method="document")
    service.extend(ws_any, ORG, rec.reference, reason="Complexe")
    final = service.close(ws_any, ORG, rec.reference)
    assert final.state is RequestState.COMPLETED
    full = service.get(ws_any, ORG, rec.reference, reveal=True)
    assert full.submission is not None
    assert full.submission.details == "Détails <b>accentués</b> é"
    assert [e.action.value for e in full.request.events] == [
        "recevoir",
        "demander_identite",
        "identite_verifiee",
        "prolonger",
        "clore",
    ]
    with ws_any.db.session() as s:
        assert audit.verify(s).ok
        n = s.execute(text("SELECT COUNT(*) FROM request_uploads")).scalar_one()
    assert n == 0


def test_large_identity_document_on_mariadb(mariadb_server_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import _reset, make_workspace

    _reset(mariadb_server_url)
    ws = make_workspace(mariadb_server_url, tmp_path)
    try:
        setup_org(ws)
        r = _counter(ws, details="Détails é " * 400)
        link = service.ask_identity(ws, ORG, r.reference, reason="Doute")
        big = PDF + b"x" * (4 * 1024 * 1024)
        service.store_upload(ws, ORG, link.secret, filename="scan.pdf", data=big)
        assert service.identity_documents(ws, ORG, r.reference)[0].content == big
        full = service.get(ws, ORG, r.reference, reveal=True)
        assert full.submission is not None and full.submission.details.startswith("Détails é")
    finally:
        ws.db.dispose()


# --------------------------------------------------------------------------- one-time links, raced


def _race(n: int, attempt: Callable[[], object]) -> tuple[int, list[str]]:
    """``n`` threads released at once on ``attempt``: (successes, refusal reasons)."""
    won, errors = together(n, lambda _i: attempt(), timeout=120)
    refused, crashed = split_refusals(errors, service.LinkRefused)
    assert not crashed, crashed
    return len(won), [e.reason for e in refused]


def _audited(ws: Workspace, action: str) -> int:
    with ws.db.session(readonly=True) as s:
        return int(
            s.execute(
                select(func.count()).select_from(AuditRow).where(AuditRow.action == action)
            ).scalar_one()
        )


def test_one_verification_link_clicked_at_once_counts_once(shared_ws: Workspace) -> None:
    from rgpd.requests import submit
    from rgpd.requests.mailer import FakeMailer

    done = service.submit(shared_ws, ORG, _sub(shared_ws, email="course@example.org"))
    assert done.verify_secret
    mailer = FakeMailer()
    won, refused = _race(
        6,
        lambda: submit.confirm(shared_ws, ORG, done.verify_secret or "", mailer=mailer, lang="en"),
    )
    assert (won, sorted(refused)) == (1, ["used"] * 5)
    assert [m.to for m in mailer.sent] == ["course@example.org"]  # one acknowledgement
    assert _audited(shared_ws, "request.email_verified") == 1
    with shared_ws.db.session(readonly=True) as s:
        assert audit.verify(s).ok


def test_one_upload_link_used_at_once_stores_one_document(shared_ws: Workspace) -> None:
    from rgpd.storage.db import retry_busy

    r = _counter(shared_ws)
    link = service.ask_identity(shared_ws, ORG, r.reference, reason="Homonymie possible")
    won, refused = _race(
        6,
        lambda: retry_busy(
            lambda: service.store_upload(
                shared_ws, ORG, link.secret, filename="carte.png", data=PNG
            )
        ),
    )
    assert (won, sorted(refused)) == (1, ["used"] * 5)
    assert _count(shared_ws, RequestUploadRow) == 1
    assert _audited(shared_ws, "request.identity_uploaded") == 1


def test_one_download_link_taken_at_once_opens_once(shared_ws: Workspace) -> None:
    """The access-package link uses the same consumption (fulfil.take_download calls it)."""
    from rgpd.requests import tokens
    from rgpd.storage.db import retry_busy

    r = _counter(shared_ws)
    now = datetime.now(UTC)
    with shared_ws.db.session() as s:
        row = s.execute(select(RequestRow).where(RequestRow.reference == r.reference)).scalar_one()
        secret = tokens.issue(s, row.id, tokens.DOWNLOAD, now=now, ttl=timedelta(days=7))
    oid = shared_ws.org_id(ORG)

    def take() -> str:
        with shared_ws.db.session() as s:
            return tokens.consume(s, oid, tokens.DOWNLOAD, secret, now).reference

    won, refused = _race(6, lambda: retry_busy(take))
    assert (won, sorted(refused)) == (1, ["used"] * 5)
    with shared_ws.db.session() as s, pytest.raises(service.LinkRefused) as again:
        tokens.consume(s, oid, tokens.DOWNLOAD, secret, now)
    assert again.value.reason == "used"
