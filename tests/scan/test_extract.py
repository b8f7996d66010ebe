"""Reading files: every format round-trips, locations are right, hostile files fail precisely."""

from __future__ import annotations

import io
import os
import pickle
import stat
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rgpd.demo.samples import (
    FORMATS,
    ShareManifest,
    deflated_zeros,
    encrypted_office,
    msg_bytes,
    nested_zip,
    pdf_bytes,
    write_sample_share,
    zip_bomb,
    zip_bytes_raw,
)
from rgpd.errors import (
    CorruptDocument,
    LimitExceeded,
    SourceError,
    SourceUnreachable,
    UnsupportedFormat,
)
from rgpd.scan.extract import (
    Chunk,
    ExtractLimits,
    Format,
    Reason,
    detect_encoding,
    extract,
    extract_bytes,
    sniff_format,
)
from rgpd.scan.extract.base import split_text
from rgpd.taxonomy import Entity

MiB = 1024 * 1024
LIMITS = ExtractLimits(max_file_size=64 * MiB)


def norm(text: str) -> str:
    return " ".join(text.split())


def chunks_of(path: Path | bytes, limits: ExtractLimits = LIMITS) -> list[Chunk]:
    return list(extract(path, limits))


def errors_of(
    path: Path, limits: ExtractLimits = LIMITS
) -> tuple[list[Chunk], list[tuple[str, SourceError]]]:
    errs: list[tuple[str, SourceError]] = []
    chunks = list(extract(path, limits, on_error=lambda s, e: errs.append((s, e))))
    return chunks, errs


def text_of(chunks: list[Chunk]) -> str:
    return norm(" ".join(c.text for c in chunks))


def find(chunks: list[Chunk], needle: str) -> tuple[Chunk, int]:
    for c in chunks:
        i = c.text.find(needle)
        if i >= 0:
            return c, i
    raise AssertionError(f"{needle!r} not extracted")


def zip_of(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def minimal_docx(body: str, **parts: str) -> bytes:
    """A docx by hand: only what Word itself needs, to test the parser on exact XML."""
    entries = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats'
        b'.org/package/2006/content-types"/>',
        "word/document.xml": f'<?xml version="1.0" encoding="UTF-8"?><w:document {W}><w:body>'
        f"{body}</w:body></w:document>".encode(),
    }
    for name, xml in parts.items():
        entries[f"word/{name}.xml"] = xml.encode()
    return zip_of(entries)


# -- the sample share --------------------------------------------------------------------


@pytest.fixture(scope="module")
def share(tmp_path_factory: pytest.TempPathFactory) -> ShareManifest:
    root = tmp_path_factory.mktemp("share")
    return write_sample_share(root, n_files=2 * len(FORMATS), seed=7, hostile=True, limits=LIMITS)


def test_share_covers_every_format_with_and_without_personal_data(share: ShareManifest) -> None:
    seen = {(Path(f.path).suffix[1:], f.personal) for f in share.files if f.kind != "hostile"}
    for ext in FORMATS:
        assert (ext, True) in seen and (ext, False) in seen, ext
    personal = [f for f in share.files if f.personal]
    found = set().union(*(f.entity_types for f in personal))
    assert {
        Entity.PERSON,
        Entity.FR_NIR,
        Entity.IBAN_CODE,
        Entity.PHONE_NUMBER,
        Entity.EMAIL_ADDRESS,
        Entity.LOCATION,
        Entity.DATE_OF_BIRTH,
        Entity.HEALTH,
    } <= found


def test_sample_identifiers_have_valid_check_digits(share: ShareManifest) -> None:
    from stdnum import iban
    from stdnum.fr import nir

    nirs = [v for f in share.files for v in f.entities.get(Entity.FR_NIR, [])]
    ibans = [v for f in share.files for v in f.entities.get(Entity.IBAN_CODE, [])]
    assert nirs and ibans
    assert all(nir.is_valid(v) for v in nirs)
    assert all(iban.is_valid(v) and v.startswith("FR") for v in ibans)


def test_sample_share_is_deterministic(tmp_path: Path) -> None:
    a = write_sample_share(tmp_path / "a", n_files=12, seed=3)
    b = write_sample_share(tmp_path / "b", n_files=12, seed=3)
    assert [(f.path, f.entities) for f in a.files] == [(f.path, f.entities) for f in b.files]
    assert '"FR_NIR"' in a.to_json() or '"PERSON"' in a.to_json()


def _regular(share: ShareManifest) -> list[str]:
    return [f.path for f in share.files if f.kind != "hostile"]


def test_every_format_round_trips_the_generated_text(share: ShareManifest) -> None:
    failures = []
    for rel in _regular(share):
        sample = share.get(rel)
        chunks, errs = errors_of(share.root / rel)
        assert not errs, (rel, errs)
        text = text_of(chunks)
        missing = [v for vs in sample.entities.values() for v in vs if norm(v) not in text]
        if missing or not chunks:
            failures.append((rel, missing))
        assert all(c.source.startswith(str(share.root / rel)) for c in chunks)
    assert not failures


def test_archive_members_are_named_path_bang_member(share: ShareManifest) -> None:
    archive = next(f for f in share.files if f.format == "zip" and f.kind != "hostile")
    chunks = chunks_of(share.root / archive.path)
    by_source: dict[str, str] = {}
    for c in chunks:
        by_source[c.source] = by_source.get(c.source, "") + " " + c.text
    base = str(share.root / archive.path)

    def members(sample: object) -> Iterator[object]:
        for m in sample.members:  # type: ignore[attr-defined]
            yield m
            yield from members(m)

    leaves = [m for m in members(archive) if not m.members]  # type: ignore[attr-defined]
    assert any(m.path.count("!") == 2 for m in leaves)  # type: ignore[attr-defined]
    for member in leaves:
        source = str(share.root) + "/" + member.path  # type: ignore[attr-defined]
        assert source in by_source, (source, list(by_source))
        for values in member.entities.values():  # type: ignore[attr-defined]
            for v in values:
                assert norm(v) in norm(by_source[source])
    assert base + "!archives/pieces.zip!pieces/justificatif.pdf" in by_source


HOSTILE = {
    "corrompu.pdf": (CorruptDocument, Reason.CORRUPT),
    "tronque.docx": (CorruptDocument, Reason.CORRUPT),
    "bombe.zip": (LimitExceeded, Reason.ARCHIVE_RATIO),
    "chiffre.zip": (UnsupportedFormat, Reason.ENCRYPTED),
    "protege.pdf": (UnsupportedFormat, Reason.ENCRYPTED),
    "protege.docx": (UnsupportedFormat, Reason.ENCRYPTED),
    "sauvegarde.bak": (UnsupportedFormat, Reason.UNKNOWN_FORMAT),
    "trop_gros.log": (LimitExceeded, Reason.TOO_LARGE),
    "boucle_a": (SourceUnreachable, Reason.SYMLINK_LOOP),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_hostile_file_gives_its_precise_error(share: ShareManifest, name: str) -> None:
    cls, reason = HOSTILE[name]
    sample = share.get(f"Divers/{name}")
    assert sample.expected_error == reason
    with pytest.raises(cls) as info:
        chunks_of(share.root / sample.path)
    assert info.value.reason == reason
    assert str(info.value)


def test_nested_too_deep_is_reported_for_the_member_and_the_rest_is_read(
    share: ShareManifest,
) -> None:
    chunks, errs = errors_of(share.root / "Divers/imbrique.zip")
    assert chunks == []
    [(source, err)] = errs
    assert isinstance(err, LimitExceeded) and err.reason == Reason.ARCHIVE_DEPTH
    assert source.count("!") == LIMITS.max_depth + 1
    with pytest.raises(LimitExceeded):  # nobody listening: the first failure is raised
        chunks_of(share.root / "Divers/imbrique.zip")


def test_undecodable_name_from_the_share(share: ShareManifest) -> None:
    raw = os.fsencode(share.root / "Divers") + b"/r\xe9sum\xe9.txt"
    with pytest.raises(SourceUnreachable) as info:
        chunks_of(raw)
    assert info.value.reason == Reason.UNDECODABLE_NAME
    assert "r\\xe9sum\\xe9.txt" in str(info.value)


# -- text, encodings, streaming ----------------------------------------------------------

FRENCH = "Élodie Lefèvre, née le 3 mars 1961 à Besançon — dossier « CCAS » n° 42 : 12,50 €.\n"


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("utf-8", FRENCH),
        ("utf-8-sig", FRENCH),
        ("cp1252", FRENCH + "L’œuvre… ‘quotes’ Ÿ\n"),
        ("latin-1", FRENCH.replace("—", "-").replace("€", "EUR")),
        ("utf-16", FRENCH),
    ],
)
def test_text_encodings_are_detected(tmp_path: Path, encoding: str, text: str) -> None:
    path = tmp_path / "note.txt"
    body = text * 20
    path.write_bytes(body.encode(encoding))
    assert "".join(c.text for c in chunks_of(path)) == body


def test_cp1252_and_utf8_are_told_apart() -> None:
    sample = FRENCH.encode("cp1252")
    assert detect_encoding(sample) == "cp1252"
    assert detect_encoding(FRENCH.encode("utf-8")) == "utf-8"
    # a UTF-8 sample cut inside a character is still UTF-8
    assert detect_encoding(FRENCH.encode("utf-8")[:2], complete=False) == "utf-8"


def test_big_text_is_streamed_in_bounded_chunks(tmp_path: Path) -> None:
    line = "2024-09-02T10:00:00 INFO connexion de l'agent n° 1234 depuis le poste 17\n"
    path = tmp_path / "app.log"
    count = (24 * MiB) // len(line)
    with path.open("w", encoding="utf-8") as fh:
        for _ in range(count // 1000):
            fh.write(line * 1000)
    limits = ExtractLimits(chunk_chars=50_000)
    tracemalloc.start()
    try:
        total = 0
        last_line = 0
        for c in extract(path, limits):
            assert len(c.text) <= limits.chunk_chars
            assert c.text.endswith("\n")  # cut at a line end, never inside a word
            assert c.location["line"] == last_line + 1
            last_line += c.text.count("\n")
            total += len(c.text)
        _cur, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == count // 1000 * 1000 * len(line)
    assert peak < 8 * MiB  # a 24 MB file never held in memory


@settings(max_examples=60, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab é\n\t-x")), max_size=400),
    st.integers(min_value=8, max_value=64),
)
def test_split_text_keeps_everything_within_the_limit(text: str, limit: int) -> None:
    pieces = list(split_text(text, limit))
    assert "".join(pieces) == text
    assert all(0 < len(p) <= limit for p in pieces)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.text(alphabet=st.sampled_from(list("abc é")), max_size=30), max_size=60),
    st.integers(min_value=16, max_value=80),
)
def test_text_chunks_locate_lines_and_offsets(lines: list[str], limit: int) -> None:
    text = "\n".join(lines)
    chunks = list(extract_bytes(text.encode(), "a.txt", ExtractLimits(chunk_chars=limit)))
    for c in chunks:
        for i in range(0, len(c.text), 7):
            loc = c.locate(i)
            assert text[loc["offset"]] == c.text[i]
            assert loc["line"] == text.count("\n", 0, loc["offset"]) + 1


def test_text_location_gives_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "liste.csv"
    rows = [f"NOM{i};Prénom{i};0{i % 9 + 1} 23 45 67 89" for i in range(2000)]
    rows[1234] = "DUPONT;Jeanne;jeanne.dupont@example.org"
    path.write_text("\r\n".join(rows), encoding="cp1252")
    chunks = chunks_of(path, ExtractLimits(chunk_chars=4000))
    c, i = find(chunks, "jeanne.dupont@example.org")
    assert c.locate(i)["line"] == 1235
    assert len(chunks) > 10


def test_nul_bytes_in_a_log_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "crash.log"
    path.write_bytes(b"avant le crash\n" + b"\0" * 10 + b"apres\n" + b"x" * 600)
    assert "avant le crash\napres" in "".join(c.text for c in chunks_of(path))


# -- formats and locations ---------------------------------------------------------------


def test_html_skips_scripts_and_keeps_cells_apart() -> None:
    html = (
        b"<html><head><script>var nir='185057512345678';</script><style>p{}</style></head>"
        b"<body><h1>Liste</h1><table><tr><td>DUPONT</td><td>Jeanne</td></tr></table>"
        b"<p>T&eacute;l&nbsp;: 01 23 45 67 89</p><img alt='photo de Jeanne'></body></html>"
    )
    chunks = list(extract_bytes(html, "page.html"))
    text = "\n".join(c.text for c in chunks)
    assert "185057512345678" not in text
    assert "DUPONT\tJeanne" in text
    assert "Tél : 01 23 45 67 89" in text
    assert "photo de Jeanne" in text


def test_json_values_carry_their_path() -> None:
    data = (
        b'{"agents": [{"nom": "DUPONT", "tel": 123}, {"nom": "MARTIN", "nir": "185057512345678"}]}'
    )
    chunks = list(extract_bytes(data, "export.json"))
    c, i = find(chunks, "185057512345678")
    assert c.locate(i)["path"] == "$.agents[1].nir"
    assert "nir: 185057512345678" in c.text and "tel: 123" in c.text


def test_invalid_json_is_still_scanned_as_text() -> None:
    data = b'{"a": 1}\n{"email": "x@example.org"}\n'
    assert "x@example.org" in text_of(list(extract_bytes(data, "lines.json")))


def test_xml_text_and_attributes() -> None:
    xml = (
        b'<?xml version="1.0"?><agents><agent nir="185057512345678"><nom>DUPONT</nom>'
        b"</agent></agents>"
    )
    chunks = list(extract_bytes(xml, "agents.xml"))
    c, i = find(chunks, "DUPONT")
    assert c.locate(i)["element"] == "nom"
    assert "185057512345678" in text_of(chunks)


def test_xml_entity_expansion_is_not_performed() -> None:
    """Billion laughs: expat refuses to expand, the raw text is scanned instead."""
    lol = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            b'<!ENTITY %s "%s">' % (b"a" * (i + 2), (b"&" + b"a" * (i + 1) + b";") * 10)
            for i in range(9)
        )
        + b"]><l>&"
        + b"a" * 10
        + b";</l>"
    )
    out = "".join(c.text for c in extract_bytes(lol, "lol.xml"))
    assert len(out) <= len(lol)


def test_docx_paragraphs_tables_deleted_text_comments_and_parts() -> None:
    import docx

    d = docx.Document()
    d.add_paragraph("Premier paragraphe")
    p = d.add_paragraph("Agent : Jeanne DUPONT")
    table = d.add_table(rows=2, cols=3)
    for r, row in enumerate(
        [["Nom", "Prénom", "NIR"], ["MARTIN", "Paul", "1 85 05 75 123 456 78"]]
    ):
        for col, value in enumerate(row):
            table.cell(r, col).text = value
    d.add_comment(p.runs, text="à vérifier avec le CCAS", author="Claire Agent", initials="CA")
    d.sections[0].header.paragraphs[0].text = "En-tête confidentiel"
    d.core_properties.author = "Marc Rédacteur"
    buf = io.BytesIO()
    d.save(buf)
    chunks = list(extract_bytes(buf.getvalue(), "fiche.docx"))
    body = [c for c in chunks if "part" not in c.location]
    c, i = find(body, "Jeanne DUPONT")
    assert c.locate(i)["paragraph"] == 2
    c, i = find(body, "MARTIN\tPaul\t1 85 05 75 123 456 78")
    assert c.locate(i)["paragraph"] == 4
    parts = {c.location.get("part") for c in chunks}
    assert {"header", "comments", "metadata"} <= parts
    comments = text_of([c for c in chunks if c.location.get("part") == "comments"])
    assert "à vérifier avec le CCAS" in comments and "Claire Agent" in comments
    assert "Marc Rédacteur" in text_of([c for c in chunks if c.location.get("part") == "metadata"])


def test_docx_deleted_revisions_tabs_and_text_boxes_once() -> None:
    body = (
        "<w:p><w:r><w:t>Nom</w:t></w:r><w:r><w:tab/><w:t>DUPONT</w:t></w:r>"
        "<w:del><w:r><w:delText>ancien IBAN FR76 3000 6000 0112 3456 7890 189</w:delText></w:r>"
        "</w:del></w:p>"
        '<w:p><w:r><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/'
        'markup-compatibility/2006"><mc:Choice><w:txbxContent><w:p><w:r><w:t>Encadré</w:t>'
        "</w:r></w:p></w:txbxContent></mc:Choice><mc:Fallback><w:txbxContent><w:p><w:r>"
        "<w:t>Encadré</w:t></w:r></w:p></w:txbxContent></mc:Fallback></mc:AlternateContent>"
        "</w:r></w:p>"
    )
    chunks = list(extract_bytes(minimal_docx(body), "a.docx"))
    text = "\n".join(c.text for c in chunks)
    assert "Nom\tDUPONT" in text
    assert "ancien IBAN FR76 3000 6000 0112 3456 7890 189" in text
    assert text.count("Encadré") == 1


def test_docx_with_malformed_xml_is_corrupt() -> None:
    with pytest.raises(CorruptDocument) as info:
        list(extract_bytes(minimal_docx("<w:p><w:r><w:t>oops</w:r></w:p>"), "a.docx"))
    assert "docx" in str(info.value) and "ParseError" in str(info.value)


def test_xlsx_cells_sheets_dates_numbers_and_comments() -> None:
    from datetime import datetime

    import openpyxl
    from openpyxl.comments import Comment

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Agents"
    ws.append(["Nom", "Courriel", "Naissance", "NIR", "Montant"])
    ws.append(["DUPONT", "jeanne.dupont@example.org", datetime(1961, 3, 3), 185057512345678, 12.5])
    ws["C2"].number_format = "DD/MM/YYYY"
    ws["A2"].comment = Comment("tutelle en cours", "Service social")
    other = wb.create_sheet("Vide puis plein")
    other["F40"] = "fin"
    buf = io.BytesIO()
    wb.save(buf)
    chunks = list(extract_bytes(buf.getvalue(), "agents.xlsx"))
    c, i = find(chunks, "jeanne.dupont@example.org")
    assert c.locate(i) | {"offset": 0} == {"sheet": "Agents", "cell": "B2", "offset": 0}
    assert "DUPONT\tjeanne.dupont@example.org\t03/03/1961\t185057512345678\t12.5" in c.text
    c, i = find(chunks, "fin")
    assert (c.locate(i)["sheet"], c.locate(i)["cell"]) == ("Vide puis plein", "F40")
    c, i = find(chunks, "tutelle en cours")
    assert c.location["part"] == "comments" and c.locate(i)["cell"] == "A2"


def test_pptx_slides_and_notes() -> None:
    from pptx import Presentation

    prs = Presentation()
    for n in range(3):
        slide = prs.slides.add_slide(prs.slide_layouts[1])
        slide.shapes.title.text = f"Diapo {n + 1}"
        slide.placeholders[1].text_frame.text = f"contenu {n + 1}"
    prs.slides[1].notes_slide.notes_text_frame.text = "appeler M. DUPONT au 01 23 45 67 89"
    buf = io.BytesIO()
    prs.save(buf)
    chunks = list(extract_bytes(buf.getvalue(), "p.pptx"))
    c, _ = find(chunks, "contenu 3")
    assert c.location["slide"] == 3
    c, _ = find(chunks, "DUPONT")
    assert c.location == {"slide": 2, "part": "notes"}


def _odf_zip(mimetype: str, content: str, manifest: str = "") -> bytes:
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )
    entries = {
        "mimetype": mimetype.encode(),
        "content.xml": f"<office:document-content {ns}><office:body>{content}"
        f"</office:body></office:document-content>".encode(),
    }
    if manifest:
        entries["META-INF/manifest.xml"] = manifest.encode()
    return zip_of(entries, zipfile.ZIP_STORED)


def test_ods_cell_references_follow_repeated_rows_and_columns() -> None:
    content = (
        '<office:spreadsheet><table:table table:name="Inscrits">'
        '<table:table-row table:number-rows-repeated="2"><table:table-cell/></table:table-row>'
        '<table:table-row><table:table-cell table:number-columns-repeated="3"/>'
        '<table:table-cell><text:p>Jeanne<text:s text:c="2"/>DUPONT</text:p></table:table-cell>'
        '<table:table-cell office:value-type="date" office:date-value="1961-03-03"/>'
        "</table:table-row></table:table></office:spreadsheet>"
    )
    data = _odf_zip("application/vnd.oasis.opendocument.spreadsheet", content)
    chunks = list(extract_bytes(data, "inscrits.ods"))
    c, i = find(chunks, "Jeanne  DUPONT")
    assert (c.locate(i)["sheet"], c.locate(i)["cell"]) == ("Inscrits", "D3")
    c, i = find(chunks, "1961-03-03")
    assert c.locate(i)["cell"] == "E3"


def test_odt_paragraphs_comments_and_headers() -> None:
    content = (
        "<office:text><text:h>Compte rendu</text:h>"
        "<text:p>Présents :<text:tab/>Jeanne DUPONT<text:line-break/>Paul MARTIN"
        '<office:annotation xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Claire'
        "</dc:creator><text:p>vérifier l'orthographe</text:p></office:annotation></text:p>"
        "</office:text>"
    )
    data = _odf_zip("application/vnd.oasis.opendocument.text", content)
    styles = (
        '<office:document-styles xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:master-styles>'
        '<style:master-page style:name="Standard"><style:header><text:p>Mairie — CCAS</text:p>'
        "</style:header><style:footer><text:p>Page confidentielle</text:p></style:footer>"
        "</style:master-page></office:master-styles></office:document-styles>"
    )
    buf = io.BytesIO(data)
    with zipfile.ZipFile(buf, "a") as zf:
        zf.writestr("styles.xml", styles)
    chunks = list(extract_bytes(buf.getvalue(), "cr.odt"))
    c, i = find(chunks, "Jeanne DUPONT")
    assert c.text[i - 1] == "\t" and c.locate(i)["paragraph"] == 2
    assert "Paul MARTIN Claire vérifier l'orthographe" in norm(c.text)
    parts = {c.location.get("part"): c.text for c in chunks if "part" in c.location}
    assert parts["header"] == "Mairie — CCAS" and parts["footer"] == "Page confidentielle"


def test_encrypted_opendocument() -> None:
    manifest = (
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
        'manifest:1.0"><manifest:file-entry manifest:full-path="content.xml">'
        "<manifest:encryption-data/></manifest:file-entry></manifest:manifest>"
    )
    data = _odf_zip("application/vnd.oasis.opendocument.text", "", manifest)
    with pytest.raises(UnsupportedFormat) as info:
        list(extract_bytes(data, "secret.odt"))
    assert info.value.reason == Reason.ENCRYPTED


def test_pdf_pages_and_owner_only_protection() -> None:
    from pypdf import PdfReader, PdfWriter

    lines = [f"ligne {i}" for i in range(48)] + ["page deux : jeanne.dupont@example.org"]
    data = pdf_bytes(lines + [f"suite {i}" for i in range(60)], "Titre")
    chunks = list(extract_bytes(data, "a.pdf"))
    c, _ = find(chunks, "jeanne.dupont@example.org")
    assert c.location["page"] == 2
    assert {c.location.get("page") for c in chunks} >= {1, 2, 3}
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password="", owner_password="proprietaire", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    assert "jeanne.dupont@example.org" in text_of(list(extract_bytes(out.getvalue(), "b.pdf")))


def test_pdf_page_limit() -> None:
    data = pdf_bytes([f"l{i}" for i in range(48 * 5)])
    with pytest.raises(LimitExceeded) as info:
        list(extract_bytes(data, "long.pdf", ExtractLimits(max_pdf_pages=3)))
    assert info.value.reason == Reason.TOO_MANY_PAGES


def test_rtf_accents_and_code_page() -> None:
    rtf = rb"{\rtf1\ansi\ansicpg1252 {\fonttbl{\f0 Arial;}}\f0 Ren\'e9e Lef\'e8vre \'80 12\par suite\par}"
    text = text_of(list(extract_bytes(rtf, "lettre.rtf")))
    assert "Renée Lefèvre € 12" in text and "suite" in text


# -- mail ----------------------------------------------------------------------------------


def _mail(attachments: list[tuple[str, bytes]]) -> bytes:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "Jeanne DUPONT <jeanne.dupont@example.org>"
    msg["To"] = "ccas@example.org"
    msg["Subject"] = "Demande d'aide"
    msg.set_content("Bonjour,\nmon NIR est 2 61 03 75 123 456 78.\n")
    msg.add_alternative("<p>Bonjour,<br>mon NIR est 2 61 03 75 123 456 78.</p>", subtype="html")
    for name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


def test_eml_headers_body_once_and_attachments_recursively() -> None:
    inner = zip_of({"releve.txt": b"IBAN FR76 3000 6000 0112 3456 7890 189"})
    data = _mail(
        [
            ("justificatif.pdf", pdf_bytes(["Attestation CAF de Jeanne DUPONT"])),
            ("archive.zip", inner),
        ]
    )
    chunks = list(extract_bytes(data, "demande.eml", source="/partage/demande.eml"))
    headers = [c for c in chunks if c.location.get("part") == "headers"]
    assert "jeanne.dupont@example.org" in text_of(headers)
    body = [c for c in chunks if c.location.get("part") == "body"]
    assert text_of(body).count("2 61 03 75 123 456 78") == 1  # not again from the HTML twin
    c, _ = find(chunks, "Attestation CAF")
    assert c.location["part"] == "attachment:justificatif.pdf" and c.location["page"] == 1
    assert c.source == "/partage/demande.eml"
    c, _ = find(chunks, "FR76 3000")
    assert c.source == "/partage/demande.eml!archive.zip!releve.txt"
    assert c.location["part"] == "attachment:archive.zip"


def test_a_bad_attachment_is_reported_and_the_mail_is_still_read() -> None:
    data = _mail([("scan.pdf", b"%PDF-1.4\n" + b"\x00\xff" * 300), ("ok.txt", b"lisible")])
    errs: list[tuple[str, SourceError]] = []
    chunks = list(extract_bytes(data, "m.eml", on_error=lambda s, e: errs.append((s, e))))
    assert "lisible" in text_of(chunks) and "NIR" in text_of(chunks)
    [(source, err)] = errs
    assert source == "m.eml" and isinstance(err, CorruptDocument) and "scan.pdf" in str(err)


def test_a_mail_makes_a_spool_directory_only_for_an_attachment_to_spool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11: a temporary directory per .eml cost 0.1-0.15 ms; most mails spool nothing.
    One that does still reads its attachment from disk, and leaves nothing behind."""
    import tempfile

    from rgpd.scan.extract import mail

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    small = _mail([("note.txt", "Mme Ravenel, née le 02/11/1957".encode())])
    assert "Ravenel" in text_of(list(extract_bytes(small, "m.eml")))
    made: list[str] = []
    real = tempfile.TemporaryDirectory

    def counted(*args: object, **kwargs: object) -> tempfile.TemporaryDirectory[str]:
        d = real(*args, **kwargs)  # type: ignore[call-overload]
        made.append(d.name)
        return d

    monkeypatch.setattr(tempfile, "TemporaryDirectory", counted)
    chunks = list(extract_bytes(small, "m.eml"))
    assert "Ravenel" in text_of(chunks) and made == []
    monkeypatch.setattr(mail, "SPOOL_MIN", 64)
    big = _mail([("gros.txt", ("ligne de remplissage\n" * 50 + "Mme Ravenel\n").encode())])
    chunks = list(extract_bytes(big, "m.eml"))
    c, _ = find(chunks, "Mme Ravenel")
    assert c.location["part"] == "attachment:gros.txt"
    assert len(made) == 1 and not Path(made[0]).exists()
    assert list(tmp_path.iterdir()) == []


def test_mail_reads_as_with_the_default_policy_each_structure_header_parsed_once() -> None:
    """The mail policy keeps parsed MIME headers (issue 11): same chunks, fewer parses."""
    import email
    from email import policy

    from rgpd.scan.extract import mail

    data = _mail([("note.txt", "Mme Ravenel, née le 02/11/1957".encode()), ("b.csv", b"a;b")])
    chunks = list(extract_bytes(data, "m.eml"))
    mail._parsed_header.cache_clear()
    again = list(extract_bytes(data, "m.eml"))
    assert [(c.text, c.location, c.source) for c in again] == [
        (c.text, c.location, c.source) for c in chunks
    ]
    info = mail._parsed_header.cache_info()
    assert info.hits > info.misses > 0  # the same Content-Type read again and again
    plain = email.message_from_bytes(data, policy=policy.default)
    cached = email.message_from_bytes(data, policy=mail._POLICY)
    for a, b in zip(plain.walk(), cached.walk(), strict=True):
        assert a.items() == b.items()
        assert (a.get_content_type(), a.get_filename(), a.is_attachment()) == (
            b.get_content_type(),
            b.get_filename(),
            b.is_attachment(),
        )


def test_mbox_messages_are_numbered() -> None:
    from email.generator import BytesGenerator
    from email.message import EmailMessage

    buf = io.BytesIO()
    for n in range(1, 4):
        msg = EmailMessage()
        msg["From"] = f"agent{n}@example.org"
        msg["Subject"] = f"message {n}"
        msg.set_content(f"From the start, message number {n}\ncorps {n}\n")
        buf.write(f"From agent{n}@example.org Mon Sep  2 10:00:00 2024\n".encode())
        BytesGenerator(buf, mangle_from_=True).flatten(msg)
        buf.write(b"\n")
    chunks = list(extract_bytes(buf.getvalue(), "boite.mbox"))
    c, _ = find(chunks, "corps 3")
    assert c.location["message"] == 3 and c.location["part"] == "body"
    assert "From the start, message number 2" in text_of(chunks)  # >From unquoted


def test_msg_with_attachment() -> None:
    from rgpd.demo.samples import SampleDoc

    doc = SampleDoc(
        "courrier",
        "Objet de test",
        ["Bonjour, je suis Jeanne DUPONT."],
        sender=("Jeanne DUPONT", "jeanne.dupont@example.org"),
        recipient=("CCAS", "ccas@example.org"),
    )
    data = msg_bytes(doc, ("releve.txt", b"IBAN FR76 3000 6000 0112 3456 7890 189"))
    chunks = list(extract_bytes(data, "mail.msg"))
    assert "jeanne.dupont@example.org" in text_of(
        [c for c in chunks if c.location.get("part") == "headers"]
    )
    c, _ = find(chunks, "FR76 3000")
    assert c.location["part"] == "attachment:releve.txt"


# -- zip guards ----------------------------------------------------------------------------


def _no_inflate(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("a member was opened before the limits were checked")

    monkeypatch.setattr(zipfile.ZipFile, "open", refuse)


@pytest.mark.parametrize(
    ("make", "limits", "reason"),
    [
        (lambda: zip_bomb(64 * MiB), ExtractLimits(), Reason.ARCHIVE_RATIO),
        (
            lambda: zip_of({f"f{i}.txt": b"x" for i in range(11)}),
            ExtractLimits(max_archive_entries=10),
            Reason.ARCHIVE_ENTRIES,
        ),
        (
            lambda: zip_of({f"f{i}.bin": os.urandom(MiB) for i in range(3)}, zipfile.ZIP_STORED),
            ExtractLimits(max_archive_total=2 * MiB),
            Reason.ARCHIVE_TOTAL,
        ),
    ],
    ids=["ratio", "entries", "total"],
)
def test_zip_bombs_are_refused_before_decompressing(
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[], bytes],
    limits: ExtractLimits,
    reason: Reason,
) -> None:
    data = make()
    _no_inflate(monkeypatch)
    with pytest.raises(LimitExceeded) as info:
        list(extract_bytes(data, "bombe.zip", limits))
    assert info.value.reason == reason


def test_office_container_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data, crc = deflated_zeros(32 * MiB)
    entries = [
        ("[Content_Types].xml", zlib_raw(b"<Types/>"), zlib_crc(b"<Types/>"), 8, 8),
        ("word/document.xml", data, crc, 32 * MiB, 32 * MiB),
    ]
    _no_inflate(monkeypatch)
    with pytest.raises(LimitExceeded) as info:
        list(extract_bytes(zip_bytes_raw(entries), "rapport.docx"))
    assert info.value.reason == Reason.ARCHIVE_RATIO


def zlib_raw(data: bytes) -> bytes:
    import zlib

    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def zlib_crc(data: bytes) -> int:
    import zlib

    return zlib.crc32(data)


def test_forged_sizes_never_inflate_more_than_declared() -> None:
    data, crc = deflated_zeros(64 * MiB)
    forged = zip_bytes_raw(
        [
            ("petit.txt", data, crc, 64 * MiB, 1000),
            ("ok.txt", zlib_raw(b"ok"), zlib_crc(b"ok"), 2, 2),
        ]
    )
    errs: list[tuple[str, SourceError]] = []
    tracemalloc.start()
    try:
        chunks = list(extract_bytes(forged, "f.zip", on_error=lambda s, e: errs.append((s, e))))
        _cur, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * MiB
    [(source, err)] = errs
    assert source == "f.zip!petit.txt" and isinstance(err, CorruptDocument)
    assert "ok" in text_of(chunks)  # the next member is still read


def test_budget_is_shared_by_nested_archives() -> None:
    import random

    rng = random.Random(1)
    inner = [zip_of({"d.bin": rng.randbytes(MiB)}, zipfile.ZIP_STORED) for _ in range(3)]
    outer = zip_of({f"in{i}.zip": z for i, z in enumerate(inner)}, zipfile.ZIP_STORED)
    limits = ExtractLimits(max_archive_total=int(2.5 * MiB) + 4096 * 3 + len(outer))
    errs: list[tuple[str, SourceError]] = []
    with pytest.raises(LimitExceeded) as info:
        list(extract_bytes(outer, "o.zip", limits, on_error=lambda s, e: errs.append((s, e))))
    assert info.value.reason == Reason.ARCHIVE_TOTAL


def test_nesting_within_the_limit_is_read_with_its_chain_of_names() -> None:
    data = nested_zip(3, b"fin du voyage\n")
    [c] = list(extract_bytes(data, "a.zip"))
    assert c.text.strip() == "fin du voyage"
    assert c.source == "a.zip!niveau2.zip!niveau3.zip!fond.txt"


def test_a_bad_member_does_not_stop_the_archive() -> None:
    data = zip_of(
        {
            "casse.docx": b"PK\x03\x04garbage",
            "bon.txt": b"Jeanne DUPONT",
            "image.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 50,
        }
    )
    errs: list[tuple[str, SourceError]] = []
    chunks = list(
        extract_bytes(
            data, "z.zip", ExtractLimits(ocr=False), on_error=lambda s, e: errs.append((s, e))
        )
    )
    assert "Jeanne DUPONT" in text_of(chunks)
    got = {s: (type(e).__name__, e.reason) for s, e in errs}
    with pytest.raises(CorruptDocument, match=r"z\.zip!casse\.docx"):  # nobody listening
        list(extract_bytes(data, "z.zip", ExtractLimits(ocr=False)))
    assert got == {
        "z.zip!casse.docx": ("CorruptDocument", "corrupt"),
        "z.zip!image.png": ("UnsupportedFormat", "missing_extra"),
    }


@pytest.mark.parametrize("encoding", ["cp850", "utf-8"])
def test_member_names_written_without_the_utf8_flag_are_decoded(encoding: str) -> None:
    """Windows' zip writes names in the OEM code page; many tools write UTF-8 unflagged."""
    name = "À_régulariser.txt"
    data = zip_bytes_raw(
        [(name.encode(encoding), zlib_raw(b"contenu"), zlib_crc(b"contenu"), 7, 7)]
    )
    [c] = list(extract_bytes(data, "w.zip"))
    assert c.source == f"w.zip!{name}"


# -- files on disk -------------------------------------------------------------------------


def test_missing_file_and_broken_link(tmp_path: Path) -> None:
    (tmp_path / "lien").symlink_to(tmp_path / "nulle-part")
    for path in (tmp_path / "absent.txt", tmp_path / "lien"):
        with pytest.raises(SourceUnreachable) as info:
            chunks_of(path)
        assert info.value.reason == Reason.NOT_FOUND


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("x")
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: simulate what a normal account gets
        real = os.open

        def deny(p: object, *a: object, **k: object) -> int:
            if os.fsdecode(p) == str(path):  # type: ignore[arg-type]
                raise PermissionError(13, "Permission denied", str(path))
            return real(p, *a, **k)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "open", deny)
    with pytest.raises(SourceUnreachable) as info:
        chunks_of(path)
    assert info.value.reason == Reason.PERMISSION_DENIED


def test_pipes_and_directories_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "tube"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path):
        with pytest.raises(UnsupportedFormat) as info:
            chunks_of(path)
        assert info.value.reason == Reason.NOT_REGULAR_FILE


def test_size_caps(tmp_path: Path) -> None:
    big = tmp_path / "gros.log"
    with big.open("wb") as fh:
        fh.truncate(LIMITS.max_file_size + 1)
    with pytest.raises(LimitExceeded) as info:
        chunks_of(big)
    assert info.value.reason == Reason.TOO_LARGE
    doc = tmp_path / "a.pdf"
    doc.write_bytes(pdf_bytes(["x" * 80] * 400))
    with pytest.raises(LimitExceeded):
        chunks_of(doc, ExtractLimits(max_document_size=10_000))


def test_atime_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("contenu")
    os.utime(path, (1_000_000, 1_000_000))
    chunks_of(path)
    assert path.stat().st_atime == 1_000_000


# -- compound files and optional extras -------------------------------------------------


def _ole(streams: dict[str, bytes]) -> bytes:
    from extract_msg.ole_writer import OleWriter

    w = OleWriter()
    for name, data in streams.items():
        w.addEntry(name, data)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def test_encrypted_office_file_is_reported_as_encrypted() -> None:
    with pytest.raises(UnsupportedFormat) as info:
        list(extract_bytes(encrypted_office(), "paie.xlsx"))
    assert info.value.reason == Reason.ENCRYPTED


@pytest.fixture
def no_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


def test_legacy_doc_without_antiword_names_the_package(no_tools: Path) -> None:
    with pytest.raises(UnsupportedFormat) as info:
        list(extract_bytes(_ole({"WordDocument": b"\0" * 600}), "vieux.doc"))
    assert info.value.reason == Reason.MISSING_EXTRA and "antiword" in str(info.value)


def test_legacy_xls_without_xlrd_names_the_extra() -> None:
    try:
        import xlrd  # noqa: F401

        pytest.skip("xlrd is installed")
    except ImportError:
        pass
    with pytest.raises(UnsupportedFormat) as info:
        list(extract_bytes(_ole({"Workbook": b"\0" * 600}), "vieux.xls"))
    assert info.value.reason == Reason.MISSING_EXTRA and "legacy" in str(info.value)


def test_legacy_powerpoint_is_unsupported() -> None:
    with pytest.raises(UnsupportedFormat):
        list(extract_bytes(_ole({"PowerPoint Document": b"\0" * 600}), "vieux.ppt"))


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00"
    b"\x00:~\x9bU\x00\x00\x00\nIDATx\x9cc`\x00\x00\x00\x02\x00\x01H\xaf\xa4q\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)


def _scanned_pdf() -> bytes:
    """A page with an image and no text, as a scanner makes."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Resources << /XObject << "
        b"/Im1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Length 1 >>\nstream\n\x80\nendstream",
        b"<< /Length 27 >>\nstream\nq 100 0 0 100 0 0 cm /Im1 Do Q\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_images_and_scanned_pdfs_without_tesseract_name_the_extra(no_tools: Path) -> None:
    for data, name in ((PNG, "scan.png"), (_scanned_pdf(), "scan.pdf")):
        with pytest.raises(UnsupportedFormat) as info:
            list(extract_bytes(data, name))
        assert info.value.reason == Reason.MISSING_EXTRA and "tesseract" in str(info.value)


def test_ocr_goes_through_tesseract_when_installed(no_tools: Path) -> None:
    fake = no_tools / "tesseract"
    fake.write_text('#!/bin/sh\ncat > /dev/null\necho "Texte reconnu : $4"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    os.environ["PATH"] = f"{no_tools}:/usr/bin:/bin"
    chunks = list(extract_bytes(PNG, "scan.png"))
    assert text_of(chunks) == "Texte reconnu : fra+eng"
    assert chunks[0].locate(0)["ocr"] is True
    chunks = list(extract_bytes(_scanned_pdf(), "scan.pdf"))
    assert "Texte reconnu" in text_of(chunks) and chunks[0].location["page"] == 1


# -- sniffing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        (b"<!DOCTYPE html><html>", "facture.pdf", Format.HTML),
        (b"%PDF-1.7\n", "notes.txt", Format.PDF),
        (b"PK\x03\x04rest", "rapport.docx", Format.DOCX),
        (b"PK\x03\x04rest", "rapport.bin", Format.ZIP),
        (b"Nom;Prenom\nDUPONT;Jeanne\n", "export.dat", Format.TEXT),
        (b"Nom;Prenom\n", "export.csv", Format.CSV),
        (bytes(range(256)) * 4, "notes.txt", Format.UNKNOWN),
        (b"From: a@example.org\nTo: b@example.org\nSubject: x\n\ncorps", "message", Format.EML),
        (
            b"From a@example.org Mon Sep  2 10:00:00 2024\nFrom: a@example.org\nSubject: x\n\n",
            "boite",
            Format.MBOX,
        ),
        (b"{\\rtf1\\ansi hello}", "lettre.doc", Format.RTF),
        (PNG, "photo", Format.IMAGE),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "x.msg", Format.MSG),
        (b"\x1f\x8b\x08\x00", "logs.gz", Format.UNKNOWN),
        (b"", "vide.txt", Format.TEXT),
    ],
)
def test_sniffing_trusts_content_first(head: bytes, name: str, expected: Format) -> None:
    assert sniff_format(head, name) == expected


_MAGICS = [
    b"",
    b"PK\x03\x04",
    b"%PDF-1.4\n",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    b"{\\rtf1 ",
    b"From a@example.org Mon Sep  2 10:00:00 2024\nFrom: a\nTo: b\n\n",
    b"<?xml version='1.0'?><a>",
    b"<html><p>",
    b'{"a": [',
    b"\x89PNG\r\n\x1a\n",
]


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(_MAGICS),
    st.binary(max_size=3000),
    st.sampled_from(
        [
            "a.txt",
            "a.docx",
            "a.xlsx",
            "a.odt",
            "a.pdf",
            "a.eml",
            "a.msg",
            "a.zip",
            "a.json",
            "a.xml",
            "a.html",
            "a.rtf",
            "a",
        ]
    ),
)
def test_garbage_never_escapes_as_anything_but_a_source_error(
    magic: bytes, tail: bytes, name: str
) -> None:
    try:
        for c in extract_bytes(magic + tail, name, ExtractLimits(ocr=False)):
            assert isinstance(c.text, str)
    except SourceError as exc:
        assert exc.reason in set(Reason)


def test_truncated_documents_of_every_kind_fail_cleanly(share: ShareManifest) -> None:
    for sample in share.files:
        if sample.kind == "hostile" or sample.format in ("text", "csv"):
            continue
        data = (share.root / sample.path).read_bytes()
        for cut in (len(data) // 3, len(data) - 30):
            try:
                list(extract_bytes(data[:cut], sample.path, ExtractLimits(ocr=False)))
            except SourceError as exc:
                assert exc.reason in set(Reason), (sample.path, exc)


def test_empty_file_gives_no_chunk(tmp_path: Path) -> None:
    (tmp_path / "vide.txt").write_bytes(b"")
    assert chunks_of(tmp_path / "vide.txt") == []


def test_chunks_pickle_for_worker_transport() -> None:
    c = Chunk("abc\ndef", {"sheet": "S", "line": 3}, "a.xlsx", ((0, {"cell": "A1"}),))
    assert pickle.loads(pickle.dumps(c)) == c
    assert c.locate(5) == {"sheet": "S", "line": 3, "cell": "A1", "offset": 5}
