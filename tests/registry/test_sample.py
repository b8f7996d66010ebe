"""The sample registers shipped for `make demo`: a commune and its CCAS."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from rgpd.registry import io as rio
from rgpd.registry.model import LegalBasis, OrgKind, RecipientKind, Register
from rgpd.registry.rules import dpia_verdict, lint_register, uses_nir
from rgpd.registry.samples import SAMPLES, sample_text

TODAY = date(2026, 6, 1)


@pytest.fixture(scope="module")
def commune() -> Register:
    return rio.load_yaml(sample_text("commune"), source="commune.yaml")


@pytest.fixture(scope="module")
def ccas() -> Register:
    return rio.load_yaml(sample_text("ccas"), source="ccas.yaml")


def test_two_organisations_two_registers(commune: Register, ccas: Register) -> None:
    assert commune.organisation is not None and ccas.organisation is not None
    assert commune.organisation.kind == OrgKind.COMMUNE
    assert ccas.organisation.kind == OrgKind.CCAS
    assert {commune.organisation.slug, ccas.organisation.slug} == set(SAMPLES.values())
    assert commune.organisation.siren != ccas.organisation.siren


def test_commune_has_at_least_fifteen_activities(commune: Register, ccas: Register) -> None:
    assert len(commune.activities) >= 15
    assert len(ccas.activities) >= 3
    refs = {a.ref for a in commune.activities}
    for expected in (
        "etat-civil",
        "listes-electorales",
        "urbanisme",
        "restauration-scolaire",
        "periscolaire",
        "rh-paie",
        "recrutement",
        "videoprotection",
        "police-municipale",
        "mediatheque",
        "cimetieres",
        "location-salles",
        "plaintes-signalements",
        "lettre-information",
        "site-web",
        "gestion-courrier",
    ):
        assert expected in refs


def test_every_activity_says_where_its_data_is_and_how_to_find_a_person(
    commune: Register, ccas: Register
) -> None:
    for reg in (commune, ccas):
        for a in reg.activities:
            assert a.data_locations, a.ref
            assert a.person_identifiers, a.ref
            for loc in a.data_locations:
                assert set(loc.categories) <= a.category_keys(), (a.ref, loc)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_database_locations_match_the_documented_demo_schema(name: str) -> None:
    """The header comment documents tables(columns) for the demo database builder."""
    text = sample_text(name)
    schema: dict[str, set[str]] = {}
    for m in re.finditer(r"^#\s+(\w+)\(([^)]*)\)", text, re.M):
        schema[m.group(1)] = {c.strip() for c in m.group(2).split(",")}
    reg = rio.load_yaml(text)
    for a in reg.activities:
        for loc in a.data_locations:
            if loc.kind == "database":
                assert loc.connection and f"#   {loc.connection}\n" in text
                assert loc.table in schema, (a.ref, loc.table)
                assert set(loc.columns) <= schema[loc.table], (a.ref, loc.table)
            else:
                assert loc.path and loc.path.startswith("partage/")
        for pid in a.person_identifiers:
            if pid.column:
                table, col = pid.column.split(".")
                assert col in schema[table], (a.ref, pid.column)


def test_lint_shows_exactly_the_deliberate_problems(commune: Register, ccas: Register) -> None:
    found = {(i.activity_ref, i.code) for i in lint_register(commune, TODAY)}
    assert found == {
        ("lettre-information", "processor_without_contract"),
        ("location-salles", "review_overdue"),
        ("plaintes-signalements", "legal_basis_text_missing"),
    }
    assert lint_register(ccas, TODAY) == []


def test_legal_choices_are_plausible(commune: Register, ccas: Register) -> None:
    by_ref = {a.ref: a for a in [*commune.activities, *ccas.activities]}
    assert by_ref["lettre-information"].legal_basis == LegalBasis.CONSENT
    assert by_ref["location-salles"].legal_basis == LegalBasis.CONTRACT
    assert by_ref["aides-sociales-facultatives"].art9_condition == "h"
    assert by_ref["police-municipale"].art10 and by_ref["police-municipale"].art10_basis
    rh = by_ref["rh-paie"]
    assert uses_nir(rh) and rh.nir_authorisation == "travail_emploi"
    video = dpia_verdict(by_ref["videoprotection"])
    assert video.required and by_ref["videoprotection"].dpia.done
    assert dpia_verdict(by_ref["aides-sociales-facultatives"]).cnil_required is not None
    # no activity relies on legitimate interests (Art. 6(1), last subparagraph)
    assert all(a.legal_basis != LegalBasis.LEGITIMATE_INTERESTS for a in by_ref.values())
    # the NIR appears only where a décret 2019-341 domain is claimed
    assert {r for r, a in by_ref.items() if uses_nir(a)} == {"rh-paie", "aide-sociale-legale"}


def test_processor_references_resolve(commune: Register, ccas: Register) -> None:
    for reg in (commune, ccas):
        known = {p.ref for p in reg.processors}
        for a in reg.activities:
            for r in a.recipients:
                if r.kind == RecipientKind.PROCESSOR:
                    assert r.processor in known, (a.ref, r.processor)


def test_two_breaches_one_notified_in_time_one_documented(commune: Register) -> None:
    notified = [b for b in commune.breaches if b.notify_decision]
    documented = [b for b in commune.breaches if b.notify_decision is False]
    assert len(notified) == 1 and len(documented) == 1
    first = notified[0].first_notified_at
    assert first is not None and first - notified[0].discovered_at <= timedelta(hours=72)
    assert documented[0].notifications == [] and documented[0].notify_reason
    activity_refs = {a.ref for a in commune.activities}
    for b in commune.breaches:
        assert set(b.activities) <= activity_refs


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_samples_export_in_every_format(name: str) -> None:
    reg = rio.load_yaml(sample_text(name))
    for fmt in rio.EXPORT_FORMATS:
        assert rio.render_register(reg, fmt)
