"""Build tests/registry/data/cnil-filled.{ods,xlsx}: the CNIL template filled as a DPO would.

Run from the repository root (needs LibreOffice's ``soffice``)::

    python tests/registry/data/make_cnil_fixture.py

Steps, so that the fixtures are LibreOffice's own output and not ours:
1. LibreOffice converts the CNIL's template (``../shared/data/cnil/``) to XLSX;
2. openpyxl fills the list sheet and copies the model fiche once per activity
   (sheet names chosen like a DPO would, not the template's);
3. LibreOffice converts the filled workbook to ODS, then that ODS back to XLSX.

All people, addresses and numbers are invented (RFC 2606 domains).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT.parent / "shared" / "data" / "cnil" / "registre-traitement-simplifie.ods"
OUT = Path(__file__).resolve().parent


def soffice(src: Path, fmt: str, outdir: Path, profile: Path) -> Path:
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            fmt,
            "--outdir",
            str(outdir),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return outdir / (src.stem + "." + fmt)


def row_of(ws, label: str, start: int = 1) -> int:  # type: ignore[no-untyped-def]
    for r in range(start, ws.max_row + 1):
        v = ws.cell(r, 1).value
        if isinstance(v, str) and v.strip().splitlines()[-1].strip().startswith(label):
            return r
    raise LookupError(label)


def fill_fiche(ws, act: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    ws["B4"] = act["name"]
    ws["B5"] = act["ref"]
    ws["B6"] = act["created"]
    ws["B7"] = act["updated"]
    for label, values in act.get("actors", {}).items():
        r = row_of(ws, label)
        for col, v in zip("BCDEFGH", values, strict=False):
            ws[f"{col}{r}"] = v
    r = row_of(ws, "Finalité principale")
    for i, purpose in enumerate(act["purposes"]):
        ws.cell(r + i, 2, purpose)
    for label, desc, retention in act["categories"]:
        r = row_of(ws, label)
        ws.cell(r, 2, desc)
        ws.cell(r, 5, retention)
    for start, items in (
        ("Catégorie de personnes 1", act["subjects"]),
        ("Destinataire 1", act["recipients"]),
        ("Mesure de sécurité 1", act["security"]),
    ):
        r = row_of(ws, start)
        for i, (kind, precision) in enumerate(items):
            ws.cell(r + i, 2, kind)
            ws.cell(r + i, 5, precision)
    if act.get("transfers"):
        r = row_of(ws, "Organisme destinataire 1")
        for i, (rec, country, guarantee, doc) in enumerate(act["transfers"]):
            ws.cell(r + i, 2, rec)
            ws.cell(r + i, 3, country)
            ws.cell(r + i, 4, guarantee)
            ws.cell(r + i, 6, doc)
    # rows a DPO adds at the bottom: fields the CNIL template lacks, and a stray note
    last = ws.max_row + 2
    for i, (label, value) in enumerate(act.get("extra", [])):
        ws.cell(last + i, 1, label)
        ws.cell(last + i, 2, value)
    for cell, value in act.get("stray", []):
        ws[cell] = value


ACTIVITIES = [
    {
        "sheet": "Cantine",
        "name": "Restauration scolaire",
        "ref": "RS-01",
        "created": datetime(2019, 9, 12),  # a real date cell
        "updated": "03/02/2025",  # typed as text, French style
        "actors": {
            "Responsable du traitement": [
                "Mairie de Testville",
                "1 place de la Mairie",
                "99000",
                "Testville",
                "France",
                "01 00 00 00 00",
                "mairie@example.org",
            ],
            "Délégué à la protection des données": [
                "Camille Martin",
                "2 rue du Syndicat",
                "99000",
                "Testville",
                "France",
                "01 00 00 00 02",
                "dpo@example.org",
            ],
            "Société du DPO": ["Syndicat numérique de l'Exemple"],
        },
        "purposes": ["Inscription des enfants à la cantine", "Facturation des repas"],
        "categories": [
            (
                "État civil",
                "nom, prénom des enfants et des parents",
                "5 ans à compter de la fin de l'inscription",
            ),
            (
                "Informations d'ordre économique",
                "quotient familial",
                "Durée de l'inscription + 1 an",
            ),
            ("Données concernant la santé", "allergies alimentaires (PAI)", "1 an"),
        ],
        "subjects": [
            ("Parents", "responsables légaux"),
            ("Élèves", ""),
            ("Bénévoles", "accompagnateurs"),
        ],
        "recipients": [
            ("Service interne qui traite les données", "Service enfance"),
            ("Sous-traitants", "Éditeur du portail famille"),
        ],
        "security": [
            ("Contrôle d'accès des utilisateurs", "comptes nominatifs"),
            ("Sauvegarde des données", "sauvegarde quotidienne chiffrée"),
        ],
        "extra": [
            ("Base légale", "Mission d'intérêt public"),
            ("Texte fondant la base légale", "Code de l'éducation, art. L212-4"),
            ("Moyens de collecte", "Formulaire web\nFormulaire papier"),
            ("Nombre estimé de personnes concernées", "850"),
            ("Information : où", "Portail famille, page d'inscription"),
        ],
        "stray": [("G30", "à revoir avec le service")],
    },
    {
        "sheet": "Paie agents",
        "name": "Gestion de la paie",
        "ref": "RH-02",
        "created": "12/09/2019",
        "updated": "2024-11-30",
        "purposes": ["Calcul des rémunérations", "Déclarations sociales"],
        "categories": [
            ("État civil", "noms, prénoms, adresses", "5 ans à compter du versement de la paie"),
            (
                "Numéro de Sécurité Sociale",
                "NIR des agents",
                "5 ans à compter du versement de la paie",
            ),
            ("Informations d'ordre économique", "RIB", "5 ans"),
        ],
        "subjects": [("Salariés", "agents titulaires et contractuels")],
        "recipients": [
            ("Service interne qui traite les données", "Service RH"),
            ("Partenaires institutionnels ou commerciaux", "URSSAF"),
            (
                "Destinataires dans des pays tiers ou organisations internationales",
                "Banque d'Andorre",
            ),
        ],
        "security": [
            ("Mesures de traçabilité", "journal des accès"),
            ("Chiffrement des données", ""),
        ],
        "transfers": [
            ("Banque d'Andorre", "Andorre", "Pays adéquat", "Contrat du 23/01/2018"),
        ],
    },
]

LIST_ROWS = [
    # name, ref, created, updated, purpose, sensitive
    ("Restauration scolaire", "RS-01", "12/09/2019", "03/02/2025", "Cantine", "Oui"),
    ("Gestion de la paie", "RH-02", "12/09/2019", "30/11/2024", "Paie", "Non"),
    ("Vidéoprotection", "VP-03", "01/06/2021", "", "Sécurité des bâtiments publics", "Oui"),
]


def main() -> int:
    if not TEMPLATE.exists() or shutil.which("soffice") is None:
        print("needs the CNIL template and LibreOffice (soffice)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        profile = t / "profile"
        base = soffice(TEMPLATE, "xlsx", t, profile)
        wb = load_workbook(base)
        lst = next(ws for ws in wb.worksheets if "Liste" in ws.title)
        model = next(ws for ws in wb.worksheets if "Modèle" in ws.title)
        lst["C1"] = "Mairie de Testville"
        for i, row in enumerate(LIST_ROWS):
            r = 10 + i
            for col, v in zip(("A", "B", "C", "D", "E", "H"), row, strict=True):
                lst[f"{col}{r}"] = v
        for act in ACTIVITIES:
            ws = wb.copy_worksheet(model)
            ws.title = act["sheet"]
            fill_fiche(ws, act)
        filled = t / "cnil-filled.xlsx"
        wb.save(filled)
        (t / "ods").mkdir()
        ods = soffice(filled, "ods", t / "ods", profile)
        (t / "xlsx").mkdir()
        xlsx = soffice(ods, "xlsx", t / "xlsx", profile)
        shutil.copy(ods, OUT / "cnil-filled.ods")
        shutil.copy(xlsx, OUT / "cnil-filled.xlsx")
    print(f"written {OUT / 'cnil-filled.ods'} and {OUT / 'cnil-filled.xlsx'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
