"""Register storage: versions, history, isolation between organisations, atomic imports."""

from __future__ import annotations

import pytest

from rgpd import audit
from rgpd.errors import Conflict, NotFound, UnknownOrganisation, ValidationFailed
from rgpd.registry import service
from rgpd.registry.model import Activity, Organisation, Register
from rgpd.workspace import Workspace


def _act(ref: str = "cantine", **kw: object) -> Activity:
    base = {
        "ref": ref,
        "name": "Restauration scolaire",
        "purposes": ["Inscription et facturation de la cantine"],
        "legal_basis": "e",
        "legal_basis_text": "Code de l'éducation, art. L. 131-1",
        "data_subjects": ["parents", "mineurs"],
        "data_categories": [{"category": "etat_civil", "retention": {"active": "1y"}}],
    }
    base.update(kw)
    return Activity.model_validate(base)


@pytest.fixture
def two_orgs(ws_any: Workspace) -> Workspace:
    service.add_org(ws_any, Organisation(slug="mairie", name="Ville de Saint-Exemple"))
    service.add_org(ws_any, Organisation(slug="ccas", name="CCAS de Saint-Exemple", kind="ccas"))
    return ws_any


def test_add_edit_history_and_diff(two_orgs: Workspace) -> None:
    ws = two_orgs
    service.add_activity(ws, "mairie", _act())
    kind, rec = service.save_activity(ws, "mairie", _act(name="Cantine scolaire"))
    assert (kind, rec.version) == ("updated", 2)
    kind, rec = service.save_activity(ws, "mairie", _act(name="Cantine scolaire"))
    assert (kind, rec.version) == ("unchanged", 2)
    hist = service.history(ws, "mairie", "cantine")
    assert [v.version for v in hist] == [1, 2]
    assert [v.activity.name for v in hist] == ["Restauration scolaire", "Cantine scolaire"]
    from rgpd.registry.diff import diff

    changes = diff(
        hist[0].activity.model_dump(mode="json"), hist[1].activity.model_dump(mode="json")
    )
    assert [c.path for c in changes] == ["name"]
    with ws.db.session() as s:
        assert audit.verify(s).ok


def test_duplicate_and_missing(two_orgs: Workspace) -> None:
    service.add_activity(two_orgs, "mairie", _act())
    with pytest.raises(Conflict):
        service.add_activity(two_orgs, "mairie", _act())
    with pytest.raises(NotFound):
        service.get_activity(two_orgs, "mairie", "nope")
    with pytest.raises(UnknownOrganisation):
        service.list_activities(two_orgs, "inconnue")


def test_organisations_do_not_leak(two_orgs: Workspace) -> None:
    service.add_activity(two_orgs, "mairie", _act("cantine"))
    service.add_activity(two_orgs, "ccas", _act("aides"))
    assert [r.activity.ref for r in service.list_activities(two_orgs, "mairie")] == ["cantine"]
    assert [r.activity.ref for r in service.list_activities(two_orgs, "ccas")] == ["aides"]
    with pytest.raises(NotFound):
        service.get_activity(two_orgs, "ccas", "cantine")
    assert [a.ref for a in service.export_register(two_orgs, "ccas").activities] == ["aides"]


def test_delete_keeps_history(two_orgs: Workspace) -> None:
    service.add_activity(two_orgs, "mairie", _act())
    service.delete_activity(two_orgs, "mairie", "cantine")
    assert service.list_activities(two_orgs, "mairie") == []
    assert [v.change for v in service.history(two_orgs, "mairie", "cantine")] == [
        "created",
        "deleted",
    ]


def test_import_is_atomic(two_orgs: Workspace) -> None:
    reg = Register(activities=[_act("a1"), _act("a2")])
    res = service.import_register(two_orgs, "mairie", reg)
    assert (res.created, res.updated) == (2, 0)
    res = service.import_register(two_orgs, "mairie", reg)
    assert res.unchanged == 2
    res = service.import_register(two_orgs, "mairie", Register(activities=[_act("a1")]), prune=True)
    assert res.deleted == 1
    assert [r.activity.ref for r in service.list_activities(two_orgs, "mairie")] == ["a1"]


def test_validation_names_the_field() -> None:
    with pytest.raises(ValidationFailed) as ei:
        service.validate(
            Activity,
            {
                "ref": "x",
                "name": "n",
                "legal_basis": "g",
                "data_categories": [{"category": "inconnue"}],
            },
            "file.yaml",
        )
    fields = {p.field for p in ei.value.problems}
    assert "legal_basis" in fields
    assert "data_categories[0].category" in fields


def test_impossible_dates_rejected() -> None:
    with pytest.raises(ValidationFailed) as ei:
        service.validate(Activity, {"ref": "x", "name": "n", "created": "2026-02-30"})
    assert ei.value.problems[0].field == "created"
