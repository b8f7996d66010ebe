"""Pure rules over the register: lint findings and the DPIA verdict.

Everything here is a plain function of register values and ``today``: no I/O,
no clock, no printing, so the CLI, the reports and the tests all get the same
answer for the same register. Each finding names the article it enforces, both
in ``LintIssue.article`` and in its (translated) message, because a DPO must be
able to defend every red line in front of an auditor.

Legal lists encoded as data below (CNIL DPIA lists, décret n° 2019-341 domains)
hold only entries that were checked against a published source; each block says
which source and what could not be checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from rgpd.i18n import _, format_date
from rgpd.registry.model import (
    Activity,
    DpiaCriterion,
    Hosting,
    LegalBasis,
    Organisation,
    OrgKind,
    Processor,
    RecipientKind,
    Register,
    Role,
    Safeguard,
    SubjectCategory,
)
from rgpd.taxonomy import ART9_CATEGORIES, Entity

__all__ = [
    "CNIL_DPIA_EXEMPTED",
    "CNIL_DPIA_REQUIRED",
    "EEA_COUNTRIES",
    "NIR_CATEGORIES",
    "CnilListEntry",
    "DpiaState",
    "DpiaVerdict",
    "LintIssue",
    "NirCategory",
    "Severity",
    "dpia_store_issues",
    "dpia_verdict",
    "has_errors",
    "lint",
    "lint_register",
    "lint_software",
    "nir_authorised",
    "uses_nir",
]


class Severity(StrEnum):
    ERROR = "error"  # non-compliance: `rgpd registry lint` exits 1
    WARNING = "warning"  # likely gap, needs a human decision
    INFO = "info"  # housekeeping


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class LintIssue:
    """One finding; ``field`` is the path inside the activity (or register) it points at."""

    code: str
    severity: Severity
    activity_ref: str | None
    field: str
    message: str
    article: str


# --------------------------------------------------------------------------------------
# Décret n° 2019-341 du 19 avril 2019 (loi n° 78-17, art. 30; RGPD art. 87): the NIR may
# only be processed by the categories of controllers, for the purposes, the décret lists.
#
# Verified (search tool, public commentaries of the décret):
# - the eight domains below: Squire Patton Boggs, "Utilisation du numéro de sécurité
#   sociale sous le RGPD et la loi Informatique et Libertés" (larevue.squirepattonboggs.com);
# - employer purposes (declarations such as the DSN, payroll and staff management resulting
#   from statutory rules, work accidents and occupational diseases): legisocial.fr,
#   doctrinactu.fr, capstan.fr, aesio.fr;
# - social and medico-social establishments (CASF L312-1) in the social-protection domain:
#   fnat.fr; social housing applications: digitemis.com.
# NOT verified: the article number of the décret for each domain (the Légifrance text was
# not reachable). ``article`` therefore names the domain heading, not an article number;
# add the numbers once checked against JORFTEXT000038396526.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NirCategory:
    key: str
    label_fr: str
    label_en: str
    article: str
    examples: tuple[str, ...] = ()
    source: str = ""


_DECRET = "décret n° 2019-341"
NIR_CATEGORIES: dict[str, NirCategory] = {
    c.key: c
    for c in [
        NirCategory(
            "protection_sociale",
            "Protection sociale",
            "Social protection",
            f"{_DECRET}, domaine « protection sociale »",
            (
                "échanges avec les organismes de sécurité sociale et d'aide sociale",
                "prise en charge par les établissements et services sociaux et médico-sociaux (CASF L312-1)",
            ),
            "larevue.squirepattonboggs.com; fnat.fr",
        ),
        NirCategory(
            "sante",
            "Santé",
            "Health",
            f"{_DECRET}, domaine « santé »",
            (),
            "larevue.squirepattonboggs.com",
        ),
        NirCategory(
            "travail_emploi",
            "Travail et emploi (secteurs public et privé)",
            "Work and employment (public and private sectors)",
            f"{_DECRET}, domaine « travail et emploi »",
            (
                "obligations déclaratives (DSN)",
                "paie et gestion du personnel résultant de dispositions légales ou réglementaires",
                "accidents du travail et maladies professionnelles",
            ),
            "legisocial.fr; doctrinactu.fr; capstan.fr; aesio.fr",
        ),
        NirCategory(
            "financier_fiscal_douanier",
            "Financier, fiscal et douanier",
            "Financial, tax and customs",
            f"{_DECRET}, domaine « financier, fiscal et douanier »",
            (),
            "larevue.squirepattonboggs.com",
        ),
        NirCategory(
            "justice",
            "Justice",
            "Justice",
            f"{_DECRET}, domaine « justice »",
            (),
            "larevue.squirepattonboggs.com",
        ),
        NirCategory(
            "statistique_recensement",
            "Statistique publique et recensement",
            "Public statistics and census",
            f"{_DECRET}, domaine « statistique publique et recensement »",
            (),
            "larevue.squirepattonboggs.com",
        ),
        NirCategory(
            "education",
            "Éducation",
            "Education",
            f"{_DECRET}, domaine « éducation »",
            (),
            "larevue.squirepattonboggs.com",
        ),
        NirCategory(
            "logement",
            "Logement",
            "Housing",
            f"{_DECRET}, domaine « logement »",
            ("instruction des demandes de logement social",),
            "larevue.squirepattonboggs.com; digitemis.com",
        ),
        NirCategory(
            "essais_nucleaires",
            "Indemnisation des victimes des essais nucléaires",
            "Compensation of nuclear-test victims",
            f"{_DECRET}, domaine « victimes des essais nucléaires »",
            (),
            "larevue.squirepattonboggs.com",
        ),
    ]
}


# --------------------------------------------------------------------------------------
# CNIL lists under Art. 35(4) and 35(5).
#
# Délibération n° 2018-327 du 11 octobre 2018 (JORF 6 November 2018): the 14 types of
# processing that always need a DPIA. All 14 verified against lemondeinformatique.fr
# ("La CNIL liste 14 opérations..."), francoischarlet.ch and twobirds.com, which reproduce
# the list; the localisation entry also against privacyvox.com.
#
# Délibération n° 2019-118 du 12 septembre 2019 (JORF 22 October 2019): types exempted.
# Verified: the nine first entries against novatek-consulting.com (which reproduces the
# list), the school / after-school / early-childhood entry and the breathalyser entry
# against nextinpact.com. The remaining entry or entries of that délibération could not
# be read and are NOT encoded.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CnilListEntry:
    key: str
    label_fr: str
    label_en: str
    deliberation: str
    # Conditions the CNIL text attaches to an exemption ("à l'exception du profilage",
    # "dès lors que les données ne sont pas sensibles").
    void_if_profiling: bool = False
    void_if_sensitive: bool = False


_D327 = "délibération CNIL n° 2018-327"
_D118 = "délibération CNIL n° 2019-118"


def _req(key: str, fr: str, en: str) -> CnilListEntry:
    return CnilListEntry(key, fr, en, _D327)


def _ex(key: str, fr: str, en: str, **kw: bool) -> CnilListEntry:
    return CnilListEntry(key, fr, en, _D118, **kw)


CNIL_DPIA_REQUIRED: dict[str, CnilListEntry] = {
    e.key: e
    for e in [
        _req(
            "sante_etablissements",
            "Données de santé traitées par les établissements de santé ou médico-sociaux pour la prise en charge des personnes",
            "Health data processed by health or medico-social establishments to care for people",
        ),
        _req(
            "genetique_vulnerables",
            "Données génétiques de personnes dites « vulnérables » (patients, employés, enfants...)",
            "Genetic data of vulnerable people (patients, employees, children...)",
        ),
        _req(
            "profils_rh",
            "Profils de personnes physiques à des fins de gestion des ressources humaines",
            "Profiling of people for human-resources management",
        ),
        _req(
            "surveillance_employes",
            "Surveillance constante de l'activité des employés",
            "Constant monitoring of employees' activity",
        ),
        _req(
            "alertes_sociales_sanitaires",
            "Gestion des alertes et des signalements en matière sociale et sanitaire",
            "Handling of social and health alerts and reports",
        ),
        _req(
            "alertes_professionnelles",
            "Gestion des alertes et des signalements en matière professionnelle",
            "Handling of professional alerts (whistleblowing)",
        ),
        _req(
            "entrepot_sante",
            "Données de santé nécessaires à la constitution d'un entrepôt de données ou d'un registre",
            "Health data for a data warehouse or a registry",
        ),
        _req(
            "profilage_exclusion_contrat",
            "Profilage pouvant aboutir à l'exclusion du bénéfice d'un contrat, à sa suspension ou à sa rupture",
            "Profiling that may exclude people from a contract, suspend or end it",
        ),
        _req(
            "manquements_mutualises",
            "Traitements mutualisés de manquements contractuels susceptibles d'aboutir à une exclusion ou une suspension",
            "Pooled records of contractual breaches that may lead to exclusion or suspension",
        ),
        _req(
            "profilage_sources_externes",
            "Profilage faisant appel à des données provenant de sources externes",
            "Profiling using data from external sources",
        ),
        _req(
            "biometrie_vulnerables",
            "Données biométriques aux fins de reconnaissance de personnes parmi lesquelles des personnes « vulnérables »",
            "Biometric recognition of people including vulnerable people",
        ),
        _req(
            "logements_sociaux",
            "Instruction des demandes et gestion des logements sociaux",
            "Handling of social-housing applications and management",
        ),
        _req(
            "accompagnement_social",
            "Accompagnement social ou médico-social des personnes",
            "Social or medico-social support of people",
        ),
        _req(
            "localisation_large_echelle",
            "Données de localisation à large échelle",
            "Large-scale location data",
        ),
    ]
}

CNIL_DPIA_EXEMPTED: dict[str, CnilListEntry] = {
    e.key: e
    for e in [
        _ex(
            "rh_moins_250",
            "Gestion du personnel des organismes de moins de 250 personnes, à des fins RH uniquement, hors profilage",
            "Staff management by organisations under 250 people, HR purposes only, no profiling",
            void_if_profiling=True,
        ),
        _ex(
            "fournisseurs",
            "Gestion de la relation fournisseurs",
            "Supplier relationship management",
        ),
        _ex(
            "fichier_electoral",
            "Gestion du fichier électoral des communes dans les conditions prévues par les textes",
            "Municipal electoral roll kept under the applicable texts",
        ),
        _ex(
            "comites_entreprise",
            "Gestion des activités des comités d'entreprise et d'établissement",
            "Works-council activities",
        ),
        _ex(
            "association_membres",
            "Gestion des membres et donateurs d'une association, fondation ou institution sans but lucratif, données non sensibles",
            "Members and donors of a non-profit, no sensitive data",
            void_if_sensitive=True,
        ),
        _ex(
            "sante_professionnel_individuel",
            "Données de santé pour la prise en charge d'un patient par un professionnel de santé exerçant à titre individuel",
            "Health data for patient care by an individual health professional",
        ),
        _ex("avocats", "Avocats exerçant à titre individuel", "Lawyers practising individually"),
        _ex(
            "greffiers_tribunaux_commerce",
            "Greffiers des tribunaux de commerce",
            "Commercial-court registrars",
        ),
        _ex("notaires", "Activité notariale", "Notaries' activity"),
        _ex(
            "affaires_scolaires_periscolaires",
            "Collectivités territoriales et personnes morales gérant les affaires scolaires, périscolaires et de la petite enfance",
            "Local authorities managing school, after-school and early-childhood services",
        ),
        _ex(
            "ethylotests",
            "Éthylotests destinés à empêcher la conduite sous l'influence de l'alcool ou de stupéfiants",
            "Breathalysers to prevent driving under the influence",
        ),
    ]
}


@dataclass(frozen=True)
class DpiaVerdict:
    """Whether Art. 35 requires a DPIA, and why (criteria declared or inferred, CNIL lists)."""

    required: bool
    reasons: tuple[str, ...]
    criteria: tuple[DpiaCriterion, ...] = ()
    inferred: tuple[DpiaCriterion, ...] = ()
    cnil_required: CnilListEntry | None = None
    cnil_exempted: CnilListEntry | None = None
    unknown_entries: tuple[str, ...] = ()


_VULNERABLE = {SubjectCategory.MINEURS, SubjectCategory.DEMANDEURS_AIDE_SOCIALE}
_SENSITIVE_KEYS = ART9_CATEGORIES | {"infractions"}


def _inferred_criteria(activity: Activity) -> list[DpiaCriterion]:
    """Criteria obvious from the rest of the register entry (EDPB WP248 rev.01)."""
    out: list[DpiaCriterion] = []
    if activity.category_keys() & _SENSITIVE_KEYS or activity.art10:
        out.append(DpiaCriterion.SENSITIVE)
    if set(activity.data_subjects) & _VULNERABLE:
        out.append(DpiaCriterion.VULNERABLE)
    if activity.automated_decision:
        out.append(DpiaCriterion.AUTOMATED_DECISION)
    if activity.profiling:
        out.append(DpiaCriterion.EVALUATION)
    return out


def dpia_verdict(activity: Activity) -> DpiaVerdict:
    """Art. 35(1),(3),(4),(5): CNIL "required" list first, then its exemptions, then the
    EDPB rule of thumb (two criteria or more → DPIA)."""
    declared = list(dict.fromkeys(activity.dpia.criteria))
    inferred = [c for c in _inferred_criteria(activity) if c not in declared]
    met = set(declared) | set(inferred)
    criteria = tuple(c for c in DpiaCriterion if c in met)  # stable, enum order
    reasons: list[str] = []
    unknown: list[str] = []

    if inferred:
        reasons.append(
            _(
                "Criteria inferred from the register: {criteria}.",
                criteria=", ".join(c.value for c in inferred),
            )
        )

    req_key = activity.dpia.cnil_required_list
    ex_key = activity.dpia.cnil_exempted_list
    req = CNIL_DPIA_REQUIRED.get(req_key) if req_key else None
    ex = CNIL_DPIA_EXEMPTED.get(ex_key) if ex_key else None
    if req_key and req is None:
        unknown.append(req_key)
    if ex_key and ex is None:
        unknown.append(ex_key)

    if req is not None or (req_key and req is None):
        label = req.label_en if req is not None else req_key
        reasons.append(
            _(
                "On the CNIL list of processing that always requires a DPIA ({entry}; "
                "délibération 2018-327, Art. 35(4)).",
                entry=label,
            )
        )
        return DpiaVerdict(True, tuple(reasons), criteria, tuple(inferred), req, ex, tuple(unknown))

    if ex is not None:
        voided = (ex.void_if_profiling and activity.profiling) or (
            ex.void_if_sensitive and bool(activity.category_keys() & _SENSITIVE_KEYS)
        )
        if not voided:
            reasons.append(
                _(
                    "On the CNIL list of processing exempted from a DPIA ({entry}; "
                    "délibération 2019-118, Art. 35(5)).",
                    entry=ex.label_en,
                )
            )
            return DpiaVerdict(
                False, tuple(reasons), criteria, tuple(inferred), None, ex, tuple(unknown)
            )
        reasons.append(
            _(
                "The CNIL exemption ({entry}) does not apply: its condition is not met.",
                entry=ex.label_en,
            )
        )

    if len(criteria) >= 2:
        reasons.append(
            _(
                "{count} EDPB criteria met ({criteria}): two or more require a DPIA (Art. 35(1)).",
                count=len(criteria),
                criteria=", ".join(c.value for c in criteria),
            )
        )
        return DpiaVerdict(
            True, tuple(reasons), criteria, tuple(inferred), None, ex, tuple(unknown)
        )
    reasons.append(
        _(
            "EDPB criteria met: {count}; fewer than two, so this rule does not require a DPIA (Art. 35(1)).",
            count=len(criteria),
        )
    )
    return DpiaVerdict(False, tuple(reasons), criteria, tuple(inferred), None, ex, tuple(unknown))


# --------------------------------------------------------------------------------------
# Lint
# --------------------------------------------------------------------------------------

#: EU member states and the three other EEA states (ISO 3166-1 alpha-2); "EL" is Greece's EU code.
EEA_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "EL",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    ]
)
_EEA_NAMES = frozenset({"france", "union européenne", "ue", "eu", "eee", "eea"})


def _outside_eea(country: str | None) -> bool | None:
    """True/False when the country is recognisable, None when we cannot tell."""
    if not country:
        return None
    c = country.strip()
    if len(c) == 2 and c.isalpha():
        return c.upper() not in EEA_COUNTRIES
    if c.lower() in _EEA_NAMES:
        return False
    return None


def nir_authorised(activity: Activity) -> bool:
    """May this activity hold the NIR? It claims a domain of décret n° 2019-341 (Art. 87).

    The one answer for reconcile (``nir_unauthorised``), the scan report and the
    compliance score: an empty or unknown claim authorises nothing.
    """
    return bool(activity.nir_authorisation) and activity.nir_authorisation in NIR_CATEGORIES


def uses_nir(activity: Activity) -> bool:
    """The NIR is declared as a category or as a way to find a person in this activity."""
    if "nir" in activity.category_keys():
        return True
    return any(
        p.key == "nir" or p.entity == Entity.FR_NIR.value for p in activity.person_identifiers
    )


def _is_public_authority(org: Organisation | None) -> bool:
    # rgpd serves local authorities: without an organisation we assume one.
    return org is None or org.kind != OrgKind.AUTRE


def lint(
    activity: Activity,
    *,
    org: Organisation | None,
    processors: Sequence[Processor] = (),
    today: date,
) -> list[LintIssue]:
    """All findings for one activity, errors first (stable order within a severity)."""
    ref = activity.ref
    out: list[LintIssue] = []

    def add(code: str, sev: Severity, fld: str, message: str, article: str) -> None:
        out.append(LintIssue(code, sev, ref, fld, message, article))

    # Art. 30(1)(a): controller and DPO contacts.
    if activity.role == Role.CONTROLLER:
        if activity.controller is None and org is None:
            add(
                "controller_missing",
                Severity.ERROR,
                "controller",
                _("No controller named: set the organisation or 'controller' (Art. 30(1)(a))."),
                "Art. 30(1)(a)",
            )
        elif activity.controller is not None and not (
            activity.controller.address or activity.controller.email or activity.controller.phone
        ):
            add(
                "controller_contact_missing",
                Severity.WARNING,
                "controller",
                _("The controller has no contact details (Art. 30(1)(a))."),
                "Art. 30(1)(a)",
            )
        elif activity.controller is None and org is not None and not org.address:
            add(
                "controller_contact_missing",
                Severity.WARNING,
                "controller",
                _(
                    "The organisation has no address: the register must give the controller's "
                    "contact details (Art. 30(1)(a))."
                ),
                "Art. 30(1)(a)",
            )
        has_dpo = activity.dpo is not None or (
            org is not None and bool(org.dpo_name or org.dpo_email)
        )
        if not has_dpo and _is_public_authority(org):
            add(
                "dpo_missing",
                Severity.WARNING,
                "dpo",
                _(
                    "No DPO contact: a public authority must designate a DPO and the register "
                    "names it (Art. 37(1)(a), Art. 30(1)(a))."
                ),
                "Art. 30(1)(a), Art. 37(1)(a)",
            )
    elif not activity.controllers_served:
        add(
            "controllers_served_missing",
            Severity.ERROR,
            "controllers_served",
            _("Processor activity without the controllers it acts for (Art. 30(2)(a))."),
            "Art. 30(2)(a)",
        )

    # Art. 30(1)(b),(c).
    if not activity.purposes:
        add(
            "purposes_missing",
            Severity.ERROR,
            "purposes",
            _("No purpose recorded (Art. 30(1)(b), Art. 5(1)(b))."),
            "Art. 30(1)(b)",
        )
    if not activity.data_subjects:
        add(
            "data_subjects_missing",
            Severity.ERROR,
            "data_subjects",
            _("No category of data subjects recorded (Art. 30(1)(c))."),
            "Art. 30(1)(c)",
        )
    if not activity.data_categories:
        add(
            "data_categories_missing",
            Severity.ERROR,
            "data_categories",
            _("No category of personal data recorded (Art. 30(1)(c))."),
            "Art. 30(1)(c)",
        )

    # Art. 6: lawfulness (the controller's choice; processors follow instructions).
    if activity.role == Role.CONTROLLER:
        basis = activity.legal_basis
        if basis is None:
            add(
                "legal_basis_missing",
                Severity.ERROR,
                "legal_basis",
                _("No legal basis recorded (Art. 6(1))."),
                "Art. 6(1)",
            )
        elif basis == LegalBasis.LEGITIMATE_INTERESTS and _is_public_authority(org):
            add(
                "legitimate_interests_public_authority",
                Severity.ERROR,
                "legal_basis",
                _(
                    "Legitimate interests (6(1)(f)) cannot be relied on by a public authority "
                    "for the performance of its tasks (Art. 6(1), last subparagraph)."
                ),
                "Art. 6(1), last subparagraph",
            )
        elif basis in (LegalBasis.LEGAL_OBLIGATION, LegalBasis.PUBLIC_TASK) and not (
            activity.legal_basis_text and activity.legal_basis_text.strip()
        ):
            add(
                "legal_basis_text_missing",
                Severity.WARNING,
                "legal_basis_text",
                _(
                    "A legal obligation or public task must be laid down by law: name the text "
                    "(code, article) that grounds it (Art. 6(3))."
                ),
                "Art. 6(3)",
            )

    # Art. 9 and Art. 10.
    special = sorted(activity.category_keys() & ART9_CATEGORIES)
    if special and activity.art9_condition is None:
        add(
            "art9_condition_missing",
            Severity.ERROR,
            "art9_condition",
            _(
                "Special categories ({categories}) without an Art. 9(2) condition (Art. 9(1)-(2)).",
                categories=", ".join(special),
            ),
            "Art. 9(2)",
        )
    if "infractions" in activity.category_keys() and not activity.art10:
        add(
            "art10_flag_missing",
            Severity.ERROR,
            "art10",
            _("Offence data declared but the Art. 10 flag is not set (Art. 10)."),
            "Art. 10",
        )
    if activity.art10 and not (activity.art10_basis and activity.art10_basis.strip()):
        add(
            "art10_basis_missing",
            Severity.ERROR,
            "art10_basis",
            _(
                "Offence or conviction data need an official authority or a legal authorisation: "
                "name it (Art. 10)."
            ),
            "Art. 10",
        )

    # Art. 5(1)(e), 30(1)(f): retention per data category.
    for i, use in enumerate(activity.data_categories):
        if use.retention is None:
            add(
                "retention_missing",
                Severity.ERROR,
                f"data_categories[{i}].retention",
                _(
                    "No retention period for the data category '{category}' "
                    "(Art. 5(1)(e), Art. 30(1)(f)).",
                    category=use.category,
                ),
                "Art. 5(1)(e), Art. 30(1)(f)",
            )

    # Chapter V: transfers and recipients abroad.
    for i, t in enumerate(activity.transfers):
        if t.safeguard == Safeguard.NONE:
            add(
                "transfer_without_safeguard",
                Severity.ERROR,
                f"transfers[{i}].safeguard",
                _(
                    "Transfer to {country} without a safeguard: adequacy, standard clauses, BCR "
                    "or a derogation (Art. 44-49).",
                    country=t.country,
                ),
                "Art. 44-49",
            )
    transfer_countries = {t.country.strip().upper() for t in activity.transfers}
    for i, r in enumerate(activity.recipients):
        if (
            _outside_eea(r.country)
            and r.country
            and r.country.strip().upper() not in transfer_countries
        ):
            add(
                "transfer_undeclared",
                Severity.WARNING,
                f"recipients[{i}].country",
                _(
                    "Recipient '{name}' is outside the EEA but no transfer is recorded "
                    "(Art. 30(1)(e), Art. 44).",
                    name=r.name,
                ),
                "Art. 30(1)(e), Art. 44",
            )

    # Art. 28(3): processors need a contract.
    by_ref = {p.ref: p for p in processors}
    for i, r in enumerate(activity.recipients):
        if r.kind != RecipientKind.PROCESSOR:
            continue
        if not r.processor:
            add(
                "processor_unlinked",
                Severity.WARNING,
                f"recipients[{i}].processor",
                _(
                    "Processor '{name}' is not linked to the processors register, so its contract "
                    "cannot be checked (Art. 28(3)).",
                    name=r.name,
                ),
                "Art. 28(3)",
            )
            continue
        proc = by_ref.get(r.processor)
        if proc is None:
            add(
                "processor_unknown",
                Severity.ERROR,
                f"recipients[{i}].processor",
                _(
                    "Unknown processor '{ref}': add it to the processors register (Art. 28(3)).",
                    ref=r.processor,
                ),
                "Art. 28(3)",
            )
        elif proc.contract_date is None:
            add(
                "processor_without_contract",
                Severity.ERROR,
                f"recipients[{i}].processor",
                _("Processor '{name}' has no recorded contract (Art. 28(3)).", name=proc.name),
                "Art. 28(3)",
            )

    # Art. 35: DPIA.
    verdict = dpia_verdict(activity)
    for key in verdict.unknown_entries:
        add(
            "dpia_unknown_cnil_entry",
            Severity.WARNING,
            "dpia",
            _(
                "Unknown CNIL list entry '{entry}' (Art. 35(4)-(5); délibérations 2018-327 / 2019-118).",
                entry=key,
            ),
            "Art. 35(4)-(5)",
        )
    if verdict.required and not activity.dpia.done:
        add(
            "dpia_missing",
            Severity.ERROR,
            "dpia.done",
            _(
                "A DPIA is required but none is recorded (Art. 35(1)). {why}",
                why=" ".join(verdict.reasons),
            ),
            "Art. 35",
        )

    # Loi n° 78-17 art. 30 and décret n° 2019-341: the NIR only where the décret allows it.
    if uses_nir(activity):
        claim = activity.nir_authorisation
        if not claim:
            add(
                "nir_not_authorised",
                Severity.ERROR,
                "nir_authorisation",
                _(
                    "The NIR is collected but no décret n° 2019-341 category is claimed "
                    "(loi n° 78-17 art. 30, RGPD Art. 87)."
                ),
                "décret n° 2019-341",
            )
        elif claim not in NIR_CATEGORIES:
            add(
                "nir_category_unknown",
                Severity.WARNING,
                "nir_authorisation",
                _(
                    "'{claim}' is not one of the décret n° 2019-341 domains known to rgpd: {known}.",
                    claim=claim,
                    known=", ".join(NIR_CATEGORIES),
                ),
                "décret n° 2019-341",
            )

    # Art. 30(1)(g), Art. 32.
    if activity.security.families_filled() == 0:
        add(
            "security_missing",
            Severity.WARNING,
            "security",
            _("No security measure described (Art. 30(1)(g), Art. 32)."),
            "Art. 30(1)(g), Art. 32",
        )

    # Art. 5(2), 24(1): the register is kept up to date.
    if activity.review_date is None:
        add(
            "review_date_missing",
            Severity.INFO,
            "review_date",
            _("No review date planned (Art. 24(1): measures reviewed and updated)."),
            "Art. 24(1)",
        )
    elif activity.review_date < today:
        add(
            "review_overdue",
            Severity.WARNING,
            "review_date",
            _(
                "Review date {date} has passed (Art. 24(1), Art. 30).",
                date=format_date(activity.review_date),
            ),
            "Art. 24(1), Art. 30",
        )

    return _sorted(out)


def _sorted(issues: Iterable[LintIssue]) -> list[LintIssue]:
    return sorted(issues, key=lambda i: _SEVERITY_ORDER[i.severity])


_ALL_CLAUSES_COUNT = 8  # Art. 28(3)(a)-(h)


@dataclass(frozen=True)
class DpiaState:
    """An activity's latest DPIA kept in rgpd, as lint needs it (``rgpd.registry.dpia``)."""

    ref: str
    validated: bool = False  # the controller validated it (the PIA method's decision)
    reviews: tuple[str, ...] = ()  # Art. 35(11) review reasons; empty: up to date


def dpia_store_issues(activity: Activity, state: DpiaState | None) -> list[LintIssue]:
    """Art. 35 against the DPIAs kept in rgpd: open one where required, review an old one,
    record a validated one in the register."""
    out: list[LintIssue] = []
    if state is None:
        if dpia_verdict(activity).required:
            out.append(
                LintIssue(
                    "dpia_not_started",
                    Severity.WARNING,
                    activity.ref,
                    "dpia",
                    _(
                        "A DPIA is required (Art. 35(1)) and none is open in rgpd: start one "
                        "with `rgpd dpia start {ref}` (Art. 35).",
                        ref=activity.ref,
                    ),
                    "Art. 35",
                )
            )
        return out
    if state.reviews:
        out.append(
            LintIssue(
                "dpia_review_due",
                Severity.WARNING,
                activity.ref,
                "dpia",
                " ".join(state.reviews),
                "Art. 35(11)",
            )
        )
    if state.validated and not activity.dpia.done:
        out.append(
            LintIssue(
                "dpia_not_recorded",
                Severity.WARNING,
                activity.ref,
                "dpia.done",
                _(
                    "DPIA {dpia} is validated in rgpd: record it in the register "
                    "(dpia.done, dpia.date, dpia.reference) (Art. 35, Art. 30(1)).",
                    dpia=state.ref,
                ),
                "Art. 35",
            )
        )
    return out


def lint_register(
    register: Register, today: date, *, dpias: Mapping[str, DpiaState] | None = None
) -> list[LintIssue]:
    """Every activity's findings (in register order), then register-level ones.

    ``dpias`` (activity ref → its latest DPIA in rgpd, from
    ``rgpd.registry.dpia.service.lint_states``) adds the DPIA reminders; without it
    they are not checked. A DPIA validated in rgpd turns the register's
    ``dpia_missing`` error into the reminder to record it there.
    """
    out: list[LintIssue] = []
    for activity in register.activities:
        issues = lint(
            activity, org=register.organisation, processors=register.processors, today=today
        )
        if dpias is not None:
            state = dpias.get(activity.ref)
            if state is not None and state.validated:
                issues = [i for i in issues if i.code != "dpia_missing"]
            issues += dpia_store_issues(activity, state)
        out.extend(_sorted(issues))
    for i, p in enumerate(register.processors):
        if p.contract_date is not None and len(set(p.contract_clauses)) < _ALL_CLAUSES_COUNT:
            missing = sorted(
                {"a", "b", "c", "d", "e", "f", "g", "h"} - {c.value for c in p.contract_clauses}
            )
            out.append(
                LintIssue(
                    "processor_clauses_incomplete",
                    Severity.WARNING,
                    None,
                    f"processors[{i}].contract_clauses",
                    _(
                        "Contract with '{name}' does not record the clauses Art. 28(3)({missing}).",
                        name=p.name,
                        missing=", ".join(missing),
                    ),
                    "Art. 28(3)",
                )
            )
        if _outside_eea(p.hosting_country):
            out.append(
                LintIssue(
                    "processor_hosting_outside_eea",
                    Severity.WARNING,
                    None,
                    f"processors[{i}].hosting_country",
                    _(
                        "'{name}' hosts data outside the EEA ({country}): record the transfer and its "
                        "safeguard in each activity (Art. 44-46).",
                        name=p.name,
                        country=p.hosting_country or "",
                    ),
                    "Art. 44-46",
                )
            )
    out.extend(lint_software(register))
    return out


def lint_software(register: Register) -> list[LintIssue]:
    """Findings on the software and supports register (Madis's « logiciels et supports »).

    - a link to an activity or processor the register does not hold (Art. 30(1));
    - software run by someone else (SaaS, hosted by a processor) with no processor
      linked: its contract cannot be checked (Art. 28(1), 28(3));
    - software whose data sits outside the EEA (its own country, else its
      processors' hosting country) serving an activity that records no transfer
      to that country (Art. 30(1)(e), Art. 44);
    - software serving no activity: the inventory does not say why it holds
      personal data (Art. 30(1), housekeeping).
    """
    out: list[LintIssue] = []
    acts = {a.ref: a for a in register.activities}
    procs = {p.ref: p for p in register.processors}
    for i, sw in enumerate(register.software):
        for ref in sw.activities:
            if ref not in acts:
                out.append(
                    LintIssue(
                        "software_unknown_activity",
                        Severity.WARNING,
                        None,
                        f"software[{i}].activities",
                        _(
                            "'{name}' is linked to an unknown activity '{ref}' (Art. 30(1)).",
                            name=sw.name,
                            ref=ref,
                        ),
                        "Art. 30(1)",
                    )
                )
        for ref in sw.processors:
            if ref not in procs:
                out.append(
                    LintIssue(
                        "software_unknown_processor",
                        Severity.WARNING,
                        None,
                        f"software[{i}].processors",
                        _(
                            "'{name}' is linked to an unknown processor '{ref}': add it to the "
                            "processors register (Art. 28(3)).",
                            name=sw.name,
                            ref=ref,
                        ),
                        "Art. 28(3)",
                    )
                )
        if sw.hosting in (Hosting.SAAS, Hosting.PROCESSOR) and not sw.processors:
            out.append(
                LintIssue(
                    "software_processor_missing",
                    Severity.WARNING,
                    None,
                    f"software[{i}].processors",
                    _(
                        "'{name}' is hosted by someone else but no processor is linked: its "
                        "contract cannot be checked (Art. 28(1), Art. 28(3)).",
                        name=sw.name,
                    ),
                    "Art. 28(1), Art. 28(3)",
                )
            )
        countries = (
            {sw.country}
            if sw.country
            else {procs[r].hosting_country for r in sw.processors if r in procs}
        )
        abroad = sorted(c.strip() for c in countries if c and _outside_eea(c))
        for ref in sw.activities:
            act = acts.get(ref)
            if act is None:
                continue
            declared = {t.country.strip().upper() for t in act.transfers}
            for country in abroad:
                if country.upper() not in declared:
                    out.append(
                        LintIssue(
                            "software_transfer_undeclared",
                            Severity.WARNING,
                            ref,
                            "transfers",
                            _(
                                "'{name}' keeps this activity's data in {country}, outside the "
                                "EEA, but no transfer to {country} is recorded (Art. 30(1)(e), "
                                "Art. 44).",
                                name=sw.name,
                                country=country,
                            ),
                            "Art. 30(1)(e), Art. 44",
                        )
                    )
        if not sw.activities:
            out.append(
                LintIssue(
                    "software_unlinked",
                    Severity.INFO,
                    None,
                    f"software[{i}].activities",
                    _(
                        "'{name}' serves no activity of the register: link it, or say why it "
                        "is kept (Art. 30(1)).",
                        name=sw.name,
                    ),
                    "Art. 30(1)",
                )
            )
    return out


def has_errors(issues: Iterable[LintIssue]) -> bool:
    return any(i.severity == Severity.ERROR for i in issues)
