"""Words people write in registers (CNIL template, Madis, hand-made sheets) → our codes.

One home for the vocabulary the importers share: the CNIL template's category,
people, recipient, security and safeguard labels; Madis's labels; legal bases
written in words; French dates; free-text retention. Every function returns
``None`` when it cannot tell, so the caller reports the cell instead of guessing.
Matching ignores case and accents (``norm``) and looks for distinctive words, so a
label the DPO shortened or rephrased still maps.
"""

from __future__ import annotations

import re
from datetime import date

from rgpd.registry.io.sheets import norm
from rgpd.registry.model import (
    CollectionMethod,
    DpiaCriterion,
    FinalDisposition,
    LegalBasis,
    RecipientKind,
    Retention,
    Role,
    Safeguard,
    Status,
    SubjectCategory,
)
from rgpd.taxonomy import CATEGORIES

__all__ = [
    "category_key",
    "collection_method",
    "final_disposition",
    "legal_basis",
    "parse_date",
    "parse_retention",
    "recipient_kind",
    "safeguard",
    "security_family",
    "subject_category",
    "yes_no",
]

# (words that must all appear, code): first match wins, most specific first.
_CATEGORY_WORDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("securite sociale",), "nir"),
    (("nir",), "nir"),
    (("insee",), "nir"),
    (("raciale",), "origine"),
    (("ethnique",), "origine"),
    (("opinions politiques",), "opinions_politiques"),
    (("religieuse",), "convictions"),
    (("philosophique",), "convictions"),
    (("syndical",), "syndicale"),
    (("genetique",), "genetique"),
    (("biometrique",), "biometrique"),
    (("sante",), "sante"),
    (("medical",), "sante"),
    (("vie sexuelle",), "vie_sexuelle"),
    (("orientation sexuelle",), "vie_sexuelle"),
    (("condamnation",), "infractions"),
    (("infraction",), "infractions"),
    (("penale",), "infractions"),
    (("economique",), "economique_financier"),
    (("financier",), "economique_financier"),
    (("bancaire",), "economique_financier"),
    (("connexion",), "connexion"),
    (("localisation",), "localisation"),
    (("vie personnelle",), "vie_personnelle"),
    (("situation familiale",), "vie_personnelle"),
    (("vie professionnelle",), "vie_professionnelle"),
    (("professionnel",), "vie_professionnelle"),
    (("etat civil",), "etat_civil"),
    (("identite",), "etat_civil"),
    (("identification",), "etat_civil"),
    (("coordonnees",), "coordonnees"),
    (("adresse",), "coordonnees"),
    (("telephone",), "coordonnees"),
    (("courriel",), "coordonnees"),
    (("email",), "coordonnees"),
    (("contact",), "coordonnees"),
    (("image",), "image"),
    (("video",), "image"),
    (("photo",), "image"),
)

_LABELS = {norm(c.label_fr): c.key for c in CATEGORIES.values()} | {
    norm(c.label_en): c.key for c in CATEGORIES.values()
}


def category_key(text: str) -> str | None:
    """« Données concernant la santé » / « sante » / « Health data » → ``sante``."""
    t = text.strip()
    if t in CATEGORIES:
        return t
    n = norm(t)
    if n.replace(" ", "_") in CATEGORIES:
        return n.replace(" ", "_")
    if n in _LABELS:
        return _LABELS[n]
    for words, key in _CATEGORY_WORDS:
        if all(re.search(rf"\b{w}", n) for w in words):
            return key
    return None


_SUBJECT_WORDS: tuple[tuple[str, SubjectCategory], ...] = (
    ("demandeur", SubjectCategory.DEMANDEURS_AIDE_SOCIALE),
    ("beneficiaire", SubjectCategory.DEMANDEURS_AIDE_SOCIALE),
    ("aide sociale", SubjectCategory.DEMANDEURS_AIDE_SOCIALE),
    ("parent", SubjectCategory.PARENTS),
    ("representant legal", SubjectCategory.PARENTS),
    ("responsable legal", SubjectCategory.PARENTS),
    ("famille", SubjectCategory.PARENTS),
    ("mineur", SubjectCategory.MINEURS),
    ("enfant", SubjectCategory.MINEURS),
    ("eleve", SubjectCategory.MINEURS),
    ("agent", SubjectCategory.AGENTS),
    ("salarie", SubjectCategory.AGENTS),
    ("personnel", SubjectCategory.AGENTS),
    ("services internes", SubjectCategory.AGENTS),
    ("employe", SubjectCategory.AGENTS),
    ("elu", SubjectCategory.ELUS),
    ("electeur", SubjectCategory.ELECTEURS),
    ("candidat", SubjectCategory.CANDIDATS),
    ("fournisseur", SubjectCategory.CONTACTS_ENTREPRISES),
    ("prestataire", SubjectCategory.CONTACTS_ENTREPRISES),
    ("prospect", SubjectCategory.CONTACTS_ENTREPRISES),
    ("entreprise", SubjectCategory.CONTACTS_ENTREPRISES),
    ("professionnel", SubjectCategory.CONTACTS_ENTREPRISES),
    ("partenaire", SubjectCategory.CONTACTS_ENTREPRISES),
    ("association", SubjectCategory.CONTACTS_ENTREPRISES),
    ("administre", SubjectCategory.ADMINISTRES),
    ("habitant", SubjectCategory.ADMINISTRES),
    ("particulier", SubjectCategory.ADMINISTRES),
    ("usager", SubjectCategory.USAGERS),
    ("client", SubjectCategory.USAGERS),
    ("internaute", SubjectCategory.USAGERS),
    ("lecteur", SubjectCategory.USAGERS),
    ("visiteur", SubjectCategory.VISITEURS),
    ("defunt", SubjectCategory.DEFUNTS),
    ("decede", SubjectCategory.DEFUNTS),
    ("autre", SubjectCategory.AUTRES),
)


def subject_category(text: str) -> SubjectCategory | None:
    """« Parents » / « Salariés » / « demandeurs_aide_sociale » → a category, else None."""
    n = norm(text)
    for s in SubjectCategory:
        if n.replace(" ", "_") == s.value:
            return s
    for word, s in _SUBJECT_WORDS:
        if re.search(rf"\b{word}", n):
            return s
    return None


def recipient_kind(text: str) -> RecipientKind | None:
    """The CNIL template's « Type de destinataire » list."""
    n = norm(text)
    if not n:
        return None
    if "sous traitant" in n or "prestataire" in n or "hebergeur" in n:
        return RecipientKind.PROCESSOR
    if "interne" in n or n.startswith(("service", "direction", "agent")):
        return RecipientKind.INTERNAL
    if any(
        w in n
        for w in ("partenaire", "pays tiers", "externe", "autre", "organisme", "destinataire")
    ):
        return RecipientKind.EXTERNAL
    return None


_SECURITY = (
    ("tracabilite", "traceability"),
    ("logiciel", "software_protection"),
    ("mise a jour", "software_protection"),
    ("antivirus", "software_protection"),
    ("sauvegarde", "backup"),
    ("chiffrement", "encryption"),
    ("acces", "access_control"),
    ("habilitation", "access_control"),
    ("sous traitant", "processor_control"),
    ("autre", "other"),
)


def security_family(text: str) -> str | None:
    """« Sauvegarde des données » → ``backup`` (an attribute of ``Security``)."""
    n = norm(text)
    for word, attr in _SECURITY:
        if word in n:
            return attr
    return None


def safeguard(text: str) -> tuple[Safeguard, str | None] | None:
    """The template's « Type de garanties » → safeguard, and a precision to keep beside it."""
    n = norm(text)
    if not n:
        return None
    if "clauses" in n or n in ("cct", "scc"):
        return Safeguard.SCC, None
    if "bcr" in n or "regles d entreprise" in n:
        return Safeguard.BCR, None
    if "adequat" in n or "adequation" in n:
        return Safeguard.ADEQUACY, None
    if "derogation" in n or "49" in n:
        return Safeguard.DEROGATION, None
    if "privacy shield" in n:
        # invalidated by the CJEU (C-311/18, Schrems II): not a safeguard any more
        return Safeguard.NONE, text.strip()
    if "code de conduite" in n or "certification" in n:
        return Safeguard.NONE, text.strip()  # Art. 46(2)(e)/(f): kept as written
    if "aucun" in n:
        return Safeguard.NONE, None
    return None


def legal_basis(text: str) -> LegalBasis | None:
    """A legal basis written in words or as « 6(1)(e) » / « e »."""
    t = text.strip()
    m = re.search(r"6\s*[.(]?\s*1\s*\)?\s*[.(]?\s*([a-f])\b", t, re.I)
    if m:
        return LegalBasis(m.group(1).lower())
    n = norm(t)
    if n in {b.value for b in LegalBasis}:
        return LegalBasis(n)
    if not n or "determiner" in n:
        return None
    for words, basis in (
        (("consentement",), LegalBasis.CONSENT),
        (("consent",), LegalBasis.CONSENT),
        (("contrat",), LegalBasis.CONTRACT),
        (("contract",), LegalBasis.CONTRACT),
        (("obligation",), LegalBasis.LEGAL_OBLIGATION),
        (("vital",), LegalBasis.VITAL_INTERESTS),
        (("interet public",), LegalBasis.PUBLIC_TASK),
        (("service public",), LegalBasis.PUBLIC_TASK),
        (("autorite publique",), LegalBasis.PUBLIC_TASK),
        (("public task",), LegalBasis.PUBLIC_TASK),
        (("mission",), LegalBasis.PUBLIC_TASK),
        (("legitime",), LegalBasis.LEGITIMATE_INTERESTS),
        (("legitimate",), LegalBasis.LEGITIMATE_INTERESTS),
    ):
        if all(w in n for w in words):
            return basis
    return None


def collection_method(text: str) -> CollectionMethod | None:
    n = norm(text)
    for words, m in (
        (("web",), CollectionMethod.WEB_FORM),
        (("en ligne",), CollectionMethod.WEB_FORM),
        (("papier",), CollectionMethod.PAPER_FORM),
        (("contrat",), CollectionMethod.CONTRACT),
        (("liste",), CollectionMethod.RECEIVED_LIST),
        (("document interne",), CollectionMethod.INTERNAL_DOCUMENT),
        (("oral",), CollectionMethod.ORAL_INTERVIEW),
        (("entretien",), CollectionMethod.ORAL_INTERVIEW),
        (("autre",), CollectionMethod.OTHER),
    ):
        if all(w in n for w in words):
            return m
    for m in CollectionMethod:
        if n.replace(" ", "_") == m.value:
            return m
    return None


def final_disposition(text: str) -> FinalDisposition | None:
    n = norm(text)
    if "destruction" in n or "detruit" in n or "supprim" in n:
        return FinalDisposition.DESTRUCTION
    if "versement" in n or "conservation" in n or "deposit" in n or "archives" in n:
        return FinalDisposition.VERSEMENT
    if "tri" in n.split() or n == "sort":
        return FinalDisposition.TRI
    return None


_YES = {"oui", "o", "yes", "y", "true", "vrai", "1", "x", "actif", "active"}
_NO = {"non", "n", "no", "false", "faux", "0", "inactif", "inactive", "n a"}


def yes_no(text: str) -> bool | None:
    n = norm(text)
    if n in _YES:
        return True
    if n in _NO:
        return False
    return None


_DATE_FR = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})\s*$")
_DATE_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$")


def parse_date(text: str) -> date | None:
    """« 12/09/2019 », « 12.09.19 », « 2019-09-12 » (and ISO date-times) → a date."""
    m = _DATE_ISO.match(text)
    try:
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = _DATE_FR.match(text)
        if m:
            year = int(m.group(3))
            year += 2000 if year < 100 else 0
            return date(year, int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None
    return None


_NUMBERS = {
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "douze": 12,
    "quinze": 15,
    "vingt": 20,
    "trente": 30,
    "cinquante": 50,
    "cent": 100,
}
_RETENTION = re.compile(
    r"^\s*(?P<n>\d+|[a-zA-Zéè]+)\s*(?P<unit>ans?|années?|annees?|mois|jours?|semaines?|years?|months?|days?|[yamdj])\b\s*(?P<rest>.*)$",
    re.I,
)
_UNITS = {"an": "y", "ann": "y", "yea": "y", "y": "y", "a": "y", "moi": "m", "mon": "m", "m": "m"}


def parse_retention(text: str) -> tuple[str, str | None] | None:
    """« 5 ans à compter du versement de la paie » → ('5y', 'à compter du versement de la paie').

    Only a leading duration is read; whatever follows is the trigger. « Durée du
    contrat + 5 ans » and the like return None: the caller keeps the text as written.
    """
    m = _RETENTION.match(text.strip())
    if not m:
        return None
    raw = m.group("n").lower()
    n = int(raw) if raw.isdigit() else _NUMBERS.get(norm(raw))
    if n is None:
        return None
    unit = norm(m.group("unit"))
    if unit.startswith("semaine"):
        n, code = n * 7, "d"
    elif unit.startswith(("jour", "day")) or unit in ("d", "j"):
        code = "d"
    else:
        code = next((v for k, v in _UNITS.items() if unit.startswith(k)), "y")
    rest = re.sub(r"^[,;–-]\s+", "", m.group("rest").strip()) or None
    return f"{n}{code}", rest


#: French labels written in the CNIL-layout export instead of codes (and read back).
LABELS_FR: dict[str, dict[str, str]] = {
    "status": {Status.DRAFT: "Brouillon", Status.VALIDATED: "Validé"},
    "role": {Role.CONTROLLER: "Responsable de traitement", Role.PROCESSOR: "Sous-traitant"},
    "dpia_criteria": {
        DpiaCriterion.EVALUATION: "Évaluation ou notation",
        DpiaCriterion.AUTOMATED_DECISION: "Décision automatisée avec effet juridique",
        DpiaCriterion.MONITORING: "Surveillance systématique",
        DpiaCriterion.SENSITIVE: "Données sensibles ou à caractère hautement personnel",
        DpiaCriterion.LARGE_SCALE: "Collecte à large échelle",
        DpiaCriterion.MATCHING: "Croisement de données",
        DpiaCriterion.VULNERABLE: "Personnes vulnérables",
        DpiaCriterion.INNOVATIVE: "Usage innovant",
        DpiaCriterion.PREVENTS_RIGHT: "Exclusion du bénéfice d'un droit ou d'un service",
    },
    "collection_methods": {
        CollectionMethod.WEB_FORM: "Formulaire web",
        CollectionMethod.PAPER_FORM: "Formulaire papier",
        CollectionMethod.CONTRACT: "Contrat",
        CollectionMethod.RECEIVED_LIST: "Liste reçue",
        CollectionMethod.INTERNAL_DOCUMENT: "Document interne",
        CollectionMethod.ORAL_INTERVIEW: "Entretien oral",
        CollectionMethod.OTHER: "Autre",
    },
}
DATE_KEYS = ("review_date", "dpia_date", "dpo_opinion.date")


def to_label(key: str, text: str) -> str:
    """A flat-layout cell (codes, ISO dates) → what a person reads (labels, 12/09/2019)."""
    if key in DATE_KEYS and (d := parse_date(text)):
        return d.strftime("%d/%m/%Y")
    mapping = LABELS_FR.get(key)
    if not mapping:
        return text
    return "\n".join(mapping.get(line, line) for line in text.splitlines())  # type: ignore[call-overload]


def from_label(key: str, text: str) -> str:
    """The reverse of ``to_label``: labels back to codes (unknown lines left as typed)."""
    mapping = LABELS_FR.get(key)
    if not mapping:
        return text
    back = {norm(v): str(k) for k, v in mapping.items()}
    return "\n".join(back.get(norm(line), line) for line in text.splitlines())


_UNIT_FR = {"y": ("an", "ans"), "m": ("mois", "mois"), "d": ("jour", "jours")}
_FINAL_FR = {
    FinalDisposition.DESTRUCTION: "destruction",
    FinalDisposition.VERSEMENT: "versement aux archives",
    FinalDisposition.TRI: "tri",
}
_THEN = ", puis "
_REF = " — référence : "
_INTERMEDIATE = " en archivage intermédiaire"


def _duration_fr(code: str) -> str:
    n, unit = int(code[:-1]), code[-1]
    return f"{n} {_UNIT_FR[unit][0 if n <= 1 else 1]}"


def format_retention(r: Retention) -> str:
    """« 5 ans à compter de X, puis 10 ans en archivage intermédiaire, tri — référence : Y »."""
    text = _duration_fr(r.active) + (f" {r.trigger}" if r.trigger else "")
    tail = [f"{_duration_fr(r.intermediate)}{_INTERMEDIATE}"] if r.intermediate else []
    tail.append(_FINAL_FR[r.final])
    text += _THEN + ", ".join(tail)
    return text + (_REF + r.reference if r.reference else "")


def parse_retention_full(text: str) -> dict[str, str] | None:
    """Read back what ``format_retention`` writes, and what people write like it.

    Returns the fields of a ``Retention`` (active, trigger, intermediate, final,
    reference) or None when no leading duration can be read.
    """
    body, _sep, reference = text.partition(_REF.strip(" "))
    body = body.rstrip(" —-")
    head, then, tail = body.rpartition(_THEN.strip(" ")) if _THEN.strip() in body else ("", "", "")
    if not then:
        head, tail = body, ""
    got = parse_retention(head.rstrip(", ").strip() if then else body)
    if got is None:
        return None
    out: dict[str, str] = {"active": got[0]}
    if got[1]:
        out["trigger"] = got[1]
    for part in [p.strip() for p in tail.split(",") if p.strip()]:
        if "intermediaire" in norm(part) and (inter := parse_retention(part)):
            out["intermediate"] = inter[0]
        elif fate := final_disposition(part):
            out["final"] = fate.value
        else:
            return {"active": got[0], **({"trigger": got[1]} if got[1] else {})}
    if reference.strip():
        out["reference"] = reference.strip()
    return out


_WRITTEN = "tel qu'écrit : "


def wrap_written(text: str) -> str:
    """The retention as the DPO wrote it, under the structured one (export)."""
    return f"({_WRITTEN}{text})"


def unwrap_written(text: str) -> str:
    t = text.strip()
    if t.startswith("(" + _WRITTEN) and t.endswith(")"):
        return t[len(_WRITTEN) + 1 : -1]
    return t
