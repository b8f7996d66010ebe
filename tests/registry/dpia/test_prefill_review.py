"""A DPIA started from the register quotes it; Art. 35(11) review flags."""

from __future__ import annotations

from datetime import date

from rgpd.registry.dpia.prefill import DpiaFacts, FoundData, RightNote, prefill
from rgpd.registry.dpia.review import material_changes, review_status
from rgpd.registry.model import Activity, Organisation, Processor


def _activity(**kw: object) -> Activity:
    data = {
        "ref": "videoprotection",
        "name": "Vidéoprotection <centre>",
        "purposes": ["Prévenir les atteintes aux biens"],
        "legal_basis": "e",
        "legal_basis_text": "CSI L251-2",
        "data_subjects": ["usagers"],
        "data_categories": [
            {"category": "image", "retention": {"active": "30d"}},
            {"category": "sante", "retention_text": "durée du dossier"},
        ],
        "art9_condition": "g",
        "recipients": [
            {"name": "Police municipale"},
            {"name": "Hébergeur", "kind": "sous_traitant", "processor": "heb"},
        ],
        "security": {"access_control": ["Comptes nominatifs"], "backup": ["Sauvegarde chiffrée"]},
        "dpia": {"criteria": ["surveillance_systematique"]},
        "data_locations": [{"kind": "files", "path": "/srv/video/**"}],
        **kw,
    }
    return Activity.model_validate(data)


def test_prefill_quotes_the_register_and_discovery() -> None:
    a = _activity()
    facts = DpiaFacts(
        org=Organisation(slug="mairie", name="Ville d'Exemple", dpo_name="Jeanne Dpo"),
        processors=[Processor(ref="heb", name="Hébergeur SAS", contract_date=date(2024, 1, 2))],
        rights=[
            RightNote("access", "Access (Art. 15)", "applies"),
            RightNote("portability", "Portability (Art. 20)", "does_not_apply", ("Art. 20(3).",)),
        ],
        found=[FoundData("/srv/video/**", "FR_NIR", 2, 5)],
        author="dpo",
        today=date(2026, 12, 1),
    )
    d = prefill(a, facts)
    assert d.ref == "videoprotection" and d.activity_ref == "videoprotection"
    assert "&lt;centre&gt;" in d.context.overview.processing.text  # escaped
    assert "Prévenir les atteintes aux biens" in d.principles.proportionality.purposes.text
    assert "CSI L251-2" in d.principles.proportionality.legal_basis.text
    assert "30d" in d.principles.proportionality.retention.text
    assert "durée du dossier" in d.principles.proportionality.retention.text
    assert "Hébergeur SAS" in d.principles.rights.processors.text
    assert "2024-01-02" in d.principles.rights.processors.text
    assert "Art. 20(3)." in d.principles.rights.access_portability.text
    assert "FR_NIR" in d.context.data.supports.text
    assert "FR_NIR" in d.principles.proportionality.minimisation.text  # found, not declared
    assert "No transfer" in d.principles.rights.transfers.text
    assert [m.title for m in d.measures] == ["Logical access control", "Backups"]
    assert d.risks.access.measures == ["Logical access control"]
    assert d.risks.disappearance.measures == ["Backups"]
    assert d.risks.access.severity is None  # a judgement, not a fact
    assert d.validation.dpo_names == "Jeanne Dpo"
    assert d.assessed_on == date(2026, 12, 1)


def test_prefill_of_a_bare_activity() -> None:
    d = prefill(Activity(ref="vide", name="Vide"), DpiaFacts())
    assert d.measures == [] and d.context.overview.processing.text


def test_review_after_three_years_and_after_a_material_change() -> None:
    a1 = _activity()
    a2 = _activity(notes="rien de matériel")
    a3 = _activity(purposes=["Prévenir les atteintes aux biens", "Verbaliser"])
    changes = material_changes(
        [(date(2024, 1, 1), a1), (date(2024, 6, 1), a2), (date(2025, 3, 1), a3)]
    )
    assert changes == [(date(2025, 3, 1), ("purposes",))]
    assert not review_status(date(2025, 3, 1), changes, date(2028, 2, 29)).due
    r = review_status(date(2024, 1, 1), [], date(2027, 1, 1))
    assert r.due and "Art. 35(11)" in r.reasons[0] and r.flag == "review"
    assert not review_status(date(2024, 1, 2), [], date(2027, 1, 1)).due
    late = review_status(date(2025, 1, 1), changes, date(2025, 6, 1))
    assert late.due and "purposes" in late.reasons[0] and "Art. 35(11)" in late.reasons[0]
