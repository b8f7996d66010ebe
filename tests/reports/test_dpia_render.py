"""The DPIA document: snapshot of the CNIL layout, sanitised answers, risk map, PDF."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

from rgpd.i18n import use_language
from rgpd.registry.dpia.model import ImpactAssessment, Level
from rgpd.registry.dpia.pia_json import from_pia_json
from rgpd.registry.dpia.prefill import DpiaFacts, prefill
from rgpd.registry.model import Activity, Organisation
from rgpd.reports.context.dpia import build_dpia
from rgpd.reports.render import render_dpia_html, safe_html
from tests.conftest import missing
from tests.reports.test_render import SNAPSHOTS, _audit, normalise

UPDATE = os.environ.get("RGPD_UPDATE_SNAPSHOTS") == "1"
TODAY = date(2026, 12, 1)
ORG = Organisation(slug="mairie", name="Ville d'Exemple", dpo_name="Jeanne Exemple")
CAPTOO = (
    Path(__file__).resolve().parents[3] / "shared" / "data" / "cnil" / "pia-example-captoo.json"
)


def _dpia() -> ImpactAssessment:
    a = Activity.model_validate(
        {
            "ref": "video",
            "name": "Vidéoprotection",
            "purposes": ["Sécurité des bâtiments publics"],
            "legal_basis": "e",
            "legal_basis_text": "CSI L251-2",
            "data_subjects": ["usagers"],
            "data_categories": [{"category": "image", "retention": {"active": "30d"}}],
            "security": {
                "access_control": ["Comptes nominatifs"],
                "backup": ["Copie hebdomadaire"],
            },
        }
    )
    d = prefill(a, DpiaFacts(org=ORG, author="dpo", today=TODAY))
    d.risks.access.severity, d.risks.access.likelihood = Level.SIGNIFICANT, Level.LIMITED
    d.risks.access.residual_severity = Level.LIMITED
    d.risks.access.residual_likelihood = Level.NEGLIGIBLE
    d.risks.access.impacts = ["Atteinte à la vie privée"]
    d.validation.dpo_opinion = (
        "Avis favorable <script>alert('x')</script><b onclick='x()'>sous réserve</b>"
    )
    d.validation.dpo_status = 1
    d.validation.people_searched = False
    d.validation.people_not_sought_reason = "Information par affichage"
    return d


def _html(d: ImpactAssessment, lang: str = "en", for_pdf: bool = False) -> str:
    with use_language(lang):
        ctx = build_dpia(d, ORG, today=TODAY, lang=lang, review=())
        return render_dpia_html(ctx, for_pdf=for_pdf)


def test_snapshot() -> None:
    html = normalise(_html(_dpia()))
    path = SNAPSHOTS / "dpia.html"
    if UPDATE or not path.exists():
        path.write_text(html, encoding="utf-8")
        if not UPDATE:
            missing(f"snapshot created: {path.name}; commit it")
    assert html == path.read_text(encoding="utf-8"), "dpia.html differs: RGPD_UPDATE_SNAPSHOTS=1"


def test_cnil_layout_self_contained_and_sanitised() -> None:
    html = _html(_dpia())
    parts = [
        html.index(t)
        for t in ("1. Context", "2. Fundamental principles", "3. Risks", "4. Validation")
    ]
    assert parts == sorted(parts)
    for title in (
        "Illegitimate access to data",
        "Unwanted modification of data",
        "Disappearance of data",
    ):
        assert title in html
    assert "Risk map" in html and "<svg" in html
    assert "<script" not in html and "onclick" not in html
    assert "<b>sous réserve</b>" in html
    a = _audit(html)
    assert a.urls and all(u.startswith("#") for u in a.urls)  # in-page links only
    assert a.html_lang == "en" and a.th_without_scope == 0 and a.imgs_without_alt == 0


def test_french_by_default() -> None:
    html = _html(_dpia(), lang="fr")
    assert (
        'lang="fr"' in html
        and "Analyse d&#39;impact" in html
        and "Cartographie des risques" in html
    )


def test_safe_html() -> None:
    assert str(safe_html("a\nb < c")) == "a<br>b &lt; c"
    assert (
        str(safe_html("<p style='x'>t<img src='http://e.org/x.png'><a href='http://e.org'>l</a>"))
        == "<p>tl</p>"
    )
    assert str(safe_html("<ul><li>x")) == "<ul><li>x</li></ul>"


def test_captoo_renders() -> None:
    if not CAPTOO.exists():
        missing(f"needs the CNIL material: {CAPTOO}")
    d = from_pia_json(json.loads(CAPTOO.read_text(encoding="utf-8")))
    html = _html(d, lang="fr")
    assert "Chiffrement" in html and "Michael Thomas (DPO)" in html
    assert "TLS devrait être employé" in html  # an evaluator's corrective measure


def test_pdf_is_produced(tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        missing("needs poppler-utils (pdftoppm): run `make system-deps`")
    from pypdf import PdfReader

    from rgpd.reports.render import render_pdf

    pdf = tmp_path / "aipd.pdf"
    pdf.write_bytes(render_pdf(_html(_dpia(), for_pdf=True)))
    reader = PdfReader(str(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Data protection impact assessment" in text and f"1 / {len(reader.pages)}" in text
    assert "Illegitimate access to data" in text
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")],
        check=True,
        timeout=60,
    )
    assert list(tmp_path.glob("p*.png"))
