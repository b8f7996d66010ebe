"""The register's domain model (Art. 30 GDPR): plain, validated values, no I/O.

Pydantic gives every validation problem a field path, which is what a DPO
editing YAML needs ("activities[3].legal_basis: unknown value 'g'"). Models are
frozen-free but treated as values: services build new ones rather than mutate.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from rgpd.config import DEFAULT_TIMEZONE
from rgpd.deadlines import BreachClock, breach_deadline, retention_end
from rgpd.i18n import N_, _
from rgpd.taxonomy import CATEGORIES, categories_for_entity

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class _Model(BaseModel):
    # extra="forbid": a typo in a YAML key is an error, not silently dropped data.
    model_config = ConfigDict(extra="forbid", use_enum_values=False, validate_assignment=True)


class OrgKind(StrEnum):
    COMMUNE = "commune"
    CCAS = "ccas"
    CIAS = "cias"
    EPCI = "epci"
    SYNDICAT = "syndicat"
    DEPARTEMENT = "departement"
    REGION = "region"
    AUTRE = "autre"


class LegalBasis(StrEnum):
    """Art. 6(1) GDPR, points (a) to (f)."""

    CONSENT = "a"
    CONTRACT = "b"
    LEGAL_OBLIGATION = "c"
    VITAL_INTERESTS = "d"
    PUBLIC_TASK = "e"
    LEGITIMATE_INTERESTS = "f"


LEGAL_BASIS_ALIASES = {
    "consent": "a",
    "consentement": "a",
    "contract": "b",
    "contrat": "b",
    "legal_obligation": "c",
    "obligation_legale": "c",
    "vital_interests": "d",
    "interets_vitaux": "d",
    "public_task": "e",
    "mission_publique": "e",
    "mission_interet_public": "e",
    "legitimate_interests": "f",
    "interet_legitime": "f",
}


class Art9Condition(StrEnum):
    """Art. 9(2) GDPR, points (a) to (j)."""

    A = "a"  # explicit consent
    B = "b"  # employment and social security law
    C = "c"  # vital interests, person incapable of consent
    D = "d"  # foundation / association / non-profit
    E = "e"  # made manifestly public
    F = "f"  # legal claims
    G = "g"  # substantial public interest
    H = "h"  # preventive medicine, health or social care
    I = "i"  # noqa: E741 — public health
    J = "j"  # archiving, research, statistics


class SubjectCategory(StrEnum):
    USAGERS = "usagers"
    ADMINISTRES = "administres"
    AGENTS = "agents"
    ELUS = "elus"
    MINEURS = "mineurs"
    PARENTS = "parents"
    DEMANDEURS_AIDE_SOCIALE = "demandeurs_aide_sociale"
    ELECTEURS = "electeurs"
    CANDIDATS = "candidats"
    CONTACTS_ENTREPRISES = "contacts_entreprises"
    VISITEURS = "visiteurs"
    DEFUNTS = "defunts"
    AUTRES = "autres"


class FinalDisposition(StrEnum):
    """Sort final after the DUA (Code du patrimoine, art. L212-2 ff.)."""

    DESTRUCTION = "destruction"
    VERSEMENT = "versement"  # conservation: transfer to the archives service
    TRI = "tri"


class RecipientKind(StrEnum):
    INTERNAL = "interne"
    EXTERNAL = "externe"
    PROCESSOR = "sous_traitant"


class Safeguard(StrEnum):
    """Chapter V GDPR: what legitimises a transfer outside the EU/EEA."""

    ADEQUACY = "adequation"  # Art. 45
    SCC = "clauses_types"  # Art. 46(2)(c)
    BCR = "bcr"  # Art. 47
    DEROGATION = "derogation"  # Art. 49
    NONE = "aucune"


class DpiaCriterion(StrEnum):
    """The nine criteria of the EDPB (WP248 rev.01) guidelines on DPIA (Art. 35)."""

    EVALUATION = "evaluation_scoring"
    AUTOMATED_DECISION = "decision_automatisee"
    MONITORING = "surveillance_systematique"
    SENSITIVE = "donnees_sensibles"
    LARGE_SCALE = "grande_echelle"
    MATCHING = "croisement"
    VULNERABLE = "personnes_vulnerables"
    INNOVATIVE = "usage_innovant"
    PREVENTS_RIGHT = "exclusion_droit"


class Status(StrEnum):
    DRAFT = "brouillon"
    VALIDATED = "valide"


class CollectionMethod(StrEnum):
    """How the data is collected (Madis's « moyens de la collecte »)."""

    WEB_FORM = "formulaire_web"
    PAPER_FORM = "formulaire_papier"
    CONTRACT = "contrat"
    RECEIVED_LIST = "liste_recue"
    INTERNAL_DOCUMENT = "document_interne"
    ORAL_INTERVIEW = "entretien_oral"
    OTHER = "autre"


class Role(StrEnum):
    CONTROLLER = "responsable"  # Art. 30(1)
    PROCESSOR = "sous_traitant"  # Art. 30(2)


DURATION_RE = re.compile(r"^\s*(\d+)\s*(y|an|ans|a|m|mois|d|j|jour|jours)\s*$", re.I)
_UNIT = {
    "y": "y",
    "an": "y",
    "ans": "y",
    "a": "y",
    "m": "m",
    "mois": "m",
    "d": "d",
    "j": "d",
    "jour": "d",
    "jours": "d",
}


def normalise_duration(value: object) -> str:
    """'5 ans' / '5y' / 'P5Y' -> '5y'; '0' means 'for the time of the relationship'."""
    if isinstance(value, int):
        return f"{value}y"
    text = str(value).strip()
    iso = re.fullmatch(r"P(\d+)([YMD])", text, re.I)
    if iso:
        return f"{int(iso.group(1))}{iso.group(2).lower()}"
    m = DURATION_RE.match(text)
    if not m:
        raise ValueError(
            _("invalid duration {value!r} (expected '5y', '6m', '30d' or '5 ans')", value=text)
        )
    return f"{int(m.group(1))}{_UNIT[m.group(2).lower()]}"


Duration = Annotated[str, Field(description="'5y', '6m' or '30d'")]


class Party(_Model):
    name: str
    address: str | None = None
    email: str | None = None
    phone: str | None = None


class Retention(_Model):
    """Durée d'utilité administrative: active then intermediate period, then final disposition."""

    active: Duration
    intermediate: Duration | None = None
    final: FinalDisposition = FinalDisposition.DESTRUCTION
    trigger: str | None = None  # "à compter de la clôture du dossier"
    reference: str | None = None  # DUA source, e.g. instruction DAF/DPACI/RES/2009/018

    @field_validator("active", "intermediate", mode="before")
    @classmethod
    def _dur(cls, v: object) -> object:
        return None if v is None else normalise_duration(v)

    @property
    def durations(self) -> tuple[str, ...]:
        """Active then intermediate period, in the order they run."""
        return (self.active, self.intermediate) if self.intermediate else (self.active,)

    def ends_on(self, start: date) -> date:
        """The day data dated ``start`` has outlived both periods (calendar-exact, Art. 5(1)(e))."""
        return retention_end(start, *self.durations)

    def text(self) -> str:
        """'5y', or '5y + 10y' with an intermediate period."""
        return " + ".join(self.durations)


class DataCategoryUse(_Model):
    category: str
    description: str | None = None
    retention: Retention | None = None
    # retention as the DPO wrote it, when it is not a plain duration (CNIL template, Madis)
    retention_text: str | None = None

    @field_validator("category")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in CATEGORIES:
            raise ValueError(
                _(
                    "unknown category {value!r}; known: {known}",
                    value=v,
                    known=", ".join(CATEGORIES),
                )
            )
        return v

    @property
    def sensitive(self) -> bool:
        return CATEGORIES[self.category].sensitive


class Recipient(_Model):
    name: str
    kind: RecipientKind = RecipientKind.INTERNAL
    processor: str | None = None  # ref of a processor in the processors register
    country: str | None = None


class Transfer(_Model):
    """Art. 30(1)(e) and Chapter V."""

    country: str
    recipient: str
    safeguard: Safeguard = Safeguard.NONE
    details: str | None = None


class Security(_Model):
    """The seven families of the CNIL register template (Art. 30(1)(g), Art. 32)."""

    access_control: list[str] = Field(default_factory=list)
    traceability: list[str] = Field(default_factory=list)
    software_protection: list[str] = Field(default_factory=list)
    backup: list[str] = Field(default_factory=list)
    encryption: list[str] = Field(default_factory=list)
    processor_control: list[str] = Field(default_factory=list)
    other: list[str] = Field(default_factory=list)

    def families_filled(self) -> int:
        return sum(1 for v in self.model_dump().values() if v)


class Dpia(_Model):
    """Art. 35: criteria met, CNIL lists, and whether a DPIA was carried out."""

    criteria: list[DpiaCriterion] = Field(default_factory=list)
    cnil_required_list: str | None = None  # entry of délibération 2018-327
    cnil_exempted_list: str | None = None  # entry of délibération 2019-118
    done: bool = False
    date: _dt.date | None = None  # '_dt.date': the field name shadows the type here
    reference: str | None = None


class Information(_Model):
    """How people are informed (Art. 13 when collected from them, Art. 14 otherwise)."""

    provided: bool | None = None  # None: not recorded yet
    where: str | None = None  # form footer, web page, poster at the desk...
    how: str | None = None  # written notice, oral, both...


class Consent(_Model):
    """Art. 7(1): the controller must be able to demonstrate consent."""

    form: str | None = None  # tick box on the web form, signed paper form...
    proof: str | None = None  # where the proof is kept


class DpoOpinion(_Model):
    """The DPO's opinion on one activity (Art. 39(1)(a)-(b)), and its validation."""

    opinion: str | None = None
    validated: bool = False
    date: _dt.date | None = None
    by: str | None = None


class DataLocation(_Model):
    """Where the activity's data lives; credentials stay in rgpd.toml (never here)."""

    kind: Literal["files", "database"]
    path: str | None = None  # glob or directory for files
    connection: str | None = None  # name of a connection in rgpd.toml
    table: str | None = None
    columns: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shape(self) -> DataLocation:
        if self.kind == "files" and not self.path:
            raise ValueError(_("a 'files' location needs 'path'"))
        if self.kind == "database" and not self.connection:
            raise ValueError(
                _("a 'database' location needs 'connection' (a name defined in rgpd.toml)")
            )
        if self.connection and re.search(r"://[^/]*:[^/]*@", self.connection):
            raise ValueError(
                _("no credentials in the register: name a connection defined in rgpd.toml")
            )
        return self


class PersonIdentifier(_Model):
    """A field that finds a person's data in this activity (used by citizens' requests)."""

    key: str  # email, nir, phone, family_number, name_dob...
    label_fr: str | None = None
    label_en: str | None = None
    entity: str | None = None  # detector entity type used for blind-index lookups
    column: str | None = None  # table.column where it is stored
    required: bool = False
    example: str | None = None

    @field_validator("key")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not SLUG_RE.match(v):
            raise ValueError(_("identifier in lowercase letters, digits, '_' or '-'"))
        return v


class ErasureAction(StrEnum):
    """What erasure (Art. 17) does to a row, a column or a file of the activity."""

    DELETE = "supprimer"  # the row (or the whole file)
    SET_NULL = "vider"  # the column becomes NULL (a pseudonym where NULL is not allowed)
    PSEUDONYMISE = "pseudonymiser"  # the row stays (foreign keys, statistics), its identity goes
    KEEP = "conserver"


class ErasureRule(_Model):
    """How erasure treats one table (or one files location) of the activity."""

    table: str | None = None
    path: str | None = None  # a files location (glob), as in data_locations
    action: ErasureAction = ErasureAction.DELETE
    columns: dict[str, ErasureAction] = Field(default_factory=dict)
    retention: Duration | None = None  # rows younger than this are kept...
    retention_column: str | None = None  # ...counted from this date column
    archives: bool = False  # public archives (Art. 17(3)(d), Code du patrimoine)
    reason: str | None = None  # the text that makes us keep them, quoted in the refusal

    @field_validator("retention", mode="before")
    @classmethod
    def _dur(cls, v: object) -> object:
        return None if v is None else normalise_duration(v)

    @model_validator(mode="after")
    def _shape(self) -> ErasureRule:
        if bool(self.table) == bool(self.path):
            raise ValueError(_("a rule names a 'table' or a 'path'"))
        if self.retention and not self.retention_column:
            raise ValueError(_("'retention' needs 'retention_column'"))
        return self


class ErasureStrategy(_Model):
    """Per-activity erasure strategy; without one, the legal basis decides (rgpd.requests.erasure)."""

    default: ErasureAction | None = None
    rules: list[ErasureRule] = Field(default_factory=list)
    legal_hold: str | None = None  # Art. 17(3)(e): the claim or litigation that freezes the data


class Activity(_Model):
    """One processing activity: every field of Art. 30(1), and 30(2) when we are processor."""

    ref: str
    name: str
    status: Status = Status.DRAFT
    role: Role = Role.CONTROLLER
    created: date | None = None
    updated: date | None = None
    review_date: date | None = None
    controller: Party | None = None  # defaults to the organisation
    joint_controllers: list[Party] = Field(default_factory=list)
    representative: Party | None = None
    dpo: Party | None = None  # defaults to the organisation's DPO
    controllers_served: list[Party] = Field(default_factory=list)  # Art. 30(2)(a)
    department: str | None = None
    software: list[str] = Field(default_factory=list)
    purposes: list[str] = Field(default_factory=list)
    legal_basis: LegalBasis | None = None
    legal_basis_text: str | None = None  # text grounding (c)/(e): CGCT, Code de l'éducation...
    art9_condition: Art9Condition | None = None
    art9_details: str | None = None
    art10: bool = False
    art10_basis: str | None = None
    data_subjects: list[SubjectCategory] = Field(default_factory=list)
    data_categories: list[DataCategoryUse] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    recipients: list[Recipient] = Field(default_factory=list)
    transfers: list[Transfer] = Field(default_factory=list)
    security: Security = Field(default_factory=Security)
    dpia: Dpia = Field(default_factory=Dpia)
    automated_decision: bool = False
    profiling: bool = False
    automated_details: str | None = None
    nir_authorisation: str | None = None  # décret 2019-341 category claimed, if NIR is used
    data_locations: list[DataLocation] = Field(default_factory=list)
    person_identifiers: list[PersonIdentifier] = Field(default_factory=list)
    erasure: ErasureStrategy | None = None
    notes: str | None = None
    # What Madis keeps per activity (issue 14); precisions sit next to each closed list.
    active: bool = True  # False: the activity is no longer carried out (kept for history)
    estimated_people: int | None = Field(default=None, ge=0)
    collection_methods: list[CollectionMethod] = Field(default_factory=list)
    collection_details: str | None = None
    data_subjects_details: str | None = None
    data_categories_details: str | None = None
    recipients_details: str | None = None
    paper_processing: bool = False
    information: Information | None = None
    consent: Consent | None = None
    dpo_opinion: DpoOpinion | None = None
    # How citizens know the activity, for the request forms (issue 12): the register's
    # name and department are the administration's words. All optional; the forms fall
    # back on the name, the first purpose and the department (rgpd.requests.forms).
    public_label: str | None = None  # "Cantine et portail famille"
    public_group: str | None = None  # life event or service: "Enfance et école"
    public_description: str | None = None  # one line a citizen understands

    @field_validator("ref")
    @classmethod
    def _ref(cls, v: str) -> str:
        if not SLUG_RE.match(v):
            raise ValueError(
                _("reference in lowercase letters, digits, '_' or '-' (e.g. 'etat-civil')")
            )
        return v

    @field_validator("legal_basis", mode="before")
    @classmethod
    def _basis(cls, v: object) -> object:
        if isinstance(v, str):
            key = v.strip().lower().removeprefix("6(1)(").removesuffix(")").replace("-", "_")
            return LEGAL_BASIS_ALIASES.get(key, key)
        return v

    @field_validator("information", "consent", "dpo_opinion", mode="after")
    @classmethod
    def _empty_is_none(cls, v: BaseModel | None) -> BaseModel | None:
        """An all-blank block is « not recorded »: one canonical form, whatever the source."""
        return None if v is not None and not v.model_dump(exclude_defaults=True) else v

    @model_validator(mode="after")
    def _dates(self) -> Activity:
        if self.created and self.updated and self.updated < self.created:
            raise ValueError(_("'updated' is before 'created'"))
        return self

    def category_keys(self) -> set[str]:
        return {c.category for c in self.data_categories}

    @property
    def uses_special_categories(self) -> bool:
        from rgpd.taxonomy import ART9_CATEGORIES

        return bool(self.category_keys() & ART9_CATEGORIES)


def applicable_retentions(
    activity: Activity, *, entities: Iterable[str] = (), location: DataLocation | None = None
) -> list[Retention]:
    """The declared retentions that apply to data found in ``activity`` at ``location``.

    Those of the categories the ``entities`` found belong to, among the categories
    kept at ``location`` (its ``categories``, else all the activity's); without such
    a match, all those kept there. Callers take the longest: the data may still be
    needed for the longest of its purposes.
    """
    kept = set(location.categories) if location is not None and location.categories else None
    uses = [
        u.retention
        for u in activity.data_categories
        if u.retention is not None and (kept is None or u.category in kept)
    ]
    found = {c for e in entities for c in categories_for_entity(e)}
    wanted = [
        u.retention
        for u in activity.data_categories
        if u.retention is not None and (kept is None or u.category in kept) and u.category in found
    ]
    return wanted or uses


def retention_end_for(
    activity: Activity,
    start: date,
    *,
    entities: Iterable[str] = (),
    location: DataLocation | None = None,
) -> tuple[date, Retention] | None:
    """When data dated ``start`` has outlived its declared retention, and which one decided.

    The longest of :func:`applicable_retentions`, calendar-exact
    (:meth:`Retention.ends_on`); the data is past it when that day is on or before
    today (:func:`rgpd.deadlines.retention_over`, the same rule). ``None``: no
    retention declared.
    """
    ends = [
        (r.ends_on(start), r)
        for r in applicable_retentions(activity, entities=entities, location=location)
    ]
    return max(ends, key=lambda x: x[0]) if ends else None


class ContractClause(StrEnum):
    """Art. 28(3)(a)-(h): what the processor contract must stipulate."""

    INSTRUCTIONS = "a"
    CONFIDENTIALITY = "b"
    SECURITY = "c"
    SUBPROCESSING = "d"
    ASSISTANCE_RIGHTS = "e"
    ASSISTANCE_OBLIGATIONS = "f"
    DELETION_RETURN = "g"
    AUDITS = "h"


class SubProcessor(_Model):
    name: str
    country: str | None = None
    service: str | None = None


class Processor(_Model):
    """Processors register (Art. 28)."""

    ref: str
    name: str
    contact: Party | None = None
    services: list[str] = Field(default_factory=list)
    contract_date: date | None = None
    contract_clauses: list[ContractClause] = Field(default_factory=list)
    subprocessors: list[SubProcessor] = Field(default_factory=list)
    hosting_country: str | None = None
    hosting_provider: str | None = None
    secnumcloud: bool = False
    sovereign: bool = False
    notes: str | None = None

    @field_validator("ref")
    @classmethod
    def _ref(cls, v: str) -> str:
        if not SLUG_RE.match(v):
            raise ValueError(_("reference in lowercase letters, digits, '_' or '-'"))
        return v


class SoftwareKind(StrEnum):
    """Madis's « logiciels et supports »: an application, or a medium data is kept on."""

    SOFTWARE = "logiciel"
    SUPPORT = "support"


class SupportMedium(StrEnum):
    """What a support is (Art. 30(1)(g), Art. 32: paper and removable media count too)."""

    PAPER_ARCHIVE = "archive_papier"
    USB_DRIVE = "cle_usb"
    EXTERNAL_DRIVE = "disque_externe"
    SERVER = "serveur"
    WORKSTATION = "poste_de_travail"
    MOBILE = "mobile"
    CLOUD_STORAGE = "stockage_en_ligne"
    OTHER = "autre"


class Hosting(StrEnum):
    """Where the software runs, hence who holds the data (Art. 28 when not on site)."""

    ON_PREMISES = "sur_site"
    SAAS = "saas"
    PROCESSOR = "sous_traitant"  # hosted by a processor (infogérance, hébergeur)


class Software(_Model):
    """One entry of the software and supports register (Madis's « logiciels et supports »).

    Not an Art. 30 field by itself, but where the register's security measures
    (Art. 30(1)(g)), processors (Art. 28) and transfers (Art. 44) become concrete:
    a SaaS hosted abroad is a transfer for every activity it serves.
    """

    ref: str
    name: str
    kind: SoftwareKind = SoftwareKind.SOFTWARE
    medium: SupportMedium | None = None  # for a support
    editor: str | None = None
    version: str | None = None
    hosting: Hosting | None = None
    country: str | None = None  # where the data is hosted or stored (ISO code or name)
    location: str | None = None  # site, room, datacentre
    manager: str | None = None  # the person or department in charge
    processors: list[str] = Field(default_factory=list)  # refs in the processors register
    activities: list[str] = Field(default_factory=list)  # refs of the activities it serves
    security: list[str] = Field(default_factory=list)  # security notes (Art. 32)
    notes: str | None = None

    @field_validator("ref")
    @classmethod
    def _ref(cls, v: str) -> str:
        if not SLUG_RE.match(v):
            raise ValueError(_("reference in lowercase letters, digits, '_' or '-'"))
        return v

    @field_validator("processors", "activities")
    @classmethod
    def _refs(cls, v: list[str]) -> list[str]:
        """Links kept sorted and unique: one canonical form whatever order they were added in."""
        return sorted(set(v))


class BreachNature(StrEnum):
    CONFIDENTIALITY = "confidentialite"
    INTEGRITY = "integrite"
    AVAILABILITY = "disponibilite"


class Art34Decision(StrEnum):
    """Art. 34: inform the people, or why not (34(3)(a)-(c))."""

    INFORM = "informer"
    NOT_HIGH_RISK = "risque_non_eleve"
    EXCEPTION_A = "exception_34_3_a"  # data unintelligible (encryption)
    EXCEPTION_B = "exception_34_3_b"  # subsequent measures remove the high risk
    EXCEPTION_C = "exception_34_3_c"  # disproportionate effort: public communication
    UNDECIDED = "a_decider"


def _local_if_naive(v: object, info: ValidationInfo) -> object:
    """A time typed without zone is the organisation's local time.

    The zone comes from the validation context (``{"timezone": name}``, given by
    the edges from :attr:`rgpd.workspace.Workspace.timezone`), Europe/Paris without
    one: the model itself reads no configuration.
    """
    if isinstance(v, datetime) and v.tzinfo is None:
        from zoneinfo import ZoneInfo

        name = (info.context or {}).get("timezone") or DEFAULT_TIMEZONE
        return v.replace(tzinfo=ZoneInfo(str(name)))
    return v


class Notification(_Model):
    """One phase of a notification to the CNIL (Art. 33(4): information in phases)."""

    phase: Literal["initiale", "complementaire"] = "initiale"
    at: datetime
    reference: str | None = None
    content: str | None = None

    @field_validator("at", mode="after")
    @classmethod
    def _tz(cls, v: datetime, info: ValidationInfo) -> object:
        return _local_if_naive(v, info)


class BreachStatus(StrEnum):
    """Where a breach stands against Art. 33(1) (the one answer, :meth:`Breach.status`)."""

    ON_TIME = "on_time"  # notified within 72 hours of awareness
    LATE = "late"  # notified after 72 hours (reasons for the delay due, Art. 33(1))
    NOT_NOTIFIED = "not_notified"  # decision recorded: no notification (Art. 33(1), 33(5))
    PENDING = "pending"  # within 72 h, not yet notified
    OVERDUE = "overdue"  # past 72 h, no notification and no decision not to notify


BREACH_STATUS_LABELS: dict[BreachStatus, str] = {
    BreachStatus.ON_TIME: N_("notified within 72 hours"),
    BreachStatus.LATE: N_("notified late"),
    BreachStatus.NOT_NOTIFIED: N_("not notified (decision recorded)"),
    BreachStatus.PENDING: N_("72-hour clock running"),
    BreachStatus.OVERDUE: N_("past 72 hours, not notified"),
}


class Breach(_Model):
    """Breach register entry (Art. 33(5): documented whether notified or not)."""

    ref: str
    title: str
    occurred_at: datetime | None = None
    discovered_at: datetime  # awareness: the 72-hour clock starts here (Art. 33(1))
    nature: list[BreachNature] = Field(default_factory=list)
    description: str | None = None
    activities: list[str] = Field(default_factory=list)
    data_categories: list[str] = Field(default_factory=list)
    subjects: list[SubjectCategory] = Field(default_factory=list)
    people_count: int | None = None
    records_count: int | None = None
    consequences: str | None = None
    measures: str | None = None
    notify_decision: bool | None = None  # None: not decided yet
    notify_reason: str | None = None
    delay_reason: str | None = None  # Art. 33(1): reasons for a notification after 72 h
    art34_decision: Art34Decision = Art34Decision.UNDECIDED
    art34_reason: str | None = None
    notifications: list[Notification] = Field(default_factory=list)

    @field_validator("occurred_at", "discovered_at", mode="after")
    @classmethod
    def _tz(cls, v: datetime | None, info: ValidationInfo) -> object:
        return _local_if_naive(v, info)

    @model_validator(mode="after")
    def _order(self) -> Breach:
        if self.occurred_at and naive_utc(self.occurred_at) > naive_utc(self.discovered_at):
            raise ValueError(_("occurred_at is after discovered_at"))
        for n in self.notifications:
            if naive_utc(n.at) < naive_utc(self.discovered_at):
                raise ValueError(_("notification before the breach was discovered"))
        return self

    @property
    def first_notified_at(self) -> datetime | None:
        return min((n.at for n in self.notifications), default=None)

    def clock(self, now: datetime) -> BreachClock:
        """The 72-hour clock (Art. 33(1)) from awareness to the first notification or ``now``."""
        return breach_deadline(self.discovered_at, now=now, notified_at=self.first_notified_at)

    def status(self, now: datetime) -> BreachStatus:
        """Where the breach stands on ``now``: the one answer for the CLI and every report.

        A recorded notification is a fact and comes first: a breach first decided
        "not to notify" and notified later (the risk turned out higher) is judged
        on its notification, on time or late, never shown as "not notified".
        """
        clock = self.clock(now)
        if self.first_notified_at is not None:
            return BreachStatus.LATE if clock.late else BreachStatus.ON_TIME
        if self.notify_decision is False:
            return BreachStatus.NOT_NOTIFIED
        return BreachStatus.OVERDUE if clock.late else BreachStatus.PENDING

    def status_label(self, now: datetime) -> str:
        """:meth:`status` in words (the current language)."""
        return _(BREACH_STATUS_LABELS[self.status(now)])


def naive_utc(d: datetime) -> datetime:
    """Naive UTC: how storage keeps times, and how aware and naive times compare."""
    from datetime import UTC

    return d.astimezone(UTC).replace(tzinfo=None) if d.tzinfo else d


class Organisation(_Model):
    """A controller served by this install (commune, CCAS, EPCI...)."""

    slug: str
    name: str
    kind: OrgKind = OrgKind.COMMUNE
    siren: str | None = None
    address: str | None = None
    dpo_name: str | None = None
    dpo_email: str | None = None
    dpo_phone: str | None = None
    cnil_dpo_number: str | None = None  # DPO designation number given by the CNIL
    logo: str | None = None  # path or data: URI
    color_primary: str = "#1f4e79"
    color_secondary: str = "#f2f2f2"
    alsace_moselle: bool = False  # adds Good Friday and 26 December to public holidays
    website: str | None = None

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not SLUG_RE.match(v):
            raise ValueError(_("identifier in lowercase letters, digits, '_' or '-'"))
        return v

    @field_validator("siren")
    @classmethod
    def _siren(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from stdnum.fr import siren

        try:
            return str(siren.validate(v))
        except Exception as exc:
            raise ValueError(_("invalid SIREN ({reason})", reason=exc.__class__.__name__)) from exc

    @field_validator("color_primary", "color_secondary")
    @classmethod
    def _color(cls, v: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", v):
            raise ValueError(_("colour expected as #RRGGBB"))
        return v


class Register(_Model):
    """A whole register as kept in YAML (register-as-code)."""

    version: int = 1
    organisation: Organisation | None = None
    activities: list[Activity] = Field(default_factory=list)
    processors: list[Processor] = Field(default_factory=list)
    breaches: list[Breach] = Field(default_factory=list)
    software: list[Software] = Field(default_factory=list)  # logiciels et supports (Madis)

    @model_validator(mode="after")
    def _unique(self) -> Register:
        for name, items in (
            ("activities", self.activities),
            ("processors", self.processors),
            ("breaches", self.breaches),
            ("software", self.software),
        ):
            seen: set[str] = set()
            for it in items:
                if it.ref in seen:
                    raise ValueError(
                        _("{name}: duplicate reference {ref!r}", name=name, ref=it.ref)
                    )
                seen.add(it.ref)
        return self
