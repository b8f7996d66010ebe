"""The requests report (Arts. 12-22): volumes, deadlines (Art. 12(3)), refusals and their grounds."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date

from rgpd import deadlines
from rgpd.errors import InvalidInput
from rgpd.i18n import N_, _, _n
from rgpd.reports.context.common import (
    Cell,
    Chart,
    OrgData,
    Period,
    RequestData,
    Series,
    Table,
    make_table,
    request_type_label,
    state_label,
)
from rgpd.requests.model import RequestState, RequestType

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
    by_type = make_table(
        "requests-types",
        _("Requests by type"),
        (_("Type"), _("Article"), _("Requests")),
        (
            (
                request_type_label(t),
                RequestType(t).article if t in RequestType._value2member_map_ else "",
                n,
            )
            for t, n in sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        _("No request received."),
    )
    by_state = make_table(
        "requests-states",
        _("Requests by state"),
        (_("State"), _("Requests")),
        ((state_label(s), n) for s, n in sorted(states.items(), key=lambda kv: (-kv[1], kv[0]))),
        _("No request received."),
    )
    cols = (_("Reference"), _("Type"), _("Received"), _("Due"), _("Days left"), _("Status"))

    def open_row(t: tuple[RequestData, date, int, str]) -> tuple[Cell, ...]:
        r, due, left, status = t
        return (
            r.ref,
            request_type_label(r.type),
            r.received_on,
            due,
            left,
            _(_DEADLINE_STATUS.get(status, status)) + (" · " + _("extended") if r.extended else ""),
        )

    open_tbl = make_table(
        "requests-open",
        _("Open requests and their due dates (Art. 12(3))"),
        cols,
        (open_row(t) for t in open_rows),
        _("No open request."),
    )
    overdue_tbl = make_table(
        "requests-overdue",
        _("Overdue requests"),
        cols,
        (open_row(t) for t in overdue),
        _("No overdue request."),
    )
    refused = [r for r in reqs if r.state == RequestState.REFUSED]
    refusals = make_table(
        "requests-refusals",
        _("Refusals and their grounds (Art. 12(4))"),
        (_("Reference"), _("Type"), _("Received"), _("Refused on"), _("Grounds")),
        (
            (
                r.ref,
                request_type_label(r.type),
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
        categories=tuple(request_type_label(t) for t, _count in type_items),
        series=(Series(_("Requests"), tuple(float(n) for _t, n in type_items)),),
        summary=_n(
            "{n} request; most frequent type: {top}.",
            "{n} requests; most frequent type: {top}.",
            len(reqs),
            top=request_type_label(type_items[0][0]) if type_items else "—",
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
