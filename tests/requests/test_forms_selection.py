"""Forms a citizen understands (issue 12): public names and groups, "I don't know",
the fields each choice of services asks, NIR and IP only when a chosen service holds them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rgpd.errors import ValidationFailed
from rgpd.registry.model import Activity, DataCategoryUse, LegalBasis, PersonIdentifier
from rgpd.requests import forms, intake
from rgpd.requests.forms import ALL_SERVICES, build_site, form_spec
from rgpd.requests.model import RequestType

from .forms_fixtures import ORG, Page, activities, organisation

R = RequestType
TODAY = date(2026, 3, 5)


def _web(**over: object) -> dict[str, list[str]]:
    base: dict[str, list[str]] = {
        "right": ["access"],
        "lang": ["fr"],
        "first_name": ["Camille"],
        "last_name": ["Martin"],
        "email": ["camille.martin@example.org"],
    }
    for k, v in over.items():
        base[k] = [str(x) for x in v] if isinstance(v, list | tuple) else [str(v)]
    return base


def _site_web() -> list[Activity]:
    """A website keeping connection logs (IP addresses), and one declaring an IP it does not hold."""
    return [
        Activity(
            ref="site-web",
            name="Site internet et formulaires",
            legal_basis=LegalBasis.PUBLIC_TASK,
            data_categories=[DataCategoryUse(category="connexion")],
            person_identifiers=[
                PersonIdentifier(key="adresse_ip", label_fr="Adresse IP", entity="IP_ADDRESS")
            ],
        ),
        Activity(
            ref="courrier",
            name="Gestion du courrier",
            legal_basis=LegalBasis.PUBLIC_TASK,
            person_identifiers=[
                PersonIdentifier(key="ip", label_fr="Adresse IP", required=True),
                PersonIdentifier(key="numero_courrier", label_fr="Numéro de courrier"),
            ],
        ),
    ]


# ------------------------------------------------------------------ which fields a choice asks


def test_one_service_asks_its_own_references_only() -> None:
    spec = form_spec(R.ACCESS, activities())
    canteen = spec.select(["cantine"])
    assert canteen.names == {"phone", "id_numero_famille"}
    assert canteen.required == ("id_numero_famille",)
    assert canteen.services == ("cantine",) and not canteen.all_services
    assert canteen.get("phone") is not None and canteen.get("id_nir") is None
    civil = spec.select(["etat-civil"])
    assert civil.names == {"birth_date"} and civil.required == ("birth_date",)
    assert spec.select(["newsletter"]).fields == ()  # the e-mail is always asked


def test_nir_is_asked_only_for_payroll_and_never_required() -> None:
    spec = form_spec(R.ACCESS, activities())
    payroll = spec.select(["rh-paie"])
    nir = payroll.get("id_nir")
    assert nir is not None and nir.sensitive == "FR_NIR"
    assert not nir.required  # declared required, but never a condition (Art. 12(2), 12(6))
    assert payroll.required == ()  # the staff number is optional in the fixture
    for ref in spec.service_refs:
        if ref != "rh-paie":
            assert "id_nir" not in spec.select([ref]).names


def test_i_dont_know_covers_everything_but_asks_no_service_reference() -> None:
    spec = form_spec(R.ACCESS, activities())
    everything = spec.select([ALL_SERVICES])
    assert everything.all_services and everything.chosen == ()
    assert everything.services == spec.service_refs
    # phone and birth date help find someone whose services are unknown: optional
    assert everything.names == {"phone", "birth_date"} and everything.required == ()
    mixed = spec.select([ALL_SERVICES, "cantine", "inconnue"])
    assert mixed.chosen == ("cantine",)  # an unknown reference is ignored here
    assert mixed.names == {"phone", "birth_date", "id_numero_famille"}
    assert mixed.required == ("id_numero_famille",)


def test_ip_address_needs_the_connection_data_category() -> None:
    acts = _site_web()
    spec = form_spec(R.ACCESS, acts)
    assert spec.unbacked == (("courrier", "ip"),)
    site = spec.select(["site-web"])
    ip = site.get("id_adresse_ip")
    assert ip is not None and ip.sensitive == "IP_ADDRESS" and not ip.required
    mail = spec.select(["courrier"])
    assert mail.names == {"id_numero_courrier"}  # the IP it declares but does not hold: no


def test_a_build_warns_about_an_identifier_no_category_holds(tmp_path: Path) -> None:
    res = build_site(organisation(), _site_web(), tmp_path, langs=("fr",))
    assert any("courrier" in w and "5(1)(c)" in w for w in res.warnings)
    page = Page((res.out_dir / forms.page_path("fr", R.ACCESS)).read_text(encoding="utf-8"))
    assert "id_ip" not in page.field_names() and "id_adresse_ip" in page.field_names()


_keys = st.sampled_from(["nir", "email", "matricule", "telephone", "dob", "carte", "ip"])
_acts = st.lists(
    st.builds(
        lambda i, keys, cats: Activity(
            ref=f"a{i}",
            name=f"Activité {i}",
            legal_basis=LegalBasis.PUBLIC_TASK,
            data_categories=[DataCategoryUse(category=c) for c in cats],
            person_identifiers=[PersonIdentifier(key=k, required=r) for k, r in keys],
        ),
        st.integers(0, 999),
        st.lists(st.tuples(_keys, st.booleans()), max_size=4, unique_by=lambda t: t[0]),
        st.lists(st.sampled_from(["nir", "connexion", "coordonnees"]), max_size=2, unique=True),
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda a: a.ref,
)


@settings(max_examples=80, deadline=None)
@given(_acts, st.data())
def test_a_field_is_asked_only_when_a_chosen_service_uses_it(
    acts: list[Activity], data: st.DataObject
) -> None:
    spec = form_spec(R.ACCESS, acts)
    refs = list(spec.service_refs)
    chosen = data.draw(st.lists(st.sampled_from(refs), max_size=len(refs), unique=True))
    sel = spec.select(chosen)
    by_ref = {a.ref: a for a in acts}
    for f in sel.fields:
        assert f.services and set(f.services) <= set(chosen)
        for ref in f.services:
            keys = {p.key for p in by_ref[ref].person_identifiers}
            if f.name.startswith("id_"):
                assert f.name[3:] in keys
        if f.sensitive is not None:
            assert not f.required
            category = "nir" if f.sensitive == "FR_NIR" else "connexion"
            assert all(category in by_ref[r].category_keys() for r in f.services)
    # every reference a chosen service declares and holds is asked
    for ref in chosen:
        for p in by_ref[ref].person_identifiers:
            entity = forms.sensitive_entity(p)
            standard = p.key in ("email", "telephone", "dob")
            held = entity is None or forms.holds_sensitive(by_ref[ref], entity)
            if not standard and held:
                assert f"id_{p.key}" in sel.names


# ------------------------------------------------------------------ the intake accepts both paths


def test_intake_accepts_i_dont_know_and_records_every_service_offered() -> None:
    sub = intake.validate(_web(activities=[ALL_SERVICES]), activities(), today=TODAY)
    assert set(sub.activities) == set(form_spec(R.ACCESS, activities()).service_refs)
    assert sub.identifiers == {}


def test_intake_requires_what_the_chosen_services_require() -> None:
    with pytest.raises(ValidationFailed) as exc:
        intake.validate(_web(activities=["etat-civil"]), activities(), today=TODAY)
    assert [p.field for p in exc.value.problems] == ["birth_date"]
    ok = intake.validate(
        _web(activities=["etat-civil"], birth_date="1985-07-14"), activities(), today=TODAY
    )
    assert ok.birth_date == date(1985, 7, 14)


def test_intake_keeps_nothing_a_chosen_service_does_not_use() -> None:
    """A NIR posted with the canteen only (a forged or stale field) is not kept."""
    form = _web(
        activities=["cantine"], id_numero_famille="F-42", id_nir="185057512345678", phone=""
    )
    sub = intake.validate(form, activities(), today=TODAY)
    assert sub.identifiers == {"numero_famille": "F-42"}
    payroll = intake.validate(
        _web(activities=["rh-paie"], id_nir="1 85 05 75 123 456 78"), activities(), today=TODAY
    )
    assert payroll.identifiers == {"nir": "1 85 05 75 123 456 78"}
    assert intake.validate(_web(activities=["rh-paie"]), activities(), today=TODAY)


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"activities": []}, "activities"),
        ({"activities": ["inconnue"]}, "activities"),
        ({"activities": ["*", "inconnue"]}, "activities"),
        ({"right": "nowhere", "activities": ["cantine"]}, "right"),
        ({"right": ["access", "erasure"], "activities": ["cantine"]}, "right"),
    ],
)
def test_first_step_reports_malformed_choices(over: dict[str, object], field: str) -> None:
    form = _web(**over)
    if over.get("activities") == []:
        form.pop("activities")
    with pytest.raises(ValidationFailed) as exc:
        intake.validate_choice(form, activities())
    assert [p.field for p in exc.value.problems] == [field]


def test_first_step_says_what_the_second_asks() -> None:
    choice = intake.validate_choice(_web(activities=["cantine"]), activities())
    assert choice.right is R.ACCESS
    assert [f["name"] for f in choice.fields] == [
        "first_name",
        "last_name",
        "email",
        "phone",
        "id_numero_famille",
    ]
    assert {f["name"]: f["required"] for f in choice.fields}["id_numero_famille"] is True


def test_a_filled_second_step_passes_the_intake() -> None:
    """Fill every field the server's second step shows; the intake accepts the post."""
    spec = form_spec(R.ACCESS, activities())
    ctx = forms.PageContext("fr", "../assets", "index.html", None, None, f"/o/{ORG}/submit")
    for chosen in (["cantine"], ["rh-paie", "salles"], [ALL_SERVICES], ["etat-civil"]):
        html = forms.render_form(
            organisation(), spec, ctx, values={"activities": chosen}, stage="details"
        )
        p = Page(html)
        form: dict[str, list[str]] = {}
        for a in p.all("input"):
            if a.get("type") == "hidden":
                form.setdefault(a["name"], []).append(a["value"])
        sample = {"birth_date": "1985-07-14", "phone": "06 12 34 56 78", "email": "c@example.org"}
        for _t, a in p.fields():
            if a.get("type") == "radio" or a["name"].startswith("requester_"):
                continue  # the person acts for themself: nobody else to name
            form[a["name"]] = [sample.get(a["name"], "X-42")]
        assert form["activities"] == chosen
        sub = intake.validate(form, activities(), today=TODAY)
        assert set(sub.activities) == set(spec.select(chosen).services)


# ------------------------------------------------------------------ what the citizen reads


def _public(**over: object) -> list[Activity]:
    acts = activities()
    acts[0] = acts[0].model_copy(
        update={
            "public_label": "Cantine et portail famille",
            "public_group": "Enfance et école",
            "public_description": "Inscription à la cantine, repas, factures.",
            **over,
        }
    )
    return acts


def test_services_show_their_public_name_description_and_group() -> None:
    spec = form_spec(R.ACCESS, _public())
    titles = [g.title for g in spec.groups]
    assert titles == ["Enfance et école", ""]  # the rest: "Other services", last
    (canteen,) = spec.groups[0].services
    assert canteen.name == "Cantine et portail famille"
    assert canteen.description == "Inscription à la cantine, repas, factures."
    html = forms.render_form(
        organisation(),
        spec,
        forms.PageContext("fr", "../assets", "index.html", None, None, "/o/x/submit"),
    )
    p = Page(html)
    assert p.label_text["f-activities-cantine"] == "Cantine et portail famille"
    assert p.label_text["f-activities-all"] == "Je ne sais pas / toutes"
    assert "Autres services" in html and "Service enfance" not in html
    assert p.by_id("f-activities-cantine")[1]["aria-describedby"] == "hint-activities-cantine"


def test_without_public_groups_the_departments_group_and_names_stay() -> None:
    spec = form_spec(R.ACCESS, activities())
    assert [g.title for g in spec.groups][:2] == ["Ressources humaines", "Service communication"]
    assert spec.service_names["cantine"] == "Restauration scolaire"
    long = "x" * 200
    acts = _public(public_description=None, purposes=["Inscription des enfants", "Autre"])
    acts[1] = acts[1].model_copy(update={"purposes": [long]})
    spec = form_spec(R.ACCESS, acts)
    descriptions = {s.ref: s.description for g in spec.groups for s in g.services}
    assert descriptions["cantine"] == "Inscription des enfants"  # the first purpose
    assert descriptions["etat-civil"] == ""  # too long for one line: nothing


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_entry_page_gives_the_dpo_contact(tmp_path: Path, lang: str) -> None:
    org = organisation(dpo_phone="01 00 00 00 01")
    res = build_site(org, activities(), tmp_path, langs=(lang,))
    html = (res.out_dir / lang / "index.html").read_text(encoding="utf-8")
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    assert 'href="mailto:dpo@example.org"' in main and 'href="tel:0100000001"' in main
    assert "Délégué mutualisé" in main and "38" in main
    heading = "Une question ?" if lang == "fr" else "A question?"
    assert heading in main
