"""The action plan against a database: sync with the compliance report, edits, audit, reminders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from rgpd.actions import service
from rgpd.actions.model import ActionStatus, Origin, Owner
from rgpd.errors import NotFound, TransitionRefused
from rgpd.registry import service as registry
from rgpd.registry.model import Notification
from rgpd.reports.service import plan_actions
from rgpd.requests.mailer import FakeMailer
from rgpd.storage.tables import AuditRow
from rgpd.workspace import Workspace
from tests.conftest import make_workspace
from tests.reports import dataset

TODAY, NOW = dataset.TODAY, dataset.NOW
BREACH = "2026-01-courriel-erreur"


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Workspace]:
    ws = make_workspace(f"sqlite:///{tmp_path / 'rgpd.db'}", tmp_path)
    dataset.seed_fixed(ws, "mairie")
    yield ws
    ws.db.dispose()


def _sync(ws: Workspace, **kw: bool) -> service.SyncResult:
    return plan_actions(ws, "mairie", today=TODAY, now=NOW, **kw)


def test_from_report_plans_the_ranked_actions_once(seeded: Workspace) -> None:
    from rgpd.reports.context import score_of
    from rgpd.reports.loaders import load_org

    ranked = score_of(load_org(seeded, "mairie"), TODAY, NOW).actions
    first = _sync(seeded)
    assert [a.origin_key for a in first.created] == [i.key for i in ranked]
    assert [a.risk for a in first.created] == [i.risk for i in ranked]  # the same ranking
    assert first.created[0].origin is Origin.BREACH
    assert first.created[0].origin_key == f"breach_overdue:{BREACH}"
    again = _sync(seeded)
    assert again.created == () and again.updated == ()
    assert len(again.unchanged) == len(ranked)
    everything = _sync(seeded, include_all=True)
    listed = service.list_actions(seeded, "mairie").actions
    assert len(listed) == len(first.created) + len(everything.created)
    assert len({a.origin_key for a in listed}) == len(listed)


def test_a_fixed_cause_is_proposed_then_closed(seeded: Workspace) -> None:
    _sync(seeded)
    registry.notify_breach(
        seeded,
        "mairie",
        BREACH,
        Notification(at=NOW, reference="CNIL-TEST"),
    )
    proposed = _sync(seeded)
    keys = [a.origin_key for a in proposed.resolved]
    assert f"breach_overdue:{BREACH}" in keys and not proposed.closed
    still = service.list_actions(seeded, "mairie", status=ActionStatus.PLANNED).actions
    assert f"breach_overdue:{BREACH}" in {a.origin_key for a in still}
    closed = _sync(seeded, close_resolved=True)
    assert closed.closed and [a.status for a in closed.resolved] == [ActionStatus.DONE] * len(
        closed.resolved
    )
    a = next(a for a in closed.resolved if a.origin_key == f"breach_overdue:{BREACH}")
    assert "compliance report" in (a.reason or "")
    assert _sync(seeded).resolved == ()


def test_workflow_and_audit(seeded: Workspace) -> None:
    owner = Owner("Chloé Martin", "chloe.martin@example.org", "État civil")
    a = service.add_action(
        seeded, "mairie", "Former les agents", article="Art. 39(1)(b)", risk="lint_error"
    )
    assert a.ref == "A-0001" and a.origin_key == "manual:A-0001"
    service.assign_action(seeded, "mairie", "a-0001", owner=owner, due=TODAY)
    service.start_action(seeded, "mairie", "A-0001")
    done = service.complete_action(seeded, "mairie", "A-0001", note="Session du 3 décembre")
    assert [e.change for e in done.history] == ["created", "assigned", "started", "done"]
    assert service.get_action(seeded, "mairie", "A-0001") == done
    with pytest.raises(TransitionRefused):
        service.abandon_action(seeded, "mairie", "A-0001", reason="trop tard")
    with pytest.raises(NotFound):
        service.start_action(seeded, "mairie", "A-9999")
    with seeded.db.session(readonly=True) as s:
        entries = s.execute(select(AuditRow).where(AuditRow.entity == "action")).scalars().all()
    assert [e.action for e in entries] == ["create", "assign", "start", "done"]
    for e in entries:  # the owner is a digest, never in clear
        assert "chloe" not in e.details.lower() and "Martin" not in e.details
    # a refused transition wrote nothing
    assert service.get_action(seeded, "mairie", "A-0001").status is ActionStatus.DONE


def test_list_filters(seeded: Workspace) -> None:
    today = seeded.today()
    lea = Owner("Léa Petit", "lea.petit@example.org", "Urbanisme")
    service.add_action(seeded, "mairie", "Un", owner=lea, due=today - timedelta(days=2))
    service.add_action(seeded, "mairie", "Deux", owner=Owner("Marc", service="RH"))
    service.add_action(seeded, "mairie", "Trois", owner=lea, due=today + timedelta(days=30))
    refs = lambda **kw: [a.title for a in service.list_actions(seeded, "mairie", **kw).actions]  # noqa: E731
    assert refs(overdue=True) == ["Un"]
    assert sorted(refs(owner="LEA.PETIT@example.org")) == ["Trois", "Un"]
    assert refs(service="rh") == ["Deux"]
    service.abandon_action(seeded, "mairie", "A-0002", reason="Doublon")
    assert refs(status=ActionStatus.ABANDONED) == ["Deux"]
    assert sorted(refs(open_only=True)) == ["Trois", "Un"]


def test_remind_sends_one_mail_per_owner_and_goes_on_after_a_failure(seeded: Workspace) -> None:
    today = seeded.today()
    lea = Owner("Léa Petit", "lea.petit@example.org", "Urbanisme")
    marc = Owner("Marc Roux", "marc.roux@example.org", "RH")
    service.add_action(seeded, "mairie", "Un", owner=lea, due=today - timedelta(days=2))
    service.add_action(seeded, "mairie", "Deux", owner=lea, due=today + timedelta(days=3))
    service.add_action(seeded, "mairie", "Trois", owner=marc, due=today + timedelta(days=1))
    service.add_action(seeded, "mairie", "Quatre", owner=marc, due=today + timedelta(days=90))
    fake = FakeMailer()
    res = service.remind(seeded, "mairie", mailer=fake, lang="fr")
    assert sorted(m.to for m in fake.sent) == ["lea.petit@example.org", "marc.roux@example.org"]
    lea_mail = fake.last_to("lea.petit@example.org")
    assert "Un" in lea_mail.text and "Deux" in lea_mail.text and "En retard" in lea_mail.text
    assert "Quatre" not in fake.last_to("marc.roux@example.org").text
    assert res.failed == []
    down = service.remind(seeded, "mairie", mailer=FakeMailer(fail=True))
    assert sorted(down.failed) == ["lea.petit@example.org", "marc.roux@example.org"]
    dry = service.remind(seeded, "mairie", mailer=None)
    assert dry.dry_run and len(dry.mails) == 2 and dry.sent == []


def test_another_wing_keys_its_own_actions(seeded: Workspace) -> None:
    from rgpd.errors import Conflict

    a = service.add_action(
        seeded,
        "mairie",
        "Chiffrer les sauvegardes",
        article="Art. 32",
        origin=Origin.DPIA,
        origin_key="dpia_measure:VIDEO:chiffrement",
        today=TODAY,
    )
    assert a.origin is Origin.DPIA and not a.from_report
    with pytest.raises(Conflict):
        service.add_action(seeded, "mairie", "Encore", origin=Origin.DPIA, origin_key=a.origin_key)
    assert _sync(seeded).resolved == ()  # not a cause the compliance report tracks
