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

One module per report (register, scan, requests, breaches, compliance, annual),
plus :mod:`.common` (shared data and labels) and :mod:`.assemble` (sections and
whole reports); every public name stays importable from ``rgpd.reports.context``.
"""

from __future__ import annotations

from rgpd.registry.compliance import (
    ActionItem,
    Check,
    Compliance,
    ScorePoint,
    completeness,
    completeness_checks,
)
from rgpd.registry.locations import LocationIndex, LocationMatch
from rgpd.registry.model import BREACH_STATUS_LABELS, BreachStatus
from rgpd.reports.context.actions import ActionPlanContext, build_action_plan
from rgpd.reports.context.annual import (
    TrendsContext,
    build_trends,
)
from rgpd.reports.context.assemble import (
    OrgSection,
    Report,
    build_report,
    build_section,
    cap_tables,
    key_figures,
)
from rgpd.reports.context.breaches import (
    BreachesContext,
    BreachLine,
    breach_line,
    build_breaches,
)
from rgpd.reports.context.common import (
    ANNUAL_ROWS,
    ENTITY_LABELS,
    FILE_STEMS,
    MAX_ROWS,
    PARTS,
    TITLES,
    Cell,
    Chart,
    OrgData,
    OrgHeader,
    Period,
    ReconcileItem,
    ReportKind,
    RequestData,
    ScanData,
    ScanError,
    ScanRun,
    Series,
    SourceFinding,
    Table,
    as_utc_naive,
    basis_label,
    category_label,
    entity_label,
    make_table,
    month_names,
    org_header,
    request_type_label,
    state_label,
)
from rgpd.reports.context.compliance import (
    ComplianceContext,
    build_compliance,
    request_facts,
    scan_facts,
    score_of,
)
from rgpd.reports.context.maturity import (
    MaturityContext,
    build_maturity,
)
from rgpd.reports.context.register import (
    ActivitySheet,
    Field,
    FieldGroup,
    RegisterContext,
    activity_sheet,
    build_register,
)
from rgpd.reports.context.requests import (
    ANSWERED,
    RequestsContext,
    build_requests,
    refusal_grounds,
)
from rgpd.reports.context.scan import (
    ScanChanges,
    ScanContext,
    build_scan,
    location_of,
)

__all__ = [
    "ANNUAL_ROWS",
    "ANSWERED",
    "BREACH_STATUS_LABELS",
    "ENTITY_LABELS",
    "FILE_STEMS",
    "MAX_ROWS",
    "PARTS",
    "TITLES",
    "ActionItem",
    "ActionPlanContext",
    "ActivitySheet",
    "BreachLine",
    "BreachStatus",
    "BreachesContext",
    "Cell",
    "Chart",
    "Check",
    "Compliance",
    "ComplianceContext",
    "Field",
    "FieldGroup",
    "LocationIndex",
    "LocationMatch",
    "MaturityContext",
    "OrgData",
    "OrgHeader",
    "OrgSection",
    "Period",
    "ReconcileItem",
    "RegisterContext",
    "Report",
    "ReportKind",
    "RequestData",
    "RequestsContext",
    "ScanChanges",
    "ScanContext",
    "ScanData",
    "ScanError",
    "ScanRun",
    "ScorePoint",
    "Series",
    "SourceFinding",
    "Table",
    "TrendsContext",
    "activity_sheet",
    "as_utc_naive",
    "basis_label",
    "breach_line",
    "build_action_plan",
    "build_breaches",
    "build_compliance",
    "build_maturity",
    "build_register",
    "build_report",
    "build_requests",
    "build_scan",
    "build_section",
    "build_trends",
    "cap_tables",
    "category_label",
    "completeness",
    "completeness_checks",
    "entity_label",
    "key_figures",
    "location_of",
    "make_table",
    "month_names",
    "org_header",
    "refusal_grounds",
    "request_facts",
    "request_type_label",
    "scan_facts",
    "score_of",
    "state_label",
]
