"""The file-share scan pipeline: storage, masking, blind index, incremental, errors, resume."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from faker import Faker
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from rgpd.config import Settings
from rgpd.crypto import KeyRing
from rgpd.registry import service
from rgpd.registry.model import Organisation
from rgpd.scan.files import ScanResult, scan_files, walk
from rgpd.scan.findings import (
    FindingRecord,
    list_findings,
    lookup_tokens,
    lookup_values,
    reveal_evidence,
    show_source,
)
from rgpd.storage.scan_tables import (
    FindingValueRow,
    ScanErrorRow,
    ScanRunRow,
    ScanSourceRow,
    ScanSourceSeenRow,
    seen_run,
)
from rgpd.workspace import Workspace, open_workspace

ORG = "mairie"


def _inline() -> object:
    from rgpd.scan.executor import InlineExecutor

    return InlineExecutor()


@dataclass
class Share:
    root: Path
    nirs: dict[str, str] = field(default_factory=dict)  # file name -> NIR
    emails: dict[str, list[str]] = field(default_factory=dict)
    ibans: list[str] = field(default_factory=list)
    raw: set[str] = field(default_factory=set)  # every personal value written

    def path(self, rel: str) -> str:
        return str(self.root / rel)


def _spaced_nir(nir: str) -> str:
    return f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"


def make_share(root: Path, seed: int = 7) -> Share:
    """Six files: a staff CSV, a letter, an archive, a health note and two clean files."""
    fake = Faker("fr_FR")
    Faker.seed(seed)
    sh = Share(root)
    (root / "rh").mkdir(parents=True)
    (root / "courriers").mkdir()
    (root / "divers").mkdir()
    lines = ["nom;prenom;nir;courriel;iban"]
    sh.emails["rh/agents.csv"] = []
    for _i in range(4):
        nir, email, iban = fake.ssn(), fake.email(domain="example.org"), fake.iban()
        first, last = fake.first_name(), fake.last_name()
        lines.append(f"{last.upper()};{first};{nir};{email};{iban}")
        sh.nirs.setdefault("rh/agents.csv", nir)
        sh.emails["rh/agents.csv"].append(email)
        sh.ibans.append(iban)
        sh.raw |= {nir, _spaced_nir(nir), email, iban}
    (root / "rh/agents.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    email = fake.email(domain="example.net")
    phone = fake.phone_number()
    sh.emails["courriers/lettre.txt"] = [email]
    sh.raw |= {email, phone}
    (root / "courriers/lettre.txt").write_text(
        f"Madame,\nVous pouvez écrire à {email} ou appeler le {phone}.\nCordialement.\n",
        encoding="utf-8",
    )
    nir = fake.ssn()
    sh.nirs["archive.zip"] = nir
    sh.raw |= {nir, _spaced_nir(nir)}
    with zipfile.ZipFile(root / "archive.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("dossiers/fiche.txt", f"Numéro de sécurité sociale : {_spaced_nir(nir)}\n")
        zf.writestr("dossiers/vide.txt", "Rien à signaler.\n")
    (root / "sante").mkdir()
    first, last = fake.first_name_female(), fake.last_name()
    sh.raw |= {f"{last.upper()} {first}", f"{first} {last}"}
    (root / "sante/certificat.txt").write_text(
        f"Certificat : Mme {last.upper()} {first} est atteinte de diabète et suivie pour "
        "une dépression.\n",
        encoding="utf-8",
    )
    (root / "divers/budget.txt").write_text(
        "Ligne budgétaire 6042 : 123 456 789 012 345 euros.\nRéunion le 12/03.\n", encoding="utf-8"
    )
    (root / "divers/notes.md").write_text(
        "# Ordre du jour\n\n- voirie\n- éclairage\n", encoding="utf-8"
    )
    return sh


@pytest.fixture
def org_ws(ws: Workspace) -> Workspace:
    service.add_org(ws, Organisation(slug=ORG, name="Ville de Saint-Exemple"))
    return ws


@pytest.fixture
def share(tmp_path: Path) -> Share:
    return make_share(tmp_path / "partage")


def _scan(ws: Workspace, paths: list[str], **kw: object) -> ScanResult:
    kw.setdefault("depth", "quick")
    kw.setdefault("executor", _inline())
    return scan_files(ws, ORG, paths, **kw)  # type: ignore[arg-type]


def _by(res_findings: list[FindingRecord], source: str) -> dict[str, FindingRecord]:
    return {f.entity_type: f for f in res_findings if f.source == source}


def _content(findings: list) -> list[tuple]:
    """Findings without the run that wrote them."""
    return [(f.source, f.entity_type, f.count, f.score, f.evidence, f.locations) for f in findings]


def _dump(ws: Workspace) -> str:
    raw = ws.db.engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert isinstance(conn, sqlite3.Connection)
        return "\n".join(conn.iterdump())
    finally:
        raw.close()


# ------------------------------------------------------------------ storing


def test_findings_are_stored_per_file_and_entity(org_ws: Workspace, share: Share) -> None:
    res = _scan(org_ws, [str(share.root)])
    assert res.status == "completed" and not res.errors
    assert res.counts["files"] == 6 and res.counts["units"] == 6
    agents = _by(res.findings, share.path("rh/agents.csv"))
    assert agents["FR_NIR"].count == 4
    assert agents["EMAIL_ADDRESS"].count == 4
    assert agents["IBAN_CODE"].count == 4
    assert agents["FR_NIR"].special_category is False
    for f in agents.values():
        assert 1 <= len(f.evidence) <= 3
        assert f.locations and all("offset" in loc for loc in f.locations)
    health = _by(res.findings, share.path("sante/certificat.txt"))
    assert health["HEALTH"].count == 2 and health["HEALTH"].special_category
    assert health["HEALTH"].severity == "high"
    letter = _by(res.findings, share.path("courriers/lettre.txt"))
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER"} <= set(letter)
    member = _by(res.findings, share.path("archive.zip") + "!dossiers/fiche.txt")
    assert member["FR_NIR"].count == 1 and member["FR_NIR"].source_kind == "member"
    # look-alikes and clean files give nothing
    assert not _by(res.findings, share.path("divers/budget.txt"))
    assert not _by(res.findings, share.path("divers/notes.md"))
    # stored findings are what the query API returns
    assert list_findings(org_ws, ORG) == res.findings
    nirs = list_findings(org_ws, ORG, entity="FR_NIR")
    assert {f.source for f in nirs} == {
        share.path("rh/agents.csv"),
        share.path("archive.zip") + "!dossiers/fiche.txt",
    }
    assert [f.source for f in list_findings(org_ws, ORG, path_glob="*/courriers/*")] == [
        share.path("courriers/lettre.txt")
    ] * len(letter)
    detail = show_source(org_ws, ORG, share.path("rh/agents.csv"))
    assert detail.status == "present" and detail.kind == "file" and detail.content_hash
    with org_ws.db.session() as s:
        run = s.get(ScanRunRow, res.run_id)
        assert run is not None and run.status == "completed" and run.finished_at is not None
        assert run.counts["units"] == 6


def test_only_masked_values_reach_the_database(org_ws: Workspace, share: Share) -> None:
    res = _scan(org_ws, [str(share.root)], keep_evidence=True)
    assert res.findings
    dump = _dump(org_ws)
    leaked = sorted(v for v in share.raw if v in dump)
    assert not leaked, f"raw values stored in clear: {len(leaked)}"
    # the kept evidence is sealed, and opens for the DPO
    agents = share.path("rh/agents.csv")
    kept = reveal_evidence(org_ws, ORG, agents, "EMAIL_ADDRESS")
    assert kept and set(kept) <= set(share.emails["rh/agents.csv"])


def test_without_keep_evidence_nothing_is_sealed(org_ws: Workspace, share: Share) -> None:
    res = _scan(org_ws, [str(share.root)])
    assert res.findings and not any(f.has_sealed_evidence for f in res.findings)
    assert not any(v in _dump(org_ws) for v in share.raw)


def test_blind_index_finds_a_person_files(org_ws: Workspace, share: Share) -> None:
    _scan(org_ws, [str(share.root)])
    nir = share.nirs["archive.zip"]
    hits = lookup_values(org_ws, ORG, "FR_NIR", [_spaced_nir(nir)])
    assert [h.uri for h in hits] == [share.path("archive.zip") + "!dossiers/fiche.txt"]
    email = share.emails["rh/agents.csv"][2]
    hits = lookup_values(org_ws, ORG, "EMAIL_ADDRESS", [email.upper()])
    assert [h.uri for h in hits] == [share.path("rh/agents.csv")]
    token = org_ws.keys.blind_index("EMAIL_ADDRESS", email)
    assert [h.uri for h in lookup_tokens(org_ws, ORG, "EMAIL_ADDRESS", [token])] == [
        share.path("rh/agents.csv")
    ]
    assert lookup_values(org_ws, ORG, "EMAIL_ADDRESS", ["personne@example.com"]) == []
    # another organisation sees nothing of this one's index
    service.add_org(org_ws, Organisation(slug="ccas", name="CCAS"))
    assert lookup_values(org_ws, "ccas", "EMAIL_ADDRESS", [email]) == []
    assert list_findings(org_ws, "ccas") == []


# ------------------------------------------------------------------ incremental


@pytest.mark.parametrize("per_commit", [18_000, 4, 1])
def test_second_run_reads_nothing(
    org_ws: Workspace, share: Share, per_commit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the number of unchanged sources stamped per transaction, each is stamped."""
    import rgpd.scan.files as files

    monkeypatch.setattr(files, "UNCHANGED_PER_COMMIT", per_commit)
    first = _scan(org_ws, [str(share.root)])
    second = _scan(org_ws, [str(share.root)])
    assert second.counts["units"] == 0 and second.counts["scanned"] == 0
    assert second.counts["unchanged"] == first.counts["files"] == 6
    assert second.findings == first.findings
    with org_ws.db.session() as s:
        seen = s.execute(select(seen_run()).where(ScanSourceRow.kind == "file")).scalars().all()
        written = s.execute(select(ScanSourceRow.last_run_id)).scalars().all()
    assert seen == [second.run_id] * 6
    assert set(written) == {first.run_id}  # an unchanged source's own row is not rewritten
    third = _scan(org_ws, [str(share.root)])
    (share.root / "divers/budget.txt").write_text("Réunion le 14/03.\n", encoding="utf-8")
    fourth = _scan(org_ws, [str(share.root)])
    assert fourth.counts["scanned"] == 1 and fourth.counts["unchanged"] == 5
    budget = share.path("divers/budget.txt")
    with org_ws.db.session() as s:
        seen_now = dict(
            s.execute(
                select(ScanSourceRow.uri, seen_run()).where(ScanSourceRow.kind == "file")
            ).all()
        )
        met = dict(
            s.execute(
                select(ScanSourceRow.uri, ScanSourceSeenRow.run_id).join(
                    ScanSourceSeenRow, ScanSourceSeenRow.source_id == ScanSourceRow.id
                )
            ).all()
        )
    # every file was seen by the fourth run: five met unchanged, the budget read again,
    # whose "unchanged" stamp is the third run's (the later of the two stamps wins)
    assert set(seen_now.values()) == {fourth.run_id} and len(seen_now) == 6
    assert met[budget] == third.run_id


def test_the_walk_of_an_unchanged_tree_keeps_the_run_alive(
    org_ws: Workspace, share: Share, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walk beats every WALK_BEAT_FILES files even when none of them is read again: the
    walk of a large unchanged share on a slow mount can outlast RUN_STALE_AFTER, and a run
    that silent is taken for dead (and marked interrupted) by the next scan."""
    import rgpd.scan.files as files
    from rgpd.scan import runs

    _scan(org_ws, [str(share.root)])
    monkeypatch.setattr(files, "WALK_BEAT_FILES", 2)
    monkeypatch.setattr(files, "HEARTBEAT_EVERY", 0.0)
    beats: list[tuple[int, int]] = []
    real = runs.heartbeat

    def heartbeat(s: Any, run_id: int, counts: dict[str, int]) -> None:
        beats.append((counts["files"], counts["unchanged"]))
        real(s, run_id, counts)

    monkeypatch.setattr(runs, "heartbeat", heartbeat)
    phases: list[str] = []
    second = _scan(org_ws, [str(share.root)], progress=lambda p: phases.append(p.phase))
    assert second.counts["unchanged"] == 6 and second.counts["units"] == 0
    # (files walked, of which unchanged) at the 2nd, 4th and 6th file, before it is compared
    assert beats[:3] == [(2, 1), (4, 3), (6, 5)]
    assert phases.count("walk") == 3


def test_modified_touched_deleted_and_full(org_ws: Workspace, share: Share) -> None:
    _scan(org_ws, [str(share.root)])
    fake = Faker("fr_FR")
    new_email = fake.email(domain="example.com")
    letter = share.root / "courriers/lettre.txt"
    letter.write_text(
        letter.read_text(encoding="utf-8") + f"Copie à {new_email}\n", encoding="utf-8"
    )
    notes = share.root / "divers/notes.md"
    st = notes.stat()
    os.utime(notes, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # touched, same bytes
    (share.root / "rh/agents.csv").unlink()

    res = _scan(org_ws, [str(share.root)])
    assert res.counts["units"] == 2  # the modified letter and the touched notes
    assert res.counts["scanned"] == 1  # the touched file was hashed, not read
    assert res.counts["gone"] == 1
    assert [h.uri for h in lookup_values(org_ws, ORG, "EMAIL_ADDRESS", [new_email])] == [
        str(letter)
    ]
    letter_f = _by(res.findings, str(letter))
    assert letter_f["EMAIL_ADDRESS"].count == 2
    gone = show_source(org_ws, ORG, share.path("rh/agents.csv"))
    assert gone.status == "gone" and gone.findings == []
    assert lookup_values(org_ws, ORG, "FR_NIR", [share.nirs["rh/agents.csv"]]) == []
    assert not [f for f in list_findings(org_ws, ORG) if f.source == gone.uri]

    third = _scan(org_ws, [str(share.root)])
    assert third.counts["units"] == 0
    full = _scan(org_ws, [str(share.root)], full=True)
    assert full.counts["units"] == full.counts["scanned"] == 5
    assert _content(full.findings) == _content(third.findings)
    with org_ws.db.session() as s:
        n_tokens = s.execute(select(FindingValueRow)).scalars().all()
    assert len(n_tokens) == len({(t.source_id, t.entity_type, t.token) for t in n_tokens})


def test_archive_member_removed_is_gone(org_ws: Workspace, share: Share) -> None:
    _scan(org_ws, [str(share.root)])
    with zipfile.ZipFile(share.root / "archive.zip", "w") as zf:
        zf.writestr("dossiers/vide.txt", "Rien.\n")
    res = _scan(org_ws, [str(share.root)])
    assert res.counts["gone"] == 1
    member = share.path("archive.zip") + "!dossiers/fiche.txt"
    assert show_source(org_ws, ORG, member).status == "gone"
    assert lookup_values(org_ws, ORG, "FR_NIR", [share.nirs["archive.zip"]]) == []


def test_exclude_and_walk(tmp_path: Path, share: Share) -> None:
    (share.root / ".git").mkdir()
    (share.root / ".git/config").write_text("x", encoding="utf-8")
    (share.root / "rh/~$agents.csv").write_text("lock", encoding="utf-8")
    found = {e.path for e in walk([str(share.root)], ["**/.git/**", "~$*"])}
    assert share.path(".git/config") not in found
    assert share.path("rh/~$agents.csv") not in found
    assert share.path("rh/agents.csv") in found and len(found) == 6


def test_a_listing_failing_half_way_keeps_what_was_read_and_says_so(
    share: Share, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A network share can drop a folder's listing in the middle: the entries read so far
    are still scanned, and the folder is reported, not silently cut short."""
    import rgpd.scan.files as files_mod

    real = os.scandir
    broken = str(share.root / "rh")

    class HalfListing:
        def __init__(self, path: str) -> None:
            self.inner = real(path)
            self.given = 0

        def __enter__(self) -> HalfListing:
            return self

        def __exit__(self, *exc: object) -> None:
            self.inner.close()

        def __iter__(self) -> HalfListing:
            return self

        def __next__(self) -> os.DirEntry[str]:
            if self.given == 1:
                raise OSError(5, "Input/output error")
            self.given += 1
            return next(self.inner)

    def scandir(path: str) -> Any:
        return HalfListing(path) if path == broken else real(path)

    for name in ("conges.txt", "paie.txt"):
        (share.root / "rh" / name).write_text("rien", encoding="utf-8")
    whole = {e.path for e in walk([str(share.root)])}
    monkeypatch.setattr(files_mod.os, "scandir", scandir)
    errors: list[Any] = []
    found = {e.path for e in walk([str(share.root)], on_error=errors.append)}
    inside = {p for p in whole if p.startswith(broken + "/")}
    assert len(inside) >= 2
    assert whole - inside <= found < whole  # everything outside rh/ is still there
    assert len(found & inside) == 1  # the entry listed before the failure is kept
    assert [(e.source, e.reason) for e in errors] == [(broken, "io_error")]


@pytest.mark.parametrize("spelling", ["plain", "slash", "relative", "dotted"])
def test_exclude_patterns_read_paths_relative_to_the_root_however_it_is_written(
    share: Share, spelling: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walk cuts the root off each path (no relpath): every spelling of it gives the
    same relative paths to the exclude patterns."""
    root = str(share.root)
    monkeypatch.chdir(share.root.parent)
    given = {
        "plain": root,
        "slash": root + "/",
        "relative": share.root.name,
        "dotted": f"{root}/../{share.root.name}",
    }[spelling]
    every = {os.path.basename(e.path) for e in walk([root])}
    found = {os.path.basename(e.path) for e in walk([given], ["rh/*.csv", "/divers/notes.md"])}
    assert {"agents.csv", "notes.md"} <= every
    assert found == every - {"agents.csv", "notes.md"}


# ------------------------------------------------------------------ errors


def _bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("zeros.txt", "w") as fh:
        block = b"\0" * (1 << 20)
        for _i in range(20):
            fh.write(block)


def add_bad_files(root: Path) -> dict[str, str]:
    """Files that cannot be read, each with the error reason expected for it."""
    bad = root / "abime"
    bad.mkdir()
    (bad / "rapport.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<\n garbage \x00\x01 trailer")
    (bad / "lettre.docx").write_bytes(b"PK\x03\x04" + os.urandom(200))
    _bomb(bad / "bombe.zip")
    os.symlink("boucle_b", bad / "boucle_a")
    os.symlink("boucle_a", bad / "boucle_b")
    os.symlink("..", bad / "parent")
    with open(os.path.join(os.fsencode(bad), b"caf\xe9.txt"), "wb") as fh:
        fh.write(b"contenu")
    with (bad / "disque.img").open("wb") as fh:
        fh.truncate(4 * 1024**3 + 1)  # sparse: above the size cap, nothing written
    os.mkfifo(bad / "tube")  # reading it would block forever: never opened
    return {
        str(bad / "rapport.pdf"): "corrupt",
        str(bad / "lettre.docx"): "corrupt",
        str(bad / "bombe.zip"): "archive_ratio",
        str(bad / "boucle_a"): "symlink_loop",
        str(bad / "boucle_b"): "symlink_loop",
        str(bad / "parent"): "symlink_loop",
        str(bad) + "/caf\\xe9.txt": "undecodable_name",
        str(bad / "disque.img"): "too_large",
    }


def add_unreadable_by_design(root: Path) -> dict[str, str]:
    """Files nothing here can read: skipped and named, but not errors (no exit 3)."""
    (root / "photos").mkdir()
    expected = {}
    if shutil.which("tesseract") is None:  # without the OCR extra, images are not read
        (root / "photos/mariage.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
        expected[str(root / "photos/mariage.png")] = "missing_extra"
    (root / "photos/setup.exe").write_bytes(b"MZ" + bytes(range(256)) * 4)
    with zipfile.ZipFile(root / "photos/lot.zip", "w") as zf:
        zf.writestr("outil.exe", b"MZ" + bytes(range(256)))
        zf.writestr("note.txt", "Rien.\n")
    return {
        **expected,
        str(root / "photos/setup.exe"): "unknown_format",
        str(root / "photos/lot.zip") + "!outil.exe": "unknown_format",
    }


def test_bad_files_become_errors_and_the_scan_goes_on(org_ws: Workspace, share: Share) -> None:
    expected = add_bad_files(share.root)
    by_design = add_unreadable_by_design(share.root)
    res = _scan(org_ws, [str(share.root)])
    assert res.status == "completed"
    got = {e.source: e.reason for e in res.errors}
    assert got == expected
    assert {e.source: e.reason for e in res.skipped} == by_design
    assert res.counts["skipped"] == len(by_design)
    # the good files were still read
    assert _by(res.findings, share.path("rh/agents.csv"))["FR_NIR"].count == 4
    with org_ws.db.session() as s:
        stored = {(e.source, e.reason) for e in s.execute(select(ScanErrorRow)).scalars()}
        run = s.get(ScanRunRow, res.run_id)
    assert stored == set(expected.items())
    assert run is not None and run.counts["errors"] == len(expected)
    # unreadable files are tried again (and reported again) on the next run
    again = _scan(org_ws, [str(share.root)])
    assert {e.source for e in again.errors} == set(expected)
    assert again.counts["units"] == 4  # the four unreadable files, nothing else
    assert again.skipped == []  # skipped files are settled, not retried


def test_stored_errors_do_not_quote_the_corrupt_file(org_ws: Workspace, tmp_path: Path) -> None:
    """pypdf quotes the token it choked on: here an e-mail and a NIR written in the file."""
    fake = Faker("fr_FR")
    Faker.seed(5)
    nir, email = fake.ssn(), fake.email(domain="example.org")
    root = tmp_path / "corrompu"
    root.mkdir()
    (root / "fiche.pdf").write_bytes(
        f"%PDF-1.4\n1 0 obj\n<< /Type /{email}{nir} /Pages 2 0 R >>\nendobj\nxref\n0 1\n"
        f"0000000000 65535 f \ntrailer << /Root 1 0 R /Size {nir} >>\nstartxref\n9\n%%EOF".encode()
    )
    res = _scan(org_ws, [str(root)])
    assert [e.reason for e in res.errors] == ["corrupt"]
    with org_ws.db.session() as s:
        stored = [e.message for e in s.execute(select(ScanErrorRow)).scalars()]
    assert len(stored) == 1 and "PdfReadError" in stored[0]
    for text in [*stored, *(e.message for e in res.errors)]:
        for secret in (nir, nir[:7], email, email.split("@")[0]):
            assert secret not in text, text
    dump = _dump(org_ws)
    assert nir not in dump and email not in dump


# ------------------------------------------------------------------ kill -9


def _count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def _big_share(root: Path, n: int) -> dict[str, str]:
    fake = Faker("fr_FR")
    Faker.seed(11)
    root.mkdir(parents=True)
    nirs: dict[str, str] = {}
    for i in range(n):
        nir = fake.ssn()
        p = root / f"d{i % 10}" / f"f{i:04d}.txt"
        p.parent.mkdir(exist_ok=True)
        p.write_text(
            f"{fake.sentence()}\nNIR : {_spaced_nir(nir)}\nCourriel : {fake.email()}\n",
            encoding="utf-8",
        )
        nirs[str(p)] = nir
    return nirs


def make_file_workspace(base: Path) -> Workspace:
    """A workspace on an SQLite file under ``base``, whose key file a subprocess can read."""
    keys = KeyRing.generate()
    settings = Settings(database_url=f"sqlite:///{base / 'rgpd.db'}", base_dir=base)
    keys.save(settings.path(settings.key_file))
    return open_workspace(settings, actor="test", keys=keys)


@pytest.fixture
def file_ws(tmp_path: Path) -> Iterator[Workspace]:
    w = make_file_workspace(tmp_path)
    service.add_org(w, Organisation(slug=ORG, name="Ville"))
    yield w
    w.db.dispose()


def test_kill_9_mid_scan_resumes_without_loss_or_double_count(
    tmp_path: Path, file_ws: Workspace
) -> None:
    n = 120
    nirs = _big_share(tmp_path / "partage", n)
    db = tmp_path / "rgpd.db"
    cmd = [
        sys.executable,
        "-m",
        "rgpd.cli",
        "--db",
        f"sqlite:///{db}",
        "--org",
        ORG,
        "scan",
        "files",
        str(tmp_path / "partage"),
        "--depth",
        "quick",
        "--workers",
        "1",
    ]
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while _count(db, "SELECT count(*) FROM scan_sources") < 10:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the scan never committed a unit"
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # orphaned pool workers of that session
    with file_ws.db.session() as s:
        killed = s.execute(select(ScanRunRow)).scalar_one()
        committed = (
            s.execute(select(ScanSourceRow).where(ScanSourceRow.kind == "file")).scalars().all()
        )
    assert killed.status == "running"
    assert 10 <= len(committed) < n, "the scan finished before it could be killed"

    res = scan_files(file_ws, ORG, [str(tmp_path / "partage")], depth="quick", executor=_inline())
    assert res.interrupted_runs == [killed.id]
    with file_ws.db.session() as s:
        after = s.get(ScanRunRow, killed.id)
        assert after is not None and after.status == "interrupted"
        tokens = s.execute(select(FindingValueRow)).scalars().all()
    # nothing lost, nothing counted twice
    assert after.counts["units"] == len(committed)
    assert res.counts["unchanged"] == len(committed)
    assert after.counts["units"] + res.counts["units"] == n
    # the resumed state is exactly what one uninterrupted scan stores
    ref_settings = Settings(database_url="sqlite://", base_dir=tmp_path / "ref")
    ref = open_workspace(ref_settings, actor="test", keys=file_ws.keys)
    service.add_org(ref, Organisation(slug=ORG, name="Ville"))
    expected = scan_files(ref, ORG, [str(tmp_path / "partage")], depth="quick", executor=_inline())
    assert _content(res.findings) == _content(expected.findings)
    with ref.db.session() as s:
        ref_tokens = s.execute(select(FindingValueRow)).scalars().all()
    assert sorted((t.entity_type, t.token, t.count) for t in tokens) == sorted(
        (t.entity_type, t.token, t.count) for t in ref_tokens
    )
    nir_files = [f.source for f in res.findings if f.entity_type == "FR_NIR"]
    assert len(nir_files) > n * 0.9
    for path in nir_files[::23]:
        hits = lookup_values(file_ws, ORG, "FR_NIR", [nirs[path]])
        assert [h.uri for h in hits] == [path]


# ------------------------------------------------------------------ more units


def test_large_archive_is_read_in_member_batches(
    org_ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rgpd.scan import files

    monkeypatch.setattr(files, "ARCHIVE_SPLIT_BYTES", 0)
    monkeypatch.setattr(files, "ARCHIVE_BATCH_MEMBERS", 2)
    fake = Faker("fr_FR")
    Faker.seed(5)
    root = tmp_path / "partage"
    root.mkdir()
    emails = [fake.email(domain="example.org") for _i in range(5)]
    big = root / "archives.zip"
    with zipfile.ZipFile(big, "w") as zf:
        for i, email in enumerate(emails):
            zf.writestr(f"m{i}.txt", f"Contact : {email}\n")
    res = _scan(org_ws, [str(root)])
    assert res.counts["units"] == 3 and not res.errors  # 5 members in batches of 2
    assert sorted(f.source for f in res.findings) == [f"{big}!m{i}.txt" for i in range(5)]
    assert show_source(org_ws, ORG, str(big)).content_hash
    assert _scan(org_ws, [str(root)]).counts["units"] == 0
    with zipfile.ZipFile(big, "w") as zf:
        for i, email in enumerate(emails[:3]):
            zf.writestr(f"m{i}.txt", f"Contact : {email}\n")
    again = _scan(org_ws, [str(root)])
    assert again.counts["units"] == 2 and again.counts["gone"] == 2
    assert lookup_values(org_ws, ORG, "EMAIL_ADDRESS", [emails[4]]) == []
    assert [h.uri for h in lookup_values(org_ws, ORG, "EMAIL_ADDRESS", [emails[1]])] == [
        f"{big}!m1.txt"
    ]


def test_standard_depth_in_the_process_pool(org_ws: Workspace, share: Share) -> None:
    res = scan_files(org_ws, ORG, [str(share.root)], depth="standard", workers=2)
    assert res.status == "completed" and not res.errors and res.counts["units"] == 6
    quick = {
        (f.source, f.entity_type, f.count)
        for f in _scan(org_ws, [str(share.root)], full=True).findings
    }
    standard = {(f.source, f.entity_type, f.count) for f in res.findings}
    identifiers = {"FR_NIR", "EMAIL_ADDRESS", "IBAN_CODE", "HEALTH"}
    assert {x for x in quick if x[1] in identifiers} == {x for x in standard if x[1] in identifiers}
    health = _by(res.findings, share.path("sante/certificat.txt"))
    assert "PERSON" in health


@pytest.mark.parametrize(
    ("host", "pid_alive", "minutes_ago", "expected"),
    [
        ("this", False, 0, "interrupted"),  # killed here: its process is gone
        ("this", True, 0, "running"),  # a live concurrent scan is left alone
        ("this", True, 120, "interrupted"),  # alive pid but no heartbeat: recycled pid
        ("other", True, 1, "running"),  # another machine, recent heartbeat
        ("other", True, 120, "interrupted"),  # another machine, silent for too long
    ],
)
def test_dead_runs_are_marked_interrupted(
    org_ws: Workspace,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    host: str,
    pid_alive: bool,
    minutes_ago: int,
    expected: str,
) -> None:
    from datetime import timedelta

    from rgpd.scan import files, liveness
    from rgpd.storage.db import utcnow

    monkeypatch.setattr(liveness, "pid_alive", lambda pid: pid_alive)
    here = files._host()
    beat = utcnow() - timedelta(minutes=minutes_ago)
    with org_ws.db.session() as s:
        run = ScanRunRow(
            org_id=org_ws.org_id(ORG),
            kind="files",
            status="running",
            started_at=beat,
            heartbeat_at=beat,
            counts={},
            actor="test",
            settings={"host": here if host == "this" else "elsewhere", "pid": 999_999},
        )
        s.add(run)
        s.flush()
        run_id = run.id
    (tmp_path / "vide").mkdir()
    res = _scan(org_ws, [str(tmp_path / "vide")])
    with org_ws.db.session() as s:
        row = s.get(ScanRunRow, run_id)
        assert row is not None and row.status == expected
    assert res.interrupted_runs == ([run_id] if expected == "interrupted" else [])


# ------------------------------------------------------------------ pure helpers


@pytest.mark.parametrize(
    ("entity", "special", "expected"),
    [
        ("FR_NIR", False, "high"),
        ("IBAN_CODE", False, "high"),
        ("CREDIT_CARD", False, "high"),
        ("HEALTH", True, "high"),
        ("CRIMINAL_OFFENCE", True, "high"),
        ("EMAIL_ADDRESS", False, "medium"),
        ("PHONE_NUMBER", False, "medium"),
        ("DATE_OF_BIRTH", False, "medium"),
        ("FR_PASSPORT", False, "medium"),
        ("PERSON", False, "low"),
        ("IP_ADDRESS", False, "low"),
        ("SOMETHING_NEW", False, "low"),
        ("SOMETHING_NEW", True, "high"),  # the Art. 9 flag alone makes it high
    ],
)
def test_severity_mapping(entity: str, special: bool, expected: str) -> None:
    from rgpd.scan.findings import FindingRecord, at_or_above, severity_of

    assert severity_of(entity, special) == expected
    f = FindingRecord("/x", "file", "present", entity, 1, 0.9, special, [], [], None)
    levels = ["low", "medium", "high"]
    for level in levels:
        assert bool(at_or_above([f], level)) == (levels.index(level) <= levels.index(expected))
    assert at_or_above([f], "none") == []


_segment = st.text(alphabet="abcdéè_-. 0123456789", min_size=1, max_size=8).filter(
    lambda s: s not in (".", "..")
)


@given(
    folder=st.lists(_segment, min_size=1, max_size=4),
    rest=st.lists(_segment, max_size=3),
    suffix=_segment,
)
def test_folder_filter_matches_inside_only(folder: list[str], rest: list[str], suffix: str) -> None:
    from rgpd.scan.findings import path_matches

    base = "/" + "/".join(folder)
    inside = base + "/" + "/".join([*rest, "f.txt"])
    assert path_matches(inside, base) and path_matches(inside, base + "/")
    assert path_matches(base + "!member.txt", base)  # an archive's members are inside it
    assert not path_matches(base + suffix + "/f.txt", base)  # a sibling sharing a prefix


# ------------------------------------------------------------------ server databases


@pytest.fixture(params=["postgresql", "mariadb"])
def server_ws(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workspace]:
    from ..conftest import _reset, make_workspace

    url = request.getfixturevalue(
        f"{'pg' if request.param == 'postgresql' else 'mariadb'}_server_url"
    )
    _reset(url)
    w = make_workspace(url, tmp_path)
    service.add_org(w, Organisation(slug=ORG, name="Ville"))
    yield w
    w.db.dispose()


def test_incremental_scan_on_server_databases(server_ws: Workspace, share: Share) -> None:
    first = _scan(server_ws, [str(share.root)], keep_evidence=True)
    assert first.counts["units"] == 6 and not first.errors
    assert _by(first.findings, share.path("rh/agents.csv"))["FR_NIR"].count == 4
    assert _scan(server_ws, [str(share.root)]).counts["units"] == 0  # mtime kept exactly
    again = _scan(server_ws, [str(share.root)])  # "unchanged" stamps inserted, then updated
    with server_ws.db.session() as s:
        seen = s.execute(select(seen_run()).where(ScanSourceRow.kind == "file")).scalars().all()
    assert seen == [again.run_id] * 6
    letter = share.root / "courriers/lettre.txt"
    letter.write_text("Plus rien de personnel.\n", encoding="utf-8")
    (share.root / "archive.zip").unlink()
    res = _scan(server_ws, [str(share.root)])
    assert res.counts["units"] == 1 and res.counts["gone"] == 2  # the zip and its member
    assert not _by(res.findings, str(letter))
    nir = share.nirs["rh/agents.csv"]
    assert [h.uri for h in lookup_values(server_ws, ORG, "FR_NIR", [nir])] == [
        share.path("rh/agents.csv")
    ]
    assert reveal_evidence(server_ws, ORG, share.path("rh/agents.csv"), "IBAN_CODE")
    assert _briefly(res.iter_briefs()) == _briefly(res.iter_findings())


def test_generated_sample_share_every_format(org_ws: Workspace, tmp_path: Path) -> None:
    """All formats of the sample writer, and its hostile files, through the whole pipeline."""
    from rgpd.demo.samples import FORMATS, write_sample_share

    root = tmp_path / "partage"
    manifest = write_sample_share(root, n_files=len(FORMATS), hostile=True)
    res = _scan(org_ws, [str(root)])
    problems = {e.source: e.reason for e in [*res.errors, *res.skipped]}
    for f in manifest.files:
        path = str(root / f.path)
        if f.expected_error is None:
            assert not [s for s in problems if s == path or s.startswith(path + "!")], f.path
            if f.personal:
                assert any(x.source.split("!", 1)[0] == path for x in res.findings), f.path
        else:
            shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            reasons = {r for s, r in problems.items() if s == shown or s.startswith(shown + "!")}
            assert f.expected_error in reasons, f.path
    again = _scan(org_ws, [str(root)])  # only files with a problem are read again
    assert {e.source for e in again.errors} == {e.source for e in res.errors}
    assert again.counts["units"] <= len(res.errors)


# ------------------------------------------------------------------ groups of small files


def _unit(uid: int, size: int, members: tuple[str, ...] | None = None) -> object:
    from rgpd.scan.files import WorkUnit

    return WorkUnit(uid, f"/p/{uid}", size, 0, members=members)


@given(
    st.lists(st.tuples(st.integers(0, 3 * 1024 * 1024), st.booleans()), min_size=0, max_size=120),
    st.integers(1, 40),
    st.integers(1, 8 * 1024 * 1024),
)
def test_grouping_keeps_every_unit_once_in_order_within_limits(
    spec: list[tuple[int, bool]], max_files: int, max_bytes: int
) -> None:
    from rgpd.scan.files import GROUP_FILE_MAX, UnitGroup, WorkUnit, group_units

    units = [_unit(i, size, ("m",) if member else None) for i, (size, member) in enumerate(spec)]
    out = list(group_units(units, max_files, max_bytes))  # type: ignore[arg-type]
    flat: list[WorkUnit] = []
    for w in out:
        if isinstance(w, UnitGroup):
            assert 2 <= len(w.units) <= max_files
            assert all(u.members is None and u.size <= GROUP_FILE_MAX for u in w.units)
            # the byte budget is only exceeded by a group's first file
            assert sum(u.size for u in w.units[:-1]) <= max_bytes
            assert sum(u.size for u in w.units) <= max(max_bytes, w.units[0].size)
            flat.extend(w.units)
        else:
            assert isinstance(w, WorkUnit)
            flat.append(w)
    # big files and archive batches overtake the pending group: order holds per kind
    assert sorted(u.uid for u in flat) == [u.uid for u in units]  # type: ignore[attr-defined]
    small = [u.uid for u in flat if u.members is None and u.size <= GROUP_FILE_MAX]
    assert small == sorted(small)


class GroupsFail:
    """Runs units inline, but every group fails as if its process had been killed."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def map_units(self, fn, units):  # type: ignore[no-untyped-def]
        from rgpd.errors import LimitExceeded
        from rgpd.scan.extract.model import Reason, source_error
        from rgpd.scan.files import UnitGroup

        for unit in units:
            if isinstance(unit, UnitGroup):
                self.seen.append(f"group of {len(unit.units)}")
                yield unit, source_error(LimitExceeded, Reason.TIMEOUT, "stopped")
            else:
                self.seen.append("file")
                yield unit, fn(unit)

    def close(self) -> None:
        pass


def test_a_failed_group_is_split_and_its_files_read_alone(org_ws: Workspace, share: Share) -> None:
    reference = scan_files(org_ws, ORG, [str(share.root)], depth="quick", executor=_inline())
    ex = GroupsFail()
    res = scan_files(org_ws, ORG, [str(share.root)], depth="quick", executor=ex, full=True)
    assert ex.seen[0].startswith("group of")
    assert ex.seen.count("file") == reference.counts["files"]
    assert res.status == "completed" and not res.errors
    assert res.counts["scanned"] == reference.counts["scanned"]
    assert _content(res.findings) == _content(reference.findings)


def test_a_remote_group_is_sealed_once_and_opens_to_the_local_tokens(
    share: Share, tmp_path: Path
) -> None:
    from rgpd.crypto import SealedBox
    from rgpd.scan.files import (
        GroupResult,
        UnitGroup,
        WorkerConfig,
        WorkUnit,
        open_sealed,
        run_work,
    )

    keys = KeyRing.generate()
    files = [e for e in walk([str(share.root)]) if e.size < 1024 * 1024]
    group = UnitGroup(tuple(WorkUnit(i, e.path, e.size, e.mtime_ns) for i, e in enumerate(files)))
    local = run_work(group, WorkerConfig("quick", keys.index_key))
    box = SealedBox()
    remote = run_work(group, WorkerConfig("quick", b"", seal_to=box.public_key))
    assert isinstance(local, GroupResult) and isinstance(remote, GroupResult)
    assert remote.sealed and all(not r.sealed for r in remote.results)
    travelling = [f for r in remote.results for f in r.findings]
    assert travelling and all(not f.tokens and not f.raw for f in travelling)
    for value in share.raw:
        assert value.encode() not in remote.sealed
    open_sealed(remote, box, keys)
    assert [(f.source, f.entity_type, f.tokens) for r in remote.results for f in r.findings] == [
        (f.source, f.entity_type, f.tokens) for r in local.results for f in r.findings
    ]


class _CountingDetector:
    """A detector fake: counts its calls; a text holding ``boom`` makes it raise."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: list[int] = []

    def detect_many(self, texts: list[str]) -> Any:
        self.calls.append(len(texts))
        if any("boom" in t for t in texts):
            raise ValueError("a detector bug")
        return self.real.detect_many(texts)


def _group_of(share: Share) -> Any:
    from rgpd.scan.files import UnitGroup, WorkUnit

    files = [e for e in walk([str(share.root)]) if e.size < 1024 * 1024]
    return UnitGroup(tuple(WorkUnit(i, e.path, e.size, e.mtime_ns) for i, e in enumerate(files)))


def test_a_group_is_detected_in_one_batch_with_each_files_findings(
    share: Share, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rgpd.scan import files as F

    keys = KeyRing.generate()
    config = F.WorkerConfig("quick", keys.index_key)
    group = _group_of(share)
    alone = [F.run_unit(u, config) for u in group.units]
    fake = _CountingDetector(F._detector("quick"))
    monkeypatch.setitem(F._DETECTORS, "quick", fake)
    together = F.run_work(group, config)
    assert isinstance(together, F.GroupResult)
    assert len(fake.calls) == 1 and fake.calls[0] > len(group.units)  # every chunk at once
    assert [(f.source, f.entity_type, f.count, f.evidence, f.locations, f.tokens)
            for r in together.results for f in r.findings] == [
        (f.source, f.entity_type, f.count, f.evidence, f.locations, f.tokens)
        for r in alone for f in r.findings
    ]  # fmt: skip
    assert [r.chars for r in together.results] == [r.chars for r in alone]


def test_a_detection_failure_in_a_group_stays_with_its_file(
    share: Share, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rgpd.scan import files as F

    bad = share.root / "zz-boom.txt"
    bad.write_text("boom: Mme Odile Ferrand, odile.ferrand@example.org", encoding="utf-8")
    keys = KeyRing.generate()
    config = F.WorkerConfig("quick", keys.index_key)
    group = _group_of(share)
    fake = _CountingDetector(F._detector("quick"))
    monkeypatch.setitem(F._DETECTORS, "quick", fake)
    out = F.run_work(group, config)
    assert isinstance(out, F.GroupResult)
    failed = [r for r in out.results if r.failed]
    assert [r.unit.path for r in failed] == [str(bad)]
    assert failed[0].errors[0].reason == "error" and "boom" not in failed[0].errors[0].message
    assert not failed[0].findings
    others = [r for r in out.results if not r.failed]
    assert len(others) == len(group.units) - 1 and any(r.findings for r in others)


def test_a_group_detects_early_when_its_texts_pile_up(
    share: Share, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The texts waiting for detection stay under twice DETECT_BATCH_CHARS: the same
    findings, in more calls."""
    from rgpd.scan import files as F

    keys = KeyRing.generate()
    config = F.WorkerConfig("quick", keys.index_key)
    group = _group_of(share)
    alone = [F.run_unit(u, config) for u in group.units]
    fake = _CountingDetector(F._detector("quick"))
    monkeypatch.setitem(F._DETECTORS, "quick", fake)
    monkeypatch.setattr(F, "DETECT_BATCH_CHARS", 100)
    together = F.run_work(group, config)
    assert isinstance(together, F.GroupResult)
    assert len(fake.calls) > 2
    assert [(f.source, f.entity_type, f.count, f.tokens) for r in together.results
            for f in r.findings] == [
        (f.source, f.entity_type, f.count, f.tokens) for r in alone for f in r.findings
    ]  # fmt: skip


def test_findings_stream_by_batches_as_listed(
    org_ws: Workspace, share: Share, tmp_path: Path
) -> None:
    """The listing read by batches (issue 11) gives the findings in the same order, and
    the scan's result reads them from the database once, when first used."""
    from rgpd.scan.findings import _findings_query, iter_findings

    other = make_share(tmp_path / "autre")
    res = _scan(org_ws, [str(share.root), str(other.root)])
    listed = list_findings(org_ws, ORG)
    assert len(listed) > 3
    oid = org_ws.org_id(ORG)
    with org_ws.db.session() as s:
        assert list(_findings_query(s, oid, None, None, batch=2)) == listed
    assert list(iter_findings(org_ws, ORG)) == listed
    assert list(iter_findings(org_ws, ORG, roots=[str(other.root)])) == list_findings(
        org_ws, ORG, roots=[str(other.root)]
    )
    assert list(res.iter_findings()) == listed
    assert _briefly(res.iter_briefs()) == _briefly(listed)  # read as briefs from the store
    assert res.findings == listed and res.findings is res.findings
    assert list(res.iter_findings()) == listed
    assert _briefly(res.iter_briefs()) == _briefly(listed)  # from the list, once it is read


def _briefly(findings: Any) -> list[tuple[Any, ...]]:
    """What a summary reads of each finding, record or brief."""
    return [
        (f.source, f.root, f.entity_type, f.count, f.special_category, f.severity) for f in findings
    ]


def test_briefs_are_the_findings_a_summary_counts(org_ws: Workspace, tmp_path: Path) -> None:
    """``iter_finding_briefs`` gives the listing's findings, in its order, with the same
    severities (special categories: high), for a whole store or a scan's roots."""
    from rgpd.scan.findings import FindingsTally, iter_finding_briefs

    one, two = make_share(tmp_path / "un"), make_share(tmp_path / "deux")
    (one.root / "rh" / "sante.txt").write_text(
        "Arrêt maladie de Mme Odile Marchand pour une dépression, suivie par le Dr Perrin.\n",
        encoding="utf-8",
    )
    _scan(org_ws, [str(one.root), str(two.root)])
    listed = list_findings(org_ws, ORG)
    assert {f.severity.value for f in listed} >= {"high", "medium"}
    assert _briefly(iter_finding_briefs(org_ws, ORG)) == _briefly(listed)
    assert _briefly(iter_finding_briefs(org_ws, ORG, roots=[str(two.root)])) == _briefly(
        list_findings(org_ws, ORG, roots=[str(two.root)])
    )
    by_record, by_brief = FindingsTally("medium"), FindingsTally("medium")
    for f in listed:
        by_record.add(f)
    for b in iter_finding_briefs(org_ws, ORG):
        by_brief.add(b)
    assert (by_brief.findings, by_brief.sources, by_brief.tripped) == (
        by_record.findings,
        by_record.sources,
        by_record.tripped,
    )
    assert by_brief.groups.result() == by_record.groups.result()


def test_grouping_in_one_pass_counts_as_the_sets_do(org_ws: Workspace, share: Share) -> None:
    """``group_findings`` holds no set of sources: on the sorted listing its counts are the
    distinct sources, total occurrences and worst severity of each group."""
    from rgpd.scan.findings import group_findings, worst_severity

    _scan(org_ws, [str(share.root)])
    listed = list_findings(org_ws, ORG)
    # a file with several entity types: one source, several findings of its folder
    assert len({f.source for f in listed}) < len(listed)
    for by in ("entity", "folder"):
        groups = group_findings(listed, by=by)
        assert sum(g.occurrences for g in groups) == sum(f.count for f in listed)
        for g in groups:
            if by == "entity":
                members = [f for f in listed if f.entity_type == g.key]
            else:
                members = [f for f in listed if _folder(f) == g.key]
                assert set(g.others) == {f.entity_type for f in members}
            assert g.sources == len({f.source for f in members})
            assert g.occurrences == sum(f.count for f in members)
            assert g.severity == worst_severity(members)


def _folder(f: Any) -> str:
    from rgpd.registry.locations import share_folder

    return share_folder(f.source, f.root)


def test_folder_groups_ask_share_folder_once_per_directory_and_agree_with_it() -> None:
    from rgpd.registry.locations import share_folder
    from rgpd.scan.findings import FindingGroups, FindingRecord

    root = "/srv/partage"
    paths = [
        "/srv/partage/RH/2021/paie.xlsx",
        "/srv/partage/RH/2021/primes.xlsx",
        "/srv/partage/RH/agents.csv",
        "/srv/partage/lisez-moi.txt",  # at the top of the share
        "/srv/partage/archives.zip!RH/vieux.csv",  # a member: its archive's folder
        "/srv/partage/Social/archives.zip!a/b.txt",
        "/ailleurs/hors-partage.txt",  # under no root
        "C:\\Partage\\RH\\note.txt",  # a Windows path
        "C:\\Partage\\Social\\note.txt",
    ]
    records = [
        FindingRecord(p, "file", "ok", "EMAIL_ADDRESS", 1, 0.9, False, [], [], 1, False, root)
        for p in sorted(paths)
    ]
    groups = FindingGroups("folder")
    for r in records:
        groups.add(r)
    expected: dict[str, int] = {}
    for r in records:
        key = share_folder(r.source, r.root)
        expected[key] = expected.get(key, 0) + 1
    assert {g.key: g.sources for g in groups.result()} == expected


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        (None, None),
        (1_700_000_000_123_456_789, 1_700_000_000_123_456_789),
        ("42", 42),
        ("1.5e18", None),
        ("", None),
        ("null", None),
    ],
)
def test_a_stored_number_read_back_by_any_database_or_none(stored: Any, read: int | None) -> None:
    """What ``json_extract`` (an int) and ``->>`` / ``JSON_UNQUOTE`` (text) hand back; a
    value that is not an integer makes the file be read again, never skipped."""
    from rgpd.scan.files import _json_int

    assert _json_int(stored) == read
