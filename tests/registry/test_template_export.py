"""`registry export --format cnil-ods|cnil-xlsx`: the CNIL layout, printable, and it comes back.

Also: processors travel with every register export, so a register moved to another
install does not lint "unknown processor".
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rgpd.registry import io as rio
from rgpd.registry import service
from rgpd.registry.model import Activity, DpoOpinion, Organisation, Register
from rgpd.registry.rules import lint_register
from rgpd.registry.samples import sample_text
from tests.conftest import missing
from tests.registry.test_io import _unique, activities, cell_text

#: What the spreadsheet layouts do not carry: technical fields for the scanners and requests.
_TECHNICAL = (
    "data_locations",
    "person_identifiers",
    "erasure",
    "public_label",  # the forms' public names and groups (issue 12): YAML only
    "public_group",
    "public_description",
)


def template_view(a: Activity) -> dict[str, Any]:
    """An activity as the CNIL layout carries it: sensitive categories have their own
    section, so categories compare in key order."""
    d = a.model_dump(exclude=set(_TECHNICAL))
    d["data_categories"] = sorted(d["data_categories"], key=lambda c: c["category"])
    d["data_subjects"] = list(dict.fromkeys(d["data_subjects"]))  # a category is listed once
    return d


@pytest.fixture(scope="module")
def sample() -> Register:
    return rio.load_yaml(sample_text("commune"))


@pytest.mark.parametrize("fmt", ["cnil-ods", "cnil-xlsx"])
def test_cnil_layout_round_trip(sample: Register, fmt: str) -> None:
    data = rio.render_register(sample, fmt)
    assert isinstance(data, bytes)
    back = rio.parse_register_report(data, fmt.removeprefix("cnil-"))
    assert back.format == "cnil-template"
    assert back.notes == []  # our own export maps entirely
    assert [template_view(a) for a in back.register.activities] == [
        template_view(a) for a in sample.activities
    ]
    assert back.register.processors == sample.processors


def test_cnil_layout_shows_labels_not_codes(sample: Register) -> None:
    from rgpd.registry.io.sheets import read_workbook

    sheets = read_workbook(rio.render_register(sample, "cnil-xlsx"), "xlsx")  # type: ignore[arg-type]
    names = [s.name for s in sheets]
    assert names[0] == "Liste des traitements" and names[-1] == "Sous-traitants"
    assert len(names) == len(sample.activities) + 2
    fiche = " | ".join(sheets[1].cells.values())
    for label in ("État civil, identité", "Service interne qui traite les données", "Validé"):
        assert label in fiche
    for code in ("etat_civil", "interne", "valide", "2027-09-30"):
        assert f"| {code} |" not in f"| {fiche} |"
    assert "30/09/2027" in fiche  # review date, French style


def test_french_and_madis_fields_survive_the_template(sample: Register) -> None:
    a = sample.activities[0].model_copy(
        update={
            "estimated_people": 4200,
            "paper_processing": True,
            "active": False,
            "dpo_opinion": DpoOpinion(
                opinion="Avis favorable", validated=True, date=date(2025, 3, 1)
            ),
        }
    )
    reg = Register(activities=[Activity.model_validate(a.model_dump())])
    back = rio.parse_register_report(rio.render_register(reg, "cnil-ods"), "ods")  # type: ignore[arg-type]
    got = back.register.activities[0]
    assert (got.estimated_people, got.paper_processing, got.active) == (4200, True, False)
    assert got.dpo_opinion == reg.activities[0].dpo_opinion


@pytest.mark.slow
def test_export_prints_in_libreoffice(sample: Register, tmp_path: Path) -> None:
    """Rendered by LibreOffice to PDF: pages exist, in landscape, and are not blank."""
    if shutil.which("soffice") is None or shutil.which("pdftoppm") is None:
        missing("LibreOffice (soffice) and pdftoppm are needed (.ci/system-deps.sh)")
    small = Register(
        organisation=sample.organisation,
        activities=sample.activities[:2],
        processors=sample.processors,
    )
    src = tmp_path / "registre.ods"
    src.write_bytes(rio.render_register(small, "cnil-ods"))  # type: ignore[arg-type]
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pdf = tmp_path / "registre.pdf"
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    from PIL import Image

    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3  # the list, two fiches (and the processors)
    for page in pages:
        img = Image.open(page).convert("L")
        assert img.width > img.height  # landscape
        dark = sum(img.histogram()[:200])
        assert dark > 200, f"{page.name} is blank"


# -- processors travel with the register ------------------------------------------------------


@pytest.mark.parametrize("fmt", ["yaml", "cnil-xlsx"])
def test_processors_travel_to_another_install(ws: Any, sample: Register, fmt: str) -> None:
    data = rio.render_register(sample, fmt)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    service.add_org(ws, Organisation(slug="ailleurs", name="Autre installation"))
    parsed = rio.parse_register(raw, "yaml" if fmt == "yaml" else "xlsx")
    service.import_register(ws, "ailleurs", parsed)
    moved = service.export_register(ws, "ailleurs")
    assert {p.ref for p in moved.processors} == {p.ref for p in sample.processors}
    codes = {i.code for i in lint_register(moved, today=date(2026, 1, 1))}
    assert "processor_unknown" not in codes


# -- public register: only what may be published ----------------------------------------------


def test_public_register_publishes_collection_and_notice_not_internal_madis_fields(
    sample: Register,
) -> None:
    from rgpd.i18n import use_language

    with use_language("fr"):
        entries = {e["name"]: e for e in rio.public_register(sample)}
    cantine = entries["Restauration scolaire et portail famille"]
    assert cantine["collection_methods"] == ["formulaire en ligne", "formulaire papier"]
    assert cantine["information"].startswith("portail famille")
    text = json.dumps(entries, ensure_ascii=False)
    for private in ("850", "Avis favorable", "double opt-in", "horodatage"):
        assert private not in text
    stopped = sample.activities[0].model_copy(update={"active": False})
    reg = Register(activities=[stopped, *sample.activities[1:]])
    assert stopped.name not in {e["name"] for e in rio.public_register(reg)}


@settings(
    max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(acts=st.lists(activities(cell_text, technical=False), min_size=1, max_size=2))
def test_cnil_layout_round_trip_property(acts: list[Activity]) -> None:
    reg = Register(activities=_unique(acts))
    back = rio.parse_register_report(rio.render_register(reg, "cnil-ods"), "ods")  # type: ignore[arg-type]
    assert [template_view(a) for a in back.register.activities] == [
        template_view(a) for a in reg.activities
    ]
