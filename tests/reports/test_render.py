"""Rendered reports: snapshots, self-containment, accessibility, exports, PDF, sizes.

Snapshots live in tests/snapshots/reports/; ``RGPD_UPDATE_SNAPSHOTS=1`` rewrites
them. They are taken in English (message ids, independent of the French catalog
the lead fills later), with chart drawings replaced by a placeholder so that a
matplotlib upgrade does not churn them (charts are checked on their own below).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from rgpd.i18n import use_language
from rgpd.registry import service as registry
from rgpd.registry.io import import_csv
from rgpd.registry.model import Activity, Organisation
from rgpd.reports import service
from rgpd.reports.context import ReportKind
from rgpd.reports.render import render_html
from rgpd.workspace import Workspace
from tests.conftest import make_workspace, missing
from tests.reports import dataset

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots" / "reports"
UPDATE = os.environ.get("RGPD_UPDATE_SNAPSHOTS") == "1"
KINDS = [k.value for k in ReportKind]
SECRET = "Secretnom"  # in a sealed refusal reason: must never reach a report


_CACHE: dict[tuple[int, str, str, str], str] = {}


def _build(ws: Workspace, kind: str, lang: str = "en", org: str = "mairie") -> str:
    key = (id(ws), kind, lang, org)
    if key not in _CACHE:
        _CACHE[key] = _render(ws, kind, lang, org)
    return _CACHE[key]


def _render(ws: Workspace, kind: str, lang: str, org: str) -> str:
    with use_language(lang):
        rep = service.build(
            ws,
            kind,
            org=org,
            today=dataset.TODAY,
            now=dataset.NOW,
            year=dataset.YEAR if kind == "annual" else None,
        )
        return render_html(rep)


def normalise(html: str) -> str:
    """Keep what we render; drop what the plotting library draws."""
    html = re.sub(
        r"(<svg[^>]*>)(<title[^>]*>.*?</title><desc[^>]*>.*?</desc>).*?</svg>",
        r"\1\2[drawing]</svg>",
        html,
        flags=re.S,
    )
    return html.strip() + "\n"


@pytest.mark.parametrize("kind", KINDS)
def test_snapshot(fixed_ws: Workspace, kind: str) -> None:
    html = normalise(_build(fixed_ws, kind))
    path = SNAPSHOTS / f"{kind}.html"
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
        if not UPDATE:
            # a first run records the snapshot; under `make test` a missing one is a failure
            missing(f"snapshot created: {path.name}; commit it")
    expected = path.read_text(encoding="utf-8")
    assert html == expected, f"{path.name} differs: rerun with RGPD_UPDATE_SNAPSHOTS=1 if intended"


class _Audit(HTMLParser):
    """Collects what the accessibility and self-containment checks need."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.headings: list[int] = []
        self.th_without_scope = 0
        self.svgs: list[dict[str, str | None]] = []
        self.imgs_without_alt = 0
        self.html_lang: str | None = None
        self.ids: list[str] = []
        self.svg_titles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("src", "href", "xlink:href", "action", "poster", "data"):
            if a.get(key):
                self.urls.append(str(a[key]))
        if a.get("style"):
            self.urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", str(a["style"]))
        if tag == "html":
            self.html_lang = a.get("lang")
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "th" and not a.get("scope"):
            self.th_without_scope += 1
        if tag == "svg":
            self.svgs.append(a)
        if tag == "title":
            self.svg_titles += 1
        if tag == "img" and not a.get("alt"):
            self.imgs_without_alt += 1
        if tag in ("link", "script", "iframe", "object", "embed"):
            self.urls.append(f"<{tag}>")
        if a.get("id"):
            self.ids.append(str(a["id"]))


def _audit(html: str) -> _Audit:
    p = _Audit()
    p.feed(html)
    css = " ".join(re.findall(r"<style[^>]*>(.*?)</style>", html, flags=re.S))
    p.urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", css)
    p.urls += [f"@import {m}" for m in re.findall(r"@import\s+([^;]+)", css)]
    return p


@pytest.mark.parametrize("kind", KINDS)
def test_self_contained_and_accessible(fixed_ws: Workspace, kind: str) -> None:
    html = _build(fixed_ws, kind)
    a = _audit(html)
    external = [u for u in a.urls if not (u.startswith("#") or u.startswith("data:"))]
    assert external == []
    assert a.html_lang == "en"
    assert a.headings[0] == 1 and a.headings.count(1) == 1
    assert all(b - p <= 1 for p, b in zip(a.headings, a.headings[1:], strict=False)), a.headings
    assert a.th_without_scope == 0
    assert a.imgs_without_alt == 0
    assert all(s.get("role") == "img" and s.get("aria-labelledby") for s in a.svgs)
    assert a.svg_titles >= len(a.svgs) + 1  # the page <title> plus one per chart
    dup = {i for i in a.ids if a.ids.count(i) > 1}
    assert dup == set()
    assert SECRET not in html


def test_french_by_default(fixed_ws: Workspace) -> None:
    html = _build(fixed_ws, "annual", lang="fr")
    a = _audit(html)
    assert a.html_lang == "fr"
    assert "novembre 2026" in html  # dates through Babel in the report's language
    assert [u for u in a.urls if not u.startswith(("#", "data:"))] == []


def _column(html: str, table: str, header: str) -> list[str]:
    """The cells under ``header`` in the mairie's report table ``table`` (its id's stem)."""
    heads = re.findall(rf'<th[^>]*id="(t-mairie-{table}-[^"]*)"[^>]*>([^<]*)<', html)
    (col,) = [i for i, text in heads if text.strip() == header]
    return [c.strip() for c in re.findall(rf'<td[^>]*headers="[^"]*\b{col}"[^>]*>([^<]*)<', html)]


def test_french_words_with_two_meanings_each_keep_theirs(fixed_ws: Workspace) -> None:
    """msgctxt: a priority is "haute, moyenne, basse" (une priorité), a risk "élevé, moyen,
    faible" (un risque); the maturity's "Change" is an "Évolution". Before the contexts the
    .po's first entry won: risks read "haute" and the maturity "Changement"."""
    html = _build(fixed_ws, "annual", lang="fr")
    priorities = _column(html, "actions-open", "Priorité")
    assert priorities and set(priorities) <= {"critique", "haute", "moyenne", "basse"}
    assert {"haute", "moyenne"} <= set(priorities), priorities
    severities = _column(html, "scan-entities", "Gravité")
    assert {"élevé", "moyen"} <= set(severities) <= {"aucun risque", "faible", "moyen", "élevé"}
    assert ">Évolution<" in html  # the maturity per domain's column
    english = _build(fixed_ws, "annual")
    assert set(_column(english, "actions-open", "Priority")) <= {
        "critical",
        "high",
        "medium",
        "low",
    }
    assert "high" in _column(english, "scan-entities", "Severity")


def test_consolidated_report_keeps_organisations_apart(fixed_ws: Workspace) -> None:
    with use_language("en"):
        rep = service.build(fixed_ws, "annual", all_orgs=True, today=dataset.TODAY, now=dataset.NOW)
    assert [s.org.slug for s in rep.sections] == ["ccas", "mairie"]
    ccas, mairie = rep.sections
    assert ccas.requests is not None and ccas.requests.total == 0
    assert mairie.requests is not None and mairie.requests.total == 8
    assert ccas.scan is not None and not ccas.scan.has_data
    assert rep.totals is not None
    total = rep.totals.rows[-1]
    per_org = rep.totals.rows[:-1]
    col = rep.totals.columns.index("Requests")
    assert total[col] == sum(r[col] for r in per_org) == 8  # type: ignore[misc]
    html = render_html(rep)
    a = _audit(html)
    assert {i for i in a.ids if a.ids.count(i) > 1} == set()
    assert a.headings.count(1) == 1


def test_user_content_is_escaped(tmp_path: Path) -> None:
    ws = make_workspace("sqlite://", tmp_path)
    registry.add_org(ws, Organisation(slug="x", name="<b>Ville</b>"))
    registry.save_activity(
        ws, "x", Activity(ref="a", name='<script>alert("x")</script>', purposes=["<img src=x>"])
    )
    with use_language("en"):
        html = render_html(
            service.build(ws, "register", org="x", today=dataset.TODAY, now=dataset.NOW)
        )
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<img src=x>" not in html
    assert "<b>Ville</b>" not in html


def test_templates_override(fixed_ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "cover.html").write_text(
        '<header class="cover"><h1>{{ report.title }}</h1><p>Mairie de Test — modèle maison</p></header>',
        encoding="utf-8",
    )
    with use_language("en"):
        rep = service.build(
            fixed_ws, "breaches", org="mairie", today=dataset.TODAY, now=dataset.NOW
        )
        html = render_html(rep, templates_dir=folder)
        fixed_ws.settings.raw["reports"] = {"templates": str(folder)}
        try:
            via_config = service.render(fixed_ws, rep, "html")
        finally:
            del fixed_ws.settings.raw["reports"]
    assert "modèle maison" in html and "modèle maison" in str(via_config)
    assert "Personal data breaches" in html  # the rest of the built-in templates still applies


def test_csv_and_xlsx_exports(fixed_ws: Workspace) -> None:
    from openpyxl import load_workbook

    with use_language("en"):
        reg = service.build(
            fixed_ws, "register", org="mairie", today=dataset.TODAY, now=dataset.NOW
        )
        csv_text = service.render(fixed_ws, reg, "csv")
        xlsx = service.render(fixed_ws, reg, "xlsx")
        req = service.build(
            fixed_ws, "requests", org="mairie", today=dataset.TODAY, now=dataset.NOW
        )
        req_csv = service.render(fixed_ws, req, "csv")
    assert isinstance(csv_text, str) and isinstance(xlsx, bytes) and isinstance(req_csv, str)
    n = len(registry.list_activities(fixed_ws, "mairie"))
    assert len(import_csv(csv_text.lstrip("\ufeff")).activities) == n  # CNIL layout re-imports
    wb = load_workbook(io.BytesIO(xlsx))
    assert (
        len(wb.sheetnames) == n + 5
    )  # one sheet per activity + summary, issues, processors, public, software
    assert "R-2026-006" in req_csv and SECRET not in req_csv
    assert req_csv.startswith("\ufeff")


def _png_variance(png: Path) -> float:
    from PIL import Image, ImageStat

    img = Image.open(png).convert("L")
    return float(ImageStat.Stat(img).var[0])


def test_pdf_has_pages_headers_and_renders(fixed_ws: Workspace, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        missing("needs poppler-utils (pdftoppm): run `make system-deps`")
    from pypdf import PdfReader

    w = service.generate(
        fixed_ws,
        "breaches",
        org="mairie",
        fmt="pdf",
        out_dir=tmp_path,
        lang="en",
        today=dataset.TODAY,
        now=dataset.NOW,
    )
    reader = PdfReader(str(w.path))
    pages = len(reader.pages)
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert f"1 / {pages}" in text  # @page counters
    assert "Personal data breaches" in text
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(w.path), str(tmp_path / "p")],
        check=True,
        timeout=60,
    )
    png = next(tmp_path.glob("p*.png"))
    assert _png_variance(png) > 50


def test_single_activity_and_empty_org_render(tmp_path: Path) -> None:
    ws = make_workspace("sqlite://", tmp_path)
    registry.add_org(ws, Organisation(slug="vide", name="Commune vide"))
    registry.add_org(ws, Organisation(slug="une", name="Commune à un traitement"))
    registry.save_activity(ws, "une", Activity(ref="seul", name="Seul traitement"))
    for org in ("vide", "une"):
        for kind in KINDS:
            html = _build(ws, kind, org=org)
            assert "</html>" in html
            if org == "une" and kind == "register":
                assert "Seul traitement" in html


@pytest.mark.slow
def test_large_organisation_renders(tmp_path: Path) -> None:
    ws = make_workspace("sqlite://", tmp_path)
    dataset.seed_large(ws, "grande")
    with use_language("en"):
        rep = service.build(
            ws, "annual", org="grande", year=dataset.YEAR, today=dataset.TODAY, now=dataset.NOW
        )
        html = render_html(rep)
    s = rep.sections[0]
    assert s.register is not None and s.register.activities_count == 200
    assert s.scan is not None and s.scan.sources_with_findings == 10_000
    assert s.requests is not None and s.requests.total == 5_000
    assert len(s.scan.by_location.rows) == 25 and (s.scan.by_location.total_rows or 0) > 25
    assert "Showing the first 25 of" in html
    a = _audit(html)
    assert [u for u in a.urls if not u.startswith(("#", "data:"))] == []
