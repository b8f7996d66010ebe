"""The register written in the CNIL template's layout (list + one fiche per activity).

What a DPO prints or sends: the CNIL's own sections and labels (« Catégories de
données personnelles concernées », « Service interne qui traite les données »...),
French labels instead of codes, dates as 12/09/2019. Printing was designed in:
landscape A4, fitted to the page width, wrapped text with optimal row heights,
set column widths, the list's header row repeated on every page.

Fields the CNIL template has no row for (legal basis, Art. 9 condition, what Madis
keeps...) go in a « Compléments (rgpd) » section, one row per field, titled as
in rgpd's flat layout; processors go in a « Sous-traitants » sheet. Both re-import
(``template.import_cnil_template``), so a register moved to another install keeps
its processors and no recipient points to an unknown one.

One neutral layout, two writers (openpyxl for XLSX, odfpy for ODS): LibreOffice
is not needed at run time.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from rgpd.registry.io.labels import format_retention, to_label, wrap_written
from rgpd.registry.io.public import _SUBJECTS  # the published French labels of subjects
from rgpd.registry.model import (
    Activity,
    DataCategoryUse,
    Party,
    Processor,
    RecipientKind,
    Register,
    Safeguard,
)
from rgpd.taxonomy import ART9_CATEGORIES, CATEGORIES

__all__ = ["PROCESSOR_COLUMNS", "export_template_ods", "export_template_xlsx"]

# cell kinds, styled by each writer
TITLE, HEAD, LABEL, VALUE, SECTION = "title", "head", "label", "value", "section"


@dataclass
class Cell:
    text: str
    kind: str = VALUE
    span: int = 1  # columns merged to the right


@dataclass
class SheetLayout:
    name: str
    widths: Sequence[float]  # column widths in cm
    rows: list[list[Cell]] = field(default_factory=list)
    repeat_rows: int = 0  # rows 1..n repeated at the top of each printed page


_RECIPIENT_LABEL = {
    RecipientKind.INTERNAL: "Service interne qui traite les données",
    RecipientKind.EXTERNAL: "Partenaires institutionnels ou commerciaux",
    RecipientKind.PROCESSOR: "Sous-traitants",
}
_SECURITY_LABEL = (
    ("access_control", "Contrôle d'accès des utilisateurs"),
    ("traceability", "Mesures de traçabilité"),
    ("software_protection", "Mesures de protection des logiciels"),
    ("backup", "Sauvegarde des données"),
    ("encryption", "Chiffrement des données"),
    ("processor_control", "Contrôle des sous-traitants"),
    ("other", "Autres mesures (à préciser)"),
)
_SAFEGUARD_LABEL = {
    Safeguard.ADEQUACY: "Pays adéquat",
    Safeguard.SCC: "Clauses contractuelles types (CCT)",
    Safeguard.BCR: "Règles d'entreprise contraignantes (BCR)",
    Safeguard.DEROGATION: "Dérogations (art 49)",
    Safeguard.NONE: "Aucune",
}
_UNIT = {"y": ("an", "ans"), "m": ("mois", "mois"), "d": ("jour", "jours")}
_FINAL = {"destruction": "destruction", "versement": "versement aux archives", "tri": "tri"}
#: rgpd's flat-layout columns written in the « Compléments » section (when not empty).
_EXTRA_KEYS = (
    "controllers_served",
    "status",
    "role",
    "department",
    "software",
    "legal_basis",
    "legal_basis_text",
    "art9_condition",
    "art9_details",
    "art10",
    "art10_basis",
    "sources",
    "dpia_criteria",
    "dpia_required_list",
    "dpia_exempted_list",
    "dpia_done",
    "dpia_date",
    "dpia_reference",
    "automated_decision",
    "profiling",
    "automated_details",
    "nir_authorisation",
    "review_date",
    "notes",
    "active",
    "estimated_people",
    "collection_methods",
    "collection_details",
    "data_subjects_details",
    "data_categories_details",
    "recipients_details",
    "paper_processing",
    "information.provided",
    "information.where",
    "information.how",
    "consent.form",
    "consent.proof",
    "dpo_opinion.opinion",
    "dpo_opinion.validated",
    "dpo_opinion.date",
    "dpo_opinion.by",
)
_FALSE_DEFAULT = {
    "art10",
    "dpia_done",
    "automated_decision",
    "profiling",
    "paper_processing",
    "dpo_opinion.validated",
}
_DEFAULT_TEXT = {"status": "brouillon", "role": "responsable", "active": "oui"}
#: Processors sheet: (title, attribute); re-imported by ``template``.
PROCESSOR_COLUMNS = (
    ("Référence du sous-traitant", "ref"),
    ("Nom du sous-traitant", "name"),
    ("Contact", "contact"),
    ("Prestations", "services"),
    ("Date du contrat", "contract_date"),
    ("Clauses de l'article 28.3", "contract_clauses"),
    ("Sous-traitants ultérieurs", "subprocessors"),
    ("Pays d'hébergement", "hosting_country"),
    ("Hébergeur", "hosting_provider"),
    ("SecNumCloud", "secnumcloud"),
    ("Souverain", "sovereign"),
    ("Notes", "notes"),
)


def _fr_date(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def _duration(code: str) -> str:
    n, unit = int(code[:-1]), code[-1]
    return f"{n} {_UNIT[unit][0 if n <= 1 else 1]}"


def retention_text(use: DataCategoryUse) -> str:
    if use.retention is None:
        return use.retention_text or ""
    text = format_retention(use.retention)
    return f"{text}\n{wrap_written(use.retention_text)}" if use.retention_text else text


def _party_cells(p: Party) -> list[Cell]:
    return [Cell(p.name), Cell(p.address or ""), Cell(p.phone or ""), Cell(p.email or "")]


def _fiche(a: Activity) -> list[list[Cell]]:
    from rgpd.registry.io.cnil import _BY_TITLE, COLUMNS

    rows: list[list[Cell]] = [
        [Cell(f"Fiche de registre — {a.name}", TITLE, 5)],
        [],
        [Cell("Nom du traitement", LABEL), Cell(a.name, VALUE, 4)],
        [Cell("N° / RÉF", LABEL), Cell(a.ref, VALUE, 4)],
        [Cell("Date de création du traitement", LABEL), Cell(_fr_date(a.created), VALUE, 4)],
        [Cell("Mise à jour du traitement", LABEL), Cell(_fr_date(a.updated), VALUE, 4)],
        [],
        [
            Cell("Acteurs", SECTION),
            Cell("Nom", HEAD),
            Cell("Adresse", HEAD),
            Cell("Téléphone", HEAD),
            Cell("Adresse mél", HEAD),
        ],
    ]
    for label, party in (
        ("Responsable du traitement", a.controller),
        ("Délégué à la protection des données", a.dpo),
        ("Représentant", a.representative),
    ):
        if party is not None:
            rows.append([Cell(label, LABEL), *_party_cells(party)])
    for p in a.joint_controllers:
        rows.append([Cell("Responsable(s) conjoint(s)", LABEL), *_party_cells(p)])
    rows += [[], [Cell("Finalité(s) du traitement effectué", SECTION, 5)]]
    for i, purpose in enumerate(a.purposes):
        label = "Finalité principale" if i == 0 else f"Sous-finalité {i}"
        rows.append([Cell(label, LABEL), Cell(purpose, VALUE, 4)])
    for title, sensitive in (
        ("Catégories de données personnelles concernées", False),
        ("Données sensibles", True),
    ):
        uses = [
            u
            for u in a.data_categories
            if (u.category in ART9_CATEGORIES or u.category == "infractions") == sensitive
        ]
        if not uses and sensitive:
            continue
        rows += [
            [],
            [
                Cell(title, SECTION),
                Cell("Description", HEAD, 2),
                Cell("Durée de conservation", HEAD, 2),
            ],
        ]
        for u in uses:
            rows.append(
                [
                    Cell(CATEGORIES[u.category].label_fr, LABEL),
                    Cell(u.description or "", VALUE, 2),
                    Cell(retention_text(u) or "à définir", VALUE, 2),
                ]
            )
    rows += [
        [],
        [
            Cell("Catégories de personnes concernées", SECTION),
            Cell("Description", HEAD, 2),
            Cell("Précisions", HEAD, 2),
        ],
    ]
    for i, s in enumerate(a.data_subjects, 1):
        rows.append(
            [
                Cell(f"Catégorie de personnes {i}", LABEL),
                Cell(_SUBJECTS[s][0], VALUE, 2),
                Cell("", VALUE, 2),
            ]
        )
    rows += [
        [],
        [
            Cell("Destinataires", SECTION),
            Cell("Type de destinataire", HEAD, 2),
            Cell("Précisions", HEAD, 2),
        ],
    ]
    for i, r in enumerate(a.recipients, 1):
        tags = [f"réf. : {r.processor}"] if r.processor else []
        tags += [f"pays : {r.country}"] if r.country else []
        name = r.name + (f" ({' ; '.join(tags)})" if tags else "")
        rows.append(
            [
                Cell(f"Destinataire {i}", LABEL),
                Cell(_RECIPIENT_LABEL[r.kind], VALUE, 2),
                Cell(name, VALUE, 2),
            ]
        )
    rows += [
        [],
        [
            Cell("Mesures de sécurité", SECTION),
            Cell("Type de mesure de sécurité", HEAD, 2),
            Cell("Précisions", HEAD, 2),
        ],
    ]
    n = 0
    for attr, label in _SECURITY_LABEL:
        for measure in getattr(a.security, attr):
            n += 1
            rows.append(
                [
                    Cell(f"Mesure de sécurité {n}", LABEL),
                    Cell(label, VALUE, 2),
                    Cell(measure, VALUE, 2),
                ]
            )
    if a.transfers:
        rows += [
            [],
            [
                Cell("Transferts hors UE", SECTION),
                Cell("Destinataire", HEAD),
                Cell("Pays", HEAD),
                Cell("Type de garanties", HEAD),
                Cell("Liens vers la documentation", HEAD),
            ],
        ]
        for i, t in enumerate(a.transfers, 1):
            rows.append(
                [
                    Cell(f"Organisme destinataire {i}", LABEL),
                    Cell(t.recipient),
                    Cell(t.country),
                    Cell(_SAFEGUARD_LABEL[t.safeguard]),
                    Cell(t.details or ""),
                ]
            )
    by_key = {c.key: c for c in COLUMNS}
    extras = []
    for key in _EXTRA_KEYS:
        col = by_key[key]
        text = col.export(a)
        if not text or text == _DEFAULT_TEXT.get(key) or (text == "non" and key in _FALSE_DEFAULT):
            continue
        assert _BY_TITLE[_norm_title(col.title)] is col
        extras.append([Cell(col.title, LABEL), Cell(to_label(key, text), VALUE, 4)])
    if extras:
        rows += [[], [Cell("Compléments (rgpd)", SECTION, 5)], *extras]
    return rows


def _norm_title(title: str) -> str:
    from rgpd.registry.io.sheets import norm

    return norm(title)


def _list(reg: Register) -> list[list[Cell]]:
    from rgpd.registry.io.cnil import _basis_out

    org = reg.organisation.name if reg.organisation else ""
    rows = [
        [Cell(f"Registre des activités de traitement — {org}".rstrip(" —"), TITLE, 7)],
        [
            Cell("Nom du traitement", HEAD),
            Cell("N° / RÉF", HEAD),
            Cell("Date de création de la fiche", HEAD),
            Cell("Dernière mise à jour de la fiche", HEAD),
            Cell("Finalité du traitement", HEAD),
            Cell("Base légale", HEAD),
            Cell("Données sensibles ?", HEAD),
        ],
    ]
    for a in reg.activities:
        sensitive = any(u.sensitive for u in a.data_categories)
        rows.append(
            [
                Cell(a.name),
                Cell(a.ref),
                Cell(_fr_date(a.created)),
                Cell(_fr_date(a.updated)),
                Cell("\n".join(a.purposes)),
                Cell(_basis_out(a.legal_basis)),
                Cell("Oui" if sensitive else "Non"),
            ]
        )
    return rows


def _processor_value(p: Processor, attr: str) -> str:
    v = getattr(p, attr)
    if attr == "contact":
        from rgpd.registry.io.cnil import _party_out

        return _party_out(v)
    if attr == "subprocessors":
        from rgpd.registry.io.cnil import _fmt_parts

        return "\n".join(
            _fmt_parts(x.name, [("pays", x.country), ("prestation", x.service)]) for x in v
        )
    if isinstance(v, bool):
        return "oui" if v else "non"
    if isinstance(v, list):
        return "\n".join(str(getattr(x, "value", x)) for x in v)
    if isinstance(v, date | datetime):
        return v.isoformat()
    return "" if v is None else str(v)


def _processors(reg: Register) -> list[list[Cell]]:
    rows = [[Cell(title, HEAD) for title, _a in PROCESSOR_COLUMNS]]
    for p in reg.processors:
        rows.append([Cell(_processor_value(p, attr)) for _t, attr in PROCESSOR_COLUMNS])
    return rows


def layout(reg: Register) -> list[SheetLayout]:
    sheets = [
        SheetLayout("Liste des traitements", (6.4, 3.4, 2.8, 2.8, 10.2, 4.6, 2.4), _list(reg), 2)
    ]
    used: set[str] = {sheets[0].name}
    for a in reg.activities:
        name = f"Fiche {a.ref}"[:31]
        k = 2
        while name in used:
            name, k = f"Fiche {a.ref}"[:28] + f"-{k}", k + 1
        used.add(name)
        sheets.append(SheetLayout(name, (6.9, 4.6, 3.4, 3.4, 5.2), _fiche(a), 0))
    if reg.processors:
        sheets.append(
            SheetLayout(
                "Sous-traitants",
                (3.2, 3.6, 4.2, 3.8, 2.2, 1.8, 3.6, 2, 2.6, 1.8, 1.8, 3.4),
                _processors(reg),
                1,
            )
        )
    return sheets


# -- XLSX -------------------------------------------------------------------------------------


def _row_height(sl: SheetLayout, row: list[Cell]) -> float:
    """Points needed by the tallest wrapped cell (10 pt Arial: ~6.5 characters per cm)."""
    lines, c = 1, 0
    for cell in row:
        width_cm = sum(sl.widths[c : c + cell.span]) or 3.0
        per_line = max(4, int(width_cm * 6.5) - 1)
        n = sum(max(1, -(-len(part) // per_line)) for part in cell.text.split("\n"))
        lines = max(lines, n)
        c += cell.span
    big = any(cell.kind == TITLE for cell in row)
    return 22.0 if big else 13.0 * lines + 3


def export_template_xlsx(reg: Register) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.cell_range import CellRange

    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    fills = {
        HEAD: PatternFill("solid", fgColor="D9E2F3"),
        SECTION: PatternFill("solid", fgColor="1F4E79"),
        LABEL: PatternFill("solid", fgColor="F2F2F2"),
    }
    wrap = Alignment(wrap_text=True, vertical="top")
    face = "Arial"  # Calibri is missing where LibreOffice prints; Arial maps everywhere
    fonts = {
        TITLE: Font(name=face, bold=True, size=14, color="1F4E79"),
        HEAD: Font(name=face, bold=True, size=10),
        SECTION: Font(name=face, bold=True, color="FFFFFF", size=10),
        LABEL: Font(name=face, bold=True, size=10),
        VALUE: Font(name=face, size=10),
    }
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    # named styles: one lookup per cell (assigning fonts/fills hashes them every time)
    for kind in (TITLE, HEAD, SECTION, LABEL, VALUE):
        named = NamedStyle(name=f"rgpd-{kind}", font=fonts[kind], alignment=wrap)
        if kind in fills:
            named.fill = fills[kind]
        if kind != TITLE:
            named.border = box
        wb.add_named_style(named)
    for sl in layout(reg):
        ws = wb.create_sheet(sl.name)
        for i, w in enumerate(sl.widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = round(w * 4.6, 1)  # cm → chars
        for r, row in enumerate(sl.rows, 1):
            # XLSX stores no "optimal height": LibreOffice and Excel print what is set
            ws.row_dimensions[r].height = _row_height(sl, row)
            c = 1
            for cell in row:
                x = ws.cell(r, c)
                x.value = ILLEGAL_CHARACTERS_RE.sub("", cell.text) if cell.text else None
                x.data_type = "s"
                for k in range(cell.span):
                    ws.cell(r, c + k).style = f"rgpd-{cell.kind}"
                if cell.span > 1:
                    # registered directly: merge_cells() re-styles the range, quadratic in
                    # the number of styles (seconds per fiche); the cells are styled above
                    ws.merged_cells.add(
                        CellRange(min_row=r, min_col=c, max_row=r, max_col=c + cell.span - 1)
                    )
                c += cell.span
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = False
        ws.page_margins.left = ws.page_margins.right = 0.5
        if sl.repeat_rows:
            ws.print_title_rows = f"1:{sl.repeat_rows}"
            ws.freeze_panes = f"A{sl.repeat_rows + 1}"
    fixed = datetime(2000, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# -- ODS --------------------------------------------------------------------------------------


def export_template_ods(reg: Register) -> bytes:
    from odf import teletype
    from odf.namespaces import LOEXTNS
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import (
        GraphicProperties,  # noqa: F401 — keeps odfpy's style module fully loaded
        MasterPage,
        PageLayout,
        PageLayoutProperties,
        ParagraphProperties,
        Style,
        TableCellProperties,
        TableColumnProperties,
        TableProperties,
        TableRowProperties,
        TextProperties,
    )
    from odf.table import (
        CoveredTableCell,
        Table,
        TableCell,
        TableColumn,
        TableHeaderRows,
        TableRow,
    )
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    pl = PageLayout(name="Paysage")
    plp = PageLayoutProperties(
        printorientation="landscape",
        pagewidth="29.7cm",
        pageheight="21cm",
        margintop="1cm",
        marginbottom="1cm",
        marginleft="1.2cm",
        marginright="1.2cm",
        printpageorder="ttb",
    )
    # fit to the page width, as many pages high as needed (LibreOffice's extension)
    plp.setAttrNS(LOEXTNS, "scale-to-X", "1")
    plp.setAttrNS(LOEXTNS, "scale-to-Y", "0")
    pl.addElement(plp)
    doc.automaticstyles.addElement(pl)
    mp = MasterPage(name="Default", pagelayoutname=pl)
    doc.masterstyles.addElement(mp)
    tstyle = Style(name="ta1", family="table", masterpagename="Default")
    tstyle.addElement(TableProperties(display="true", writingmode="lr-tb"))
    doc.automaticstyles.addElement(tstyle)
    row_style = Style(name="ro1", family="table-row")
    row_style.addElement(TableRowProperties(useoptimalrowheight="true"))
    doc.automaticstyles.addElement(row_style)

    def cell_style(
        name: str, bg: str | None, bold: bool, color: str | None, size: str | None, border: bool
    ) -> Style:
        st = Style(name=name, family="table-cell")
        props: dict[str, str] = {"wrapoption": "wrap", "verticalalign": "top"}
        if bg:
            props["backgroundcolor"] = bg
        if border:
            props["border"] = "0.5pt solid #999999"
        props["padding"] = "0.05cm"
        st.addElement(TableCellProperties(**props))
        tp: dict[str, str] = {}
        if bold:
            tp["fontweight"] = "bold"
        if color:
            tp["color"] = color
        if size:
            tp["fontsize"] = size
        if tp:
            st.addElement(TextProperties(**tp))
        st.addElement(ParagraphProperties(marginleft="0cm"))
        doc.automaticstyles.addElement(st)
        return st

    styles = {
        TITLE: cell_style("ceTitle", None, True, "#1f4e79", "14pt", False),
        HEAD: cell_style("ceHead", "#d9e2f3", True, None, None, True),
        SECTION: cell_style("ceSection", "#1f4e79", True, "#ffffff", None, True),
        LABEL: cell_style("ceLabel", "#f2f2f2", True, None, None, True),
        VALUE: cell_style("ceValue", None, False, None, None, True),
    }
    col_styles: dict[float, Style] = {}

    def col_style(w: float) -> Style:
        if w not in col_styles:
            st = Style(name=f"co{len(col_styles) + 1}", family="table-column")
            st.addElement(TableColumnProperties(columnwidth=f"{w}cm", breakbefore="auto"))
            doc.automaticstyles.addElement(st)
            col_styles[w] = st
        return col_styles[w]

    for sl in layout(reg):
        t = Table(name=sl.name, stylename=tstyle)
        for w in sl.widths:
            t.addElement(TableColumn(stylename=col_style(w)))
        header = TableHeaderRows() if sl.repeat_rows else None
        if header is not None:
            t.addElement(header)
        for r, row in enumerate(sl.rows, 1):
            tr = TableRow(stylename=row_style)
            for cell in row:
                attrs: dict[str, object] = {"stylename": styles[cell.kind]}
                if cell.span > 1:
                    attrs["numbercolumnsspanned"] = cell.span
                tc = TableCell(valuetype="string", **attrs) if cell.text else TableCell(**attrs)
                for line in cell.text.split("\n") if cell.text else []:
                    p = P()
                    teletype.addTextToElement(p, line)
                    tc.addElement(p)
                tr.addElement(tc)
                for _k in range(cell.span - 1):
                    tr.addElement(CoveredTableCell())
            (header if header is not None and r <= sl.repeat_rows else t).addElement(tr)
        doc.spreadsheet.addElement(t)
    buf = io.BytesIO()
    doc.write(buf)
    return buf.getvalue()
