"""What every report context shares: report kinds, tables and charts as data, the inputs (OrgData), labels, the organisation header.

Pure: plain values in, typed values out (no database, no clock, no rendering).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from rgpd import deadlines, labels
from rgpd.actions.model import Action
from rgpd.i18n import N_, _
from rgpd.registry.maturity import MaturityResult
from rgpd.registry.model import (
    LegalBasis,
    Organisation,
    Register,
    naive_utc,
)

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
    ReportKind.COMPLIANCE: ("compliance", "actions"),
    ReportKind.ANNUAL: (
        "trends",
        "compliance",
        "maturity",
        "actions",
        "register",
        "scan",
        "requests",
        "breaches",
    ),
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


def make_table(
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
    kind: str  # "bar" (vertical, grouped), "hbar" (shares), "line", "riskmap" (DPIA)
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    summary: str
    unit: str = ""
    y_max: float | None = None  # fixed top of the value axis (a score out of 10)

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
    #: a password column's storage (``clear``, ``weak_hash``, ``hashed``, ``unknown``), as
    #: the database scan judged it (Art. 32(1)(a)); None for any other finding
    password_storage: str | None = None


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
    roots: tuple[str, ...] = ()  # the scanned folders: server paths are shown from them


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
    actions: tuple[Action, ...] = ()  # the action plan (rgpd.actions), open and closed
    maturity: tuple[MaturityResult, ...] = ()  # latest answers of each year, oldest first


# ============================================================================== helpers


def request_type_label(value: str) -> str:
    return labels.right(value)


def state_label(value: str) -> str:
    return labels.request_state(value)


#: The entity labels live in rgpd.labels (one home for every code's words).
ENTITY_LABELS: dict[str, str] = labels.ENTITY


def entity_label(entity: str) -> str:
    return labels.entity(entity)


def category_label(key: str) -> str:
    return labels.category(key)


_BASIS_LABELS: dict[LegalBasis, str] = {
    LegalBasis.CONSENT: N_("Consent (Art. 6(1)(a))"),
    LegalBasis.CONTRACT: N_("Contract (Art. 6(1)(b))"),
    LegalBasis.LEGAL_OBLIGATION: N_("Legal obligation (Art. 6(1)(c))"),
    LegalBasis.VITAL_INTERESTS: N_("Vital interests (Art. 6(1)(d))"),
    LegalBasis.PUBLIC_TASK: N_("Public task (Art. 6(1)(e))"),
    LegalBasis.LEGITIMATE_INTERESTS: N_("Legitimate interests (Art. 6(1)(f))"),
}


def basis_label(b: LegalBasis | None) -> str:
    return _(_BASIS_LABELS[b]) if b is not None else _("not recorded")


def month_names(lang_months: Sequence[str] | None = None) -> tuple[str, ...]:
    from babel.dates import get_month_names

    from rgpd.i18n import get_language

    names = get_month_names("abbreviated", locale=get_language())
    return tuple(str(names[m]) for m in range(1, 13))


as_utc_naive = naive_utc  # the register's rule for comparing aware and naive times


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
