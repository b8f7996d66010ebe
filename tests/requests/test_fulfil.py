"""The access package: all of the person's data and none of anyone else's; review; delivery."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import pyzipper

from rgpd.errors import Conflict
from rgpd.registry.model import Activity, LegalBasis, Recipient, RecipientKind
from rgpd.requests import discovery as disc
from rgpd.requests import fulfil, rights, service
from rgpd.requests.model import RequestType
from rgpd.scan.detect import Detector
from rgpd.storage.fulfil_tables import RequestFulfilmentRow

from ..clihelp import run_cli
from ..race import split_refusals, together
from .fulfil_fixtures import (
    ORG,
    Commune,
    commune_fixture,
    english,  # noqa: F401 (autouse)
    family_keys,
    family_request,
    new_request,
)

PERSON = 17
OTHERS = [18, 19, 20]


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mariadb"])
def commune(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Commune]:
    yield from commune_fixture(request, tmp_path_factory, {PERSON: OTHERS})


def _texts(directory: Path) -> str:
    """Everything a person receiving the package could read (PDFs aside)."""
    return "\n".join(
        p.read_text(encoding="utf-8-sig")
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.suffix in (".json", ".csv", ".html", ".txt")
    )


def _package(commune: Commune, tmp: Path, **kw: object) -> tuple[str, fulfil.PackageResult]:
    ref = family_request(commune, PERSON, RequestType.ACCESS)
    disc.discover(commune.ws, ORG, ref)
    res = fulfil.build_access_package(
        commune.ws, ORG, ref, out_dir=tmp, depth="quick", pdf=False, **kw
    )  # type: ignore[arg-type]
    return ref, res


def test_package_holds_every_row_and_file_of_the_person_and_nobody_else(
    commune: Commune, tmp_path: Path
) -> None:
    _ref, res = _package(commune, tmp_path)
    data = fulfil.package_rows(res.directory)
    pks = {"familles": "numero_famille"}
    got = {d["table"]: {str(r[pks.get(d["table"], "id")]) for r in d["rows"]} for d in data["data"]}
    expected = family_keys(commune, PERSON)  # independent SQL
    assert got == {t: k for t, k in expected.items() if k}
    # the rows are the database's, column for column
    fam = commune.family(PERSON)
    row = next(d for d in data["data"] if d["table"] == "familles")["rows"][0]
    assert {k: str(v) for k, v in row.items() if v is not None} == {
        k: str(v) for k, v in fam.items() if v is not None
    }
    # both files, as extracts
    assert len(data["files"]) == 2 and all(f["extract"] for f in data["files"])
    text = _texts(res.directory)
    assert fam["courriel"] in text and fam["telephone"] in text
    # nobody else: no other family's e-mail, phone or IBAN anywhere in the package
    others = commune.sql(
        "SELECT courriel, telephone, iban FROM familles WHERE numero_famille <> :n", n=PERSON
    )
    leaked = [
        v
        for o in others
        for v in (o["courriel"], o["telephone"], o["iban"])
        if v and len(v) > 6 and v in text
    ]
    assert leaked == []
    # the third parties of the planted files were redacted, the withheld lines counted
    assert res.redactions >= 3
    assert fulfil.labels("fr")["withheld_line"] in text


def test_article_15_information_and_portability(commune: Commune, tmp_path: Path) -> None:
    _ref, res = _package(commune, tmp_path)
    data = fulfil.package_rows(res.directory)
    (info,) = data["activities"]
    assert info["ref"] == "portail-famille"
    assert info["purposes"] == ["Inscription à la cantine", "Facturation des repas"]
    assert {r["name"] for r in info["recipients"]} == {
        "Trésorerie municipale",
        "Éditeur du portail",
    }
    assert info["categories"][0]["retention"]["active"] == "2 ans"
    assert info["automated_decision"] is False
    rights_by = {r["right"]: r["applies"] for r in info["rights"]}
    assert rights_by["portabilite"] == "applies"  # contract + automated means (Art. 20(1))
    portable = json.loads((res.directory / "portabilite" / "donnees.json").read_text("utf-8"))
    assert portable["article"] == "Art. 20 GDPR" and portable["data"]
    html = (res.directory / "rapport-fr.html").read_text("utf-8")
    assert "Trésorerie municipale" in html and "CNIL" in html


def test_public_task_activity_gets_no_portability_folder(commune: Commune, tmp_path: Path) -> None:
    row = commune.sql("SELECT * FROM aides_sociales ORDER BY id LIMIT 1")[0]
    ref = new_request(
        commune,
        RequestType.ACCESS,
        ("aides-sociales",),
        first=row["demandeur_prenom"],
        last=row["demandeur_nom"],
        identifiers={"nir": str(row["nir"])},
        lang="en",
    )
    disc.discover(commune.ws, ORG, ref)
    res = fulfil.build_access_package(
        commune.ws, ORG, ref, out_dir=tmp_path, depth="quick", pdf=False
    )
    assert not (res.directory / "portabilite").exists()
    assert (res.directory / "report-en.html").exists() and (
        res.directory / "rapport-fr.html"
    ).exists()
    data = fulfil.package_rows(res.directory)
    assert [str(r["id"]) for d in data["data"] for r in d["rows"]] == [str(row["id"])]
    assert data["activities"][0]["portability"] == "does_not_apply"  # Art. 20(3)


def test_review_then_encrypted_zip(commune: Commune, tmp_path: Path) -> None:
    ref, res = _package(commune, tmp_path)
    with pytest.raises(Conflict, match="reviewed"):
        fulfil.deliver(commune.ws, ORG, ref)
    rv = fulfil.review(commune.ws, ORG, ref)
    assert rv.state == "built" and rv.changed_files == [] and rv.summary["rows"] == res.rows
    # the DPO redacts a little more by hand: the review names the file, approval accepts it
    extract = next((res.directory / "fichiers").iterdir())
    extract.write_text(extract.read_text("utf-8") + "\n[note du DPO]\n", encoding="utf-8")
    assert fulfil.review(commune.ws, ORG, ref).changed_files == [
        str(extract.relative_to(res.directory))
    ]
    assert fulfil.review(commune.ws, ORG, ref, approve=True).state == "reviewed"
    d = fulfil.deliver(commune.ws, ORG, ref)
    assert not res.directory.exists()  # the clear copy is gone
    with pyzipper.AESZipFile(d.archive) as zf:
        zf.setpassword(d.password.encode())
        names = zf.namelist()
        assert "donnees.json" in names
        assert b"[note du DPO]" in zf.read(str(extract.relative_to(res.directory)))
        n = len(zf.infolist())
    # every entry carries the WinZip AES extra field with strength 3 = AES-256
    raw = d.archive.read_bytes()
    assert len(re.findall(rb"\x01\x99\x07\x00[\x01\x02]\x00AE\x03", raw)) == 2 * n
    with pyzipper.AESZipFile(d.archive) as zf:
        zf.setpassword(b"not-the-password")
        with pytest.raises(RuntimeError):
            zf.read("donnees.json")
    assert fulfil.review(commune.ws, ORG, ref).state == "released"


def test_one_time_download_link(commune: Commune, tmp_path: Path) -> None:
    ref, _res = _package(commune, tmp_path)
    fulfil.review(commune.ws, ORG, ref, approve=True)
    d = fulfil.deliver(commune.ws, ORG, ref, link=True, base_url="https://mairie.example.org")
    assert d.link and d.link.startswith(f"https://mairie.example.org/o/{ORG}/download/")
    from rgpd.requests.server import create_app

    app = create_app(commune.ws, base_url="http://localhost")
    client = app.test_client()
    path = d.link.removeprefix("https://mairie.example.org")
    page = client.get(path)  # a link preview must not burn the link
    assert page.status_code == 200 and b"<form" in page.data
    got = client.post(path)
    assert got.status_code == 200 and got.mimetype == "application/zip"
    from rgpd.crypto import sha256_hex

    assert sha256_hex(got.data) == d.sha256
    assert client.post(path).status_code == 410
    assert client.post(path[:-3] + "xyz").status_code == 410
    assert not d.archive.exists()


@pytest.mark.parametrize("commune", ["sqlite"], indirect=True)  # the PDF ignores the backend
def test_pdf_report(commune: Commune, tmp_path: Path) -> None:
    ref = family_request(commune, PERSON, RequestType.ACCESS)
    disc.discover(commune.ws, ORG, ref)
    built = fulfil.build_access_package(commune.ws, ORG, ref, out_dir=tmp_path, depth="quick")
    pdf = built.directory / "rapport-fr.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert commune.family(PERSON)["courriel"] in text


def test_to_confirm_matches_are_left_out(commune: Commune, tmp_path: Path) -> None:
    ref = family_request(commune, PERSON, RequestType.ACCESS)
    found = disc.discover(commune.ws, ORG, ref, rescan=True)
    unsure = [m for m in found.matches() if m.status == disc.MatchStatus.TO_CONFIRM]
    assert unsure  # the note naming the family, and namesakes
    res = fulfil.build_access_package(
        commune.ws, ORG, ref, out_dir=tmp_path, depth="quick", pdf=False
    )
    assert res.excluded == len(unsure)
    names = {f["name"] for f in fulfil.package_rows(res.directory)["files"]}
    assert f"note_{PERSON}.txt" not in names


@pytest.mark.parametrize("commune", ["sqlite"], indirect=True)  # the CLI ignores the backend
def test_cli_discover_fulfil_review_deliver(commune: Commune, tmp_path: Path) -> None:
    ws = commune.ws
    toml = Path(ws.settings.base_dir) / "rgpd.toml"
    toml.write_text(
        f'[rgpd]\ndatabase_url = "{ws.settings.database_url}"\n'
        f'[connections.portail]\nurl = "{commune.url}"\n',
        encoding="utf-8",
    )
    ref = family_request(commune, PERSON, RequestType.ACCESS)
    base = ["--config", str(toml), "--org", ORG, "--actor", "dpo", "--lang", "en", "requests"]
    r = run_cli([*base, "discover", ref])
    assert r.code == 0, r.all
    r = run_cli([*base, "discover", ref, "--json"])
    assert r.code == 0, r.all
    assert "portail:familles" in {g["location"] for g in json.loads(r.out)["groups"]}
    r = run_cli([*base, "fulfil", ref, "--out", str(tmp_path), "--depth", "quick", "--no-pdf"])
    assert r.code == 0, r.all
    r = run_cli([*base, "fulfil", ref, "--deliver", "zip"])
    assert r.code == 2 and "review" in r.all  # not reviewed yet
    assert run_cli([*base, "review", ref, "--approve"]).code == 0
    r = run_cli([*base, "fulfil", ref, "--deliver", "zip", "--json"])
    assert r.code == 0, r.all
    out = json.loads(r.out)
    with pyzipper.AESZipFile(out["archive"]) as zf:
        zf.setpassword(out["password"].encode())
        assert json.loads(zf.read("donnees.json"))["reference"] == ref
    with ws.db.session() as s:
        row = s.get(RequestFulfilmentRow, 1)
        assert row is not None and row.payload is None  # the access package keeps no data here


# --------------------------------------------------------------------------- pure: Art. 15(4)


ME = disc.Person(
    (
        disc.Probe("email", "EMAIL_ADDRESS", "jeanne.martin@example.org"),
        disc.Probe("telephone", "PHONE_NUMBER", "06 12 34 56 78"),
    ),
    first_name="Jeanne",
    last_name="Martin",
)


@pytest.mark.parametrize(
    ("line", "kept", "gone"),
    [
        (
            "Jeanne Martin, 06 12 34 56 78, copie à paul.durand@example.net\n",
            ["Jeanne Martin", "06 12 34 56 78"],
            ["paul.durand@example.net"],
        ),
        (
            "Paul Durand ; 07 98 76 54 32 ; paul.durand@example.net\n",
            [],
            ["Paul", "07 98 76 54 32"],
        ),
        ("Ordre du jour : voirie et éclairage.\n", ["voirie et éclairage"], []),
        ("Martin;Lucas;07 98 76 54 32\n", [], ["07 98 76 54 32", "Lucas"]),  # a namesake's row
    ],
)
def test_third_parties_are_redacted(line: str, kept: list[str], gone: list[str]) -> None:
    out, _masked, _withheld = fulfil.redact_for_access(line, ME, Detector(depth="quick"))
    for k in kept:
        assert k in out
    for g in gone:
        assert g not in out


def test_article15_info_is_pure_and_complete() -> None:
    a = Activity(
        ref="newsletter",
        name="Lettre d'information",
        purposes=["Informer"],
        legal_basis=LegalBasis.CONSENT,
        recipients=[Recipient(name="Routeur", kind=RecipientKind.PROCESSOR, country="FR")],
        automated_decision=True,
        automated_details="envoi selon les centres d'intérêt",
    )
    fr = fulfil.article15_info(a, "fr")
    en = fulfil.article15_info(a, "en")
    assert (
        fr["legal_basis_label"] == "consentement (a)" and en["legal_basis_label"] == "consent (a)"
    )
    assert fr["sources"] == [fulfil.labels("fr")["source_you"]]
    assert fr["automated_decision"] is True
    expected = rights.rights_matrix(a)[RequestType.PORTABILITY].value
    assert fr["portability"] == expected
    assert service  # imported for the fixtures' requests


def test_one_download_link_clicked_at_once_gives_one_archive(
    commune: Commune, tmp_path: Path
) -> None:
    """Issue 13 item 4 for the access-package link, through ``take_download`` itself."""

    from rgpd.storage.db import retry_busy

    ref, _res = _package(commune, tmp_path)
    fulfil.review(commune.ws, ORG, ref, approve=True)
    d = fulfil.deliver(commune.ws, ORG, ref, link=True, base_url="https://mairie.example.org")
    assert d.link
    token = d.link.rsplit("/", 1)[1]
    n = 6
    got, errors = together(
        n,
        lambda _i: retry_busy(lambda: fulfil.take_download(commune.ws, ORG, token))[1],
        timeout=120,
    )
    refusals, crashed = split_refusals(errors, service.LinkRefused)
    refused = [e.reason for e in refusals]
    assert not crashed, crashed
    assert len(got) == 1 and sorted(refused) == ["used"] * (n - 1)
    from rgpd.crypto import sha256_hex

    assert sha256_hex(got[0]) == d.sha256 and not d.archive.exists()


def test_passwords_and_secrets_are_withheld_from_the_copy() -> None:
    cols = ["id", "nom", "mot_de_passe", "passwordsalt", "api_key", "password_reset_required"]
    rows = [
        {
            "id": 7,
            "nom": "Morel",
            "mot_de_passe": "5f4dcc3b5aa765d61d8327deb882cf99",
            "passwordsalt": "c2VsIGRlIG1lcg==",
            "api_key": "k-8d1f0c2e",
            "password_reset_required": 1,
        },
        {"id": 8, "nom": "Ravenel", "mot_de_passe": None, "passwordsalt": None},
    ]
    mark = fulfil.labels("fr")["withheld_secret"]
    got = fulfil.withhold_secrets(cols, rows, mark)
    assert got[0] == {
        "id": 7,
        "nom": "Morel",
        "mot_de_passe": mark,
        "passwordsalt": mark,
        "api_key": mark,
        "password_reset_required": 1,  # a flag about the password is not the password
    }
    assert got[1]["mot_de_passe"] is None  # nothing held: nothing to withhold
    assert rows[0]["mot_de_passe"].startswith("5f4d")  # the caller's rows are not changed
    assert "Art. 32" in mark and "Art. 32" in fulfil.labels("en")["withheld_secret"]
