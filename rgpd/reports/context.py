"""Pure context builders: the DPO's facts turned into typed report contexts.

Everything here is a function of plain values (the register, scan rows, request
rows, ``today``): no database, no file, no clock, no rendering. The loaders
(:mod:`rgpd.reports.loaders`) gather the inputs, the renderer
(:mod:`rgpd.reports.render`) turns the contexts into HTML, PDF or spreadsheets,
so the numbers a council reads are exactly the numbers the tests check.

Tables and charts are carried as data (:class:`Table`, :class:`Chart`) so that
the same figures feed the HTML tables, the chart text alternatives and the
CSV/XLSX exports. Every compliance point keeps the items it was computed from
and the article it enforces: a DPO must be able to defend each point.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from fnmatch import translate
from typing import Any

from rgpd import deadlines
from rgpd.errors import InvalidInput
from rgpd.i18n import N_, _
from rgpd.registry.io.public import public_register
from rgpd.registry.model import (
    Activity,
    Art34Decision,
    Breach,
    DataLocation,
    LegalBasis,
    Organisation,
    RecipientKind,
    Register,
    Role,
    naive_utc,
)
from rgpd.registry.rules import LintIssue, Severity, dpia_verdict, lint_register, uses_nir
from rgpd.requests.model import RequestState, RequestType
from rgpd.taxonomy import CATEGORIES, SPECIAL_ENTITIES, Entity

Cell = str | int | float | date | datetime | bool | None

#: Rows shown in one HTML table; the CSV/XLSX exports carry the same capped rows, the
#: note says how many there were (a council report is not a data dump).
MAX_ROWS = 200
#: The annual report shows the head of each list; the dedicated reports give them whole.
ANNUAL_ROWS = 25


class ReportKind(StrEnum):
    REGISTER = "register"
    SCAN = "scan"
    REQUESTS = "requests"
    BREACHES = "breaches"
    COMPLIANCE = "compliance"
    ANNUAL = "annual"


#: Parts each report shows (the annual report shows them all).
PARTS: dict[ReportKind, tuple[str, ...]] = {
    ReportKind.REGISTER: ("register",),
    ReportKind.SCAN: ("scan",),
    ReportKind.REQUESTS: ("requests",),
    ReportKind.BREACHES: ("breaches",),
    ReportKind.COMPLIANCE: ("compliance",),
    ReportKind.ANNUAL: ("trends", "compliance", "register", "scan", "requests", "breaches"),
}

TITLES: dict[ReportKind, str] = {
    ReportKind.REGISTER: N_("Record of processing activities"),
    ReportKind.SCAN: N_("Personal data map"),
    ReportKind.REQUESTS: N_("Data subject requests"),
    ReportKind.BREACHES: N_("Personal data breaches"),
    ReportKind.COMPLIANCE: N_("Compliance scorecard"),
    ReportKind.ANNUAL: N_("DPO annual report"),
}

#: File-name stems (French, the users' language, stable whatever --lang says).
FILE_STEMS: dict[ReportKind, str] = {
    ReportKind.REGISTER: "registre",
    ReportKind.SCAN: "cartographie",
    ReportKind.REQUESTS: "demandes",
    ReportKind.BREACHES: "violations",
    ReportKind.COMPLIANCE: "conformite",
    ReportKind.ANNUAL: "bilan-annuel",
}


# ============================================================================ data carried


@dataclass(frozen=True)
class Table:
    """A table as data: rendered by great-tables in HTML, written as is to CSV/XLSX."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    total_rows: int | None = None  # rows before capping, when capped
    empty_text: str = ""

    @property
    def note(self) -> str:
        if self.total_rows is not None and self.total_rows > len(self.rows):
            return _(
                "Showing the first {shown} of {total} rows.",
                shown=len(self.rows),
                total=self.total_rows,
            )
        return ""


def _table(
    key: str, title: str, columns: Sequence[str], rows: Iterable[Sequence[Cell]], empty: str = ""
) -> Table:
    all_rows = [tuple(r) for r in rows]
    capped = all_rows[:MAX_ROWS]
    return Table(
        key=key,
        title=title,
        columns=tuple(columns),
        rows=tuple(capped),
        total_rows=len(all_rows) if len(all_rows) > MAX_ROWS else None,
        empty_text=empty or _("Nothing to show."),
    )


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Chart:
    """A chart as data; ``summary`` is its text alternative, ``table`` its data fallback."""

    key: str
    title: str
    kind: str  # "bar" (vertical, grouped), "hbar" (shares), "line"
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    summary: str
    unit: str = ""

    @property
    def table(self) -> Table:
        rows: list[tuple[Cell, ...]] = [
            (cat, *(s.values[i] for s in self.series)) for i, cat in enumerate(self.categories)
        ]
        return Table(
            key=self.key + "-data",
            title=self.title,
            columns=("", *(s.name for s in self.series)),
            rows=tuple(rows),
        )

    @property
    def empty(self) -> bool:
        return not self.categories or all(v == 0 for s in self.series for v in s.values)


@dataclass(frozen=True)
class Period:
    """Half-open [start, end): a calendar year for the annual report."""

    start: date
    end: date

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year + 1, 1, 1))

    def __contains__(self, d: object) -> bool:
        if isinstance(d, datetime):
            d = d.date()
        return isinstance(d, date) and self.start <= d < self.end


# -------------------------------------------------------------------------- loader inputs


@dataclass(frozen=True)
class ScanRun:
    id: int
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None = None


@dataclass(frozen=True)
class SourceFinding:
    """One (source, entity type) as stored: counts and flags only, never a value."""

    uri: str
    source_kind: str
    root: str | None
    entity_type: str
    count: int
    special_category: bool = False
    modified_at: datetime | None = None
    first_run_id: int | None = None
    last_run_id: int | None = None


@dataclass(frozen=True)
class ScanError:
    run_id: int
    source: str
    reason: str
    message: str
    at: datetime


@dataclass(frozen=True)
class ReconcileItem:
    rule: str
    severity: str
    activity_ref: str | None
    location: str
    entity_type: str | None
    article: str
    message: str


@dataclass(frozen=True)
class ScanData:
    runs: tuple[ScanRun, ...] = ()
    findings: tuple[SourceFinding, ...] = ()
    errors: tuple[ScanError, ...] = ()
    reconcile: tuple[ReconcileItem, ...] = ()
    sources_scanned: int = 0
    sources_gone: int = 0


@dataclass(frozen=True)
class RequestData:
    """A request as stored, without any personal data (the payload stays sealed)."""

    ref: str
    type: str
    state: str
    channel: str
    received_on: date
    due_on: date
    closed_on: date | None = None
    extended: bool = False
    clock_events: tuple[deadlines.ClockEvent, ...] = ()
    refusal_grounds: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrgData:
    """Everything the reports read about one organisation."""

    org: Organisation
    register: Register
    scan: ScanData = field(default_factory=ScanData)
    requests: tuple[RequestData, ...] = ()
    register_changes: tuple[datetime, ...] = ()  # one per activity version written


# ============================================================================== helpers


def _label_request_type(value: str) -> str:
    try:
        return _(RequestType(value).label)
    except ValueError:
        return value


_STATE_LABELS: dict[str, str] = {
    RequestState.RECEIVED: N_("Received"),
    RequestState.IDENTITY_PENDING: N_("Waiting for identity"),
    RequestState.IN_PROGRESS: N_("In progress"),
    RequestState.PAUSED: N_("Waiting for clarification"),
    RequestState.EXTENDED: N_("Extended"),
    RequestState.COMPLETED: N_("Answered"),
    RequestState.REFUSED: N_("Refused"),
    RequestState.WITHDRAWN: N_("Withdrawn"),
    RequestState.REDIRECTED: N_("Redirected"),
}


def _label_state(value: str) -> str:
    return _(_STATE_LABELS[value]) if value in _STATE_LABELS else value


ENTITY_LABELS: dict[str, str] = {
    Entity.PERSON: N_("Names of people"),
    Entity.LOCATION: N_("Postal addresses"),
    Entity.EMAIL_ADDRESS: N_("E-mail addresses"),
    Entity.PHONE_NUMBER: N_("Phone numbers"),
    Entity.IP_ADDRESS: N_("IP addresses"),
    Entity.DATE_OF_BIRTH: N_("Dates of birth"),
    Entity.IBAN_CODE: N_("Bank account numbers (IBAN)"),
    Entity.CREDIT_CARD: N_("Payment card numbers"),
    Entity.FR_NIR: N_("Social security numbers (NIR)"),
    Entity.FR_SIREN: N_("SIREN numbers"),
    Entity.FR_SIRET: N_("SIRET numbers"),
    Entity.FR_TAX_ID: N_("Tax numbers"),
    Entity.FR_ID_CARD: N_("Identity card numbers"),
    Entity.FR_PASSPORT: N_("Passport numbers"),
    Entity.FR_LICENSE_PLATE: N_("Vehicle plates"),
    Entity.PHOTO: N_("Photos of people"),
    Entity.HEALTH: N_("Health data (Art. 9)"),
    Entity.RELIGION: N_("Religious beliefs (Art. 9)"),
    Entity.POLITICAL_OPINION: N_("Political opinions (Art. 9)"),
    Entity.TRADE_UNION: N_("Trade-union membership (Art. 9)"),
    Entity.ETHNIC_ORIGIN: N_("Racial or ethnic origin (Art. 9)"),
    Entity.SEX_LIFE: N_("Sex life or orientation (Art. 9)"),
    Entity.BIOMETRIC: N_("Biometric data (Art. 9)"),
    Entity.GENETIC: N_("Genetic data (Art. 9)"),
    Entity.CRIMINAL_OFFENCE: N_("Offences and convictions (Art. 10)"),
}


def entity_label(entity: str) -> str:
    return _(ENTITY_LABELS[entity]) if entity in ENTITY_LABELS else entity


def _category_label(key: str) -> str:
    from rgpd.i18n import get_language

    c = CATEGORIES.get(key)
    if c is None:
        return key
    return c.label_fr if get_language() == "fr" else c.label_en


_BASIS_LABELS: dict[LegalBasis, str] = {
    LegalBasis.CONSENT: N_("Consent (Art. 6(1)(a))"),
    LegalBasis.CONTRACT: N_("Contract (Art. 6(1)(b))"),
    LegalBasis.LEGAL_OBLIGATION: N_("Legal obligation (Art. 6(1)(c))"),
    LegalBasis.VITAL_INTERESTS: N_("Vital interests (Art. 6(1)(d))"),
    LegalBasis.PUBLIC_TASK: N_("Public task (Art. 6(1)(e))"),
    LegalBasis.LEGITIMATE_INTERESTS: N_("Legitimate interests (Art. 6(1)(f))"),
}


def _basis_label(b: LegalBasis | None) -> str:
    return _(_BASIS_LABELS[b]) if b is not None else _("not recorded")


def _months(lang_months: Sequence[str] | None = None) -> tuple[str, ...]:
    from babel.dates import get_month_names

    from rgpd.i18n import get_language

    names = get_month_names("abbreviated", locale=get_language())
    return tuple(str(names[m]) for m in range(1, 13))


_as_utc_naive = naive_utc  # the register's rule for comparing aware and naive times


# ============================================================================== org header


@dataclass(frozen=True)
class OrgHeader:
    slug: str
    name: str
    kind: str
    siren: str | None
    address: str | None
    dpo_name: str | None
    dpo_email: str | None
    cnil_dpo_number: str | None
    logo: str | None
    color_primary: str


def org_header(org: Organisation) -> OrgHeader:
    return OrgHeader(
        slug=org.slug,
        name=org.name,
        kind=org.kind.value,
        siren=org.siren,
        address=org.address,
        dpo_name=org.dpo_name,
        dpo_email=org.dpo_email,
        cnil_dpo_number=org.cnil_dpo_number,
        logo=org.logo,
        color_primary=org.color_primary,
    )


# ================================================================================ register


@dataclass(frozen=True)
class Check:
    """One completeness check of an activity, with the article that requires it."""

    label: str
    article: str
    ok: bool


def completeness_checks(a: Activity, org: Organisation | None) -> list[Check]:
    """The Art. 30(1) fields a register entry must fill (30(2) for processor activities)."""
    checks: list[Check] = []
    if a.role == Role.CONTROLLER:
        checks.append(
            Check(
                _("Controller and DPO contacts"),
                "Art. 30(1)(a)",
                (a.controller is not None or org is not None)
                and (a.dpo is not None or bool(org and (org.dpo_name or org.dpo_email))),
            )
        )
        checks.append(Check(_("Legal basis"), "Art. 6(1)", a.legal_basis is not None))
    else:
        checks.append(Check(_("Controllers served"), "Art. 30(2)(a)", bool(a.controllers_served)))
    checks += [
        Check(_("Purposes"), "Art. 30(1)(b)", bool(a.purposes)),
        Check(_("Categories of data subjects"), "Art. 30(1)(c)", bool(a.data_subjects)),
        Check(_("Categories of personal data"), "Art. 30(1)(c)", bool(a.data_categories)),
        Check(_("Recipients"), "Art. 30(1)(d)", bool(a.recipients)),
        Check(
            _("Retention period for every data category"),
            "Art. 30(1)(f)",
            bool(a.data_categories) and all(u.retention for u in a.data_categories),
        ),
        Check(_("Security measures"), "Art. 30(1)(g), Art. 32", a.security.families_filled() > 0),
    ]
    return checks


def completeness(a: Activity, org: Organisation | None) -> float:
    checks = completeness_checks(a, org)
    return sum(c.ok for c in checks) / len(checks)


@dataclass(frozen=True)
class Field:
    label: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class FieldGroup:
    title: str
    article: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class ActivitySheet:
    """One activity in the layout of the CNIL's register template (« fiche de registre »)."""

    ref: str
    name: str
    status: str
    department: str
    completeness: float
    checks: tuple[Check, ...]
    groups: tuple[FieldGroup, ...]
    issues: tuple[LintIssue, ...]
    dpia_required: bool
    dpia_done: bool
    dpia_reasons: tuple[str, ...]


@dataclass(frozen=True)
class RegisterContext:
    activities_count: int
    validated_count: int
    mean_completeness: float
    errors: int
    warnings: int
    summary: Table
    sheets: tuple[ActivitySheet, ...]
    processors: Table
    public: Table
    issues: Table


def _f(label: str, values: Iterable[str | None]) -> Field:
    return Field(label, tuple(v for v in values if v))


def _party(p: Any) -> str:
    if p is None:
        return ""
    bits = [p.name, p.address, p.email, p.phone]
    return ", ".join(b for b in bits if b)


def _retention_line(a: Activity) -> list[str]:
    out = []
    for u in a.data_categories:
        r = u.retention
        if r is None:
            out.append(f"{_category_label(u.category)} : {_('not recorded')}")
            continue
        text = _("{active} active", active=r.active)
        if r.intermediate:
            text += " + " + _("{n} intermediate", n=r.intermediate)
        text += f", {r.final.value}"
        if r.trigger:
            text += f" ({r.trigger})"
        out.append(f"{_category_label(u.category)} : {text}")
    return out


def activity_sheet(
    a: Activity, org: Organisation | None, issues: Sequence[LintIssue]
) -> ActivitySheet:
    """The CNIL template's sections, in its order, for one activity."""
    verdict = dpia_verdict(a)
    checks = completeness_checks(a, org)
    sec = a.security
    groups = (
        FieldGroup(
            _("Parties"),
            "Art. 30(1)(a)",
            (
                _f(_("Controller"), [_party(a.controller) or (org.name if org else "")]),
                _f(_("Joint controllers"), [_party(p) for p in a.joint_controllers]),
                _f(_("Representative"), [_party(a.representative)]),
                _f(
                    _("Data protection officer"),
                    [_party(a.dpo) or (org.dpo_name or org.dpo_email or "" if org else "")],
                ),
                _f(_("Department in charge"), [a.department]),
                _f(_("Software"), a.software),
                _f(
                    _("Dates"),
                    [
                        _("created {d}", d=a.created.isoformat()) if a.created else None,
                        _("updated {d}", d=a.updated.isoformat()) if a.updated else None,
                        _("review {d}", d=a.review_date.isoformat()) if a.review_date else None,
                    ],
                ),
            ),
        ),
        FieldGroup(
            _("Purposes and lawfulness"),
            "Art. 30(1)(b), Art. 6, Art. 9",
            (
                _f(_("Purposes"), a.purposes),
                _f(_("Legal basis"), [_basis_label(a.legal_basis), a.legal_basis_text]),
                _f(
                    _("Special categories (Art. 9(2))"),
                    [
                        f"9(2)({a.art9_condition.value})" if a.art9_condition else None,
                        a.art9_details,
                    ],
                ),
                _f(_("Offences (Art. 10)"), [a.art10_basis if a.art10 else None]),
            ),
        ),
        FieldGroup(
            _("People and data"),
            "Art. 30(1)(c)",
            (
                _f(_("Categories of data subjects"), [s.value for s in a.data_subjects]),
                _f(
                    _("Categories of personal data"),
                    [
                        _category_label(u.category)
                        + (" ⚠" if u.sensitive else "")
                        + (f" — {u.description}" if u.description else "")
                        for u in a.data_categories
                    ],
                ),
                _f(_("Sources"), a.sources),
            ),
        ),
        FieldGroup(
            _("Retention"),
            "Art. 30(1)(f), Art. 5(1)(e)",
            (_f(_("Retention per data category"), _retention_line(a)),),
        ),
        FieldGroup(
            _("Recipients and transfers"),
            "Art. 30(1)(d)-(e)",
            (
                _f(
                    _("Internal recipients"),
                    [r.name for r in a.recipients if r.kind == RecipientKind.INTERNAL],
                ),
                _f(
                    _("External recipients"),
                    [r.name for r in a.recipients if r.kind == RecipientKind.EXTERNAL],
                ),
                _f(
                    _("Processors"),
                    [r.name for r in a.recipients if r.kind == RecipientKind.PROCESSOR],
                ),
                _f(
                    _("Transfers outside the EU"),
                    [f"{t.country} — {t.recipient} ({t.safeguard.value})" for t in a.transfers],
                ),
            ),
        ),
        FieldGroup(
            _("Security measures"),
            "Art. 30(1)(g), Art. 32",
            (
                _f(_("Access control"), sec.access_control),
                _f(_("Traceability"), sec.traceability),
                _f(_("Software protection"), sec.software_protection),
                _f(_("Backup"), sec.backup),
                _f(_("Encryption"), sec.encryption),
                _f(_("Control of processors"), sec.processor_control),
                _f(_("Other measures"), sec.other),
            ),
        ),
        FieldGroup(
            _("Impact assessment"),
            "Art. 35",
            (
                _f(
                    _("DPIA"),
                    [
                        (_("required") if verdict.required else _("not required"))
                        + " — "
                        + (_("done") if a.dpia.done else _("not done")),
                        a.dpia.reference,
                    ],
                ),
            ),
        ),
    )
    return ActivitySheet(
        ref=a.ref,
        name=a.name,
        status=a.status.value,
        department=a.department or "",
        completeness=sum(c.ok for c in checks) / len(checks),
        checks=tuple(checks),
        groups=groups,
        issues=tuple(issues),
        dpia_required=verdict.required,
        dpia_done=a.dpia.done,
        dpia_reasons=verdict.reasons,
    )


def build_register(data: OrgData, today: date, *, with_sheets: bool = True) -> RegisterContext:
    reg = data.register
    org = reg.organisation or data.org
    reg = reg.model_copy(update={"organisation": org})
    issues = lint_register(reg, today)
    by_act: dict[str | None, list[LintIssue]] = defaultdict(list)
    for i in issues:
        by_act[i.activity_ref].append(i)
    sheets = [activity_sheet(a, org, by_act.get(a.ref, [])) for a in reg.activities]
    errors = sum(1 for i in issues if i.severity == Severity.ERROR)
    warnings = sum(1 for i in issues if i.severity == Severity.WARNING)
    summary = _table(
        "register-summary",
        _("Processing activities"),
        (
            _("Activity"),
            _("Department"),
            _("Legal basis"),
            _("Completeness"),
            _("Errors"),
            _("Warnings"),
            _("DPIA"),
        ),
        (
            (
                s.name,
                s.department,
                _basis_label(a.legal_basis),
                f"{round(s.completeness * 100)} %",
                sum(1 for i in s.issues if i.severity == Severity.ERROR),
                sum(1 for i in s.issues if i.severity == Severity.WARNING),
                (_("required") if s.dpia_required else _("not required"))
                + (", " + (_("done") if s.dpia_done else _("not done")) if s.dpia_required else ""),
            )
            for s, a in zip(sheets, reg.activities, strict=True)
        ),
        _("The register holds no activity yet."),
    )
    processors = _table(
        "processors",
        _("Processors (Art. 28)"),
        (_("Processor"), _("Services"), _("Contract"), _("Hosting")),
        (
            (
                p.name,
                ", ".join(p.services),
                p.contract_date if p.contract_date else _("no contract recorded"),
                " ".join(x for x in (p.hosting_provider, p.hosting_country) if x),
            )
            for p in reg.processors
        ),
        _("No processor recorded."),
    )
    pub = public_register(reg)
    public = _table(
        "public-register",
        _("Public register (what may be published)"),
        (_("Activity"), _("Purposes"), _("Legal basis"), _("Data"), _("Retention")),
        (
            (
                e["name"],
                "; ".join(e["purposes"]),
                e["legal_basis"],
                "; ".join(e["data_categories"]),
                "; ".join(e["retention"]),
            )
            for e in pub
        ),
        _("No validated activity to publish."),
    )
    names = {a.ref: a.name for a in reg.activities}
    issue_table = _table(
        "lint",
        _("Register check: errors and warnings"),
        (_("Activity"), _("Severity"), _("Problem"), _("Article")),
        (
            (
                names.get(i.activity_ref or "", i.activity_ref or _("(register)")),
                _("error") if i.severity == Severity.ERROR else _("warning"),
                i.message,
                i.article,
            )
            for i in issues
            if i.severity != Severity.INFO
        ),
        _("No problem found in the register."),
    )
    mean = statistics.fmean(s.completeness for s in sheets) if sheets else 0.0
    return RegisterContext(
        activities_count=len(sheets),
        validated_count=sum(1 for a in reg.activities if a.status.value == "valide"),
        mean_completeness=mean,
        errors=errors,
        warnings=warnings,
        summary=summary,
        sheets=tuple(sheets) if with_sheets else (),
        processors=processors,
        public=public,
        issues=issue_table,
    )


# ==================================================================================== scan


@dataclass(frozen=True)
class LocationMatch:
    activity: Activity
    location: DataLocation


_GLOB_CHARS = frozenset("*?[")


class LocationIndex:
    """Which register activity declares the place a source was found in (first declared wins).

    File locations are globs, relative ones matching at any depth under the scanned
    root (``partage/rh/**`` matches ``/srv/partage/rh/x.pdf``); database locations
    match by connection name and, when given, table. The usual ``folder/**`` and
    ``folder/*`` forms are looked up by folder (a dictionary probe per path
    component), other globs are matched one by one: tens of thousands of sources
    against hundreds of activities stay fast.
    """

    def __init__(self, activities: Sequence[Activity]) -> None:
        self._matches: list[LocationMatch] = []
        self._db: dict[str, list[int]] = defaultdict(list)
        # folder components -> [(index, anchored at root, direct children only)]
        self._dirs: dict[tuple[str, ...], list[tuple[int, bool, bool]]] = defaultdict(list)
        self._lengths: set[int] = set()
        self._globs: list[tuple[int, re.Pattern[str]]] = []
        self._cache: dict[tuple[str, str | None], LocationMatch | None] = {}
        for a in activities:
            for loc in a.data_locations:
                idx = len(self._matches)
                self._matches.append(LocationMatch(a, loc))
                if loc.kind == "database" and loc.connection:
                    self._db[loc.connection].append(idx)
                elif loc.kind == "files" and loc.path:
                    self._add_path(idx, loc.path.strip())

    def _add_path(self, idx: int, path: str) -> None:
        absolute = path.startswith("/")
        head, _sep, last = path.rstrip("/").rpartition("/")
        if last in ("**", "*") and head and not (_GLOB_CHARS & set(head)):
            comps = tuple(c for c in head.split("/") if c)
            self._dirs[comps].append((idx, absolute, last == "*"))
            self._lengths.add(len(comps))
        elif not (_GLOB_CHARS & set(path)):
            comps = tuple(c for c in path.rstrip("/").split("/") if c)
            self._dirs[comps].append((idx, absolute, False))
            self._lengths.add(len(comps))
        else:
            prefix = "" if absolute else "(?:.*/)?"
            self._globs.append((idx, re.compile(prefix + translate(path))))

    def _dir_match(self, path: str) -> int | None:
        comps = [c for c in path.split("/") if c]
        dirs = comps[:-1] if len(comps) > 1 else comps
        best: int | None = None
        n = len(dirs)
        for length in self._lengths:
            for i in range(0, n - length + 1):
                for idx, absolute, direct in self._dirs.get(tuple(dirs[i : i + length]), ()):
                    if absolute and i != 0:
                        continue
                    if direct and i + length != n:
                        continue
                    best = idx if best is None else min(best, idx)
        return best

    def match(self, uri: str, root: str | None) -> LocationMatch | None:
        key = (uri, root)
        if key in self._cache:
            return self._cache[key]
        best: int | None = None
        if "#" in uri and root in self._db:
            table = uri.split("#", 1)[1]
            for idx in self._db[root or ""]:
                t = self._matches[idx].location.table
                if t is None or table == t or f".{t}." in f".{table}.":
                    best = idx
                    break
        elif "#" not in uri:
            path = uri.split("!", 1)[0]
            best = self._dir_match(path)
            for idx, rx in self._globs:
                if (best is None or idx < best) and rx.fullmatch(path):
                    best = idx
                    break
        found = self._matches[best] if best is not None else None
        self._cache[key] = found
        return found


def location_of(f: SourceFinding) -> str:
    """A readable place: the first folder under the scanned root, or connection · table."""
    uri = f.uri
    if "#" in uri:
        table = uri.split("#", 1)[1]
        table = ".".join(table.split(".")[:2]) if table.count(".") >= 2 else table
        return f"{f.root or uri.split('#', 1)[0]} · {table}"
    path = uri.split("!", 1)[0]
    root = (f.root or "").rstrip("/")
    if root and path.startswith(root + "/"):
        rel = path[len(root) + 1 :]
        first = rel.split("/", 1)[0] if "/" in rel else "."
        name = root.rsplit("/", 1)[-1] or root
        return f"{name}/{first}" if first != "." else name
    parent = path.rsplit("/", 1)[0] if "/" in path else path
    return parent


@dataclass(frozen=True)
class ScanChanges:
    first_scan: bool
    new_sources: int
    new_occurrences: int
    gone_sources: int
    errors_now: int
    errors_before: int
    new_by_entity: Table


@dataclass(frozen=True)
class ScanContext:
    has_data: bool
    last_run: ScanRun | None
    runs_count: int
    sources_scanned: int
    sources_with_findings: int
    occurrences: int
    special_sources: int
    nir_sources: int
    nir_unauthorised_sources: int
    undeclared_sources: int
    special_undeclared_sources: int
    retention_overruns: int
    errors_count: int
    by_location: Table
    by_department: Table
    entities: Table
    special: Table
    nir: Table
    errors: Table
    errors_by_reason: Table
    reconcile: Table
    reconcile_count: int
    changes: ScanChanges
    entity_chart: Chart
    # traceability for the compliance score
    undeclared_locations: tuple[tuple[str, int], ...]
    overruns_by_activity: tuple[tuple[str, str, int, date], ...]  # ref, name, files, oldest


def build_scan(data: OrgData, today: date) -> ScanContext:
    scan = data.scan
    acts = data.register.activities
    index = LocationIndex(acts)
    runs = sorted(scan.runs, key=lambda r: r.id)
    last = runs[-1] if runs else None
    prev = runs[-2] if len(runs) > 1 else None

    per_source: dict[str, list[SourceFinding]] = defaultdict(list)
    for f in scan.findings:
        per_source[f.uri].append(f)

    loc_rows: dict[str, dict[str, Any]] = {}
    dept: dict[str, dict[str, Any]] = {}
    ent_sources: Counter[str] = Counter()
    ent_occ: Counter[str] = Counter()
    nir_rows: dict[tuple[str, bool], list[int]] = {}
    nir_sources = nir_unauth = special_sources = undeclared = special_undeclared = 0
    undeclared_locs: Counter[str] = Counter()
    overruns: dict[str, list[Any]] = {}
    not_declared = _("not declared in the register")

    for uri, fs in per_source.items():
        first = fs[0]
        loc = location_of(first)
        m = index.match(uri, first.root)
        department = (m.activity.department or m.activity.name) if m else not_declared
        occ = sum(f.count for f in fs)
        special = any(f.special_category or f.entity_type in SPECIAL_ENTITIES for f in fs)
        nir = [f for f in fs if f.entity_type == Entity.FR_NIR]
        row = loc_rows.setdefault(
            loc,
            {"dept": Counter(), "sources": 0, "occ": 0, "ents": set(), "special": 0, "nir": 0},
        )
        row["dept"][department] += 1
        row["sources"] += 1
        row["occ"] += occ
        row["ents"].update(f.entity_type for f in fs)
        row["special"] += special
        row["nir"] += bool(nir)
        d = dept.setdefault(department, {"sources": 0, "occ": 0, "special": 0, "nir": 0})
        d["sources"] += 1
        d["occ"] += occ
        d["special"] += special
        d["nir"] += bool(nir)
        for f in fs:
            ent_sources[f.entity_type] += 1
            ent_occ[f.entity_type] += f.count
        special_sources += special
        if m is None:
            undeclared += 1
            undeclared_locs[loc] += 1
            special_undeclared += special
        if nir:
            nir_sources += 1
            authorised = (
                m is not None and uses_nir(m.activity) and bool(m.activity.nir_authorisation)
            )
            if not authorised:
                nir_unauth += 1
            nir_rows.setdefault((loc, authorised), [0, 0])
            nir_rows[(loc, authorised)][0] += 1
            nir_rows[(loc, authorised)][1] += sum(f.count for f in nir)
        # Art. 5(1)(e): a file older than the longest declared retention of its activity.
        if m is not None and first.modified_at is not None and "#" not in uri:
            limit = _retention_limit_days(m.activity, m.location)
            if limit is not None and (today - first.modified_at.date()).days > limit:
                o = overruns.setdefault(
                    m.activity.ref, [m.activity.name, 0, first.modified_at.date()]
                )
                o[1] += 1
                o[2] = min(o[2], first.modified_at.date())

    by_location = _table(
        "scan-locations",
        _("Where personal data was found"),
        (
            _("Location"),
            _("Department"),
            _("Sources"),
            _("Occurrences"),
            _("Types of data"),
            _("Special categories"),
            _("NIR"),
        ),
        (
            (
                loc,
                r["dept"].most_common(1)[0][0],
                r["sources"],
                r["occ"],
                len(r["ents"]),
                r["special"],
                r["nir"],
            )
            for loc, r in sorted(loc_rows.items(), key=lambda kv: (-kv[1]["occ"], kv[0]))
        ),
        _("No personal data found, or no scan yet."),
    )
    by_department = _table(
        "scan-departments",
        _("By department"),
        (_("Department"), _("Sources"), _("Occurrences"), _("Special categories"), _("NIR")),
        (
            (k, v["sources"], v["occ"], v["special"], v["nir"])
            for k, v in sorted(dept.items(), key=lambda kv: (-kv[1]["occ"], kv[0]))
        ),
    )
    from rgpd.scan.findings import severity_of

    entity_rows = sorted(ent_occ, key=lambda e: (-ent_occ[e], e))
    entities = _table(
        "scan-entities",
        _("Types of personal data found"),
        (_("Type of data"), _("Sources"), _("Occurrences"), _("Severity")),
        (
            (entity_label(e), ent_sources[e], ent_occ[e], _(severity_of(e).value))
            for e in entity_rows
        ),
    )
    special_rows = [e for e in entity_rows if e in SPECIAL_ENTITIES]
    special_tbl = _table(
        "scan-special",
        _("Special categories of data (Art. 9) and offences (Art. 10)"),
        (_("Type of data"), _("Sources"), _("Occurrences")),
        ((entity_label(e), ent_sources[e], ent_occ[e]) for e in special_rows),
        _("No special category of data found."),
    )
    nir_tbl = _table(
        "scan-nir",
        _("Exposure of the social security number (NIR)"),
        (_("Location"), _("Authorised activity"), _("Sources"), _("Occurrences")),
        (
            (loc, _("yes") if auth else _("no"), v[0], v[1])
            for (loc, auth), v in sorted(nir_rows.items(), key=lambda kv: (kv[0][1], -kv[1][1]))
        ),
        _("No NIR found."),
    )

    last_errors = [e for e in scan.errors if last is not None and e.run_id == last.id]
    prev_errors = [e for e in scan.errors if prev is not None and e.run_id == prev.id]
    reasons = Counter(e.reason for e in last_errors)
    reason_rows: list[tuple[str, int]] = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    errors_by_reason = _table(
        "scan-error-reasons",
        _("Scan errors by reason (last scan)"),
        (_("Reason"), _("Sources")),
        reason_rows,
        _("No error in the last scan."),
    )
    errors = _table(
        "scan-errors",
        _("Sources that could not be read (last scan)"),
        (_("Source"), _("Reason"), _("Message")),
        ((e.source, e.reason, e.message) for e in sorted(last_errors, key=lambda e: e.source)),
        _("No error in the last scan."),
    )

    recon_counter: Counter[tuple[str, str, str]] = Counter(
        (r.rule, r.severity, r.article) for r in scan.reconcile
    )
    reconcile = _table(
        "scan-reconcile",
        _("Findings against the register (reconciliation)"),
        (_("Rule"), _("Severity"), _("Article"), _("Count")),
        (
            (rule, sev, art, n)
            for (rule, sev, art), n in sorted(recon_counter.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        _("No reconciliation recorded yet: run `rgpd reconcile`."),
    )

    first_scan = prev is None
    new = [
        f
        for f in scan.findings
        if last is not None and not first_scan and f.first_run_id == last.id
    ]
    new_ent: Counter[str] = Counter()
    for f in new:
        new_ent[f.entity_type] += f.count
    changes = ScanChanges(
        first_scan=first_scan,
        new_sources=len({f.uri for f in new}),
        new_occurrences=sum(f.count for f in new),
        gone_sources=scan.sources_gone,
        errors_now=len(last_errors),
        errors_before=len(prev_errors),
        new_by_entity=_table(
            "scan-new",
            _("New since the previous scan"),
            (_("Type of data"), _("Occurrences")),
            ((entity_label(e), n) for e, n in new_ent.most_common()),
            _("Nothing new since the previous scan."),
        ),
    )
    top = entity_rows[:12]
    total_occ = sum(ent_occ.values())
    chart = Chart(
        key="chart-entities",
        title=_("Share of occurrences by type of data"),
        kind="hbar",
        categories=tuple(entity_label(e) for e in top),
        series=(
            Series(
                _("Share of occurrences (%)"),
                tuple(round(100 * ent_occ[e] / total_occ, 1) if total_occ else 0.0 for e in top),
            ),
        ),
        summary=_(
            "{n} types of data found; the most frequent is {top} ({share} of occurrences).",
            n=len(entity_rows),
            top=entity_label(top[0]) if top else "—",
            share=f"{round(100 * ent_occ[top[0]] / total_occ)} %" if top and total_occ else "—",
        ),
        unit="%",
    )
    return ScanContext(
        has_data=bool(scan.findings or scan.runs),
        last_run=last,
        runs_count=len(runs),
        sources_scanned=max(scan.sources_scanned, len(per_source)),
        sources_with_findings=len(per_source),
        occurrences=total_occ,
        special_sources=special_sources,
        nir_sources=nir_sources,
        nir_unauthorised_sources=nir_unauth,
        undeclared_sources=undeclared,
        special_undeclared_sources=special_undeclared,
        retention_overruns=sum(v[1] for v in overruns.values()),
        errors_count=len(last_errors),
        by_location=by_location,
        by_department=by_department,
        entities=entities,
        special=special_tbl,
        nir=nir_tbl,
        errors=errors,
        errors_by_reason=errors_by_reason,
        reconcile=reconcile,
        reconcile_count=len(scan.reconcile),
        changes=changes,
        entity_chart=chart,
        undeclared_locations=tuple(undeclared_locs.most_common()),
        overruns_by_activity=tuple(
            (ref, v[0], v[1], v[2]) for ref, v in sorted(overruns.items(), key=lambda kv: -kv[1][1])
        ),
    )


def _retention_limit_days(a: Activity, loc: DataLocation) -> int | None:
    """Longest active + intermediate period of the categories kept at this location.

    A file's modification date stands in for the retention trigger ("from the
    closing of the file"): an indicator to check, not a legal finding.
    """
    wanted = set(loc.categories) or a.category_keys()
    days = [
        u.retention.total_days() for u in a.data_categories if u.category in wanted and u.retention
    ]
    return max(days) if days else None


# ================================================================================ requests


ANSWERED = frozenset({RequestState.COMPLETED, RequestState.REFUSED, RequestState.REDIRECTED})

_GROUND_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        r"12\s*\(\s*5\s*\)|manifestement infond|manifestly unfounded|excessi",
        N_("Manifestly unfounded or excessive (Art. 12(5))"),
    ),
    (
        r"11\s*\(\s*2\s*\)|12\s*\(\s*2\s*\)|identif",
        N_("Person could not be identified (Art. 11(2), 12(2))"),
    ),
    (
        r"17\s*\(\s*3\s*\)|obligation l[ée]gale|legal obligation|mission d'int[ée]r[êe]t public|public task",
        N_("Erasure excluded: legal obligation or public task (Art. 17(3))"),
    ),
    (r"20\s*\(\s*3\s*\)|portabilit", N_("Portability not applicable (Art. 20)")),
    (
        r"21\s*\(\s*1\s*\)|motifs l[ée]gitimes imp[ée]rieux|compelling legitimate",
        N_("Compelling legitimate grounds (Art. 21(1))"),
    ),
    (
        r"15\s*\(\s*4\s*\)|droits d'autrui|rights (and freedoms )?of others|tiers",
        N_("Rights of others (Art. 15(4))"),
    ),
    (
        r"\b23\b|limitation l[ée]gale|restriction by law",
        N_("Restriction provided by law (Art. 23)"),
    ),
)


def refusal_grounds(reason: str) -> tuple[str, ...]:
    """Legal grounds named in a refusal's reason, as msgids (the free text is not kept).

    The reason an agent typed may name the person, so reports show only the grounds
    recognised here (Art. 12(4): a refusal states its reasons).
    """
    low = reason.lower()
    found = tuple(label for pat, label in _GROUND_PATTERNS if re.search(pat, low))
    return found or (N_("Other reason (see the request file)"),)


@dataclass(frozen=True)
class RequestsContext:
    total: int
    answered: int
    answered_on_time: int
    share_on_time: float | None
    median_days: float | None
    worst_days: int | None
    worst_ref: str | None
    open_count: int
    overdue_count: int
    refused_count: int
    by_type: Table
    by_state: Table
    open: Table
    overdue: Table
    refusals: Table
    type_chart: Chart
    overdue_refs: tuple[str, ...]
    late_refs: tuple[str, ...]


def _open_deadline(r: RequestData, today: date, alsace_moselle: bool) -> tuple[date, int, str]:
    """Current due date of an open request (Art. 12(3)).

    The stored due date is recomputed by the requests wing at every event; only a
    suspension still open moves it day after day, so only then are the events
    replayed here. The stored value is kept if they cannot be replayed.
    """
    pauses = [e for e in r.clock_events if e.kind is deadlines.ClockEventKind.PAUSE]
    resumes = [e for e in r.clock_events if e.kind is deadlines.ClockEventKind.RESUME]
    if len(pauses) <= len(resumes):
        left = (r.due_on - today).days
        if left < 0:
            status = "overdue"
        elif left <= deadlines.DEFAULT_DUE_SOON_DAYS:
            status = "due_soon"
        else:
            status = "ok"
        return r.due_on, left, status
    try:
        d = deadlines.compute_deadline(
            r.received_on, r.clock_events, alsace_moselle=alsace_moselle, today=today
        )
        return d.due, (d.due - today).days, d.status.value
    except InvalidInput:
        left = (r.due_on - today).days
        return r.due_on, left, "overdue" if left < 0 else "ok"


_DEADLINE_STATUS = {
    "ok": N_("on track"),
    "due_soon": N_("due soon"),
    "overdue": N_("overdue"),
    "paused": N_("clock suspended"),
    "closed": N_("closed"),
}


def build_requests(data: OrgData, today: date, period: Period | None) -> RequestsContext:
    reqs = [r for r in data.requests if period is None or r.received_on in period]
    am = data.org.alsace_moselle
    answered = (
        [r for r in reqs if RequestState(r.state) in ANSWERED and r.closed_on is not None]
        if reqs
        else []
    )
    on_time = [r for r in answered if r.closed_on is not None and r.closed_on <= r.due_on]
    late = [r for r in answered if r.closed_on is not None and r.closed_on > r.due_on]
    days = [(r.closed_on - r.received_on).days for r in answered if r.closed_on is not None]
    worst = max(
        answered, key=lambda r: ((r.closed_on or r.received_on) - r.received_on).days, default=None
    )
    open_rows = []
    for r in reqs:
        if RequestState(r.state).terminal:
            continue
        due, left, status = _open_deadline(r, today, am)
        open_rows.append((r, due, left, status))
    open_rows.sort(key=lambda t: (t[1], t[0].ref))
    overdue = [t for t in open_rows if t[3] == "overdue"]

    types = Counter(r.type for r in reqs)
    states = Counter(r.state for r in reqs)
    by_type = _table(
        "requests-types",
        _("Requests by type"),
        (_("Type"), _("Article"), _("Requests")),
        (
            (
                _label_request_type(t),
                RequestType(t).article if t in RequestType._value2member_map_ else "",
                n,
            )
            for t, n in sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        _("No request received."),
    )
    by_state = _table(
        "requests-states",
        _("Requests by state"),
        (_("State"), _("Requests")),
        ((_label_state(s), n) for s, n in sorted(states.items(), key=lambda kv: (-kv[1], kv[0]))),
        _("No request received."),
    )
    cols = (_("Reference"), _("Type"), _("Received"), _("Due"), _("Days left"), _("Status"))

    def open_row(t: tuple[RequestData, date, int, str]) -> tuple[Cell, ...]:
        r, due, left, status = t
        return (
            r.ref,
            _label_request_type(r.type),
            r.received_on,
            due,
            left,
            _(_DEADLINE_STATUS.get(status, status)) + (" · " + _("extended") if r.extended else ""),
        )

    open_tbl = _table(
        "requests-open",
        _("Open requests and their due dates (Art. 12(3))"),
        cols,
        (open_row(t) for t in open_rows),
        _("No open request."),
    )
    overdue_tbl = _table(
        "requests-overdue",
        _("Overdue requests"),
        cols,
        (open_row(t) for t in overdue),
        _("No overdue request."),
    )
    refused = [r for r in reqs if r.state == RequestState.REFUSED]
    refusals = _table(
        "requests-refusals",
        _("Refusals and their grounds (Art. 12(4))"),
        (_("Reference"), _("Type"), _("Received"), _("Refused on"), _("Grounds")),
        (
            (
                r.ref,
                _label_request_type(r.type),
                r.received_on,
                r.closed_on,
                "; ".join(_(g) for g in r.refusal_grounds) or _("not recorded"),
            )
            for r in sorted(refused, key=lambda r: (r.closed_on or r.received_on, r.ref))
        ),
        _("No refusal."),
    )
    type_items = sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))
    chart = Chart(
        key="chart-request-types",
        title=_("Requests by type"),
        kind="hbar",
        categories=tuple(_label_request_type(t) for t, _n in type_items),
        series=(Series(_("Requests"), tuple(float(n) for _t, n in type_items)),),
        summary=_(
            "{total} requests; most frequent type: {top}.",
            total=len(reqs),
            top=_label_request_type(type_items[0][0]) if type_items else "—",
        ),
    )
    return RequestsContext(
        total=len(reqs),
        answered=len(answered),
        answered_on_time=len(on_time),
        share_on_time=(len(on_time) / len(answered)) if answered else None,
        median_days=float(statistics.median(days)) if days else None,
        worst_days=((worst.closed_on or worst.received_on) - worst.received_on).days
        if worst
        else None,
        worst_ref=worst.ref if worst else None,
        open_count=len(open_rows),
        overdue_count=len(overdue),
        refused_count=len(refused),
        by_type=by_type,
        by_state=by_state,
        open=open_tbl,
        overdue=overdue_tbl,
        refusals=refusals,
        type_chart=chart,
        overdue_refs=tuple(t[0].ref for t in overdue),
        late_refs=tuple(r.ref for r in late),
    )


# ================================================================================ breaches


class BreachStatus(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    NOT_NOTIFIED = "not_notified"  # decision recorded: no notification (Art. 33(1), 33(5))
    PENDING = "pending"  # within 72 h, not yet notified
    OVERDUE = "overdue"  # past 72 h, no notification and no decision not to notify


_BREACH_STATUS = {
    BreachStatus.ON_TIME: N_("notified within 72 hours"),
    BreachStatus.LATE: N_("notified late"),
    BreachStatus.NOT_NOTIFIED: N_("not notified (decision recorded)"),
    BreachStatus.PENDING: N_("72-hour clock running"),
    BreachStatus.OVERDUE: N_("past 72 hours, not notified"),
}

_ART34 = {
    Art34Decision.INFORM: N_("people informed (Art. 34(1))"),
    Art34Decision.NOT_HIGH_RISK: N_("no high risk: people not informed"),
    Art34Decision.EXCEPTION_A: N_("exception Art. 34(3)(a): data unintelligible"),
    Art34Decision.EXCEPTION_B: N_("exception Art. 34(3)(b): risk removed"),
    Art34Decision.EXCEPTION_C: N_("exception Art. 34(3)(c): public communication"),
    Art34Decision.UNDECIDED: N_("to decide"),
}


@dataclass(frozen=True)
class BreachLine:
    ref: str
    title: str
    discovered_at: datetime
    deadline: datetime
    notified_at: datetime | None
    status: BreachStatus
    hours: float  # hours to notification (or elapsed so far)
    notify_decision: str
    art34: str
    people: int | None
    explanation: tuple[str, ...]


@dataclass(frozen=True)
class BreachesContext:
    total: int
    notified: int
    on_time: int
    late: int
    overdue: int
    pending: int
    not_notified: int
    undecided_art34: int
    lines: tuple[BreachLine, ...]
    table: Table


def breach_line(b: Breach, now: datetime) -> BreachLine:
    first = b.first_notified_at
    clock = deadlines.breach_deadline(b.discovered_at, now=now, notified_at=first)
    if first is not None:
        status = BreachStatus.LATE if clock.late else BreachStatus.ON_TIME
        hours = (first - b.discovered_at).total_seconds() / 3600
    elif b.notify_decision is False:
        status = BreachStatus.NOT_NOTIFIED
        hours = 0.0
    else:
        status = BreachStatus.OVERDUE if clock.late else BreachStatus.PENDING
        hours = (now - b.discovered_at).total_seconds() / 3600
    if b.notify_decision is None:
        decision = _("not decided")
    elif b.notify_decision:
        decision = _("notify the CNIL")
    else:
        decision = _(
            "no notification: {reason}", reason=b.notify_reason or _("reason not recorded")
        )
    return BreachLine(
        ref=b.ref,
        title=b.title,
        discovered_at=b.discovered_at,
        deadline=clock.deadline,
        notified_at=first,
        status=status,
        hours=round(hours, 1),
        notify_decision=decision,
        art34=_(_ART34[b.art34_decision]),
        people=b.people_count,
        explanation=clock.explanation,
    )


def build_breaches(data: OrgData, now: datetime, period: Period | None) -> BreachesContext:
    bs = [
        b
        for b in data.register.breaches
        if period is None or _as_utc_naive(b.discovered_at) in period
    ]
    lines = [breach_line(b, now) for b in sorted(bs, key=lambda b: _as_utc_naive(b.discovered_at))]
    c = Counter(line.status for line in lines)
    table = _table(
        "breaches",
        _("Breaches and their 72-hour clocks (Art. 33)"),
        (
            _("Reference"),
            _("Breach"),
            _("Aware on"),
            _("72 h deadline"),
            _("Notified on"),
            _("Hours"),
            _("Status"),
            _("Decision (Art. 33)"),
            _("People informed (Art. 34)"),
        ),
        (
            (
                line.ref,
                line.title,
                line.discovered_at,
                line.deadline,
                line.notified_at,
                line.hours,
                _(_BREACH_STATUS[line.status]),
                line.notify_decision,
                line.art34,
            )
            for line in lines
        ),
        _("No breach recorded."),
    )
    return BreachesContext(
        total=len(lines),
        notified=c[BreachStatus.ON_TIME] + c[BreachStatus.LATE],
        on_time=c[BreachStatus.ON_TIME],
        late=c[BreachStatus.LATE],
        overdue=c[BreachStatus.OVERDUE],
        pending=c[BreachStatus.PENDING],
        not_notified=c[BreachStatus.NOT_NOTIFIED],
        undecided_art34=sum(1 for b in bs if b.art34_decision == Art34Decision.UNDECIDED),
        lines=tuple(lines),
        table=table,
    )


# ============================================================================== compliance


@dataclass(frozen=True)
class ScorePoint:
    """One line of the scorecard: what was measured, against which article, from which items."""

    key: str
    label: str
    article: str
    weight: int
    earned: float  # 0..weight
    applicable: bool
    explanation: str
    items: tuple[str, ...]

    @property
    def percent(self) -> int | None:
        return round(100 * self.earned / self.weight) if self.applicable else None


@dataclass(frozen=True)
class ActionItem:
    rank: int
    title: str
    article: str
    risk: int
    why: str


@dataclass(frozen=True)
class ComplianceContext:
    score: int | None
    points: tuple[ScorePoint, ...]
    actions: tuple[ActionItem, ...]
    completeness: Table
    points_table: Table
    actions_table: Table
    score_chart: Chart


def _ratio_point(
    key: str,
    label: str,
    article: str,
    weight: int,
    good: int,
    total: int,
    explanation: str,
    items: Iterable[str],
    na: str,
) -> ScorePoint:
    if total <= 0:
        return ScorePoint(key, label, article, weight, 0.0, False, na, ())
    return ScorePoint(
        key,
        label,
        article,
        weight,
        round(weight * good / total, 2),
        True,
        explanation,
        tuple(items),
    )


#: Base risk of each kind of action, highest first (the volume adds to it, capped).
RISK = {
    "breach_overdue": 100,
    "request_overdue": 90,
    "nir_unauthorised": 85,
    "breach_late": 80,
    "dpia_missing": 75,
    "special_undeclared": 70,
    "lint_error": 60,
    "processor_contract": 55,
    "retention_overrun": 45,
    "undeclared_location": 40,
    "requests_late": 35,
    "scan_errors": 20,
}


def _risk(kind: str, volume: int) -> int:
    import math

    return RISK[kind] + min(15, round(5 * math.log10(max(volume, 1))))


def build_compliance(
    data: OrgData,
    today: date,
    register: RegisterContext,
    scan: ScanContext,
    requests: RequestsContext,
    breaches: BreachesContext,
) -> ComplianceContext:
    reg = data.register
    org = reg.organisation or data.org
    reg = reg.model_copy(update={"organisation": org})
    acts = reg.activities
    issues = lint_register(reg, today)
    err_by_act: dict[str, list[LintIssue]] = defaultdict(list)
    for i in issues:
        if i.severity == Severity.ERROR:
            err_by_act[i.activity_ref or ""].append(i)
    names = {a.ref: a.name for a in acts}
    points: list[ScorePoint] = []

    comp = [(a, completeness(a, org)) for a in acts]
    if acts:
        mean = statistics.fmean(c for _a, c in comp)
        points.append(
            ScorePoint(
                "register_completeness",
                _("Register completeness"),
                "Art. 30(1)",
                20,
                round(20 * mean, 2),
                True,
                _(
                    "Average share of the Art. 30(1) fields filled, over {n} activities.",
                    n=len(acts),
                ),
                tuple(f"{a.name}: {round(c * 100)} %" for a, c in comp if c < 1),
            )
        )
    else:
        points.append(
            ScorePoint(
                "register_completeness",
                _("Register completeness"),
                "Art. 30(1)",
                20,
                0.0,
                True,
                _("The register is empty: every public authority keeps one (Art. 30(1))."),
                (),
            )
        )
    clean = [a for a in acts if not err_by_act.get(a.ref)]
    points.append(
        _ratio_point(
            "lint_errors",
            _("Activities without register errors"),
            "Art. 30, Art. 6, Art. 9",
            15,
            len(clean),
            len(acts),
            _(
                "{good} of {total} activities pass the register check without error.",
                good=len(clean),
                total=len(acts),
            ),
            (
                f"{names.get(i.activity_ref or '', _('(register)'))}: {i.message}"
                for a_ref, lst in err_by_act.items()
                for i in lst
                if a_ref
            ),
            _("No activity to check."),
        )
    )
    dpia_req = [a for a in acts if dpia_verdict(a).required]
    dpia_missing = [a for a in dpia_req if not a.dpia.done]
    points.append(
        _ratio_point(
            "dpia",
            _("DPIAs required and done"),
            "Art. 35",
            15,
            len(dpia_req) - len(dpia_missing),
            len(dpia_req),
            _(
                "{done} of {required} required DPIAs are done.",
                done=len(dpia_req) - len(dpia_missing),
                required=len(dpia_req),
            ),
            (a.name for a in dpia_missing),
            _("No activity requires a DPIA."),
        )
    )
    procs = reg.processors
    no_contract = [p for p in procs if p.contract_date is None]
    points.append(
        _ratio_point(
            "processors",
            _("Processors with a contract"),
            "Art. 28(3)",
            10,
            len(procs) - len(no_contract),
            len(procs),
            _(
                "{good} of {total} processors have a recorded contract.",
                good=len(procs) - len(no_contract),
                total=len(procs),
            ),
            (p.name for p in no_contract),
            _("No processor recorded."),
        )
    )
    points.append(
        _ratio_point(
            "locations",
            _("Data found where the register says it is"),
            "Art. 30(1), Art. 5(2)",
            10,
            scan.sources_with_findings - scan.undeclared_sources,
            scan.sources_with_findings,
            _(
                "{bad} of {total} sources holding personal data are in no location declared in "
                "the register.",
                bad=scan.undeclared_sources,
                total=scan.sources_with_findings,
            ),
            (f"{loc}: {n}" for loc, n in scan.undeclared_locations),
            _("No scan yet: run `rgpd scan files`."),
        )
    )
    declared_sources = scan.sources_with_findings - scan.undeclared_sources
    points.append(
        _ratio_point(
            "retention",
            _("Files kept within their retention period"),
            "Art. 5(1)(e)",
            10,
            declared_sources - scan.retention_overruns,
            declared_sources,
            _(
                "{bad} files are older than the longest retention their activity declares "
                "(modification date used as an indicator).",
                bad=scan.retention_overruns,
            ),
            (
                _("{name}: {n} files, oldest {date}", name=name, n=n, date=oldest.isoformat())
                for _ref, name, n, oldest in scan.overruns_by_activity
            ),
            _("No scanned file in a declared location."),
        )
    )
    due_total = requests.answered + requests.open_count
    points.append(
        _ratio_point(
            "requests",
            _("Requests answered or open within the deadline"),
            "Art. 12(3)",
            10,
            due_total - requests.overdue_count - len(requests.late_refs),
            due_total,
            _(
                "{overdue} open requests are overdue and {late} were answered late.",
                overdue=requests.overdue_count,
                late=len(requests.late_refs),
            ),
            (*requests.overdue_refs, *requests.late_refs),
            _("No request received."),
        )
    )
    to_notify = breaches.notified + breaches.overdue
    points.append(
        _ratio_point(
            "breaches",
            _("Breaches notified within 72 hours"),
            "Art. 33(1)",
            10,
            breaches.on_time,
            to_notify,
            _(
                "{late} notified late and {overdue} past 72 hours without notification or "
                "recorded decision.",
                late=breaches.late,
                overdue=breaches.overdue,
            ),
            (
                f"{line.ref}: {line.title}"
                for line in breaches.lines
                if line.status in (BreachStatus.LATE, BreachStatus.OVERDUE)
            ),
            _("No breach to notify."),
        )
    )
    applicable = [p for p in points if p.applicable]
    score = (
        round(100 * sum(p.earned for p in applicable) / sum(p.weight for p in applicable))
        if applicable
        else None
    )

    # -- actions ranked by risk
    cands: list[tuple[int, str, str, str]] = []  # risk, title, article, why
    for line in breaches.lines:
        if line.status == BreachStatus.OVERDUE:
            cands.append(
                (
                    _risk("breach_overdue", line.people or 1),
                    _("Notify the CNIL of breach {ref} or record why not", ref=line.ref),
                    "Art. 33(1), Art. 33(5)",
                    _("Aware for {hours} hours, past the 72-hour limit.", hours=line.hours),
                )
            )
        elif line.status == BreachStatus.LATE:
            cands.append(
                (
                    _risk("breach_late", 1),
                    _("Record the reasons for the late notification of {ref}", ref=line.ref),
                    "Art. 33(1)",
                    _("Notified after {hours} hours.", hours=line.hours),
                )
            )
    if requests.overdue_count:
        cands.append(
            (
                _risk("request_overdue", requests.overdue_count),
                _("Answer the {n} overdue requests", n=requests.overdue_count),
                "Art. 12(3)",
                ", ".join(requests.overdue_refs[:5]) + (" …" if requests.overdue_count > 5 else ""),
            )
        )
    if scan.nir_unauthorised_sources:
        cands.append(
            (
                _risk("nir_unauthorised", scan.nir_unauthorised_sources),
                _(
                    "Remove or justify the NIR found in {n} sources outside an authorised activity",
                    n=scan.nir_unauthorised_sources,
                ),
                "Art. 87; décret n° 2019-341",
                _("The NIR may only be used for the purposes the décret lists."),
            )
        )
    for a in dpia_missing:
        cands.append(
            (
                _risk("dpia_missing", 1),
                _("Carry out the DPIA of « {name} »", name=a.name),
                "Art. 35",
                " ".join(dpia_verdict(a).reasons[-1:]),
            )
        )
    special_undeclared = scan.special_undeclared_sources
    if special_undeclared:
        cands.append(
            (
                _risk("special_undeclared", special_undeclared),
                _(
                    "Declare or remove special-category data found in {n} undeclared sources",
                    n=special_undeclared,
                ),
                "Art. 9, Art. 30(1)(c)",
                _("Health, beliefs, opinions or offences outside any declared location."),
            )
        )
    for ref, lst in sorted(err_by_act.items(), key=lambda kv: -len(kv[1])):
        if not ref:
            continue
        cands.append(
            (
                _risk("lint_error", len(lst)),
                _(
                    "Fix the register entry « {name} » ({n} errors)",
                    name=names.get(ref, ref),
                    n=len(lst),
                ),
                ", ".join(dict.fromkeys(i.article for i in lst)),
                lst[0].message,
            )
        )
    for p in no_contract:
        cands.append(
            (
                _risk("processor_contract", 1),
                _("Sign and record a contract with {name}", name=p.name),
                "Art. 28(3)",
                _("No contract date in the processors register."),
            )
        )
    for _ref, name, n, oldest in scan.overruns_by_activity:
        cands.append(
            (
                _risk("retention_overrun", n),
                _("Destroy or archive {n} old files of « {name} »", n=n, name=name),
                "Art. 5(1)(e)",
                _("Oldest modified on {date}.", date=oldest.isoformat()),
            )
        )
    if scan.undeclared_locations:
        cands.append(
            (
                _risk("undeclared_location", scan.undeclared_sources),
                _(
                    "Declare or clean the {n} sources with personal data outside the register",
                    n=scan.undeclared_sources,
                ),
                "Art. 30(1)",
                ", ".join(loc for loc, _n in scan.undeclared_locations[:3]),
            )
        )
    if requests.late_refs:
        cands.append(
            (
                _risk("requests_late", len(requests.late_refs)),
                _("Review why {n} requests were answered late", n=len(requests.late_refs)),
                "Art. 12(3)",
                ", ".join(requests.late_refs[:5]),
            )
        )
    if scan.errors_count:
        cands.append(
            (
                _risk("scan_errors", scan.errors_count),
                _("Check the {n} sources the scan could not read", n=scan.errors_count),
                "Art. 5(2)",
                _("Unread sources may hold personal data."),
            )
        )
    cands.sort(key=lambda c: (-c[0], c[1]))
    actions = tuple(
        ActionItem(i + 1, title, art, risk, why)
        for i, (risk, title, art, why) in enumerate(cands[:10])
    )
    completeness_table = _table(
        "completeness",
        _("Register completeness per activity"),
        (_("Activity"), _("Completeness"), _("Missing")),
        (
            (
                a.name,
                f"{round(c * 100)} %",
                ", ".join(
                    f"{ch.label} ({ch.article})" for ch in completeness_checks(a, org) if not ch.ok
                ),
            )
            for a, c in sorted(comp, key=lambda t: (t[1], t[0].name))
        ),
        _("The register holds no activity yet."),
    )
    points_table = _table(
        "score-points",
        _("How the score is made"),
        (_("Point"), _("Article"), _("Weight"), _("Earned"), _("Explanation")),
        (
            (
                p.label,
                p.article,
                p.weight,
                p.earned if p.applicable else _("not applicable"),
                p.explanation,
            )
            for p in points
        ),
    )
    actions_table = _table(
        "actions",
        _("Top ten actions, by risk"),
        ("#", _("Action"), _("Article"), _("Risk"), _("Why")),
        ((a.rank, a.title, a.article, a.risk, a.why) for a in actions),
        _("No action needed."),
    )
    chart = Chart(
        key="chart-score",
        title=_("Score by point (% of each point's weight)"),
        kind="hbar",
        categories=tuple(p.label for p in applicable),
        series=(Series(_("Score (%)"), tuple(float(p.percent or 0) for p in applicable)),),
        summary=_(
            "Overall score {score} out of 100; weakest point: {weak}.",
            score=score if score is not None else "—",
            weak=min(applicable, key=lambda p: p.earned / p.weight).label if applicable else "—",
        ),
        unit="%",
    )
    return ComplianceContext(
        score=score,
        points=tuple(points),
        actions=actions,
        completeness=completeness_table,
        points_table=points_table,
        actions_table=actions_table,
        score_chart=chart,
    )


# ================================================================================== trends


@dataclass(frozen=True)
class TrendsContext:
    year: int
    requests_chart: Chart
    activity_chart: Chart
    table: Table
    totals: dict[str, int]


def build_trends(data: OrgData, year: int) -> TrendsContext:
    """Monthly series over the calendar year (the annual report's trends)."""
    period = Period.year(year)
    months = _months()

    def series(dates: Iterable[date | datetime]) -> tuple[float, ...]:
        c: Counter[int] = Counter()
        for d in dates:
            if d in period:
                c[d.month] += 1
        return tuple(float(c[m]) for m in range(1, 13))

    received = series(r.received_on for r in data.requests)
    answered_reqs = [
        r for r in data.requests if RequestState(r.state) in ANSWERED and r.closed_on is not None
    ]
    answered = series(r.closed_on for r in answered_reqs if r.closed_on)
    late = series(r.closed_on for r in answered_reqs if r.closed_on and r.closed_on > r.due_on)
    breaches = series(_as_utc_naive(b.discovered_at) for b in data.register.breaches)
    run_start = {r.id: r.started_at for r in data.scan.runs}
    new_findings: Counter[int] = Counter()
    for f in data.scan.findings:
        started = run_start.get(f.first_run_id or -1)
        if started is not None and started in period:
            new_findings[started.month] += f.count
    found = tuple(float(new_findings[m]) for m in range(1, 13))
    errors = series(e.at for e in data.scan.errors)
    changes = series(data.register_changes)

    req_chart = Chart(
        key="chart-requests-monthly",
        title=_("Requests per month, {year}", year=year),
        kind="bar",
        categories=months,
        series=(
            Series(_("Received"), received),
            Series(_("Answered"), answered),
            Series(_("Answered late"), late),
        ),
        summary=_(
            "{received} requests received and {answered} answered in {year}, {late} of them late.",
            received=int(sum(received)),
            answered=int(sum(answered)),
            late=int(sum(late)),
            year=year,
        ),
    )
    act_chart = Chart(
        key="chart-activity-monthly",
        title=_("Register changes, breaches and scan errors per month, {year}", year=year),
        kind="line",
        categories=months,
        series=(
            Series(_("Register changes"), changes),
            Series(_("Breaches"), breaches),
            Series(_("Scan errors"), errors),
        ),
        summary=_(
            "{changes} register changes, {breaches} breaches and {errors} scan errors in {year}.",
            changes=int(sum(changes)),
            breaches=int(sum(breaches)),
            errors=int(sum(errors)),
            year=year,
        ),
    )
    names = (
        _("Requests received"),
        _("Requests answered"),
        _("Answered late"),
        _("Breaches"),
        _("New personal data found"),
        _("Scan errors"),
        _("Register changes"),
    )
    cols = (received, answered, late, breaches, found, errors, changes)
    table = _table(
        "trends",
        _("Month by month, {year}", year=year),
        (_("Month"), *names),
        ((months[m], *(int(c[m]) for c in cols)) for m in range(12)),
    )
    totals = {
        "requests_received": int(sum(received)),
        "requests_answered": int(sum(answered)),
        "requests_late": int(sum(late)),
        "breaches": int(sum(breaches)),
        "new_findings": int(sum(found)),
        "scan_errors": int(sum(errors)),
        "register_changes": int(sum(changes)),
    }
    return TrendsContext(year, req_chart, act_chart, table, totals)


# ================================================================================== report


@dataclass(frozen=True)
class OrgSection:
    org: OrgHeader
    register: RegisterContext | None = None
    scan: ScanContext | None = None
    requests: RequestsContext | None = None
    breaches: BreachesContext | None = None
    compliance: ComplianceContext | None = None
    trends: TrendsContext | None = None


@dataclass(frozen=True)
class Report:
    kind: ReportKind
    title: str
    generated_on: date
    period: Period | None
    year: int | None
    lang: str
    sections: tuple[OrgSection, ...]
    consolidated: bool
    totals: Table | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        return PARTS[self.kind]

    def tables(self) -> list[Table]:
        """Every table of the report, in reading order (the CSV/XLSX exports)."""
        out: list[Table] = []
        if self.totals is not None:
            out.append(self.totals)
        for s in self.sections:
            prefix = f"{s.org.slug}: " if self.consolidated else ""
            for t in _section_tables(s, self.parts):
                out.append(
                    Table(t.key, prefix + t.title, t.columns, t.rows, t.total_rows, t.empty_text)
                )
        return out


def _section_tables(s: OrgSection, parts: Sequence[str]) -> list[Table]:
    out: list[Table] = []
    for part in parts:
        if part == "trends" and s.trends:
            out.append(s.trends.table)
        elif part == "compliance" and s.compliance:
            c = s.compliance
            out += [c.points_table, c.actions_table, c.completeness]
        elif part == "register" and s.register:
            r = s.register
            out += [r.summary, r.issues, r.processors, r.public]
            for sheet in r.sheets:
                rows = [
                    (g.title, f.label, "\n".join(f.lines))
                    for g in sheet.groups
                    for f in g.fields
                    if f.lines
                ]
                out.append(
                    Table(
                        f"sheet-{sheet.ref}",
                        sheet.name,
                        (_("Section"), _("Field"), _("Value")),
                        tuple(rows),
                    )
                )
        elif part == "scan" and s.scan:
            sc = s.scan
            out += [
                sc.by_location,
                sc.by_department,
                sc.entities,
                sc.special,
                sc.nir,
                sc.changes.new_by_entity,
                sc.errors_by_reason,
                sc.errors,
                sc.reconcile,
            ]
        elif part == "requests" and s.requests:
            rq = s.requests
            out += [rq.by_type, rq.by_state, rq.open, rq.overdue, rq.refusals]
        elif part == "breaches" and s.breaches:
            out.append(s.breaches.table)
    return out


def cap_tables(obj: Any, limit: int) -> Any:
    """``obj`` with every :class:`Table` inside it cut to ``limit`` rows (the note says so)."""
    import dataclasses

    if isinstance(obj, Table):
        if len(obj.rows) <= limit:
            return obj
        return dataclasses.replace(
            obj, rows=obj.rows[:limit], total_rows=obj.total_rows or len(obj.rows)
        )
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {}
        for f in dataclasses.fields(obj):
            v = getattr(obj, f.name)
            if isinstance(v, Table) or (dataclasses.is_dataclass(v) and not isinstance(v, type)):
                changes[f.name] = cap_tables(v, limit)
        return dataclasses.replace(obj, **changes) if changes else obj
    return obj


def build_section(
    data: OrgData,
    kind: ReportKind,
    *,
    today: date,
    now: datetime,
    year: int | None,
) -> OrgSection:
    """The contexts ``kind`` shows for one organisation (the compliance score needs them all)."""
    parts = PARTS[kind]
    period = Period.year(year) if year else None
    need_all = "compliance" in parts
    register = (
        build_register(data, today, with_sheets=kind == ReportKind.REGISTER)
        if "register" in parts or need_all
        else None
    )
    scan = build_scan(data, today) if "scan" in parts or need_all else None
    requests = build_requests(data, today, period) if "requests" in parts or need_all else None
    breaches = build_breaches(data, now, period) if "breaches" in parts or need_all else None
    compliance = None
    if need_all and register and scan and requests and breaches:
        compliance = build_compliance(data, today, register, scan, requests, breaches)
    trends = build_trends(data, year or today.year) if "trends" in parts else None
    if kind == ReportKind.ANNUAL:
        register, scan, requests, breaches, compliance = (
            cap_tables(c, ANNUAL_ROWS) for c in (register, scan, requests, breaches, compliance)
        )
    return OrgSection(
        org=org_header(data.org),
        register=register if "register" in parts else None,
        scan=scan if "scan" in parts else None,
        requests=requests if "requests" in parts else None,
        breaches=breaches if "breaches" in parts else None,
        compliance=compliance,
        trends=trends,
    )


def key_figures(s: OrgSection) -> dict[str, float | int | None]:
    return {
        "activities": s.register.activities_count if s.register else None,
        "register_errors": s.register.errors if s.register else None,
        "sources": s.scan.sources_with_findings if s.scan else None,
        "nir_sources": s.scan.nir_sources if s.scan else None,
        "requests": s.requests.total if s.requests else None,
        "overdue": s.requests.overdue_count if s.requests else None,
        "breaches": s.breaches.total if s.breaches else None,
        "score": s.compliance.score if s.compliance else None,
    }


def _totals_table(sections: Sequence[OrgSection]) -> Table:
    """The shared DPO's overview: one row per organisation, then the totals."""
    labels = {
        "activities": _("Activities"),
        "register_errors": _("Register errors"),
        "sources": _("Sources with personal data"),
        "nir_sources": _("Sources with a NIR"),
        "requests": _("Requests"),
        "overdue": _("Overdue requests"),
        "breaches": _("Breaches"),
        "score": _("Score / 100"),
    }
    figures = [key_figures(s) for s in sections]
    keys = [k for k in labels if any(f[k] is not None for f in figures)]
    rows: list[tuple[Cell, ...]] = [
        (s.org.name, *(f[k] for k in keys)) for s, f in zip(sections, figures, strict=True)
    ]
    total: list[Cell] = [_("Total")]
    for k in keys:
        vals = [f[k] for f in figures if f[k] is not None]
        if k == "score":
            total.append(
                round(statistics.fmean(v for v in vals if v is not None)) if vals else None
            )
        else:
            total.append(sum(v for v in vals if v is not None))
    rows.append(tuple(total))
    return Table(
        "totals",
        _("All organisations"),
        (_("Organisation"), *(labels[k] for k in keys)),
        tuple(rows),
    )


def build_report(
    kind: ReportKind,
    datas: Sequence[OrgData],
    *,
    today: date,
    now: datetime,
    year: int | None = None,
    consolidated: bool = False,
    lang: str = "fr",
) -> Report:
    """The whole report: one section per organisation, plus totals for a shared DPO."""
    if kind == ReportKind.ANNUAL and year is None:
        year = today.year
    sections = tuple(build_section(d, kind, today=today, now=now, year=year) for d in datas)
    return Report(
        kind=kind,
        title=_(TITLES[kind]),
        generated_on=today,
        period=Period.year(year) if year else None,
        year=year,
        lang=lang,
        sections=sections,
        consolidated=consolidated,
        totals=_totals_table(sections) if consolidated else None,
    )
