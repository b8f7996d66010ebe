"""Redacted copies per format: the chosen values are gone, everything else is still there."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rgpd.demo import samples
from rgpd.errors import UnsupportedFormat
from rgpd.requests import discovery as disc
from rgpd.requests import person, redact
from rgpd.scan.extract import extract

MASK = "[effacé]"
_g = samples._Gen(20260601)
ME, THEM = _g.person(), _g.person()


def _values(p: samples.Person) -> list[str]:
    return [p.name, p.email, p.phone, p.nir]


def _doc() -> samples.SampleDoc:
    return samples.SampleDoc(
        "dossier",
        "Dossier périscolaire",
        [
            f"Demande de {ME.name}, courriel {ME.email}, tél. {ME.phone}, NIR {ME.nir}.",
            f"Copie à {THEM.name}, {THEM.email}, tél. {THEM.phone}, NIR {THEM.nir}.",
            "Le conseil municipal a délibéré sur les tarifs de la cantine.",
        ],
        table=[
            ["Nom", "Courriel", "Téléphone"],
            [ME.name, ME.email, ME.phone],
            [THEM.name, THEM.email, THEM.phone],
        ],
    )


WRITERS: dict[str, Callable[[samples.SampleDoc], bytes]] = {
    "txt": samples._txt,
    "csv": samples._csv,
    **{ext: samples._SIMPLE[ext] for ext in ("json", "html", "xml", "md")},
    **{ext: samples._SIMPLE[ext] for ext in ("docx", "xlsx", "pptx", "odt", "ods", "odp", "pdf")},
}


def _opens(path: Path) -> None:
    """The copy opens in the library that reads its format (not only in our extractor)."""
    ext = path.suffix
    if ext == ".docx":
        import docx

        docx.Document(str(path))
    elif ext == ".xlsx":
        import openpyxl

        openpyxl.load_workbook(str(path))
    elif ext == ".pptx":
        from pptx import Presentation

        Presentation(str(path))
    elif ext in (".odt", ".ods", ".odp"):
        from odf.opendocument import load

        load(str(path))
        with zipfile.ZipFile(path) as z:
            assert z.namelist()[0] == "mimetype"
            assert z.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
    elif ext == ".pdf":
        from pypdf import PdfReader

        assert PdfReader(str(path)).pages


def _text(path: Path, *, pages_only: bool = False) -> str:
    chunks = extract(path)
    return "\n".join(
        c.text for c in chunks if not pages_only or isinstance(c.location.get("page"), int)
    )


def _squash(text: str) -> str:
    return "".join(text.split())


def _absent(value: str, text: str) -> bool:
    compact = lambda s: "".join(c for c in s.lower() if c.isalnum())  # noqa: E731
    return compact(value) not in compact(text)


@pytest.mark.parametrize("ext", sorted(WRITERS))
@pytest.mark.parametrize(
    ("erased", "kept", "mask"),
    [
        (ME, THEM, MASK),  # Art. 17: the person's own data go, the third party's stay
        (THEM, ME, "█████"),  # Art. 15(4): the third party's go from the person's copy
    ],
    ids=["erasure", "art15-4"],
)
def test_redacted_copy_per_format(
    ext: str, erased: samples.Person, kept: samples.Person, mask: str, tmp_path: Path
) -> None:
    src = tmp_path / f"dossier.{ext}"
    src.write_bytes(WRITERS[ext](_doc()))
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    out = tmp_path / f"copie.{ext}"

    res = redact.redact_file(src, _values(erased), out_path=out, mask=mask)

    assert hashlib.sha256(src.read_bytes()).hexdigest() == digest == res.sha256_before
    assert res.sha256_after == hashlib.sha256(out.read_bytes()).hexdigest() != digest
    assert res.complete and res.replacements >= 4
    assert res.layout_kept is (ext != "pdf") and bool(res.notes) is (ext in ("pdf", "xlsx"))
    _opens(out)
    pages = ext == "pdf"  # the rebuilt PDF carries no metadata of the original
    before, after = _text(src, pages_only=pages), _text(out, pages_only=pages)
    for value in _values(erased):
        assert value in before.replace("\n", " ") or _squash(value) in _squash(before)
        assert _absent(value, after), value
    for value in _values(kept):
        assert _squash(value) in _squash(after), value
    assert mask in after
    # the rest is intact: the copy reads as the original's text with the values masked
    expected = person.replace_spans(
        before, list(redact.values_finder(_values(erased))(before)), mask
    )
    assert _squash(after) == _squash(expected)


def _split_run_docx(path: Path) -> None:
    import docx

    doc = docx.Document()
    p = doc.add_paragraph()
    half = len(ME.first) + 3
    p.add_run(ME.name[:half]).bold = True
    p.add_run(ME.name[half:]).italic = True
    p.add_run(" a écrit le 3 mars.")
    table = doc.add_table(rows=1, cols=2)
    table.cell(0, 0).text = ME.nir
    table.cell(0, 1).text = f"voisin : {THEM.nir}"
    section = doc.sections[0]
    section.header.paragraphs[0].text = f"Contact : {ME.email}"
    section.footer.paragraphs[0].text = f"Tél. {ME.phone} — mairie"
    doc.add_comment(p.runs[2], text="à rappeler", author=ME.name, initials="MF")
    doc.core_properties.author = ME.name
    doc.save(str(path))


def test_docx_value_split_across_runs_keeps_the_formatting(tmp_path: Path) -> None:
    import docx

    src, out = tmp_path / "lettre.docx", tmp_path / "copie.docx"
    _split_run_docx(src)
    res = redact.redact_file(src, _values(ME), out_path=out, mask=MASK)
    assert res.complete
    doc = docx.Document(str(out))
    runs = doc.paragraphs[0].runs
    # the comment adds its reference run at the end
    assert [r.text for r in runs][:3] == [MASK, "", " a écrit le 3 mars."]
    assert runs[0].bold and not runs[0].italic  # the mask takes the run where the value began
    assert doc.tables[0].cell(0, 0).text == MASK
    assert doc.tables[0].cell(0, 1).text == f"voisin : {THEM.nir}"
    assert doc.sections[0].header.paragraphs[0].text == f"Contact : {MASK}"
    assert doc.sections[0].footer.paragraphs[0].text == f"Tél. {MASK} — mairie"
    assert doc.core_properties.author == MASK
    text = _text(out)
    assert all(_absent(v, text) for v in _values(ME)) and THEM.nir in text


def test_xlsx_formulas_keep_what_does_not_hold_the_value(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = ME.last
    ws.append([ME.name, 12, 30])
    ws.append([f'=CONCATENATE("Dossier de ", "{ME.name}")', "=SUM(B1:C1)", THEM.name])
    ws.append([f"='{ME.last}'!B1+1", 0, 0])
    src, out = tmp_path / "suivi.xlsx", tmp_path / "copie.xlsx"
    wb.save(str(src))

    res = redact.redact_file(src, [ME.name, ME.last], out_path=out, mask=MASK)

    assert res.complete
    got = openpyxl.load_workbook(str(out)).worksheets[0]
    assert got["A1"].value == MASK
    assert got["A2"].value == f'=CONCATENATE("Dossier de ", "{MASK}")'  # still a formula
    assert got["B2"].value == "=SUM(B1:C1)" and got["C2"].value == THEM.name
    assert got["A3"].value == MASK  # the value was in the formula itself
    assert ME.last.lower() not in got.title.lower() and "[" not in got.title


def test_odf_drops_the_thumbnail_and_types_masked_cells_as_text(tmp_path: Path) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Feuille1")
    tr = TableRow()
    digits = "".join(c for c in ME.phone if c.isdigit())[-9:]
    for kind, value in (("float", digits), ("string", THEM.name)):
        cell = TableCell(valuetype=kind, value=value) if kind == "float" else TableCell()
        cell.addElement(P(text=value))
        tr.addElement(cell)
    table.addElement(tr)
    doc.spreadsheet.addElement(table)
    doc.addThumbnail(b"\x89PNG fake")
    buf = io.BytesIO()
    doc.write(buf)
    src, out = tmp_path / "t.ods", tmp_path / "c.ods"
    src.write_bytes(buf.getvalue())
    assert any(n.startswith("Thumbnails/") for n in zipfile.ZipFile(src).namelist())

    res = redact.redact_file(src, [digits], out_path=out, mask=MASK)

    assert res.complete and res.replacements >= 1
    names = zipfile.ZipFile(out).namelist()
    assert not any(n.startswith("Thumbnails/") for n in names)
    content = zipfile.ZipFile(out).read("content.xml").decode()
    assert digits not in content and THEM.name in content
    assert 'office:value-type="float"' not in content
    _opens(out)


@given(
    st.lists(st.text(alphabet="ab é", max_size=6), min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 8)), max_size=4),
)
def test_rewriting_runs_is_redacting_their_concatenation(
    runs: list[str], raw: list[tuple[int, int]]
) -> None:
    joined = "".join(runs)
    spans = [(min(s, len(joined)), min(s + n, len(joined))) for s, n in raw]
    spans = [(s, e) for s, e in spans if s < e]
    new = redact.rewrite_runs(runs, spans, "#")
    assert len(new) == len(runs)
    assert "".join(new) == person.replace_spans(joined, spans, "#")


@pytest.mark.parametrize(
    ("value", "text", "found"),
    [
        ("06 12 34 56 78", "tél. 0612345678.", ["0612345678"]),
        ("06 12 34 56 78", "tél. 06.12.34.56.78", ["06.12.34.56.78"]),
        ("0612345678", "réf. 106123456789", []),  # inside a longer number: not the value
        ("Margot FERNANDES", "margot fernandès est venue", ["margot fernandès"]),
        ("Margot", "Margoton", []),
        ("1 64 09 33 039 089 93", "NIR 164093303908993", ["164093303908993"]),
    ],
)
def test_values_are_found_in_their_usual_spellings(value: str, text: str, found: list[str]) -> None:
    assert [text[s:e] for s, e in redact.values_finder([value])(text)] == found


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("a/lettre.docx", True),
        ("a/TABLEAU.XLSX", True),
        ("a/b.odp", True),
        ("a/b.pdf", True),
        ("a/b.csv", True),
        ("a/archive.zip", False),
        ("a/archive.zip!lettre.docx", False),
        ("a/b.doc", False),
        ("a/b.msg", False),
    ],
)
def test_what_can_be_redacted(name: str, ok: bool, tmp_path: Path) -> None:
    assert redact.can_redact(name) is ok
    if not ok:
        with pytest.raises(UnsupportedFormat):
            redact.redact_file(tmp_path / name, ["x"], out_path=tmp_path / "out")


def test_in_place_replaces_only_a_complete_copy(tmp_path: Path) -> None:
    path = tmp_path / "note.docx"
    path.write_bytes(samples._SIMPLE["docx"](_doc()))
    before = path.read_bytes()
    # a finder that always finds something: the copy can never be clean
    stubborn = redact.redact_in_place(path, lambda t: [(0, 1)] if t else [], mask=MASK)
    assert not stubborn.complete and path.read_bytes() == before
    nothing = redact.redact_in_place(path, ["personne@example.net"], mask=MASK)
    assert nothing.complete and nothing.replacements == 0 and path.read_bytes() == before
    assert nothing.sha256_after == nothing.sha256_before
    done = redact.redact_in_place(path, _values(ME), mask=MASK)
    assert done.complete and path.read_bytes() != before
    assert done.sha256_after == hashlib.sha256(path.read_bytes()).hexdigest()
    assert not list(tmp_path.glob(".*rgpd-tmp*"))


@pytest.mark.parametrize("ext", ["txt", "docx", "pdf"])
def test_erasure_finder_uses_the_persons_identifiers(ext: str, tmp_path: Path) -> None:
    from rgpd.scan.detect import Detector

    path = tmp_path / f"courrier.{ext}"
    path.write_bytes(WRITERS[ext](_doc()))
    me = disc.Person(
        (
            disc.Probe("email", "EMAIL_ADDRESS", ME.email),
            disc.Probe("phone", "PHONE_NUMBER", ME.phone),
        ),
        first_name=ME.first,
        last_name=ME.last,
    )
    res = redact.redact_in_place(
        path, redact.person_finder(path, me, Detector(depth="quick")), mask=MASK
    )
    assert res.complete and res.replacements
    text = _text(path, pages_only=ext == "pdf")
    assert _absent(ME.email, text) and _absent(ME.phone, text) and _absent(ME.name, text)
    assert THEM.email in text and _squash(THEM.phone) in _squash(text)
