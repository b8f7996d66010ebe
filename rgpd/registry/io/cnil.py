"""The register in the CNIL template's layout, as CSV, XLSX and ODS — export and import.

Layout choice: ONE ROW PER ACTIVITY on a sheet named « Registre », one column per
field of the CNIL « fiche de registre » (then rgpd's complements: legal basis text,
Art. 9/10, DPIA, NIR). A flat table is what a DPO can sort, filter, fill in a
spreadsheet and hand back for re-import; the CNIL's one-sheet-per-activity form
cannot be re-read reliably once people start editing it.

Cell conventions (also written to the « Aide » sheet of XLSX/ODS):
- a list is one item per line inside the cell (purposes, software, measures...);
- structured items are « head | label: value | label: value » on one line, e.g. a
  retention line ``etat_civil | actif: 1y | intermédiaire: 99y | sort final: versement``;
- dates are ISO (2025-01-31), booleans « oui » / « non »;
- columns are matched by title (case and accents ignored), so they may be reordered
  or dropped; only « Nom du traitement » is required.

Column titles are fixed French strings, not translated: a file exported in one
language must re-import in the other.

Not carried by this layout (kept in YAML only): data locations, person identifiers
(technical fields for the scanners and citizens' requests), processors and
breaches. Recipients come back grouped by kind (internal, external, processors).
Importing returns ``Register(organisation=None)``: the « Organisme » sheet is for
reading; organisation details are managed with ``rgpd org``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from rgpd.errors import FieldProblem, ValidationFailed
from rgpd.i18n import _
from rgpd.registry.io.yamlio import problems_from_validation
from rgpd.registry.model import (
    SLUG_RE,
    Activity,
    Art9Condition,
    LegalBasis,
    Organisation,
    Party,
    RecipientKind,
    Register,
)
from rgpd.taxonomy import CATEGORIES

__all__ = [
    "COLUMNS",
    "NOT_IN_TABLES",
    "SHEET_NAME",
    "activities_from_rows",
    "activity_to_row",
    "export_csv",
    "export_ods",
    "export_xlsx",
    "import_csv",
    "import_ods",
    "import_xlsx",
    "merge_table_import",
]

SHEET_NAME = "Registre"
ORG_SHEET = "Organisme"
HELP_SHEET = "Aide"
SEP = " | "

LEGAL_BASIS_LABELS = {
    LegalBasis.CONSENT: "consentement",
    LegalBasis.CONTRACT: "contrat",
    LegalBasis.LEGAL_OBLIGATION: "obligation légale",
    LegalBasis.VITAL_INTERESTS: "intérêts vitaux",
    LegalBasis.PUBLIC_TASK: "mission d'intérêt public ou autorité publique",
    LegalBasis.LEGITIMATE_INTERESTS: "intérêts légitimes",
}
ART9_LABELS = {
    "a": "consentement explicite",
    "b": "droit du travail et de la protection sociale",
    "c": "intérêts vitaux",
    "d": "organisme à but non lucratif",
    "e": "données rendues publiques",
    "f": "action en justice",
    "g": "intérêt public important",
    "h": "médecine préventive, soins, protection sociale",
    "i": "santé publique",
    "j": "archives, recherche, statistique",
}


def _norm(text: str) -> str:
    """Case- and accent-insensitive key, for matching titles and labels typed by people."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", t).strip()


# -- cell encoders / decoders --------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [
        ln.strip()
        for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if ln.strip()
    ]


def _join(items: Iterable[str]) -> str:
    return "\n".join(items)


class _Labelled(dict[str, str]):
    """Normalised label → value, remembering the label as typed for error messages."""

    def __init__(self) -> None:
        super().__init__()
        self.typed: dict[str, str] = {}

    def leftovers(self) -> list[str]:
        return [self.typed[k] for k in self]


def _parts(line: str) -> tuple[str, _Labelled, list[str]]:
    """« head | label: value | ... » → head, {normalised label: value}, unreadable pieces."""
    pieces = [p.strip() for p in line.split("|")]
    head, rest = pieces[0], pieces[1:]
    labelled = _Labelled()
    bad: list[str] = []
    for p in rest:
        if ":" not in p:
            bad.append(p)
            continue
        label, value = p.split(":", 1)
        labelled[_norm(label)] = value.strip()
        labelled.typed[_norm(label)] = label.strip()
    return head, labelled, bad


def _fmt_parts(head: str, pairs: Sequence[tuple[str, str | None]]) -> str:
    return SEP.join([head, *(f"{k}: {v}" for k, v in pairs if v)])


_PARTY_LABELS = (("adresse", "address"), ("courriel", "email"), ("téléphone", "phone"))


def _party_out(p: Party | None) -> str:
    if p is None:
        return ""
    return _fmt_parts(p.name, [(lbl, getattr(p, attr)) for lbl, attr in _PARTY_LABELS])


def _party_in(line: str, errs: list[str]) -> dict[str, Any]:
    head, kv, bad = _parts(line)
    out: dict[str, Any] = {"name": head}
    for lbl, attr in _PARTY_LABELS:
        if _norm(lbl) in kv:
            out[attr] = kv.pop(_norm(lbl))
    errs.extend(bad + kv.leftovers())
    return out


def _bool_out(v: bool) -> str:
    return "oui" if v else "non"


_TRUE = {"oui", "o", "yes", "y", "true", "vrai", "1", "x"}
_FALSE = {"non", "n", "no", "false", "faux", "0", ""}


def _bool_in(text: str) -> bool | str:
    t = _norm(text)
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    return text  # let pydantic report it with its path


def _basis_out(b: LegalBasis | None) -> str:
    return f"6(1)({b.value}) {LEGAL_BASIS_LABELS[b]}" if b else ""


_BASIS_RE = re.compile(r"6\s*[.(]?\s*1\s*\)?\s*[.(]?\s*([a-f])\b", re.I)
_ART9_RE = re.compile(r"9\s*[.(]?\s*2\s*\)?\s*[.(]?\s*([a-j])\b", re.I)


def _basis_in(text: str) -> str | None:
    t = text.strip()
    if not t:
        return None
    m = _BASIS_RE.search(t)
    if m:
        return m.group(1).lower()
    for b, label in LEGAL_BASIS_LABELS.items():
        if _norm(t) == _norm(label):
            return b.value
    from rgpd.registry.io.labels import legal_basis

    found = legal_basis(t) if len(t) > 1 else None
    return (
        found.value if found else t
    )  # single letter or alias: the model resolves it, or reports the path


def _art9_out(c: Art9Condition | None) -> str:
    return f"9(2)({c.value}) {ART9_LABELS[c.value]}" if c else ""


def _art9_in(text: str) -> str | None:
    t = text.strip()
    if not t:
        return None
    m = _ART9_RE.search(t)
    return m.group(1).lower() if m else t


_LABEL_TO_CATEGORY = {_norm(c.label_fr): c.key for c in CATEGORIES.values()} | {
    _norm(c.label_en): c.key for c in CATEGORIES.values()
}


def _category_key(text: str) -> str:
    from rgpd.registry.io.labels import category_key

    t = text.strip()
    return t if t in CATEGORIES else _LABEL_TO_CATEGORY.get(_norm(t)) or category_key(t) or t


def _categories_out(a: Activity) -> str:
    return _join(
        f"{u.category}: {u.description}" if u.description else u.category for u in a.data_categories
    )


def _categories_in(text: str) -> list[dict[str, Any]]:
    out = []
    for ln in _lines(text):
        if ":" not in ln:  # a key or a label (no label contains a colon)
            out.append({"category": _category_key(ln)})
            continue
        head, _sep, desc = ln.partition(":")
        item: dict[str, Any] = {"category": _category_key(head)}
        if desc.strip():
            item["description"] = desc.strip()
        out.append(item)
    return out


_RET_LABELS = (
    ("actif", "active"),
    ("intermédiaire", "intermediate"),
    ("sort final", "final"),
    ("déclencheur", "trigger"),
    ("référence", "reference"),
)
_UNDEFINED = "à définir"
_RET_TEXT = "texte"


def _retention_out(a: Activity) -> str:
    out = []
    for u in a.data_categories:
        r = u.retention
        if r is None:
            tail = f"{_RET_TEXT}: {u.retention_text}" if u.retention_text else _UNDEFINED
            out.append(f"{u.category}{SEP}{tail}")
            continue
        vals = {
            "active": r.active,
            "intermediate": r.intermediate,
            "final": r.final.value,
            "trigger": r.trigger,
            "reference": r.reference,
        }
        pairs = [(lbl, vals[attr]) for lbl, attr in _RET_LABELS]
        out.append(_fmt_parts(u.category, [*pairs, (_RET_TEXT, u.retention_text)]))
    return _join(out)


def _retention_in(text: str, cats: list[dict[str, Any]], errs: list[str]) -> None:
    """Attach retention lines to categories: by position when one line per category
    (what rgpd writes), otherwise by category key (what people type)."""
    parsed: list[tuple[str, dict[str, Any] | None]] = []
    for ln in _lines(text):
        head, kv, bad = _parts(ln)
        key = _category_key(head)
        if bad == [_UNDEFINED] or (not kv and not bad):
            parsed.append((key, None))
            continue
        if not kv and len(bad) == 1:  # « sante | 5 ans à compter de la clôture »: free text
            from rgpd.registry.io.labels import parse_retention

            got = parse_retention(bad[0])
            free: dict[str, Any] = {"retention": None, "retention_text": bad[0]}
            if got:
                free["retention"] = {"active": got[0], **({"trigger": got[1]} if got[1] else {})}
                free["retention_text"] = bad[0] if got[1] else None
            parsed.append((key, free))
            continue
        errs.extend(b for b in bad if b != _UNDEFINED)
        values: dict[str, Any] = {}
        for lbl, attr in _RET_LABELS:
            if _norm(lbl) in kv:
                values[attr] = kv.pop(_norm(lbl))
        free_text = kv.pop(_RET_TEXT) if _RET_TEXT in kv else None
        errs.extend(kv.leftovers())
        parsed.append((key, {"retention": values or None, "retention_text": free_text}))
    if len(parsed) == len(cats) and all(
        p[0] == c["category"] for p, c in zip(parsed, cats, strict=True)
    ):
        for (_key, found), c in zip(parsed, cats, strict=True):
            if found is not None:
                c.update({k: v for k, v in found.items() if v is not None})
        return
    for key, found in parsed:
        target = next(
            (c for c in cats if c["category"] == key and not c.keys() & {"retention", "done"}),
            None,
        )
        if target is None:
            errs.append(key)
        elif found is not None:
            target.update({k: v for k, v in found.items() if v is not None})
            target["done"] = True
    for c in cats:
        c.pop("done", None)


def _recipients_out(a: Activity, kind: RecipientKind) -> str:
    out = []
    for r in a.recipients:
        if r.kind != kind:
            continue
        pairs: list[tuple[str, str | None]] = [("réf", r.processor), ("pays", r.country)]
        out.append(_fmt_parts(r.name, pairs))
    return _join(out)


def _recipients_in(text: str, kind: RecipientKind, errs: list[str]) -> list[dict[str, Any]]:
    out = []
    for ln in _lines(text):
        head, kv, bad = _parts(ln)
        item: dict[str, Any] = {"name": head, "kind": kind.value}
        if "ref" in kv:
            item["processor"] = kv.pop("ref")
        if "pays" in kv:
            item["country"] = kv.pop("pays")
        errs.extend(bad + kv.leftovers())
        out.append(item)
    return out


_TRANSFER_LABELS = (
    ("destinataire", "recipient"),
    ("garantie", "safeguard"),
    ("précisions", "details"),
)


def _transfers_out(a: Activity) -> str:
    return _join(
        _fmt_parts(
            t.country,
            [
                ("destinataire", t.recipient),
                ("garantie", t.safeguard.value),
                ("précisions", t.details),
            ],
        )
        for t in a.transfers
    )


def _transfers_in(text: str, errs: list[str]) -> list[dict[str, Any]]:
    out = []
    for ln in _lines(text):
        head, kv, bad = _parts(ln)
        item: dict[str, Any] = {"country": head}
        for lbl, attr in _TRANSFER_LABELS:
            if _norm(lbl) in kv:
                item[attr] = kv.pop(_norm(lbl))
        errs.extend(bad + kv.leftovers())
        out.append(item)
    return out


def _date_out(d: date | None) -> str:
    return d.isoformat() if d else ""


def _opt(text: str) -> str | None:
    t = text.strip()
    return t or None


# -- columns --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    help: str
    export: Callable[[Activity], str]
    computed: bool = False  # written for reading, ignored on import


def _sec(attr: str) -> Callable[[Activity], str]:
    return lambda a: _join(getattr(a.security, attr))


_SECURITY_COLUMNS = (
    ("access_control", "Contrôle d'accès des utilisateurs"),
    ("traceability", "Mesures de traçabilité"),
    ("software_protection", "Mesures de protection des logiciels"),
    ("backup", "Sauvegarde des données"),
    ("encryption", "Chiffrement des données"),
    ("processor_control", "Contrôle des sous-traitants"),
    ("other", "Autres mesures de sécurité"),
)

_LIST = "une entrée par ligne"


def _opt_bool_out(v: bool | None) -> str:
    return "" if v is None else _bool_out(v)


def _info(attr: str) -> Callable[[Activity], str]:
    return lambda a: (
        _text_out(getattr(a.information, attr, None))
        if attr != "provided"
        else (_opt_bool_out(a.information.provided if a.information else None))
    )


def _text_out(v: object) -> str:
    return "" if v is None else str(v)


#: What Madis keeps per activity (issue 14), as columns of the flat layout.
MADIS_COLUMNS: tuple[Column, ...] = (
    Column(
        "active",
        "En activité",
        "oui / non (non : traitement arrêté)",
        lambda a: _bool_out(a.active),
    ),
    Column(
        "estimated_people",
        "Nombre estimé de personnes concernées",
        "nombre entier",
        lambda a: _text_out(a.estimated_people),
    ),
    Column(
        "collection_methods",
        "Moyens de collecte",
        _LIST + " (formulaire_web, formulaire_papier, contrat, liste_recue, document_interne, "
        "entretien_oral, autre)",
        lambda a: _join(m.value for m in a.collection_methods),
    ),
    Column(
        "collection_details",
        "Précisions sur la collecte",
        "texte",
        lambda a: a.collection_details or "",
    ),
    Column(
        "data_subjects_details",
        "Précisions sur les personnes concernées",
        "texte",
        lambda a: a.data_subjects_details or "",
    ),
    Column(
        "data_categories_details",
        "Précisions sur les catégories de données",
        "texte (autres catégories)",
        lambda a: a.data_categories_details or "",
    ),
    Column(
        "recipients_details",
        "Précisions sur les destinataires",
        "texte",
        lambda a: a.recipients_details or "",
    ),
    Column(
        "paper_processing",
        "Traitement papier",
        "oui / non",
        lambda a: _bool_out(a.paper_processing),
    ),
    Column(
        "information.provided", "Personnes informées (art. 13/14)", "oui / non", _info("provided")
    ),
    Column("information.where", "Information : où", "texte", _info("where")),
    Column("information.how", "Information : comment", "texte", _info("how")),
    Column(
        "consent.form",
        "Forme du consentement",
        "texte",
        lambda a: _text_out(a.consent and a.consent.form),
    ),
    Column(
        "consent.proof",
        "Preuve du consentement",
        "texte",
        lambda a: _text_out(a.consent and a.consent.proof),
    ),
    Column(
        "dpo_opinion.opinion",
        "Avis du DPO",
        "texte",
        lambda a: _text_out(a.dpo_opinion and a.dpo_opinion.opinion),
    ),
    Column(
        "dpo_opinion.validated",
        "Validé par le DPO",
        "oui / non",
        lambda a: _bool_out(bool(a.dpo_opinion and a.dpo_opinion.validated)),
    ),
    Column(
        "dpo_opinion.date",
        "Date de l'avis du DPO",
        "AAAA-MM-JJ",
        lambda a: _date_out(a.dpo_opinion.date if a.dpo_opinion else None),
    ),
    Column(
        "dpo_opinion.by",
        "Avis rendu par",
        "texte",
        lambda a: _text_out(a.dpo_opinion and a.dpo_opinion.by),
    ),
)
_PARTY = "« Nom | adresse: … | courriel: … | téléphone: … », une personne par ligne"

COLUMNS: tuple[Column, ...] = (
    Column("ref", "Référence", "identifiant court en minuscules (ex. etat-civil)", lambda a: a.ref),
    Column("name", "Nom du traitement", "obligatoire", lambda a: a.name),
    Column("created", "Date de création", "AAAA-MM-JJ", lambda a: _date_out(a.created)),
    Column("updated", "Date de dernière mise à jour", "AAAA-MM-JJ", lambda a: _date_out(a.updated)),
    Column("status", "Statut", "brouillon ou valide", lambda a: a.status.value),
    Column("role", "Rôle de l'organisme", "responsable ou sous_traitant", lambda a: a.role.value),
    Column(
        "controller",
        "Responsable du traitement",
        _PARTY + " (vide : l'organisme)",
        lambda a: _party_out(a.controller),
    ),
    Column(
        "joint_controllers",
        "Responsables conjoints",
        _PARTY,
        lambda a: _join(_party_out(p) for p in a.joint_controllers),
    ),
    Column("representative", "Représentant", _PARTY, lambda a: _party_out(a.representative)),
    Column(
        "dpo",
        "Délégué à la protection des données",
        _PARTY + " (vide : celui de l'organisme)",
        lambda a: _party_out(a.dpo),
    ),
    Column(
        "controllers_served",
        "Responsables pour le compte desquels le traitement est effectué",
        _PARTY + " (article 30.2)",
        lambda a: _join(_party_out(p) for p in a.controllers_served),
    ),
    Column(
        "department", "Service chargé de la mise en œuvre", "texte", lambda a: a.department or ""
    ),
    Column("software", "Logiciels et applications", _LIST, lambda a: _join(a.software)),
    Column(
        "purposes",
        "Finalités",
        _LIST + " ; la première est la finalité principale",
        lambda a: _join(a.purposes),
    ),
    Column(
        "legal_basis",
        "Base légale",
        "6(1)(a) à 6(1)(f), ex. « 6(1)(e) mission d'intérêt public »",
        lambda a: _basis_out(a.legal_basis),
    ),
    Column(
        "legal_basis_text",
        "Texte fondant la base légale",
        "code et article (article 6.3)",
        lambda a: a.legal_basis_text or "",
    ),
    Column(
        "art9_condition",
        "Condition de l'article 9.2",
        "9(2)(a) à 9(2)(j)",
        lambda a: _art9_out(a.art9_condition),
    ),
    Column("art9_details", "Précisions article 9", "texte", lambda a: a.art9_details or ""),
    Column("art10", "Données d'infraction (article 10)", "oui / non", lambda a: _bool_out(a.art10)),
    Column("art10_basis", "Fondement article 10", "texte", lambda a: a.art10_basis or ""),
    Column(
        "data_subjects",
        "Catégories de personnes concernées",
        _LIST + " (usagers, agents, elus, mineurs, parents, demandeurs_aide_sociale...)",
        lambda a: _join(s.value for s in a.data_subjects),
    ),
    Column(
        "data_categories",
        "Catégories de données",
        _LIST + " : « catégorie: précision » (etat_civil, coordonnees, sante...)",
        _categories_out,
    ),
    Column(
        "sensitive",
        "Données sensibles",
        "calculé (oui / non)",
        lambda a: _bool_out(any(u.sensitive for u in a.data_categories)),
        computed=True,
    ),
    Column(
        "retention",
        "Durées de conservation",
        "une ligne par catégorie : « catégorie | actif: 5y | intermédiaire: 10y | sort final: "
        "destruction, versement ou tri | déclencheur: … | référence: … »",
        _retention_out,
    ),
    Column("sources", "Sources des données", _LIST, lambda a: _join(a.sources)),
    Column(
        "recipients_internal",
        "Destinataires internes",
        _LIST + " : « Nom | pays: FR »",
        lambda a: _recipients_out(a, RecipientKind.INTERNAL),
    ),
    Column(
        "recipients_external",
        "Destinataires externes",
        _LIST + " : « Nom | pays: FR »",
        lambda a: _recipients_out(a, RecipientKind.EXTERNAL),
    ),
    Column(
        "recipients_processors",
        "Sous-traitants",
        _LIST + " : « Nom | réf: référence du sous-traitant | pays: FR »",
        lambda a: _recipients_out(a, RecipientKind.PROCESSOR),
    ),
    Column(
        "transfers",
        "Transferts hors UE",
        _LIST + " : « pays | destinataire: … | garantie: adequation, clauses_types, bcr, "
        "derogation ou aucune | précisions: … »",
        _transfers_out,
    ),
    *(Column(f"security.{attr}", title, _LIST, _sec(attr)) for attr, title in _SECURITY_COLUMNS),
    Column(
        "dpia_criteria",
        "Critères AIPD",
        _LIST + " (critères du CEPD)",
        lambda a: _join(c.value for c in a.dpia.criteria),
    ),
    Column(
        "dpia_required_list",
        "Liste CNIL AIPD obligatoire",
        "entrée de la délibération 2018-327",
        lambda a: a.dpia.cnil_required_list or "",
    ),
    Column(
        "dpia_exempted_list",
        "Liste CNIL AIPD non requise",
        "entrée de la délibération 2019-118",
        lambda a: a.dpia.cnil_exempted_list or "",
    ),
    Column("dpia_done", "AIPD réalisée", "oui / non", lambda a: _bool_out(a.dpia.done)),
    Column("dpia_date", "Date de l'AIPD", "AAAA-MM-JJ", lambda a: _date_out(a.dpia.date)),
    Column("dpia_reference", "Référence de l'AIPD", "texte", lambda a: a.dpia.reference or ""),
    Column(
        "dpia_required",
        "AIPD requise (calculée)",
        "calculé (oui / non)",
        lambda a: _bool_out(_dpia_required(a)),
        computed=True,
    ),
    Column(
        "automated_decision",
        "Décision automatisée",
        "oui / non",
        lambda a: _bool_out(a.automated_decision),
    ),
    Column("profiling", "Profilage", "oui / non", lambda a: _bool_out(a.profiling)),
    Column(
        "automated_details",
        "Précisions décision automatisée",
        "texte",
        lambda a: a.automated_details or "",
    ),
    Column(
        "nir_authorisation",
        "Catégorie NIR (décret 2019-341)",
        "domaine du décret, si le NIR est utilisé",
        lambda a: a.nir_authorisation or "",
    ),
    Column("review_date", "Date de revue", "AAAA-MM-JJ", lambda a: _date_out(a.review_date)),
    Column("notes", "Notes", "texte", lambda a: a.notes or ""),
    *MADIS_COLUMNS,
)

_BY_TITLE = {_norm(c.title): c for c in COLUMNS}


def _dpia_required(a: Activity) -> bool:
    from rgpd.registry.rules import dpia_verdict

    return dpia_verdict(a).required


def activity_to_row(activity: Activity) -> list[str]:
    return [c.export(activity) for c in COLUMNS]


def _header() -> list[str]:
    return [c.title for c in COLUMNS]


# -- rows → activities ------------------------------------------------------------------------


def _slugify(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", _norm(name)).strip("-")[:60] or "activite"
    return s if SLUG_RE.match(s) else f"a-{s}"[:60]


def _row_to_data(cells: dict[str, str], errs: list[str]) -> dict[str, Any]:
    g = cells.get
    d: dict[str, Any] = {"name": g("name", "").strip()}
    d["ref"] = g("ref", "").strip() or _slugify(d["name"])
    from rgpd.registry.io import labels

    for key in ("created", "updated", "review_date"):
        if v := _opt(g(key, "")):
            parsed = labels.parse_date(v)  # « 12/09/2019 » as well as ISO
            d[key] = parsed.isoformat() if parsed else v
    for key in ("status", "role"):
        if v := _opt(g(key, "")):
            d[key] = v
    for key in ("controller", "representative", "dpo"):
        if v := _opt(g(key, "")):
            d[key] = _party_in(_lines(v)[0], errs)
    for key in ("joint_controllers", "controllers_served"):
        d[key] = [_party_in(ln, errs) for ln in _lines(g(key, ""))]
    for key in (
        "department",
        "legal_basis_text",
        "art9_details",
        "art10_basis",
        "automated_details",
        "nir_authorisation",
        "notes",
    ):
        if v := _opt(g(key, "")):
            d[key] = v
    for key in ("software", "purposes", "sources"):
        d[key] = _lines(g(key, ""))
    d["data_subjects"] = [
        (s.value if (s := labels.subject_category(ln)) else ln)
        for ln in _lines(g("data_subjects", ""))
    ]
    d["legal_basis"] = _basis_in(g("legal_basis", ""))
    d["art9_condition"] = _art9_in(g("art9_condition", ""))
    for key in ("art10", "automated_decision", "profiling"):
        d[key] = _bool_in(g(key, ""))
    cats = _categories_in(g("data_categories", ""))
    _retention_in(g("retention", ""), cats, errs)
    d["data_categories"] = cats
    d["recipients"] = (
        _recipients_in(g("recipients_internal", ""), RecipientKind.INTERNAL, errs)
        + _recipients_in(g("recipients_external", ""), RecipientKind.EXTERNAL, errs)
        + _recipients_in(g("recipients_processors", ""), RecipientKind.PROCESSOR, errs)
    )
    d["transfers"] = _transfers_in(g("transfers", ""), errs)
    d["security"] = {attr: _lines(g(f"security.{attr}", "")) for attr, _t in _SECURITY_COLUMNS}
    dpia: dict[str, Any] = {
        "criteria": _lines(g("dpia_criteria", "")),
        "done": _bool_in(g("dpia_done", "")),
    }
    for key, attr in (
        ("dpia_required_list", "cnil_required_list"),
        ("dpia_exempted_list", "cnil_exempted_list"),
        ("dpia_date", "date"),
        ("dpia_reference", "reference"),
    ):
        if v := _opt(g(key, "")):
            dpia[attr] = v
            if attr == "date" and (day := labels.parse_date(v)):
                dpia[attr] = day.isoformat()
    d["dpia"] = dpia
    for key in ("active", "paper_processing"):
        if v := _opt(g(key, "")):
            d[key] = _bool_in(v)
    for key in (
        "estimated_people",
        "collection_details",
        "data_subjects_details",
        "data_categories_details",
        "recipients_details",
    ):
        if v := _opt(g(key, "")):
            d[key] = v
    d["collection_methods"] = [
        (m.value if (m := labels.collection_method(ln)) else ln)
        for ln in _lines(g("collection_methods", ""))
    ]
    for block in ("information", "consent", "dpo_opinion"):
        sub: dict[str, Any] = {}
        for key, value in cells.items():
            if key.startswith(block + ".") and value.strip():
                attr = key.split(".", 1)[1]
                sub[attr] = _bool_in(value) if attr in ("provided", "validated") else value.strip()
                if attr == "date" and (day := labels.parse_date(value)):
                    sub[attr] = day.isoformat()
        if sub:
            d[block] = sub
    return d


def activities_from_rows(rows: Sequence[Sequence[str]], *, source: str = "") -> list[Activity]:
    """Header row + data rows (all strings) → validated activities, or every problem at once."""
    rows = [list(r) for r in rows]
    while rows and not any(c.strip() for c in rows[0]):
        rows.pop(0)
    if not rows:
        raise ValidationFailed([FieldProblem("", _("the table is empty"))], source)
    header = rows[0]
    mapping: dict[int, Column] = {}
    problems: list[FieldProblem] = []
    for i, title in enumerate(header):
        if not title.strip():
            continue
        col = _BY_TITLE.get(_norm(title))
        if col is None:
            problems.append(FieldProblem(f"colonne « {title} »", _("unknown column")))
        elif not col.computed:
            mapping[i] = col
    if "name" not in {c.key for c in mapping.values()}:
        problems.append(FieldProblem("Nom du traitement", _("required column missing")))
        raise ValidationFailed(problems, source)

    out: list[Activity] = []
    seen: set[str] = set()
    index = 0
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cells = {col.key: (row[i] if i < len(row) else "") for i, col in mapping.items()}
        errs: list[str] = []
        data = _row_to_data(cells, errs)
        prefix = f"activities[{index}]"
        for bad in errs:
            problems.append(
                FieldProblem(prefix, _("row {n}: cannot read {part!r}", n=line_no, part=bad))
            )
        try:
            act = Activity.model_validate(data)
        except ValidationError as exc:
            for p in problems_from_validation(exc, prefix):
                problems.append(
                    FieldProblem(p.field, _("row {n}: {problem}", n=line_no, problem=p.problem))
                )
        else:
            if act.ref in seen:
                problems.append(
                    FieldProblem(
                        f"{prefix}.ref",
                        _("row {n}: duplicate reference {ref!r}", n=line_no, ref=act.ref),
                    )
                )
            seen.add(act.ref)
            out.append(act)
        index += 1
    if problems:
        raise ValidationFailed(problems, source)
    return out


_CARRIED = (
    {c.key.split(".")[0] for c in COLUMNS if not c.computed} | {"recipients", "security", "dpia"}
) & set(Activity.model_fields)
#: Activity fields the CNIL layout does not carry (YAML only): data locations, person
#: identifiers, and any technical field added to the model later.
NOT_IN_TABLES = tuple(f for f in Activity.model_fields if f not in _CARRIED)


def _by_kind(recipients: Sequence[Any]) -> list[Any]:
    order = [RecipientKind.INTERNAL, RecipientKind.EXTERNAL, RecipientKind.PROCESSOR]
    return sorted(recipients, key=lambda r: order.index(r.kind))


def merge_table_import(current: Register, imported: Register) -> Register:
    """Imported spreadsheet rows, completed from the register already kept.

    The CNIL layout has no data locations nor person identifiers, and returns
    recipients grouped by kind: re-importing a sheet must not wipe the former nor
    record a change for the latter. Activities are matched by reference; new ones
    are taken as they are. The result holds activities, the processors the file
    carried and the software it named (no organisation nor breaches), so applying it
    touches nothing else.
    """
    known = {a.ref: a for a in current.activities}
    merged: list[Activity] = []
    for act in imported.activities:
        old = known.get(act.ref)
        if old is None:
            merged.append(act)
            continue
        update: dict[str, Any] = {f: getattr(old, f) for f in NOT_IN_TABLES}
        if _by_kind(old.recipients) == act.recipients:
            update["recipients"] = old.recipients
        merged.append(act.model_copy(update=update))
    # software named by a sheet (Madis's « Logiciel » column) only adds links to what is kept
    kept_sw = {sw.ref: sw for sw in current.software}
    software = [
        kept_sw[sw.ref].model_copy(
            update={"activities": sorted({*kept_sw[sw.ref].activities, *sw.activities})}
        )
        if sw.ref in kept_sw
        else sw
        for sw in imported.software
    ]
    return Register(activities=merged, processors=imported.processors, software=software)


# -- CSV -------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(value: str) -> str:
    """Spreadsheets execute cells starting with =+-@ (CSV injection): prefix a quote."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_unsafe(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_START) else value


def export_csv(register: Register) -> str:
    """UTF-8 with BOM and « ; » separators: what French Excel opens without a wizard."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(_header())
    for a in register.activities:
        w.writerow([_csv_safe(v) for v in activity_to_row(a)])
    return "\ufeff" + buf.getvalue()


def import_csv(text: str, *, source: str = "") -> Register:
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    delim = max((";", ",", "\t"), key=first.count)
    rows = [
        [_csv_unsafe(c) for c in r]
        for r in csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    ]
    return Register(activities=activities_from_rows(rows, source=source))


# -- organisation sheet ---------------------------------------------------------------------


def _org_rows(org: Organisation | None) -> list[list[str]]:
    if org is None:
        return [["Organisme", ""]]
    return [
        ["Nom de l'organisme", org.name],
        ["Type", org.kind.value],
        ["SIREN", org.siren or ""],
        ["Adresse", org.address or ""],
        ["Délégué à la protection des données", org.dpo_name or ""],
        ["Courriel du DPO", org.dpo_email or ""],
        ["Téléphone du DPO", org.dpo_phone or ""],
        ["N° de désignation CNIL du DPO", org.cnil_dpo_number or ""],
        ["Site web", org.website or ""],
    ]


def _help_rows() -> list[list[str]]:
    rows = [["Colonne", "Contenu"]]
    rows += [[c.title, c.help] for c in COLUMNS]
    rows.append(
        [
            "",
            "Feuille « Registre » : une ligne par activité ; elle peut être réimportée "
            "(rgpd registry import). Les colonnes « calculé » sont ignorées à l'import.",
        ]
    )
    return rows


# -- XLSX ------------------------------------------------------------------------------------


def export_xlsx(register: Register) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET_NAME
    wrap = Alignment(wrap_text=True, vertical="top")

    def put(sheet: Any, rows: list[list[str]], bold_header: bool) -> None:
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c)
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", value) if value else None
                cell.data_type = "s"  # never a formula, whatever the text starts with
                cell.alignment = wrap
                if bold_header and r == 1:
                    cell.font = Font(bold=True)

    put(ws, [_header(), *(activity_to_row(a) for a in register.activities)], True)
    ws.freeze_panes = "C2"
    from openpyxl.utils import get_column_letter

    for i in range(1, len(COLUMNS) + 1):
        ws.column_dimensions[get_column_letter(i)].width = 32
    put(wb.create_sheet(ORG_SHEET), _org_rows(register.organisation), False)
    put(wb.create_sheet(HELP_SHEET), _help_rows(), True)
    fixed = datetime(2000, 1, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _bool_out(value)
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def import_xlsx(data: bytes, *, source: str = "") -> Register:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # zipfile / XML errors: not a workbook
        raise ValidationFailed(
            [FieldProblem("", _("not a readable XLSX file ({error})", error=type(exc).__name__))],
            source,
        ) from None
    try:
        ws = wb[SHEET_NAME] if SHEET_NAME in wb.sheetnames else wb.worksheets[0]
        rows = [[_cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    return Register(activities=activities_from_rows(rows, source=source))


# -- ODS -------------------------------------------------------------------------------------


def export_ods(register: Register) -> bytes:
    from odf import teletype
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()

    def sheet(name: str, rows: list[list[str]]) -> None:
        t = Table(name=name)
        for row in rows:
            tr = TableRow()
            for value in row:
                tc = TableCell(valuetype="string") if value else TableCell()
                for line in value.split("\n") if value else []:
                    p = P()
                    teletype.addTextToElement(p, line)
                    tc.addElement(p)
                tr.addElement(tc)
            t.addElement(tr)
        doc.spreadsheet.addElement(t)

    sheet(SHEET_NAME, [_header(), *(activity_to_row(a) for a in register.activities)])
    sheet(ORG_SHEET, _org_rows(register.organisation))
    sheet(HELP_SHEET, _help_rows())
    buf = io.BytesIO()
    doc.write(buf)
    return buf.getvalue()


_MAX_REPEAT = 512  # LibreOffice pads rows with ~1000 repeated empty cells


def _ods_rows(table: Any) -> list[list[str]]:
    from odf import teletype
    from odf.namespaces import TABLENS
    from odf.text import P

    rows: list[list[str]] = []
    for tr in table.childNodes:
        if tr.qname != (TABLENS, "table-row"):
            continue
        row: list[str] = []
        for tc in tr.childNodes:
            if tc.qname not in ((TABLENS, "table-cell"), (TABLENS, "covered-table-cell")):
                continue
            repeat = int(tc.getAttribute("numbercolumnsrepeated") or 1)
            vtype = tc.getAttribute("valuetype")
            if vtype == "date":
                text = (tc.getAttribute("datevalue") or "")[:10]
            elif vtype == "boolean":
                text = _bool_out((tc.getAttribute("booleanvalue") or "") == "true")
            else:
                text = "\n".join(teletype.extractText(p) for p in tc.getElementsByType(P))
            row.extend([text] * min(repeat, _MAX_REPEAT if not text else repeat))
        rows.append(row)
    return rows


def import_ods(data: bytes, *, source: str = "") -> Register:
    from odf.opendocument import load
    from odf.table import Table

    try:
        doc = load(io.BytesIO(data))
    except Exception as exc:
        raise ValidationFailed(
            [FieldProblem("", _("not a readable ODS file ({error})", error=type(exc).__name__))],
            source,
        ) from None
    tables = doc.spreadsheet.getElementsByType(Table)
    if not tables:
        raise ValidationFailed([FieldProblem("", _("the table is empty"))], source)
    table = next((t for t in tables if t.getAttribute("name") == SHEET_NAME), tables[0])
    return Register(activities=activities_from_rows(_ods_rows(table), source=source))
