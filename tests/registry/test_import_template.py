"""The CNIL template (filled in LibreOffice) and a Madis export come in; nothing is dropped silently.

Fixtures: ``data/cnil-filled.{ods,xlsx}`` are LibreOffice's own output, made by
``data/make_cnil_fixture.py`` from the CNIL's template; ``data/madis-traitements.csv``
follows Madis's TreatmentGenerator (see rgpd/registry/io/madis.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rgpd.registry import io as rio
from rgpd.registry.io import labels
from rgpd.registry.model import Activity, FinalDisposition, RecipientKind, Safeguard
from tests.clihelp import run_cli

DATA = Path(__file__).parent / "data"


def _outcome(name: str) -> rio.ImportOutcome:
    path = DATA / name
    return rio.parse_register_report(path.read_bytes(), path.suffix[1:], source=name)


def _by_ref(outcome: rio.ImportOutcome) -> dict[str, Activity]:
    return {a.ref: a for a in outcome.register.activities}


@pytest.fixture(scope="module", params=["cnil-filled.ods", "cnil-filled.xlsx"])
def cnil(request: pytest.FixtureRequest) -> rio.ImportOutcome:
    return _outcome(request.param)


def test_template_is_found_by_content_with_every_activity(cnil: rio.ImportOutcome) -> None:
    assert cnil.format == "cnil-template"
    # two fiches under names a DPO chose, and one activity only on the list; the CNIL's
    # example (list row and fiche) and the blank model fiche are not activities
    assert sorted(_by_ref(cnil)) == ["rh-02", "rs-01", "vp-03"]


def test_fiche_fields_come_in(cnil: rio.ImportOutcome) -> None:
    a = _by_ref(cnil)["rs-01"]
    assert a.name == "Restauration scolaire"
    assert str(a.created) == "2019-09-12"  # a date cell
    assert str(a.updated) == "2025-02-03"  # « 03/02/2025 » typed as text
    assert a.controller is not None and a.controller.name == "Mairie de Testville"
    assert a.controller.address == "1 place de la Mairie, 99000 Testville, France"
    assert a.controller.email == "mairie@example.org"
    assert a.dpo is not None and a.dpo.name == "Camille Martin (Syndicat numérique de l'Exemple)"
    assert a.purposes == ["Inscription des enfants à la cantine", "Facturation des repas"]
    cats = {c.category: c for c in a.data_categories}
    assert list(cats) == ["etat_civil", "economique_financier", "sante"]
    civil = cats["etat_civil"]
    assert civil.description == "nom, prénom des enfants et des parents"
    assert civil.retention is not None and civil.retention.active == "5y"
    assert civil.retention.trigger == "à compter de la fin de l'inscription"
    # read entirely (duration + trigger): nothing left over to keep as text
    assert civil.retention_text is None
    # free text that holds no leading duration stays free text
    assert cats["economique_financier"].retention is None
    assert cats["economique_financier"].retention_text == "Durée de l'inscription + 1 an"
    assert cats["sante"].retention is not None and cats["sante"].retention.active == "1y"
    assert [s.value for s in a.data_subjects] == ["parents", "mineurs", "autres"]
    assert a.data_subjects_details == "Parents: responsables légaux\nBénévoles: accompagnateurs"
    assert [(r.name, r.kind) for r in a.recipients] == [
        ("Service enfance", RecipientKind.INTERNAL),
        ("Éditeur du portail famille", RecipientKind.PROCESSOR),
    ]
    assert a.security.access_control == ["comptes nominatifs"]
    assert a.security.backup == ["sauvegarde quotidienne chiffrée"]
    # rows the DPO added with rgpd's titles: legal basis in words, Madis fields
    assert a.legal_basis is not None and a.legal_basis.value == "e"
    assert a.legal_basis_text == "Code de l'éducation, art. L212-4"
    assert [m.value for m in a.collection_methods] == ["formulaire_web", "formulaire_papier"]
    assert a.estimated_people == 850
    assert a.information is not None and a.information.where.startswith("Portail famille")


def test_second_fiche_with_transfer(cnil: rio.ImportOutcome) -> None:
    a = _by_ref(cnil)["rh-02"]
    assert str(a.created) == "2019-09-12" and str(a.updated) == "2024-11-30"
    assert [c.category for c in a.data_categories] == ["etat_civil", "economique_financier", "nir"]
    assert [s.value for s in a.data_subjects] == ["agents"]
    assert ("URSSAF", RecipientKind.EXTERNAL) in [(r.name, r.kind) for r in a.recipients]
    assert len(a.transfers) == 1
    t = a.transfers[0]
    assert (t.recipient, t.country, t.safeguard) == (
        "Banque d'Andorre",
        "Andorre",
        Safeguard.ADEQUACY,
    )
    assert t.details == "Contrat du 23/01/2018"
    assert a.security.traceability == ["journal des accès"]
    assert a.security.encryption == ["Chiffrement des données"]  # ticked without precision


def test_list_only_activity(cnil: rio.ImportOutcome) -> None:
    a = _by_ref(cnil)["vp-03"]
    assert a.name == "Vidéoprotection"
    assert str(a.created) == "2021-06-01"
    assert a.purposes == ["Sécurité des bâtiments publics"]


def test_every_unmapped_cell_is_reported(cnil: rio.ImportOutcome) -> None:
    notes = {(n.sheet, n.cell): n for n in cnil.notes}
    assert ("Cantine", "G30") in notes  # a stray remark beside the NIR row
    assert notes[("Cantine", "G30")].value == "à revoir avec le service"
    assert ("Cantine", "E27") in notes  # retention kept as free text
    assert ("Cantine", "B46") in notes  # « Bénévoles »: no such category of people
    assert ("Cantine", "A39") in notes  # health data: the Art. 9(2) condition is asked
    assert "9(2)" in notes[("Cantine", "A39")].message
    lst = next(n.sheet for n in cnil.notes if "Liste" in n.sheet)
    assert notes[(lst, "H12")].value == "Oui"  # sensitive flag without a fiche saying which
    assert (lst, "C1") in notes  # the organisation's name: managed with `rgpd org`
    assert (lst, "A9") in notes  # the CNIL's example row, skipped
    assert str(notes[("Cantine", "G30")]).startswith("« Cantine » G30")


def test_ods_and_xlsx_agree() -> None:
    ods, xlsx = _outcome("cnil-filled.ods"), _outcome("cnil-filled.xlsx")
    assert ods.register == xlsx.register
    assert ods.notes == xlsx.notes


def test_the_blank_cnil_template_imports_nothing() -> None:
    shipped = (
        Path(__file__).parents[3] / "shared" / "data" / "cnil" / "registre-traitement-simplifie.ods"
    )
    if not shipped.exists():
        from tests.conftest import missing

        missing("the CNIL template is in ../shared/data/cnil")  # fails under make test
    out = rio.parse_register_report(shipped.read_bytes(), "ods")
    assert out.format == "cnil-template"
    assert out.register.activities == []


# -- Madis ------------------------------------------------------------------------------------


def test_madis_export_comes_in() -> None:
    out = _outcome("madis-traitements.csv")
    assert out.format == "madis"
    acts = _by_ref(out)
    a = acts["inscriptions-scolaires-et-periscolaires"]
    assert a.legal_basis is not None and a.legal_basis.value == "e"
    assert a.legal_basis_text == "Code de l'éducation, art. L131-5"
    assert str(a.created) == "2019-03-14" and str(a.updated) == "2024-09-02"
    assert [c.category for c in a.data_categories] == [
        "etat_civil",
        "coordonnees",
        "economique_financier",
        "sante",
    ]
    assert all(c.retention and c.retention.active == "5y" for c in a.data_categories)
    assert a.data_categories[0].retention.final is FinalDisposition.DESTRUCTION  # type: ignore[union-attr]
    assert [s.value for s in a.data_subjects] == ["administres", "usagers", "autres"]
    assert "Autres: Enfants scolarisés" in (a.data_subjects_details or "")
    assert a.estimated_people == 1200
    assert a.paper_processing is True
    assert [m.value for m in a.collection_methods] == ["formulaire_web", "formulaire_papier"]
    assert a.dpo_opinion is not None and "infirmière" in (a.dpo_opinion.opinion or "")
    assert [(r.name, r.kind) for r in a.recipients] == [
        ("Service enfance", RecipientKind.INTERNAL),
        ("Trésor public", RecipientKind.EXTERNAL),
        ("Éditeur Portail Famille", RecipientKind.PROCESSOR),
        ("Hébergeur Exemple", RecipientKind.PROCESSOR),
    ]
    assert a.security.access_control[0] == "Comptes nominatifs par agent"
    assert a.security.backup == ["Sauvegarde"]
    assert [c.value for c in a.dpia.criteria] == ["personnes_vulnerables"]
    assert a.data_categories_details == "Régime alimentaire"
    old = acts["ancien-fichier-des-associations"]
    assert old.active is False
    assert old.legal_basis is not None and old.legal_basis.value == "a"
    elections = acts["gestion-des-listes-electorales"]
    assert elections.data_categories[0].retention is None
    assert "Tant que l'électeur est inscrit" in (elections.data_categories[0].retention_text or "")


def test_madis_unmapped_cells_are_reported() -> None:
    notes = {n.cell: n for n in _outcome("madis-traitements.csv").notes}
    assert notes["AM3"].value == "environ 3 000"  # not a number
    assert notes["AT3"].value.endswith("Télétransmission ENU")  # unknown means of collection
    assert "B2" in notes  # the collectivity: managed with `rgpd org`
    assert any("9(2)" in n.message for n in notes.values())


def test_madis_as_xlsx_is_detected_too(tmp_path: Path) -> None:
    from openpyxl import Workbook

    csv_sheet = rio.parse_register_report  # noqa: F841 — same parser, other container
    from rgpd.registry.io.madis import sheet_from_csv

    sheet = sheet_from_csv((DATA / "madis-traitements.csv").read_text(encoding="utf-8"))
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for (r, c), v in sheet.cells.items():
        ws.cell(r, c, v)
    path = tmp_path / "madis.xlsx"
    wb.save(path)
    out = rio.parse_register_report(path.read_bytes(), "xlsx")
    assert out.format == "madis"
    assert out.register == _outcome("madis-traitements.csv").register


# -- vocabulary -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 ans à compter du versement de la paie", ("5y", "à compter du versement de la paie")),
        ("6 mois", ("6m", None)),
        ("deux ans après la clôture", ("2y", "après la clôture")),
        ("Durée du contrat + 5 ans", None),
    ],
)
def test_free_text_retention(text: str, expected: tuple[str, str | None] | None) -> None:
    assert labels.parse_retention(text) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Données concernant la santé", "sante"),
        ("Numéro de Sécurité Sociale (ou NIR)", "nir"),
        ("Données relatives à des condamnations pénales ou  infractions", "infractions"),
        ("sante", "sante"),
        ("Fréquentation des lieux de culte?", None),
    ],
)
def test_cnil_category_labels(text: str, key: str | None) -> None:
    assert labels.category_key(text) == key


def test_flat_layout_accepts_french_words_dates_and_case() -> None:
    csv_text = (
        "Nom du traitement;Date de création;Base légale;Catégories de personnes concernées;"
        "Catégories de données;Durées de conservation\r\n"
        "Paie;12/09/2019;Mission d'intérêt public;Parents;Données concernant la santé;"
        "sante | 5 ans à compter du versement de la paie\r\n"
    )
    reg = rio.parse_register(csv_text.encode(), "csv")
    a = reg.activities[0]
    assert str(a.created) == "2019-09-12"
    assert a.legal_basis is not None and a.legal_basis.value == "e"
    assert [s.value for s in a.data_subjects] == ["parents"]
    ret = a.data_categories[0].retention
    assert ret is not None and ret.active == "5y"
    assert ret.trigger == "à compter du versement de la paie"


# -- CLI --------------------------------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RGPD_DATABASE_URL", f"sqlite:///{tmp_path / 'rgpd.db'}")
    monkeypatch.setenv("RGPD_ACTOR", "dpo-test")
    monkeypatch.delenv("RGPD_ORG", raising=False)
    monkeypatch.setenv("RGPD_LANG", "fr")
    assert run_cli(["init"]).code == 0
    assert run_cli(["org", "add", "mairie", "--name", "Ville de Test"]).code == 0
    return tmp_path


def test_cli_dry_run_writes_nothing_then_import(home: Path) -> None:
    path = str(DATA / "cnil-filled.ods")
    r = run_cli(["--org", "mairie", "registry", "import", path, "--dry-run"])
    assert r.code == 0, r.all
    assert "G30" in r.all and "rs-01" in r.all
    r = run_cli(["--org", "mairie", "registry", "list", "--json"])
    assert json.loads(r.out) == []
    r = run_cli(["--org", "mairie", "registry", "import", path])
    assert r.code == 0, r.all
    assert "« Cantine » G30" in r.err  # the per-cell report, in French
    r = run_cli(["--org", "mairie", "registry", "list", "--json"])
    assert sorted(a["ref"] for a in json.loads(r.out)) == ["rh-02", "rs-01", "vp-03"]
    r = run_cli(["--org", "mairie", "registry", "import", path, "--dry-run", "--json"])
    plan = json.loads(r.out)
    assert sorted(plan["plan"]["unchanged"]) == ["rh-02", "rs-01", "vp-03"]
    assert any(n["cell"] == "G30" for n in plan["notes"])
