"""The CNIL's « registre simplifié » template, read as DPOs fill it, and written back.

The template (``../shared/data/cnil/registre-traitement-simplifie.ods``) has a
list sheet (one row per activity) and a « fiche » sheet copied once per activity,
under any name. Nothing here relies on sheet names or positions: the list sheet
is the one with a « Nom du traitement » column header, a fiche is a sheet with
« Nom du traitement » and « N° / RÉF » labels in its first column. Within a fiche,
sections are found by their titles (« Catégories de personnes concernées »,
« Destinataires »...), and a row's label tells what it holds, so inserted rows,
copied fiches and reordered sections still read.

Rows whose label is one of rgpd's own column titles (« Base légale », « Moyens
de collecte »..., see ``cnil.COLUMNS``) are read too: that is how the fields the
CNIL template lacks travel in our export, and how a DPO adds them by hand.

Every filled cell is either mapped or reported as a ``CellNote`` (sheet, cell,
value, why); nothing is dropped silently. Example sheets (« Exemple de fiche »,
« (EXEMPLE) » rows) are skipped with a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from rgpd.errors import FieldProblem, ValidationFailed
from rgpd.i18n import _
from rgpd.registry.io import labels as L
from rgpd.registry.io.sheets import CellNote, Sheet, cell_ref, norm
from rgpd.registry.io.yamlio import problems_from_validation
from rgpd.registry.model import SLUG_RE, Activity, Processor, Register
from rgpd.taxonomy import ART9_CATEGORIES

__all__ = ["ImportOutcome", "import_cnil_template", "is_cnil_template"]


@dataclass
class ImportOutcome:
    """A parsed register and what could not be mapped (reported, never dropped)."""

    register: Register
    notes: list[CellNote] = field(default_factory=list)
    format: str = ""


def _slugify(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", norm(text)).strip("-")[:60] or "activite"
    return s if SLUG_RE.match(s) else f"a-{s}"[:60]


def _last_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return norm(lines[-1]) if lines else ""


# -- detection ---------------------------------------------------------------------------------


def _is_fiche(sheet: Sheet) -> bool:
    """« Nom du traitement » and « N° / RÉF » as row labels, one under the other (the
    list sheet has them side by side, as column titles)."""
    rows = {_last_line(v): r for (r, c), v in sheet.cells.items() if c <= 2 and len(v) < 40}
    name, ref = rows.get("nom du traitement"), rows.get("n ref")
    return name is not None and ref is not None and name != ref


def _list_header(sheet: Sheet) -> int | None:
    for (r, _c), v in sorted(sheet.cells.items()):
        if _last_line(v) == "nom du traitement" and not _is_fiche(sheet):
            return r
    return None


def is_cnil_template(sheets: list[Sheet]) -> bool:
    """A workbook with the template's fiche layout, or its list sheet with « N° / RÉF »."""
    if any(_is_fiche(s) for s in sheets):
        return True
    for s in sheets:
        r = _list_header(s)
        if r is not None and any(_last_line(v) == "n ref" for v in s.row(r).values()):
            return True
    return False


# -- a fiche -----------------------------------------------------------------------------------

#: Section titles (last line of the column-A cell, normalised) → section kind.
_SECTIONS = (
    ("acteurs", "actors"),
    ("finalite", "purposes"),
    ("categories de donnees", "categories"),
    ("donnees sensibles", "sensitive"),
    ("categories de personnes", "subjects"),
    ("destinataires", "recipients"),
    ("mesures de securite", "security"),
    ("securite", "security"),
    ("transferts", "transfers"),
    ("complements", "extras"),
)
_ACTORS = (
    ("societe du dpo", "dpo_company"),
    ("delegue", "dpo"),
    ("dpo", "dpo"),
    ("conjoint", "joint_controllers"),
    ("representant", "representative"),
    ("responsable du traitement", "controller"),
)
_PARTY_COLS = (
    ("adresse mel", "email"),
    ("courriel", "email"),
    ("e mail", "email"),
    ("adresse", "address"),
    ("code postal", "zip"),
    ("ville", "city"),
    ("pays", "country"),
    ("telephone", "phone"),
    ("nom", "name"),
)
#: Template text that is neither data nor a label to map.
_BOILERPLATE = (
    "selectionnez un element",
    "consulter les guides",
    "n a",
)


class _Fiche:
    """Reads one fiche sheet into Activity fields, recording every cell it used."""

    def __init__(self, sheet: Sheet, notes: list[CellNote]) -> None:
        self.s = sheet
        self.notes = notes
        self.used: set[tuple[int, int]] = set()
        self.d: dict[str, Any] = {}
        self.extra: dict[str, tuple[str, tuple[int, int]]] = {}

    def note(self, pos: tuple[int, int], message: str) -> None:
        self.notes.append(CellNote(self.s.name, cell_ref(*pos), self.s.get(*pos), message))
        self.used.add(pos)

    def right(self, r: int, c: int, upto: int = 9) -> list[tuple[int, str]]:
        return [(cc, self.s.get(r, cc)) for cc in range(c + 1, upto + 1) if self.s.get(r, cc)]

    def first_right(self, r: int, c: int) -> tuple[int, str] | None:
        vals = [x for x in self.right(r, c) if not _boiler(x[1])]
        return vals[0] if vals else None

    # one entry point
    def read(self) -> dict[str, Any]:
        from rgpd.registry.io.cnil import _BY_TITLE

        s = self.s
        section = ""
        header_cols: dict[int, str] = {}
        rows = s.rows()
        for r in rows:
            row = s.row(r)
            c0 = min(row)
            label_text = row[c0]
            label = _last_line(label_text)
            if c0 > 2:  # the side column of links and titles
                continue
            # 1. single-value rows
            single = {
                "nom du traitement": "name",
                "n ref": "ref",
                "date de creation du traitement": "created",
                "date de creation de la fiche": "created",
                "date de creation": "created",
                "mise a jour du traitement": "updated",
                "derniere mise a jour de la fiche": "updated",
                "date de mise a jour": "updated",
            }.get(label)
            if single:
                self.used.add((r, c0))
                got = self.first_right(r, c0)
                if got:
                    self.used.add((r, got[0]))
                    self.d[single] = (got[1], (r, got[0]))
                continue
            if label.startswith(("finalite principale", "sous finalite", "finalite ")) and (
                c0 == 1 and label != "finalite du traitement"
            ):
                self.used.add((r, c0))
                got = self.first_right(r, c0)
                if got:
                    self.used.add((r, got[0]))
                    self.d.setdefault("purposes", []).append(got[1])
                continue
            # 2. section titles
            kind = next((k for key, k in _SECTIONS if label.startswith(key)), None)
            if kind and c0 == 1 and (kind != "sensitive" or self.right(r, c0)):
                section = kind
                self.used.add((r, c0))
                header_cols = {}
                for cc, v in self.right(r, c0, 12):
                    header_cols[cc] = norm(v)
                    self.used.add((r, cc))
                continue
            if section == "actors" and any(key in label for key, _k in _ACTORS):
                self._section_row(section, r, c0, label_text, header_cols)
                continue
            if label in _BY_TITLE and not _BY_TITLE[label].computed:
                self.used.add((r, c0))
                got = self.first_right(r, c0)
                if got:
                    self.used.add((r, got[0]))
                    self.extra[_BY_TITLE[label].key] = (got[1], (r, got[0]))
                continue
            if label in ("identification du traitement", "description du traitement"):
                self.used.add((r, c0))
                continue
            # 3. rows of the current section
            if section:
                self._section_row(section, r, c0, label_text, header_cols)
        return self.d

    def _cols(self, header_cols: dict[int, str], *names: str) -> int | None:
        for cc, title in header_cols.items():
            if any(title.startswith(n) for n in names):
                return cc
        return None

    def _section_row(
        self, section: str, r: int, c0: int, label_text: str, header_cols: dict[int, str]
    ) -> None:
        self.used.add((r, c0))
        if c0 > 1:  # a row the DPO added without a label: its cells are values
            label_text, c0 = "", 1
        values = {cc: v for cc, v in self.right(r, c0, 12) if not _boiler(v)}
        for cc, v in self.right(r, c0, 12):
            if _boiler(v):
                self.used.add((r, cc))
        if section == "extras":
            if values:
                self.note((r, c0), _("row not understood: not imported"))
            return
        if section == "actors":
            role = next((k for key, k in _ACTORS if key in norm(label_text)), None)
            if role is None:
                if values:
                    self.note((r, c0), _("row not understood (expected an actor of the fiche)"))
                return
            if not values:
                return
            party: dict[str, str] = {}
            extra: dict[str, str] = {}
            for cc, v in values.items():
                self.used.add((r, cc))
                title = header_cols.get(cc, "")
                attr = next((a for key, a in _PARTY_COLS if title.startswith(key)), None)
                if attr in ("name", "email", "phone", "address"):
                    party[attr] = v
                elif attr:
                    extra[attr] = v
                else:
                    self.note((r, cc), _("column without a known title: not imported"))
            address = ", ".join(
                x for x in (party.get("address"), extra.get("zip"), extra.get("city")) if x
            )
            if extra.get("zip") and extra.get("city"):
                address = ", ".join(
                    x for x in (party.get("address"), f"{extra['zip']} {extra['city']}") if x
                )
            if extra.get("country"):
                address = ", ".join(x for x in (address, extra["country"]) if x)
            if address:
                party["address"] = address
            if "name" not in party:
                party["name"] = next(iter(values.values()))
            if role == "dpo_company":
                dpo = self.d.get("dpo")
                if dpo and norm(party["name"]) not in ("n a", "na", "sans objet"):
                    dpo["name"] = f"{dpo['name']} ({party['name']})"
                return
            if role == "joint_controllers":
                self.d.setdefault("joint_controllers", []).append(party)
            else:
                self.d[role] = party
            return
        if not values:
            return
        if section in ("categories", "sensitive"):
            key = L.category_key(label_text)
            desc_col = self._cols(header_cols, "description") or c0 + 1
            ret_col = self._cols(header_cols, "duree de conservation", "duree")
            desc = values.get(desc_col, "")
            ret = values.get(ret_col, "") if ret_col else ""
            for cc in values:
                self.used.add((r, cc))
            for cc in values:
                if cc not in (desc_col, ret_col):
                    self.note((r, cc), _("column without a known title: not imported"))
            if norm(ret) in ("a definir", "a preciser"):
                ret = ""
            if not desc and not ret and not values.get(ret_col or 0):
                return  # the category's row is not filled: not used
            if key is None:
                self.note((r, c0), _("unknown data category: kept in the categories' precisions"))
                self.d.setdefault("data_categories_details", []).append(
                    " — ".join(x for x in (label_text.strip(), desc, ret) if x)
                )
                return
            if _tick(desc) is False and not ret:
                return  # « Non »: the category is not used
            item: dict[str, Any] = {"category": key}
            if desc and _tick(desc) is None:
                item["description"] = desc
            if ret:
                first, _nl, rest = ret.partition("\n")
                parsed = L.parse_retention_full(first)
                if parsed:
                    # the whole text is read (duration, trigger, then...): nothing is lost
                    item["retention"] = parsed
                    if rest.strip():  # our export: « (as written: ...) » on a second line
                        item["retention_text"] = L.unwrap_written(rest.strip())
                else:
                    item["retention_text"] = ret
                if parsed is None:
                    self.note(
                        (r, ret_col or c0), _("retention kept as free text (no duration read)")
                    )
            self.d.setdefault("data_categories", []).append(item)
            if key in ART9_CATEGORIES or key == "infractions":
                self.d.setdefault("_sensitive", []).append((key, (r, c0), label_text))
            return
        type_col = self._cols(header_cols, "description", "type") or c0 + 1
        prec_col = self._cols(header_cols, "precision")
        kind_text = values.get(type_col, "")
        precision = values.get(prec_col, "") if prec_col else ""
        for cc in values:
            self.used.add((r, cc))
        if section == "subjects":
            subject = L.subject_category(kind_text) if kind_text else None
            unknown = subject is None and bool(kind_text)
            if subject is None:
                subject = L.subject_category("autres")
                if kind_text:
                    self.note((r, type_col), _("unknown category of people: imported as 'autres'"))
            subjects = self.d.setdefault("data_subjects", [])
            if subject not in subjects:
                subjects.append(subject)
            detail = ": ".join(x for x in (kind_text, precision) if x)
            if precision or unknown:
                self.d.setdefault("data_subjects_details", []).append(detail)
            return
        if section == "recipients":
            kind = L.recipient_kind(kind_text) if kind_text else None
            if kind is None:
                kind = L.recipient_kind("externe")
                if kind_text:
                    self.note((r, type_col), _("unknown type of recipient: imported as external"))
            name = precision or kind_text
            rec: dict[str, Any] = {"name": name, "kind": kind}
            m = _REF_SUFFIX.search(name)
            if m:  # « Éditeur (réf. : editeur-x ; pays : FR) », as we export it
                rec["name"] = name[: m.start()].strip()
                for part in m.group(1).split(";"):
                    tag, _sep, value = part.partition(":")
                    attr = "country" if norm(tag) == "pays" else "processor"
                    rec[attr] = value.strip()
            if kind_text and "pays tiers" in norm(kind_text):
                self.d.setdefault("recipients_details", []).append(
                    _("{name}: outside the EU", name=name)
                )
            self.d.setdefault("recipients", []).append(rec)
            return
        if section == "security":
            family = L.security_family(kind_text) if kind_text else None
            if family is None:
                family = "other"
                if kind_text:
                    self.note(
                        (r, type_col), _("unknown type of security measure: imported as other")
                    )
            self.d.setdefault("security", {}).setdefault(family, []).append(precision or kind_text)
            return
        if section == "transfers":
            rec_col = self._cols(header_cols, "destinataire") or c0 + 1
            country_col = self._cols(header_cols, "pays")
            guar_col = self._cols(header_cols, "type de garantie", "garantie")
            doc_col = self._cols(header_cols, "lien", "documentation")
            recipient = values.get(rec_col, "")
            country = values.get(country_col, "") if country_col else ""
            guarantee = values.get(guar_col, "") if guar_col else ""
            doc = values.get(doc_col, "") if doc_col else ""
            transfer: dict[str, Any] = {"recipient": recipient or "?", "country": country or "?"}
            details = [doc] if doc else []
            if guarantee:
                sg = L.safeguard(guarantee)
                if sg is None:
                    self.note((r, guar_col or c0), _("unknown safeguard: kept in the details"))
                    details.insert(0, guarantee)
                else:
                    transfer["safeguard"] = sg[0]
                    if sg[1]:
                        details.insert(0, sg[1])
                        self.note(
                            (r, guar_col or c0),
                            _("not an Art. 46 safeguard rgpd can record: kept in the details"),
                        )
            if not country:
                self.note((r, rec_col), _("transfer without a country (Art. 30(1)(e))"))
            if details:
                transfer["details"] = "; ".join(details)
            self.d.setdefault("transfers", []).append(transfer)
            return

    def leftovers(self) -> None:
        for pos, v in sorted(self.s.cells.items()):
            if pos in self.used or _boiler(v):
                continue
            r, c = pos
            if c >= 10 or r <= 3:  # the side links and the fiche's title and help
                continue
            self.note(pos, _("cell not understood: not imported"))


_REF_SUFFIX = re.compile(r"\s*\(((?:r[ée]f\.?|pays)\s*:[^()]*)\)\s*$")


def _boiler(v: str) -> bool:
    n = norm(v)
    return (
        n in ("n a", "na")  # « N/A »
        or any(n.startswith(b) for b in _BOILERPLATE[:2])
        or v.strip().startswith("►")
    )


# -- the list sheet ----------------------------------------------------------------------------

_LIST_COLS = (
    ("nom du traitement", "name"),
    ("n ref", "ref"),
    ("date de creation", "created"),
    ("derniere mise a jour", "updated"),
    ("mise a jour", "updated"),
    ("finalite", "purposes"),
    ("donnees sensibles", "sensitive"),
    ("oui non", "sensitive"),
)


def _read_list(sheet: Sheet, header: int, notes: list[CellNote]) -> list[dict[str, Any]]:
    from rgpd.registry.io.cnil import _BY_TITLE

    cols: dict[int, str] = {}
    for c in sorted({c for (_r, c) in sheet.cells}):
        for title in (sheet.get(header, c), sheet.get(header - 1, c)):
            key = next((k for t, k in _LIST_COLS if _last_line(title).startswith(t)), None)
            if key is None and _last_line(title) in _BY_TITLE:
                key = "extra:" + _BY_TITLE[_last_line(title)].key
            if key and key not in cols.values():
                cols[c] = key
                break
    out = []
    for r in sheet.rows():
        if r <= header:
            continue
        row = sheet.row(r)
        name_col = next((c for c, k in cols.items() if k == "name"), 1)
        name = row.get(name_col, "")
        if not name:
            for c, v in row.items():
                if not _boiler(v):
                    notes.append(
                        CellNote(
                            sheet.name, cell_ref(r, c), v, _("row without a name: not imported")
                        )
                    )
            continue
        if norm(name).startswith("exemple"):
            notes.append(
                CellNote(sheet.name, cell_ref(r, name_col), name, _("the CNIL's example: skipped"))
            )
            continue
        item: dict[str, Any] = {"_row": r, "_cells": {}}
        for c, v in row.items():
            key = cols.get(c)
            if key is None:
                notes.append(
                    CellNote(
                        sheet.name,
                        cell_ref(r, c),
                        v,
                        _("column without a known title: not imported"),
                    )
                )
                continue
            item[key] = v
            item["_cells"][key] = (r, c)
        out.append(item)
    return out


# -- assembling ---------------------------------------------------------------------------------


def _date(v: str, where: tuple[str, tuple[int, int]], notes: list[CellNote]) -> str | None:
    d = L.parse_date(v)
    if d is None:
        notes.append(
            CellNote(
                where[0],
                cell_ref(*where[1]),
                v,
                _("not a date (expected 12/09/2019): not imported"),
            )
        )
        return None
    return d.isoformat()


def _assemble(
    sheet_name: str,
    fiche: dict[str, Any],
    extra: dict[str, tuple[str, tuple[int, int]]],
    listed: dict[str, Any] | None,
    list_sheet: str,
    notes: list[CellNote],
) -> dict[str, Any]:
    from rgpd.registry.io.cnil import _row_to_data

    data: dict[str, Any] = {}
    # rgpd's own rows first: the CNIL template's own rows win over them
    if extra:
        errs: list[str] = []
        decoded = _row_to_data({k: L.from_label(k, v) for k, (v, _p) in extra.items()}, errs)
        for key in {_field_of(k) for k in extra}:
            if key in decoded:
                data[key] = decoded[key]
        where = next(iter(extra.values()))[1]
        for bad in errs:
            notes.append(CellNote(sheet_name, cell_ref(*where), bad, _("cannot read this part")))
    for key in ("name", "ref", "created", "updated"):
        src = fiche.get(key)
        if src is None and listed and key in listed:
            src = (listed[key], listed["_cells"][key])
            origin = list_sheet
        else:
            origin = sheet_name
        if src is None:
            continue
        value, pos = src
        if key in ("created", "updated"):
            iso = _date(value, (origin, pos), notes)
            if iso:
                data[key] = iso
        else:
            data[key] = value.strip()
    for key in ("purposes", "data_categories", "recipients", "transfers", "joint_controllers"):
        if fiche.get(key):
            data[key] = fiche[key]
    for key in ("controller", "dpo", "representative"):
        if fiche.get(key):
            data[key] = fiche[key]
    if fiche.get("security"):
        data["security"] = {**data.get("security", {}), **fiche["security"]}
    if fiche.get("data_subjects"):
        data["data_subjects"] = [s.value for s in fiche["data_subjects"]]
    for key in ("data_subjects_details", "data_categories_details", "recipients_details"):
        if fiche.get(key):
            data[key] = "\n".join([*([data[key]] if data.get(key) else []), *fiche[key]])
    if "purposes" not in data and listed and listed.get("purposes"):
        data["purposes"] = [p.strip() for p in listed["purposes"].splitlines() if p.strip()]
    if listed:
        flat = {k[6:]: v for k, v in listed.items() if k.startswith("extra:")}
        decoded = _row_to_data(flat, []) if flat else {}
        for key in {_field_of(k) for k in flat}:
            if key in decoded and key not in data:
                data[key] = decoded[key]
    return data


def _field_of(flat_key: str) -> str:
    """A column key of the flat layout → the Activity field it fills."""
    if flat_key in ("recipients_internal", "recipients_external", "recipients_processors"):
        return "recipients"
    if flat_key == "retention":
        return "data_categories"
    if flat_key.startswith("dpia_"):
        return "dpia"
    return flat_key.split(".")[0]


def _validate(
    data: dict[str, Any], where: str, problems: list[FieldProblem], notes: list[CellNote]
) -> Activity | None:
    if not data.get("name"):
        problems.append(FieldProblem(where, _("an activity without a name")))
        return None
    ref = data.get("ref") or _slugify(data["name"])
    if not SLUG_RE.match(ref):
        slug = _slugify(ref)
        if slug != ref.lower():
            notes.append(CellNote(where, "", ref, _("reference rewritten as {slug!r}", slug=slug)))
        ref = slug
    data["ref"] = ref
    basis = data.get("legal_basis")
    if isinstance(basis, str) and basis not in "abcdef":
        found = L.legal_basis(basis)
        if found is None:
            notes.append(CellNote(where, "", basis, _("legal basis not understood: not imported")))
            data.pop("legal_basis")
        else:
            data["legal_basis"] = found.value
    try:
        return Activity.model_validate(data)
    except ValidationError as exc:
        for p in problems_from_validation(exc, ""):
            problems.append(FieldProblem(f"« {where} » {p.field}", p.problem))
        return None


def import_cnil_template(sheets: list[Sheet], *, source: str = "") -> ImportOutcome:
    """A filled CNIL template (list + fiches) → register + per-cell notes.

    Raises ``ValidationFailed`` only for what makes an activity impossible (no name,
    duplicate reference); everything else is imported or reported as a note.
    """
    notes: list[CellNote] = []
    problems: list[FieldProblem] = []
    listed: list[dict[str, Any]] = []
    list_sheet = ""
    fiches: list[tuple[Sheet, dict[str, Any], dict[str, tuple[str, tuple[int, int]]]]] = []
    processors: list[Processor] = []
    for sheet in sheets:
        if _is_processor_sheet(sheet):
            processors += _read_processors(sheet, notes, problems)
            continue
        if _is_fiche(sheet):
            f = _Fiche(sheet, notes)
            d = f.read()
            if "name" not in d:
                continue  # the blank model fiche
            ident = " ".join(norm(d[k][0]) for k in ("name", "ref") if k in d)
            if "exemple" in ident:
                notes.append(
                    CellNote(sheet.name, "A1", sheet.get(1, 1), _("the CNIL's example: skipped"))
                )
                continue
            f.leftovers()
            fiches.append((sheet, d, f.extra))
            continue
        header = _list_header(sheet)
        if header is not None and not listed:
            list_sheet = sheet.name
            listed = _read_list(sheet, header, notes)
            _organisation_notes(sheet, header, notes)
    by_ref = {_slugify(x["ref"]): x for x in listed if x.get("ref")}
    by_name = {norm(x["name"]): x for x in listed}
    matched: set[int] = set()
    activities: list[Activity] = []
    seen: set[str] = set()
    for sheet, d, extra in fiches:
        ref = d.get("ref")
        item = (by_ref.get(_slugify(ref[0])) if ref else None) or by_name.get(norm(d["name"][0]))
        if item is not None:
            matched.add(item["_row"])
        data = _assemble(sheet.name, d, extra, item, list_sheet, notes)
        _sensitive_notes(sheet.name, d, item, list_sheet, data, notes)
        act = _validate(data, sheet.name, problems, notes)
        if act is not None:
            if act.ref in seen:
                problems.append(
                    FieldProblem(sheet.name, _("duplicate reference {ref!r}", ref=act.ref))
                )
            seen.add(act.ref)
            activities.append(act)
    for item in listed:
        if item["_row"] in matched:
            continue
        data = _assemble(list_sheet, {}, {}, item, list_sheet, notes)
        if L.yes_no(item.get("sensitive", "")):
            pos = item["_cells"]["sensitive"]
            notes.append(
                CellNote(
                    list_sheet,
                    cell_ref(*pos),
                    item["sensitive"],
                    _(
                        "sensitive data declared but no fiche says which: add the categories "
                        "and the Art. 9(2) condition"
                    ),
                )
            )
        act = _validate(data, f"{list_sheet} {cell_ref(item['_row'], 1)}", problems, notes)
        if act is not None:
            if act.ref in seen:
                problems.append(
                    FieldProblem(list_sheet, _("duplicate reference {ref!r}", ref=act.ref))
                )
            seen.add(act.ref)
            activities.append(act)
    if problems:
        raise ValidationFailed(problems, source)
    return ImportOutcome(
        Register(activities=activities, processors=processors), notes, "cnil-template"
    )


def _is_processor_sheet(sheet: Sheet) -> bool:
    first = sheet.row(min((r for r, _c in sheet.cells), default=0))
    titles = {norm(v) for v in first.values()}
    return "reference du sous traitant" in titles and "nom du sous traitant" in titles


def _read_processors(
    sheet: Sheet, notes: list[CellNote], problems: list[FieldProblem]
) -> list[Processor]:
    """The « Sous-traitants » sheet of our export (Art. 28): processors travel with it."""
    from rgpd.registry.io.cnil import _lines, _parts, _party_in
    from rgpd.registry.io.template_export import PROCESSOR_COLUMNS

    by_title = {norm(t): a for t, a in PROCESSOR_COLUMNS}
    first = min(r for r, _c in sheet.cells)
    cols = {c: by_title.get(norm(v)) for c, v in sheet.row(first).items()}
    out = []
    for r in sheet.rows():
        if r == first:
            continue
        data: dict[str, Any] = {}
        for c, v in sheet.row(r).items():
            attr = cols.get(c)
            if attr is None:
                notes.append(
                    CellNote(
                        sheet.name,
                        cell_ref(r, c),
                        v,
                        _("column without a known title: not imported"),
                    )
                )
            elif attr == "contact":
                errs: list[str] = []
                data[attr] = _party_in(_lines(v)[0], errs)
            elif attr in ("services", "contract_clauses"):
                data[attr] = _lines(v)
            elif attr == "subprocessors":
                subs = []
                for ln in _lines(v):
                    head, kv, _bad = _parts(ln)
                    sub: dict[str, Any] = {"name": head}
                    if "pays" in kv:
                        sub["country"] = kv["pays"]
                    if "prestation" in kv:
                        sub["service"] = kv["prestation"]
                    subs.append(sub)
                data[attr] = subs
            elif attr in ("secnumcloud", "sovereign"):
                data[attr] = bool(L.yes_no(v))
            elif attr == "contract_date":
                day = L.parse_date(v)
                data[attr] = day.isoformat() if day else v
            else:
                data[attr] = v
        try:
            out.append(Processor.model_validate(data))
        except ValidationError as exc:
            for p in problems_from_validation(exc, ""):
                problems.append(
                    FieldProblem(f"« {sheet.name} » {cell_ref(r, 1)} {p.field}", p.problem)
                )
    return out


def _sensitive_notes(
    sheet: str,
    d: dict[str, Any],
    listed: dict[str, Any] | None,
    list_sheet: str,
    data: dict[str, Any],
    notes: list[CellNote],
) -> None:
    sensitive = d.get("_sensitive", [])
    for key, pos, text in sensitive:
        if key in ART9_CATEGORIES and not data.get("art9_condition"):
            notes.append(
                CellNote(
                    sheet,
                    cell_ref(*pos),
                    text,
                    _("special category: record the Art. 9(2) condition that allows it"),
                )
            )
    if listed and L.yes_no(listed.get("sensitive", "")) and not sensitive:
        pos = listed["_cells"]["sensitive"]
        notes.append(
            CellNote(
                list_sheet,
                cell_ref(*pos),
                listed["sensitive"],
                _(
                    "sensitive data declared but no fiche says which: add the categories "
                    "and the Art. 9(2) condition"
                ),
            )
        )


def _organisation_notes(sheet: Sheet, header: int, notes: list[CellNote]) -> None:
    """The list sheet's contact block is the organisation's: reported, managed with ``rgpd org``."""
    for (r, c), v in sorted(sheet.cells.items()):
        if r >= header - 1 or c >= 10:
            continue
        label = sheet.get(r, c - 1) if c > 1 else ""
        if v.strip().endswith(":") or c == 1 or _boiler(v):
            # a label; a value typed in the label cell itself (« Nom : Dupont ») is data
            if ":" in v and v.split(":", 1)[1].strip():
                notes.append(
                    CellNote(
                        sheet.name,
                        cell_ref(r, c),
                        v,
                        _("organisation details are managed with 'rgpd org': not imported"),
                    )
                )
            continue
        if label.strip().endswith(":"):
            notes.append(
                CellNote(
                    sheet.name,
                    cell_ref(r, c),
                    v,
                    _("organisation details are managed with 'rgpd org': not imported"),
                )
            )


def _tick(text: str) -> bool | None:
    """« Oui » / « X » / « Non » typed in a description cell to tick a category (strict:
    a real description such as « o# » or « N° » is not a tick)."""
    t = norm(text)
    return True if t in ("oui", "x", "yes") else False if t in ("non", "no") else None
