"""Citizens' forms generated from the register: content, RGAA markup, contract, PDF, CLI."""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rgpd.errors import InvalidInput
from rgpd.i18n import get_language, use_language
from rgpd.registry import service
from rgpd.registry.model import Activity, LegalBasis, PersonIdentifier, Role
from rgpd.requests import forms
from rgpd.requests.forms import (
    FORM_RIGHTS,
    RIGHT_VALUES,
    SLUGS,
    build_forms,
    build_site,
    contrast_ratio,
    form_spec,
    offered_rights,
    palette,
    translate,
)
from rgpd.requests.model import RequestType
from rgpd.requests.rights import Applicability, assess_right
from rgpd.workspace import Workspace
from tests.clihelp import run_cli

from .forms_fixtures import ORG, Page, activities, organisation

SNAPSHOTS = Path(__file__).parent.parent / "snapshots"
R = RequestType

# Which services each right lists, reasoned from the legal bases of forms_fixtures:
# erasure: not for (c)/(e) (Art. 17(3)(b)); portability: only (a)/(b) (Art. 20(1), 20(3));
# objection: only (e)/(f) (Art. 21(1)); the processor's activity never (Art. 28(3)(e)).
ALL = {"cantine", "etat-civil", "rh-paie", "newsletter", "salles"}
EXPECTED_SERVICES = {
    R.ACCESS: ALL,
    R.RECTIFICATION: ALL,
    R.ERASURE: {"newsletter", "salles"},
    R.RESTRICTION: ALL,
    R.PORTABILITY: {"newsletter", "salles"},
    R.OBJECTION: {"cantine"},
    R.POST_MORTEM: ALL,
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("forms")
    build_site(organisation(), activities(), out)
    return out / ORG


def page(site: Path, lang: str, right: RequestType | None = None) -> tuple[str, Page]:
    html = (site / forms.page_path(lang, right)).read_text(encoding="utf-8")
    return html, Page(html)


# ------------------------------------------------------------------ what the register decides


@pytest.mark.parametrize("right", FORM_RIGHTS)
def test_services_listed_follow_the_legal_basis(right: RequestType) -> None:
    assert set(form_spec(right, activities()).service_refs) == EXPECTED_SERVICES[right]


@pytest.mark.parametrize(
    ("right", "id_fields", "phone", "birth"),
    [
        (R.PORTABILITY, {"id_numero_reservation"}, False, False),
        (R.OBJECTION, {"id_numero_famille"}, True, False),
        (R.ERASURE, {"id_numero_reservation"}, False, False),
        (
            R.ACCESS,
            {"id_numero_famille", "id_nir", "id_matricule", "id_numero_reservation"},
            True,
            True,
        ),
    ],
)
def test_only_the_identifiers_of_listed_services_are_asked(
    site: Path, right: RequestType, id_fields: set[str], phone: bool, birth: bool
) -> None:
    """The first page holds (hidden, disabled, for the script) what some listed service uses."""
    for lang in ("fr", "en"):
        _html, p = page(site, lang, right)
        names = p.field_names()
        assert {n for n in names if n.startswith("id_")} == id_fields
        assert ("phone" in names) is phone
        assert ("birth_date" in names) is birth
        # never a field for the processor's identifier, nor a duplicate e-mail field
        assert "id_matricule_sivom" not in names and "id_email" not in names


def test_identifier_required_only_when_every_listed_service_requires_it(site: Path) -> None:
    _h, objection = page(site, "fr", R.OBJECTION)
    assert "required" in objection.by_id("f-id_numero_famille")[1]  # cantine alone
    _html, access = page(site, "fr", R.ACCESS)
    famille = access.by_id("f-id_numero_famille")[1]
    assert "required" not in famille and "disabled" in famille
    # the script reveals it for the canteen and makes it required then
    at = next(
        i for i, (_t, a) in enumerate(access.elements) if a.get("id") == "f-id_numero_famille"
    )
    wrapper = next(
        a for t, a in reversed(access.elements[:at]) if t == "div" and "data-used-by" in a
    )
    assert wrapper["data-used-by"] == "cantine"
    assert wrapper["data-required-by"] == "cantine"
    spec = form_spec(R.ACCESS, activities())
    assert set(spec.required_identifiers(["cantine"])) == {"id_numero_famille"}
    assert set(spec.required_identifiers(["etat-civil"])) == {"birth_date"}
    assert spec.required_identifiers(["salles"]) == ()


def test_rights_without_any_applicable_service_get_no_page(tmp_path: Path) -> None:
    public = [
        a
        for a in activities()
        if a.legal_basis in (LegalBasis.PUBLIC_TASK, LegalBasis.LEGAL_OBLIGATION)
    ]
    res = build_site(organisation(), public, tmp_path)
    assert R.PORTABILITY not in res.rights and R.ERASURE not in res.rights
    assert not (res.out_dir / "fr" / f"{SLUGS['fr'][R.PORTABILITY]}.html").exists()
    index = (res.out_dir / "fr" / "index.html").read_text(encoding="utf-8")
    assert f"{SLUGS['fr'][R.PORTABILITY]}.html" not in index
    assert f"{SLUGS['fr'][R.OBJECTION]}.html" in index


def test_a_register_without_controlled_activity_gets_an_entry_page_only(tmp_path: Path) -> None:
    processor_only = [a for a in activities() if a.role is Role.PROCESSOR]
    res = build_site(organisation(), processor_only, tmp_path, action_base="/rgpd")
    assert res.rights == () and res.warnings
    assert sorted(p.relative_to(res.out_dir).as_posix() for p in res.pages) == [
        "en/index.html",
        "fr/index.html",
        "index.html",
    ]
    p = Page((res.out_dir / "fr" / "index.html").read_text(encoding="utf-8"))
    assert any(a.get("role") == "status" for _t, a in p.elements)  # announced (RGAA 7.5)


def test_action_base_prefixes_the_submission_path(tmp_path: Path) -> None:
    res = build_site(organisation(), activities(), tmp_path, langs=("en",), action_base="/rgpd/")
    p = Page((res.out_dir / forms.page_path("en", R.ACCESS)).read_text(encoding="utf-8"))
    assert p.all("form")[0]["action"] == f"/rgpd/o/{ORG}/submit"
    assert p.all("html")[0]["lang"] == "en"
    assert not any(a.get("hreflang") for a in p.all("a"))  # one language: no switch


def test_rebuild_removes_pages_of_rights_no_longer_offered(tmp_path: Path) -> None:
    build_site(organisation(), activities(), tmp_path)
    stale = tmp_path / ORG / "fr" / f"{SLUGS['fr'][R.PORTABILITY]}.html"
    assert stale.exists()
    public = [a for a in activities() if a.legal_basis is LegalBasis.PUBLIC_TASK]
    build_site(organisation(), public, tmp_path)
    assert not stale.exists()


_bases = st.sampled_from([None, *LegalBasis])
_activity = st.builds(
    lambda i, basis, soft, role, keys: Activity(
        ref=f"a{i}",
        name=f"Activité {i}",
        legal_basis=basis,
        role=role,
        software=["logiciel"] if soft else [],
        person_identifiers=[PersonIdentifier(key=k, required=r) for k, r in keys],
    ),
    st.integers(0, 10_000),
    _bases,
    st.booleans(),
    st.sampled_from(list(Role)),
    st.lists(
        st.tuples(
            st.sampled_from(["nir", "email", "matricule", "telephone", "dob", "carte"]),
            st.booleans(),
        ),
        max_size=3,
        unique_by=lambda t: t[0],
    ),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_activity, max_size=6, unique_by=lambda a: a.ref), st.sampled_from(FORM_RIGHTS))
def test_spec_agrees_with_the_rights_matrix(acts: list[Activity], right: RequestType) -> None:
    spec = form_spec(right, acts)
    listed = set(spec.service_refs)
    for a in acts:
        applies = assess_right(right, a).applicability is not Applicability.DOES_NOT_APPLY
        assert (a.ref in listed) == (a.role is Role.CONTROLLER and applies)
    declared = {p.key for a in acts if a.ref in listed for p in a.person_identifiers}
    asked = {f.key for f in spec.identifiers}
    assert asked <= declared
    # covered by standard fields, or a NIR without the "nir" category (not asked)
    unbacked = {k for _ref, k in spec.unbacked}
    assert declared - asked <= {"email", "telephone", "dob"} | unbacked
    assert ("nir" in unbacked) == any(
        p.key == "nir" for a in acts if a.ref in listed for p in a.person_identifiers
    )
    assert spec.ask_phone == ("telephone" in declared)
    assert spec.ask_birth_date == ("dob" in declared)
    assert (right in offered_rights(acts)) == bool(listed)


# ------------------------------------------------------------------ pages and RGAA markup


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("right", FORM_RIGHTS)
def test_every_form_page_is_labelled_and_posts_the_contract(
    site: Path, lang: str, right: RequestType
) -> None:
    html, p = page(site, lang, right)
    assert p.all("html")[0]["lang"] == lang
    ids = p.ids()
    assert len(ids) == len(set(ids)), "duplicate ids"
    (form,) = p.all("form")
    assert form["method"] == "post" and form["action"] == f"/o/{ORG}/submit"
    hidden = {a["name"]: a["value"] for a in p.all("input") if a.get("type") == "hidden"}
    assert hidden == {
        "csrf_token": forms.CSRF_PLACEHOLDER,
        "right": RIGHT_VALUES[right],
        "lang": lang,
    }
    # RGAA 11.1: every control has a label naming it
    for _tag, a in p.fields():
        assert p.label_text.get(a["id"], "").strip(), a["name"]
        for ref in a.get("aria-describedby", "").split():
            assert ref in ids
    # RGAA 11.10: required fields marked before submission, and the marker explained
    required = {a["name"] for _t, a in p.fields() if "required" in a}
    assert {"first_name", "last_name", "email"} <= required
    assert ("details" in required) is (right in (R.RECTIFICATION, R.OBJECTION))
    assert "(*)" in html
    # RGAA 11.13: input purposes
    auto = {a["name"]: a.get("autocomplete") for _t, a in p.fields() if a.get("type") != "checkbox"}
    assert auto["first_name"] == "given-name" and auto["last_name"] == "family-name"
    assert auto["email"] == "email"
    if "phone" in auto:
        assert auto["phone"] == "tel"
    if "birth_date" in auto:
        assert auto["birth_date"] == "bday"
    # a skip link to main, a title, the other language
    assert p.all("a")[0]["href"] == "#main" and "main" in ids
    assert any(a.get("hreflang") == ("en" if lang == "fr" else "fr") for a in p.all("a"))
    services = {a["value"] for a in p.all("input") if a.get("name") == "activities"}
    assert services == EXPECTED_SERVICES[right] | {forms.ALL_SERVICES}  # "I don't know" too


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_entry_page_lists_each_offered_right_with_its_article(site: Path, lang: str) -> None:
    _html, p = page(site, lang)
    links = {a["href"] for a in p.all("a")}
    text = "".join(p.text)
    for r in FORM_RIGHTS:
        assert f"{SLUGS[lang][r]}.html" in links
        assert translate(r.article, lang) in text
        assert translate(r.label, lang) in text
    assert "Ville de Saint-Exemple" in text and "dpo@example.org" in text


def test_french_pages_are_in_french(site: Path) -> None:
    """Every text of the forms has a French translation (the pages are for French citizens)."""
    from babel.messages.extract import extract_from_file

    msgids: set[str] = set()
    for tpl in forms.TEMPLATE_DIR.glob("*.j2"):
        for _l, msg, _c, _ctx in extract_from_file("jinja2", str(tpl)):
            msgids.add(msg if isinstance(msg, str) else msg[0])
    msgids |= set(forms.RIGHT_SUMMARIES.values()) | {
        t for pair in forms.DETAILS_TEXT.values() for t in pair
    }
    msgids |= {r.label for r in FORM_RIGHTS} | {r.article for r in FORM_RIGHTS}
    msgids |= set(forms._ROLE_LABELS.values()) | set(forms._ROLE_LABELS_AFTER_DEATH.values())
    assert len(msgids) > 50
    missing = sorted(m for m in msgids if translate(m, "fr") == m and m not in {"Signature"})
    assert missing == []
    _html, p = page(site, "fr", R.ACCESS)
    text = "".join(p.text)
    assert "Droit d'accès" in text and "Right of access" not in text


_EXTERNAL = re.compile(
    r"""(?:src|href|action|data|poster|srcset)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""", re.I
)


def test_no_external_resource_and_nothing_a_strict_csp_blocks(site: Path) -> None:
    """docs/intake-api.md §1: default-src 'self' — no script, no inline style, no CDN."""
    files = list(site.rglob("*.html")) + list(site.rglob("*.css"))
    assert len(files) > 10
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert not _EXTERNAL.search(text), f
        assert "@import" not in text and not re.search(r"url\(\s*['\"]?(?:https?:)?//", text), f
        if f.suffix == ".html":
            low = text.lower()
            # one same-origin script, only on the forms, and no inline code anywhere
            scripts = re.findall(r"<script[^>]*>(.*?)</script>", low, re.S)
            assert all(body.strip() == "" for body in scripts), f
            assert set(re.findall(r"<script[^>]*>", low)) <= {
                '<script src="../assets/form.js" defer>'
            }, f
            assert "<style" not in low and " style=" not in low, f
            assert not re.search(r"<[^>]+\son[a-z]+\s*=", low), f  # no inline handler
            for a in Page(text).all("a"):
                href = a.get("href", "")
                assert href.startswith(("#", "../", "mailto:", "tel:")) or "://" not in href


def test_rendered_page_matches_snapshot(tmp_path: Path) -> None:
    """The whole markup of one page, so any change to it is seen and reviewed."""
    res = build_site(organisation(), activities(), tmp_path, langs=("fr", "en"))
    html = (res.out_dir / forms.page_path("fr", R.OBJECTION)).read_text(encoding="utf-8")
    normalised = "\n".join(line.rstrip() for line in html.splitlines() if line.strip()) + "\n"
    snap = SNAPSHOTS / "forms_objection_fr.html"
    if os.environ.get("RGPD_UPDATE_SNAPSHOTS") == "1":
        snap.parent.mkdir(exist_ok=True)
        snap.write_text(normalised, encoding="utf-8")
    assert snap.exists(), "run with RGPD_UPDATE_SNAPSHOTS=1 to create the snapshot"
    assert normalised == snap.read_text(encoding="utf-8")


# ------------------------------------------------------------------ errors, values, escaping


def test_correction_page_ties_each_error_to_its_field() -> None:
    spec = form_spec(R.ACCESS, activities())
    ctx = forms.PageContext("fr", "../assets", "index.html", "en", None, f"/o/{ORG}/submit")
    hostile = '"><script>alert(1)</script>'
    errors = {
        "email": "Adresse électronique invalide.",
        "id_numero_famille": "Obligatoire.",
    }
    html = forms.render_form(
        organisation(),
        spec,
        ctx,
        values={
            "email": hostile,
            "activities": ["cantine"],
            "first_name": "Zoé",
            "csrf_token": "tok",
        },
        errors=errors,
        stage="details",
    )
    p = Page(html)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert p.by_id("f-email")[1]["value"] == hostile  # given back as typed, escaped
    assert p.by_id("f-first_name")[1]["value"] == "Zoé"
    hidden = [a["value"] for a in p.all("input") if a.get("name") == "activities"]
    assert hidden == ["cantine"]  # the services chosen travel in hidden fields
    assert {a["value"] for a in p.all("input") if a.get("name") == "csrf_token"} == {"tok"}
    (summary,) = [a for t, a in p.elements if a.get("class") == "error-summary"]
    assert summary["role"] == "alert"
    targets = [a["href"] for a in p.all("a") if a.get("href", "").startswith("#f-")]
    assert len(targets) == len(errors)
    for href in targets:
        p.by_id(href[1:])  # every link lands on a real field
    for name in errors:
        assert p.by_id(f"err-{name}")[0] == "p"
    for ident in ("f-email", "f-id_numero_famille"):
        a = p.by_id(ident)[1]
        assert a["aria-invalid"] == "true" and "disabled" not in a
    assert "err-email" in p.by_id("f-email")[1]["aria-describedby"].split()
    assert p.all("title")  # and the title says there is an error
    assert html.split("<title>")[1].startswith("Erreur")
    # each summary entry names its field once, whether or not the message already does
    entries = [t.strip() for t in re.findall(r'<a href="#f-[^"]+">([^<]+)</a>', html)]
    assert "Adresse électronique : Adresse électronique invalide." not in entries
    assert "Adresse électronique invalide." in entries


def test_services_error_sends_back_to_the_first_step_keeping_what_was_typed() -> None:
    spec = form_spec(R.ACCESS, activities())
    ctx = forms.PageContext("fr", "../assets", "index.html", "en", None, f"/o/{ORG}/submit")
    html = forms.render_form(
        organisation(),
        spec,
        ctx,
        values={"activities": ["salles"], "first_name": "Zoé", "id_nir": "", "csrf_token": "t"},
        errors={"activities": "Choisissez un service."},
        stage="start",
    )
    p = Page(html)
    assert "checked" in p.by_id("f-activities-salles")[1]
    assert "checked" not in p.by_id("f-activities-cantine")[1]
    for ident in ("f-activities-all", "f-activities-cantine"):
        assert p.by_id(ident)[1]["aria-invalid"] == "true"
    entries = [t.strip() for t in re.findall(r'<a href="#f-[^"]+">([^<]+)</a>', html)]
    assert entries == ["Services concernés : Choisissez un service."]
    assert re.findall(r'<a href="#(f-[^"]+)">', html) == ["f-activities-all"]
    # typed values ride along in hidden fields (empty ones are not carried); no script
    carried = {a["name"]: a["value"] for a in p.all("input") if a.get("type") == "hidden"}
    assert carried["first_name"] == "Zoé" and "id_nir" not in carried
    assert "f-first_name" not in p.ids() and "<script" not in html
    with pytest.raises(InvalidInput):
        forms.render_form(organisation(), spec, ctx, stage="third")


# ------------------------------------------------------------------ colours


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#abcdef", "#abcdef") == pytest.approx(1)


_colour = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")


@settings(max_examples=300)
@given(_colour, _colour)
def test_any_organisation_colours_give_readable_pairs(primary: str, secondary: str) -> None:
    pal = palette(primary, secondary)
    assert pal.primary == primary
    assert contrast_ratio(pal.on_primary, pal.primary) >= 4.5
    for bg in ("#ffffff", pal.band):
        assert contrast_ratio(pal.accent, bg) >= 4.5
        assert contrast_ratio(pal.error, bg) >= 4.5
        assert contrast_ratio(pal.muted, bg) >= 4.5
        assert contrast_ratio(pal.text, bg) >= 7
    assert contrast_ratio(pal.on_accent, pal.accent) >= 4.5


@pytest.mark.parametrize(
    ("primary", "on"), [("#ffeb3b", "#000000"), ("#008675", "#000000"), ("#1f4e79", "#ffffff")]
)
def test_light_organisation_colour_falls_back_to_dark_text(
    tmp_path: Path, primary: str, on: str
) -> None:
    res = build_site(organisation(color_primary=primary), activities(), tmp_path, langs=("fr",))
    css = (res.out_dir / "assets" / "style.css").read_text(encoding="utf-8")
    assert f"--primary: {primary};" in css and f"--on-primary: {on};" in css


# ------------------------------------------------------------------ logo, PDF, CLI

PNG_1PX = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def test_logo_is_copied_next_to_the_pages_and_a_remote_one_refused(tmp_path: Path) -> None:
    res = build_site(
        organisation(logo=f"data:image/png;base64,{PNG_1PX}"),
        activities(),
        tmp_path / "a",
        langs=("fr",),
    )
    assert (res.out_dir / "assets" / "logo.png").read_bytes() == base64.b64decode(PNG_1PX)
    imgs = Page((res.out_dir / "fr" / "index.html").read_text(encoding="utf-8")).all("img")
    assert imgs == [{"class": "site-header__logo", "src": "../assets/logo.png", "alt": ""}]
    remote = build_site(
        organisation(logo="https://cdn.example.com/logo.png"),
        activities(),
        tmp_path / "b",
        langs=("fr",),
    )
    assert remote.warnings and not (remote.out_dir / "assets" / "logo.png").exists()
    assert "<img" not in (remote.out_dir / "fr" / "index.html").read_text(encoding="utf-8")


def test_printable_pdf_is_produced_and_linked(tmp_path: Path) -> None:
    from pypdf import PdfReader

    acts = [a for a in activities() if a.ref in ("cantine", "salles")]
    res = build_site(
        organisation(logo=f"data:image/png;base64,{PNG_1PX}"),
        acts,
        tmp_path,
        langs=("fr",),
        pdf=True,
    )
    assert len(res.pdfs) == len(res.rights) > 0
    pdf = res.out_dir / "fr" / f"{SLUGS['fr'][R.ACCESS]}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = " ".join(pg.extract_text() for pg in PdfReader(str(pdf)).pages)
    for expected in (
        "Ville de Saint-Exemple",
        "Restauration scolaire",
        "Location de salles",
        "Numéro de famille",
        "Signature",
        "1 place de la Mairie",
    ):
        assert expected in text
    links = Page(
        (res.out_dir / "fr" / f"{SLUGS['fr'][R.ACCESS]}.html").read_text(encoding="utf-8")
    ).all("a")
    assert any(a["href"] == pdf.name for a in links)


def test_french_identifier_labels_and_english_fallback(site: Path) -> None:
    _h, fr = page(site, "fr", R.ACCESS)
    _h, en = page(site, "en", R.ACCESS)
    assert fr.label_text["f-id_nir"].strip() == "Numéro de sécurité sociale"
    assert en.label_text["f-id_matricule"].strip() == "Staff number"
    assert (
        en.label_text["f-id_nir"].strip() == "Numéro de sécurité sociale"
    )  # no English label given


def test_build_forms_reads_the_register_of_one_organisation_only(
    ws: Workspace, tmp_path: Path
) -> None:
    service.add_org(ws, organisation())
    service.add_org(ws, organisation(slug="ccas", name="CCAS de Saint-Exemple"))
    for a in activities():
        service.add_activity(ws, ORG, a)
    service.add_activity(
        ws,
        "ccas",
        Activity(ref="aide-sociale", name="Aides facultatives", legal_basis=LegalBasis.PUBLIC_TASK),
    )
    res = build_forms(ws, ORG, tmp_path)
    assert res.out_dir == tmp_path / ORG
    html = (res.out_dir / "fr" / f"{SLUGS['fr'][R.ACCESS]}.html").read_text(encoding="utf-8")
    assert "Restauration scolaire" in html and "Aides facultatives" not in html
    ccas = build_forms(ws, "ccas", tmp_path)
    assert ccas.rights and R.PORTABILITY not in ccas.rights
    assert (tmp_path / "ccas" / "fr" / "index.html").exists()
    assert (tmp_path / ORG / "fr" / "index.html").exists()


def test_cli_builds_the_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import make_workspace

    url = f"sqlite:///{tmp_path / 'rgpd.db'}"
    w = make_workspace(url, tmp_path)
    service.add_org(w, organisation())
    for a in activities():
        service.add_activity(w, ORG, a)
    w.db.dispose()
    monkeypatch.chdir(tmp_path)
    base = ["--lang", "en", "--db", url]
    # the CLI sets the process language: restore it afterwards for the other tests
    with use_language(get_language()):
        r = run_cli(
            [*base, "--org", ORG, "forms", "build", "--out", "site", "--lang", "fr", "--json"]
        )
        bad = run_cli([*base, "--org", "nowhere", "forms", "build", "--out", "x"])
    assert r.code == 0, r.all
    assert (tmp_path / "site" / ORG / "fr" / "acces.html").exists()
    assert not (tmp_path / "site" / ORG / "en").exists()
    assert '"acces"' in r.out
    assert bad.code == 2 and "nowhere" in bad.all


# ------------------------------------------------------------------ the contract with the server


def test_form_values_match_the_intake_contract() -> None:
    from rgpd.requests import intake

    assert {RIGHT_VALUES[r]: r for r in FORM_RIGHTS} == intake.RIGHTS
    assert forms.ROLE_VALUES.items() <= intake.ROLES.items()
    for r in FORM_RIGHTS:
        assert set(form_spec(r, activities()).roles) <= set(intake.ROLES)
    assert forms.DETAILS_REQUIRED == intake.DETAILS_REQUIRED


@pytest.mark.parametrize("right", FORM_RIGHTS)
def test_a_filled_generated_form_passes_the_servers_validation(
    site: Path, right: RequestType
) -> None:
    """Fill every required field of the generated page as a person would; intake accepts it."""
    from datetime import date

    from rgpd.requests import intake

    _html, p = page(site, "fr", right)
    form: dict[str, list[str]] = {
        a["name"]: [a["value"]] for a in p.all("input") if a.get("type") == "hidden"
    }
    first = sorted(EXPECTED_SERVICES[right])[0]
    form["activities"] = [first]
    spec = form_spec(right, activities())
    sample = {
        "first_name": "Camille",
        "last_name": "Martin",
        "email": "camille.martin@example.org",
        "details": "Ma situation particulière.",
        "phone": "06 12 34 56 78",
        "birth_date": "1985-07-14",
    }
    for _t, a in p.fields():
        name = a["name"]
        if name in sample and ("required" in a or name in spec.required_identifiers([first])):
            form[name] = [sample[name]]
        elif name.startswith("id_") and name in spec.required_identifiers([first]):
            form[name] = ["X-42"]
    sub = intake.validate(form, activities(), today=date(2025, 3, 5))
    assert sub.right is right and sub.activities == (first,)
