"""The software and supports register (issue 14): model, YAML, storage, Madis import, lint, CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from rgpd.errors import Conflict, NotFound, ValidationFailed
from rgpd.registry import io as rio
from rgpd.registry import service, software_service
from rgpd.registry.io.yamlio import dump_yaml, load_yaml
from rgpd.registry.model import (
    Activity,
    Hosting,
    Organisation,
    Processor,
    Register,
    Safeguard,
    Software,
    SoftwareKind,
    SupportMedium,
    Transfer,
)
from rgpd.registry.rules import lint_register, lint_software
from rgpd.storage.tables import AuditRow
from rgpd.workspace import Workspace
from tests.clihelp import run_cli

DATA = Path(__file__).parent / "data"
TODAY = date(2026, 6, 1)


def _register(*software: Software, transfers: tuple[Transfer, ...] = ()) -> Register:
    return Register(
        activities=[
            Activity(ref="etat-civil", name="État civil", transfers=list(transfers)),
            Activity(ref="cantine", name="Restauration scolaire"),
        ],
        processors=[
            Processor(ref="hebergeur-us", name="Hébergeur US", hosting_country="US"),
            Processor(ref="hebergeur-fr", name="Hébergeur FR", hosting_country="FR"),
        ],
        software=list(software),
    )


def _codes(reg: Register) -> set[tuple[str | None, str]]:
    return {(i.activity_ref, i.code) for i in lint_software(reg)}


# -- model and YAML ---------------------------------------------------------------------------


def test_links_are_kept_sorted_and_unique() -> None:
    sw = Software(ref="parapheur", name="Parapheur", activities=["b", "a", "b"])
    assert sw.activities == ["a", "b"]


def test_a_bad_reference_or_kind_names_its_field() -> None:
    with pytest.raises(ValidationFailed) as exc:
        load_yaml("software:\n  - ref: Pas Bon\n    name: X\n    kind: disquette\n")
    fields = {p.field for p in exc.value.problems}
    assert fields == {"software[0].ref", "software[0].kind"}


def test_duplicate_software_reference_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="duplicate reference 'x'"):
        load_yaml("software:\n  - {ref: x, name: A}\n  - {ref: x, name: B}\n")


_slug = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30
).filter(lambda s: s.strip() == s and s != "")
_software = st.builds(
    Software,
    ref=_slug,
    name=_text,
    kind=st.sampled_from(SoftwareKind),
    medium=st.none() | st.sampled_from(SupportMedium),
    editor=st.none() | _text,
    version=st.none() | _text,
    hosting=st.none() | st.sampled_from(Hosting),
    country=st.none() | st.sampled_from(["FR", "US", "DE", "Irlande"]),
    processors=st.lists(_slug, max_size=3),
    activities=st.lists(_slug, max_size=3),
    security=st.lists(_text, max_size=2),
    notes=st.none() | _text,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_software, max_size=4, unique_by=lambda s: s.ref))
def test_yaml_round_trip_is_exact(items: list[Software]) -> None:
    reg = Register(software=items)
    text = dump_yaml(reg)
    again = load_yaml(text)
    assert again == reg
    assert dump_yaml(again) == text


# -- lint -------------------------------------------------------------------------------------


def test_clean_software_raises_nothing() -> None:
    sw = Software(
        ref="suite",
        name="Suite",
        hosting=Hosting.SAAS,
        country="FR",
        processors=["hebergeur-fr"],
        activities=["etat-civil"],
    )
    assert _codes(_register(sw)) == set()


def test_hosting_outside_the_eea_needs_a_transfer_in_each_activity_it_serves() -> None:
    sw = Software(
        ref="saas",
        name="SaaS",
        hosting=Hosting.SAAS,
        processors=["hebergeur-us"],  # no country of its own: the processor's counts
        activities=["etat-civil", "cantine"],
    )
    declared = Transfer(country="US", recipient="Hébergeur US", safeguard=Safeguard.SCC)
    found = [i for i in lint_software(_register(sw, transfers=(declared,)))]
    assert [(i.activity_ref, i.code) for i in found] == [
        ("cantine", "software_transfer_undeclared")
    ]
    assert "Art. 44" in found[0].article and "Art. 44" in found[0].message
    # the software's own country wins over its processor's
    local = sw.model_copy(update={"country": "FR"})
    assert _codes(_register(local)) == set()


def test_links_to_nothing_and_hosted_without_processor_are_reported() -> None:
    sw = Software(ref="x", name="X", hosting=Hosting.PROCESSOR, activities=["inconnue"])
    support = Software(ref="usb", name="Clé USB", kind=SoftwareKind.SUPPORT)
    ghost = Software(ref="g", name="G", processors=["fantome"], activities=["cantine"])
    assert _codes(_register(sw, support, ghost)) == {
        (None, "software_unknown_activity"),
        (None, "software_processor_missing"),
        (None, "software_unlinked"),
        (None, "software_unknown_processor"),
    }


def test_register_lint_includes_the_software_findings() -> None:
    reg = _register(Software(ref="usb", name="Clé USB", kind=SoftwareKind.SUPPORT))
    assert "software_unlinked" in {i.code for i in lint_register(reg, TODAY)}


# -- storage ---------------------------------------------------------------------------------


@pytest.fixture
def org_ws(ws: Workspace) -> Workspace:
    service.add_org(ws, Organisation(slug="mairie", name="Mairie"))
    service.add_activity(ws, "mairie", Activity(ref="etat-civil", name="État civil"))
    service.save_processor(ws, "mairie", Processor(ref="editeur", name="Éditeur"))
    return ws


def _audit(ws: Workspace) -> list[tuple[str, str]]:
    with ws.db.session() as s:
        rows = s.execute(select(AuditRow).where(AuditRow.entity == "software")).scalars()
        return [(r.action, r.entity_ref) for r in rows]


def test_add_link_update_delete_are_audited(org_ws: Workspace) -> None:
    sw = Software(ref="suite", name="Suite", activities=["etat-civil"])
    software_service.add_software(org_ws, "mairie", sw)
    with pytest.raises(Conflict):
        software_service.add_software(org_ws, "mairie", sw)
    linked = software_service.link_software(org_ws, "mairie", "suite", processors=["editeur"])
    assert linked.processors == ["editeur"]
    new = software_service.update_software(org_ws, "mairie", "suite", {"version": "3.1"})
    assert new.version == "3.1" and new.processors == ["editeur"]
    unlinked = software_service.link_software(
        org_ws, "mairie", "suite", activities=["etat-civil"], unlink=True
    )
    assert unlinked.activities == []
    assert software_service.get_software(org_ws, "mairie", "suite") == unlinked
    software_service.delete_software(org_ws, "mairie", "suite")
    assert software_service.list_software(org_ws, "mairie") == []
    assert _audit(org_ws) == [
        ("created", "mairie/suite"),
        ("updated", "mairie/suite"),
        ("updated", "mairie/suite"),
        ("updated", "mairie/suite"),
        ("delete", "mairie/suite"),
    ]


def test_a_link_to_an_unknown_record_writes_nothing(org_ws: Workspace) -> None:
    with pytest.raises(NotFound, match="no activity 'nope'"):
        software_service.add_software(
            org_ws, "mairie", Software(ref="x", name="X", activities=["nope"])
        )
    software_service.add_software(org_ws, "mairie", Software(ref="x", name="X"))
    with pytest.raises(NotFound, match="no processor 'nope'"):
        software_service.link_software(org_ws, "mairie", "x", processors=["nope"])
    with pytest.raises(ValidationFailed):
        software_service.update_software(org_ws, "mairie", "x", {"hosting": "nuage"})
    assert software_service.get_software(org_ws, "mairie", "x") == Software(ref="x", name="X")
    with pytest.raises(NotFound):
        software_service.get_software(org_ws, "mairie", "absent")


def test_registry_export_and_import_carry_the_software(org_ws: Workspace) -> None:
    software_service.add_software(
        org_ws,
        "mairie",
        Software(
            ref="archives",
            name="Archives",
            kind=SoftwareKind.SUPPORT,
            medium=SupportMedium.PAPER_ARCHIVE,
            activities=["etat-civil"],
        ),
    )
    text = dump_yaml(service.export_register(org_ws, "mairie"))
    assert "medium: archive_papier" in text
    service.add_org(org_ws, Organisation(slug="ccas", name="CCAS"))
    reg = load_yaml(text)
    assert service.preview_import(org_ws, "ccas", reg)["software"] == ["archives"]
    service.import_register(org_ws, "ccas", reg, update_org_details=False)
    assert service.export_register(org_ws, "ccas").software == reg.software
    assert service.preview_import(org_ws, "ccas", reg)["software"] == []


# -- Madis ------------------------------------------------------------------------------------


def test_madis_treatments_name_their_software() -> None:
    path = DATA / "madis-traitements.csv"
    out = rio.parse_register_report(path.read_bytes(), "csv", source=path.name)
    by_name = {sw.name: sw for sw in out.register.software}
    assert "Logiciel élections" in by_name
    sw = by_name["Logiciel élections"]
    assert sw.activities == ["gestion-des-listes-electorales"]
    named = {n for a in out.register.activities for n in a.software}
    assert set(by_name) == named


def test_reimporting_a_sheet_keeps_what_the_dpo_added_to_the_software() -> None:
    kept = Register(
        software=[Software(ref="logiciel-elections", name="Logiciel élections", editor="Éd.")]
    )
    imported = Register(
        software=[Software(ref="logiciel-elections", name="Logiciel élections", activities=["a"])]
    )
    merged = rio.merge_table_import(kept, imported)
    assert merged.software[0].editor == "Éd." and merged.software[0].activities == ["a"]


# -- CLI --------------------------------------------------------------------------------------


def test_cli_add_list_show_link_remove(tmp_path: Path) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'rgpd.db'}"]
    assert run_cli([*db, "org", "add", "mairie", "--name", "Mairie"]).code == 0
    act = tmp_path / "a.yaml"
    act.write_text("ref: etat-civil\nname: État civil\n", encoding="utf-8")
    assert run_cli([*db, "--org", "mairie", "registry", "add", "--file", str(act)]).code == 0
    r = run_cli(
        [
            *db,
            "--org",
            "mairie",
            "software",
            "add",
            "saas",
            "--name",
            "Service en ligne",
            "--hosting",
            "saas",
            "--country",
            "US",
            "--version",
            "2.0",
            "--activity",
            "etat-civil",
        ]
    )
    assert r.code == 0, r.all
    bad = run_cli(
        [*db, "--org", "mairie", "software", "add", "y", "--name", "Y", "--activity", "z"]
    )
    assert bad.code == 2 and "no activity 'z'" in bad.all
    shown = json.loads(run_cli([*db, "--org", "mairie", "software", "show", "saas", "--json"]).out)
    assert shown == {
        "ref": "saas",
        "name": "Service en ligne",
        "version": "2.0",
        "hosting": "saas",
        "country": "US",
        "activities": ["etat-civil"],
    }
    lint = run_cli([*db, "--org", "mairie", "registry", "lint", "--json"])
    assert "software_transfer_undeclared" in lint.out
    listed = run_cli([*db, "--org", "mairie", "software", "list"])
    assert "Service en ligne" in listed.out
    r = run_cli(
        [*db, "--org", "mairie", "software", "link", "saas", "--activity", "etat-civil", "--unlink"]
    )
    assert r.code == 0, r.all
    assert run_cli([*db, "--org", "mairie", "software", "link", "saas"]).code == 2
    assert run_cli([*db, "--org", "mairie", "software", "remove", "saas"]).code == 0
    assert run_cli([*db, "--org", "mairie", "software", "show", "saas"]).code == 2
