"""Madis's register export (« Traitements » CSV/XLSX), read into the register.

Madis (https://github.com/svs-step/madis, AGPL) is the register tool of many
French collectivités. Its treatments export is written by
``src/Domain/Reporting/Generator/Csv/TreatmentGenerator.php`` (read at commit
7b1cfe919e602d144bf0774df48372ba9878440a): one header row, one row per
treatment; column titles are the French labels of
``config/domain/registry/translations/messages.fr.yaml``, joined with « - » to
their tab (« Détails - Personnes concernées - Agents », « Mesures de sécurité et
confidentialité - Sauvegarde - Commentaire »...). Booleans are « Oui »/« Non »,
status and paper processing « Actif »/« Inactif », lists are joined with « - »,
shelf lives are numbered lines (« 1: 5 ans »). Closed lists come from Madis's
dictionaries (``TreatmentLegalBasisDictionary``, ``TreatmentCollectingMethodDictionary``,
``TreatmentUltimateFateDictionary``).

Columns are matched by the words of their title, never by position: versions of
Madis add and rename columns. Every non-empty cell either maps to a field or is
reported as a ``CellNote``.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from pydantic import ValidationError

from rgpd.errors import FieldProblem, ValidationFailed
from rgpd.i18n import _
from rgpd.registry.io import labels as L
from rgpd.registry.io.sheets import CellNote, Sheet, cell_ref, norm
from rgpd.registry.io.template import ImportOutcome
from rgpd.registry.io.yamlio import problems_from_validation
from rgpd.registry.model import (
    SLUG_RE,
    Activity,
    DpiaCriterion,
    RecipientKind,
    Register,
    Software,
    SubjectCategory,
)
from rgpd.taxonomy import ART9_CATEGORIES

__all__ = ["import_madis", "is_madis", "sheet_from_csv"]

_MARKERS = ("en tant que", "base legale", "details ", "mesures de securite et confidentialite")


def sheet_from_csv(text: str) -> Sheet:
    """A CSV as a one-sheet workbook (delimiter guessed from the header line)."""
    first = text.split("\n", 1)[0]
    delim = max((";", ",", "\t"), key=first.count)
    sheet = Sheet("csv")
    for r, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delim), 1):
        for c, v in enumerate(row, 1):
            if v.strip():
                sheet.cells[(r, c)] = v.replace("\r\n", "\n").strip()
    return sheet


def _header(sheet: Sheet) -> dict[int, str]:
    first = min((r for r, _c in sheet.cells), default=0)
    return {c: norm(v) for c, v in sheet.row(first).items()}


def is_madis(sheets: list[Sheet]) -> bool:
    for s in sheets:
        titles = " | ".join(_header(s).values())
        if sum(m in titles for m in _MARKERS) >= 3:
            return True
    return False


_SUBJECTS = {
    "particuliers": SubjectCategory.ADMINISTRES,
    "internautes": SubjectCategory.USAGERS,
    "usagers": SubjectCategory.USAGERS,
    "agents": SubjectCategory.AGENTS,
    "salaries": SubjectCategory.AGENTS,
    "elus": SubjectCategory.ELUS,
    "entreprises": SubjectCategory.CONTACTS_ENTREPRISES,
    "professionnels": SubjectCategory.CONTACTS_ENTREPRISES,
    "partenaires": SubjectCategory.CONTACTS_ENTREPRISES,
    "autres": SubjectCategory.AUTRES,
}
_SECURITY = {
    "controle d acces": "access_control",
    "tracabilite": "traceability",
    "sauvegarde": "backup",
    "mise a jour": "software_protection",
    "autres": "other",
}
_SPECIFIC = {
    "surveillance systematique": DpiaCriterion.MONITORING,
    "collecte a large echelle": DpiaCriterion.LARGE_SCALE,
    "personnes vulnerables": DpiaCriterion.VULNERABLE,
    "croisement de donnees": DpiaCriterion.MATCHING,
    "evaluation ou notation": DpiaCriterion.EVALUATION,
    "decisions automatisees": DpiaCriterion.AUTOMATED_DECISION,
    "exclusion automatique": DpiaCriterion.PREVENTS_RIGHT,
    "usage innovant": DpiaCriterion.INNOVATIVE,
}
_NUMBERED = re.compile(r"^\s*(\d+)\s*:\s*(.*)$")


def _numbered(text: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for ln in text.splitlines():
        m = _NUMBERED.match(ln)
        if m and m.group(2).strip():
            out[int(m.group(1))] = m.group(2).strip()
    return out


def _split(text: str) -> list[str]:
    """Madis joins lists with « - » (and people add line breaks)."""
    return [p.strip() for p in re.split(r"\s+-\s+|\n", text) if p.strip()]


class _Row:
    def __init__(self, sheet: Sheet, r: int, notes: list[CellNote]) -> None:
        self.sheet, self.r, self.notes = sheet, r, notes
        self.d: dict[str, Any] = {}

    def note(self, c: int, message: str) -> None:
        self.notes.append(
            CellNote(self.sheet.name, cell_ref(self.r, c), self.sheet.get(self.r, c), message)
        )

    def add_detail(self, key: str, text: str) -> None:
        self.d[key] = "\n".join([*([self.d[key]] if self.d.get(key) else []), text])


def _read_row(row: _Row, header: dict[int, str], cells: dict[int, str]) -> None:
    d = row.d
    subjects: dict[str, bool] = {}
    security_checked: dict[str, tuple[bool, int]] = {}
    shelf: dict[str, dict[int, str]] = {}
    criteria: list[DpiaCriterion] = []
    for c, value in sorted(cells.items()):
        t = header.get(c, "")
        v = value.strip()
        comment = t.endswith(" commentaire")
        base = t.removesuffix(" commentaire")
        if t == "nom":
            d["name"] = v
        elif t.startswith("collectivite"):
            row.note(c, _("organisation details are managed with 'rgpd org': not imported"))
        elif t == "en tant que":
            d["role"] = "sous_traitant" if "sous traitant" in norm(v) else "responsable"
        elif t.startswith("coordonnees responsable"):
            d["controller"] = {"name": v}
        elif t in ("finalites", "finalite"):
            d["purposes"] = [ln.strip() for ln in v.splitlines() if ln.strip()]
        elif t in ("gestionnaire", "service"):
            d["department"] = v if "department" not in d else f"{d['department']} — {v}"
        elif t == "statut":
            yn = L.yes_no(v)
            if yn is None:
                row.note(c, _("expected Actif or Inactif: not imported"))
            else:
                d["active"] = yn
        elif t == "base legale":
            basis = L.legal_basis(v)
            if basis is None:
                row.note(c, _("legal basis not understood: not imported"))
            else:
                d["legal_basis"] = basis.value
        elif t.startswith("justification de la base legale"):
            d["legal_basis_text"] = v
        elif t == "observations":
            d["notes"] = v
        elif "dpo message" in t or "preconisation" in t:
            d.setdefault("dpo_opinion", {})["opinion"] = v
        elif "exempt aipd" in t:
            if L.yes_no(v):
                d.setdefault("dpia", {})["cnil_exempted_list"] = _("exempted (declared in Madis)")
        elif t in ("registre publique", "publique"):
            pass  # publication is decided in rgpd (public register export), not per row
        elif t == "categorie de donnees" or t.endswith(" categorie de donnees"):
            for item in _split(v):
                key = L.category_key(item)
                if key is None:
                    row.note(
                        c, _("unknown data category {label!r}: kept in the precisions", label=item)
                    )
                    row.add_detail("data_categories_details", item)
                elif key not in [x["category"] for x in d.get("data_categories", [])]:
                    d.setdefault("data_categories", []).append({"category": key})
        elif "autres categories" in t:
            row.add_detail("data_categories_details", v)
        elif "categorie de destinataires" in t:
            for item in [ln.strip() for ln in re.split(r"[\n,;]", v) if ln.strip()]:
                kind = L.recipient_kind(item) or RecipientKind.EXTERNAL
                d.setdefault("recipients", []).append({"name": item, "kind": kind.value})
        elif t.endswith("sous traitants"):
            for item in _split(v):
                d.setdefault("recipients", []).append(
                    {"name": item, "kind": RecipientKind.PROCESSOR.value}
                )
        elif t.endswith("createur"):
            row.note(c, _("the author of the Madis record is not kept (audit log instead)"))
        elif t.endswith("date de creation"):
            day = L.parse_date(v)
            d["created"] = day.isoformat() if day else None
            if not day:
                row.note(c, _("not a date (expected 12/09/2019): not imported"))
        elif t.endswith(("derniere mise a jour", "date de modification", "updated at")):
            day = L.parse_date(v)
            d["updated"] = day.isoformat() if day else None
            if not day:
                row.note(c, _("not a date (expected 12/09/2019): not imported"))
        elif t.startswith("details personnes concernees"):
            label = base.rsplit("personnes concernees ", 1)[-1]
            subject = _SUBJECTS.get(label)
            if subject is None:
                subject = L.subject_category(label) or SubjectCategory.AUTRES
            if comment:
                row.add_detail("data_subjects_details", f"{label.capitalize()}: {v}")
            elif L.yes_no(v):
                subjects[subject.value] = True
            elif L.yes_no(v) is None:
                row.note(c, _("expected Oui or Non: not imported"))
        elif "nombre de concernees" in t or "nombre de personnes" in t:
            digits = re.sub(r"[\s\u202f\u00a0.]", "", v)
            if digits.isdigit():
                d["estimated_people"] = int(digits)
            else:
                row.note(c, _("not a number: kept in the precisions"))
                row.add_detail("data_subjects_details", v)
        elif t.endswith(" logiciel"):
            d["software"] = _split(v)
        elif "traitement papier" in t or "gestion papier" in t:
            d["paper_processing"] = bool(L.yes_no(v))
        elif "delai de conservation" in t:
            part = "duration" if t.endswith("duree") else "name" if t.endswith("nom") else "fate"
            shelf[part] = _numbered(v) or {1: v}
        elif "origine des donnees" in t:
            d["sources"] = [ln.strip() for ln in v.splitlines() if ln.strip()]
        elif "moyens de la collecte" in t or "moyen de collecte" in t:
            for item in [x.strip() for x in v.split(",") if x.strip()]:
                m = L.collection_method(item)
                if m is None:
                    row.note(c, _("unknown means of collection: kept in the precisions"))
                    row.add_detail("collection_details", item)
                elif m.value not in d.setdefault("collection_methods", []):
                    d["collection_methods"].append(m.value)
        elif "mentions legales" in t:
            d.setdefault("information", {})["provided"] = L.yes_no(v)
        elif "format" in t and "consentement" in t:
            d.setdefault("consent", {})["form"] = v
        elif "consentement demande" in t:
            if L.yes_no(v) and d.get("legal_basis") is None:
                d.setdefault("consent", {})
        elif t.startswith("mesures de securite et confidentialite"):
            label = base.removeprefix("mesures de securite et confidentialite ").strip()
            family = _SECURITY.get(label)
            if family is None:  # the three yes/no questions of Madis
                if L.yes_no(v):
                    d.setdefault("security", {}).setdefault("access_control", []).append(
                        sheet_title(row.sheet, c)
                    )
                continue
            if comment:
                d.setdefault("security", {}).setdefault(family, []).append(v)
                security_checked[family] = (True, c)
            elif L.yes_no(v):
                security_checked.setdefault(family, (False, c))
        elif t.startswith("traitement specifique"):
            crit = next((k for w, k in _SPECIFIC.items() if w in t), None)
            if crit and L.yes_no(v):
                criteria.append(crit)
                if crit is DpiaCriterion.AUTOMATED_DECISION:
                    d["automated_decision"] = True
            elif crit is None:
                row.note(c, _("column not understood: not imported"))
        elif t.startswith("nb ") or t.startswith("conformite du traitement"):
            row.note(c, _("Madis's own evaluation: not imported"))
        else:
            row.note(c, _("column not understood: not imported"))
    # a ticked security family without a comment still says a measure exists
    for family, (has_comment, col) in security_checked.items():
        if not has_comment:
            d.setdefault("security", {}).setdefault(family, []).append(sheet_title(row.sheet, col))
    for cat in d.get("data_categories", []):
        if cat["category"] in ART9_CATEGORIES:
            col = next((c for c, t in header.items() if t == "categorie de donnees"), 1)
            row.note(col, _("special category: record the Art. 9(2) condition that allows it"))
    if subjects:
        d["data_subjects"] = list(subjects)
    if criteria:
        d.setdefault("dpia", {})["criteria"] = [c.value for c in criteria]
    if "consent" in d and not d["consent"]:
        d["consent"] = {"form": _("consent requested (declared in Madis)")}
    _shelf_lives(row, shelf)


def sheet_title(sheet: Sheet, c: int) -> str:
    first = min((r for r, _c in sheet.cells), default=1)
    return sheet.get(first, c).rsplit(" - ", 1)[-1].strip()


def _shelf_lives(row: _Row, shelf: dict[str, dict[int, str]]) -> None:
    """Madis keeps shelf lives per named record type; we keep retention per category."""
    cats = row.d.setdefault("data_categories", [])
    for i in sorted(set().union(*shelf.values()) if shelf else []):
        duration = shelf.get("duration", {}).get(i, "")
        name = shelf.get("name", {}).get(i, "")
        fate_text = shelf.get("fate", {}).get(i, "")
        fate = L.final_disposition(fate_text)
        text = " — ".join(x for x in (name, duration, fate.value if fate else fate_text) if x)
        parsed = L.parse_retention(duration) if duration else None
        retention: dict[str, Any] | None = None
        if parsed:
            retention = {"active": parsed[0]}
            if parsed[1]:
                retention["trigger"] = parsed[1]
            if fate:
                retention["final"] = fate.value
        key = L.category_key(name) if name else None
        targets = [c for c in cats if c["category"] == key] if key else []
        if not targets and len(shelf.get("duration", {})) == 1:
            targets = [c for c in cats if "retention" not in c]
        if not targets:
            row.add_detail("data_categories_details", _("retention: {text}", text=text))
            continue
        for c in targets:
            if retention:
                c["retention"] = retention
            if not parsed or parsed[1] or name:
                c["retention_text"] = text


def _slugify(text: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", norm(text)).strip("-")[:60] or "activite"
    return s if SLUG_RE.match(s) else f"a-{s}"[:60]


def import_madis(sheets: list[Sheet], *, source: str = "") -> ImportOutcome:
    """A Madis treatments export → register + per-cell notes."""
    notes: list[CellNote] = []
    problems: list[FieldProblem] = []
    sheet = next(s for s in sheets if is_madis([s]))
    header = _header(sheet)
    first = min(r for r, _c in sheet.cells)
    activities: list[Activity] = []
    seen: set[str] = set()
    for r in sheet.rows():
        if r == first:
            continue
        row = _Row(sheet, r, notes)
        _read_row(row, header, sheet.row(r))
        d = row.d
        if not d.get("name"):
            problems.append(FieldProblem(cell_ref(r, 1), _("an activity without a name")))
            continue
        ref = base = _slugify(d["name"])
        n = 2
        while ref in seen:
            ref, n = f"{base[:56]}-{n}", n + 1
        d["ref"] = ref
        d = {k: v for k, v in d.items() if v is not None}
        try:
            act = Activity.model_validate(d)
        except ValidationError as exc:
            for p in problems_from_validation(exc, ""):
                problems.append(FieldProblem(f"{sheet.name} {r}: {p.field}", p.problem))
            continue
        seen.add(ref)
        activities.append(act)
    if problems:
        raise ValidationFailed(problems, source)
    return ImportOutcome(
        Register(activities=activities, software=_software(activities)), notes, "madis"
    )


def _software(activities: list[Activity]) -> list[Software]:
    """The software named in the treatments' « Logiciel » column, linked to their activities.

    Madis keeps its « logiciels et supports » in their own module, which it exports
    only as a Word report; its treatments export names them, so they enter the
    software register here (kind, editor and hosting left for the DPO to fill).
    """
    by_ref: dict[str, Software] = {}
    for act in activities:
        for name in act.software:
            ref = _slugify(name)
            sw = by_ref.get(ref) or Software(ref=ref, name=name)
            by_ref[ref] = sw.model_copy(update={"activities": sorted({*sw.activities, act.ref})})
    return [by_ref[ref] for ref in sorted(by_ref)]
