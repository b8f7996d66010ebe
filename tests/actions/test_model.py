"""The action plan's pure model: transitions, history, sync with the report, reminders."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from rgpd import labels
from rgpd.actions import model
from rgpd.actions.model import ALLOWED, OPEN, Action, ActionStatus, Origin, Owner
from rgpd.errors import InvalidInput, TransitionRefused
from rgpd.i18n import use_language
from rgpd.registry.compliance import RISK, ActionItem, priority_band, risk_of

AT = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TODAY = date(2026, 11, 22)


def _action(ref: str = "A-0001", **kw: object) -> Action:
    return model.new_action(
        ref,
        kw.pop("title", "Tenir le registre à jour"),  # type: ignore[arg-type]
        origin=Origin.MANUAL,
        origin_key=f"manual:{ref}",
        at=AT,
        today=TODAY,
        actor="dpo",
        **kw,  # type: ignore[arg-type]
    )


def _item(key: str, title: str = "Fix", risk: int | None = None, why: str = "w") -> ActionItem:
    kind = key.partition(":")[0]
    return ActionItem(
        1, title, "Art. 30", risk if risk is not None else risk_of(kind), why, kind, key
    )


def test_new_action_is_planned_with_a_created_event() -> None:
    a = _action()
    assert a.status is ActionStatus.PLANNED and a.is_open
    assert [e.change for e in a.history] == ["created"]
    assert a.priority == priority_band(model.MANUAL_RISK) == "medium"


def test_title_is_required() -> None:
    with pytest.raises(InvalidInput, match="title"):
        _action(title="   ")


def test_abandon_needs_a_reason_and_cites_accountability() -> None:
    a = _action()
    with pytest.raises(InvalidInput, match=r"Art\. 5\(2\)"):
        model.abandon(a, at=AT, today=TODAY, actor="dpo", reason="  ")
    b = model.abandon(a, at=AT, today=TODAY, actor="dpo", reason="Traitement supprimé")
    assert b.status is ActionStatus.ABANDONED and b.reason == "Traitement supprimé"
    assert b.closed_on == TODAY and b.history[-1].note == "Traitement supprimé"


def test_closed_actions_are_final() -> None:
    a = model.complete(_action(), at=AT, today=TODAY, actor="dpo")
    for fn in (
        lambda x: model.start(x, at=AT, today=TODAY, actor="dpo"),
        lambda x: model.complete(x, at=AT, today=TODAY, actor="dpo"),
        lambda x: model.abandon(x, at=AT, today=TODAY, actor="dpo", reason="r"),
        lambda x: model.assign(x, owner=Owner("Léa"), at=AT, actor="dpo"),
    ):
        with pytest.raises(TransitionRefused):
            fn(a)


def test_assign_keeps_what_is_not_given_and_checks_the_email() -> None:
    a = model.assign(
        _action(), owner=Owner("Léa Petit", "lea.petit@example.org", "État civil"), at=AT, actor="d"
    )
    b = model.assign(a, due=date(2027, 1, 31), at=AT, actor="d")
    assert b.owner == Owner("Léa Petit", "lea.petit@example.org", "État civil")
    assert b.due == date(2027, 1, 31) and [e.change for e in b.history][-2:] == [
        "assigned",
        "assigned",
    ]
    with pytest.raises(InvalidInput, match="e-mail"):
        model.assign(a, owner=Owner(email="pas-une-adresse"), at=AT, actor="d")
    with pytest.raises(InvalidInput):
        model.assign(a, at=AT, actor="d")


def test_overdue_and_due_soon() -> None:
    a = model.assign(_action(), due=TODAY - timedelta(days=1), at=AT, actor="d")
    assert a.overdue(TODAY) and not a.due_soon(TODAY)
    b = model.assign(_action(), due=TODAY + timedelta(days=14), at=AT, actor="d")
    assert b.due_soon(TODAY) and not b.due_soon(TODAY, days=13) and not b.overdue(TODAY)
    done = model.complete(a, at=AT, today=TODAY, actor="d")
    assert not done.overdue(TODAY)


def test_priority_comes_from_the_compliance_ranking() -> None:
    item = _item("breach_overdue:V-1")
    a = model.from_item("A-0001", item, at=AT, today=TODAY, actor="d")
    assert a.risk == risk_of("breach_overdue") and a.priority == "critical"
    assert a.origin is Origin.BREACH and a.origin_key == "breach_overdue:V-1"
    assert model.manual_risk("dpia_missing") == RISK["dpia_missing"]
    assert model.manual_risk("20") == 20
    with pytest.raises(InvalidInput, match="--risk"):
        model.manual_risk("urgent")


def test_every_kind_of_the_report_has_an_origin() -> None:
    assert set(model.ORIGIN_OF_KIND) == set(RISK)


def test_plan_sync_creates_updates_and_proposes_closing() -> None:
    kept = model.from_item("A-0001", _item("lint_error:ETAT-CIVIL"), at=AT, today=TODAY, actor="d")
    gone = model.from_item("A-0002", _item("lint_error:CANTINE"), at=AT, today=TODAY, actor="d")
    manual = _action("A-0003")
    done = model.complete(
        model.from_item("A-0004", _item("processor_contract:P1"), at=AT, today=TODAY, actor="d"),
        at=AT,
        today=TODAY,
        actor="d",
    )
    wanted = [
        _item("lint_error:ETAT-CIVIL", title="Fix (3 errors)"),
        _item("dpia_missing:VIDEO"),
        _item("processor_contract:P1"),
        _item("dpia_missing:VIDEO"),  # a twin in the input is planned once
    ]
    plan = model.plan_sync([kept, gone, manual, done], wanted, wanted)
    assert [i.key for i in plan.create] == ["dpia_missing:VIDEO"]
    assert [(a.ref, i.title) for a, i in plan.update] == [("A-0001", "Fix (3 errors)")]
    assert [a.ref for a in plan.resolved] == ["A-0002"]  # manual actions never "resolve"
    assert [a.ref for a in plan.closed_but_reported] == ["A-0004"]
    again = model.plan_sync([kept], [_item("lint_error:ETAT-CIVIL")], [])
    assert again.unchanged == (kept,) and again.resolved == ()


def test_cause_outside_the_top_ten_is_not_resolved() -> None:
    a = model.from_item("A-0001", _item("scan_errors"), at=AT, today=TODAY, actor="d")
    plan = model.plan_sync([a], [], [_item("scan_errors")])
    assert plan.resolved == () and plan.create == ()


def test_reminders_group_by_owner_and_list_orphans() -> None:
    lea = Owner("Léa Petit", "Lea.Petit@example.org", "État civil")
    a1 = model.assign(_action("A-0001"), owner=lea, due=TODAY - timedelta(days=3), at=AT, actor="d")
    a2 = model.assign(
        _action("A-0002"),
        owner=Owner(email="lea.petit@example.org"),
        due=TODAY + timedelta(days=2),
        at=AT,
        actor="d",
    )
    a3 = model.assign(_action("A-0003"), due=TODAY, at=AT, actor="d")  # nobody to write to
    a4 = model.assign(
        _action("A-0004"), owner=lea, due=TODAY + timedelta(days=60), at=AT, actor="d"
    )
    plan = model.reminders([a4, a3, a2, a1], TODAY)
    assert len(plan.owners) == 1
    r = plan.owners[0]
    assert [a.ref for a in r.overdue] == ["A-0001"] and [a.ref for a in r.due_soon] == ["A-0002"]
    assert [a.ref for a in plan.without_email] == ["A-0003"]
    subject, body = model.reminder_text(r, org_name="Ville de Saint-Exemple", today=TODAY)
    assert "1 overdue" in subject and "A-0001" in body and "Art. 24(1)" in body


@pytest.mark.parametrize(
    ("band", "fr", "en"),
    [
        ("critical", "critique", "critical"),
        ("high", "haute", "high"),
        ("medium", "moyenne", "medium"),
        ("low", "basse", "low"),
    ],
)
def test_priority_labels_are_feminine_in_french_unlike_risks(band: str, fr: str, en: str) -> None:
    """French says "priorité haute" but "risque élevé": one English word, two French ones."""
    for lang, want in (("fr", fr), ("en", en)):
        with use_language(lang):
            assert model.priority_label(band) == want
    with use_language("fr"):
        assert labels.severity(band) != fr  # "élevé", "moyen", "faible"
    assert model.priority_label("unheard-of") == "unheard-of"


def test_the_reminder_mail_gives_the_priority_in_french() -> None:
    a = model.assign(
        _action("A-0001", risk=60),
        owner=Owner("Léa Petit", "lea.petit@example.org"),
        due=TODAY - timedelta(days=1),
        at=AT,
        actor="d",
    )
    (r,) = model.reminders([a], TODAY).owners
    with use_language("fr"):
        _subject, body = model.reminder_text(r, org_name="Ville de Saint-Exemple", today=TODAY)
    assert "priorité haute" in body, body


# ----------------------------------------------------------------------- state machine


class ActionMachine(RuleBasedStateMachine):
    """Any sequence of commands keeps the workflow's promises."""

    def __init__(self) -> None:
        super().__init__()
        self.a = _action()
        self.changes = 1  # the "created" event

    def _try(self, fn, target: ActionStatus | None) -> None:  # type: ignore[no-untyped-def]
        before = self.a
        try:
            self.a = fn(before)
        except TransitionRefused:
            assert target is None or target not in ALLOWED[before.status]
            assert self.a == before  # untouched
        else:
            if target is not None:
                assert target in ALLOWED[before.status]
            if self.a != before:
                self.changes += 1

    @rule()
    def start(self) -> None:
        self._try(lambda a: model.start(a, at=AT, today=TODAY, actor="x"), ActionStatus.IN_PROGRESS)

    @rule(note=st.text(max_size=20))
    def done(self, note: str) -> None:
        self._try(
            lambda a: model.complete(a, at=AT, today=TODAY, actor="x", note=note),
            ActionStatus.DONE,
        )

    @rule(reason=st.text(min_size=1, max_size=20).filter(lambda s: s.strip()))
    def abandon(self, reason: str) -> None:
        self._try(
            lambda a: model.abandon(a, at=AT, today=TODAY, actor="x", reason=reason),
            ActionStatus.ABANDONED,
        )

    @rule(days=st.integers(-30, 30), name=st.sampled_from(["Léa", "Marc", None]))
    def assign(self, days: int, name: str | None) -> None:
        self._try(
            lambda a: model.assign(
                a, owner=Owner(name), due=TODAY + timedelta(days=days), at=AT, actor="x"
            ),
            None,
        )

    @precondition(lambda self: self.a.is_open)
    @rule()
    def refresh(self) -> None:
        self._try(
            lambda a: model.refresh(
                a, _item(a.origin_key, title="Autre", risk=40), at=AT, actor="x"
            ),
            None,
        )

    @invariant()
    def history_tells_the_story(self) -> None:
        a = self.a
        assert len(a.history) == self.changes
        assert a.history[0].change == "created"
        assert a.history[-1].status is a.status
        assert (a.closed_on is None) == (a.status in OPEN)
        if a.status is ActionStatus.ABANDONED:
            assert a.reason and a.reason.strip()
        statuses = [e.status for e in a.history]
        for prev, nxt in itertools.pairwise(statuses):
            assert nxt == prev or nxt in ALLOWED[prev]


ActionMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=15, deadline=None)
TestActionMachine = ActionMachine.TestCase


@given(st.integers(0, 10**6), st.sampled_from(sorted(RISK)))
def test_priority_band_is_monotonic(volume: int, kind: str) -> None:
    order = ["low", "medium", "high", "critical"]
    r = risk_of(kind, volume)
    assert order.index(priority_band(r)) >= order.index(priority_band(RISK[kind]))
