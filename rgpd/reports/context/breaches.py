"""The breaches report (Art. 33): the 72-hour clocks, as ``Breach.status(now)`` tells them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from rgpd.i18n import N_, _
from rgpd.registry.model import (
    BREACH_STATUS_LABELS,
    Art34Decision,
    Breach,
    BreachStatus,
)
from rgpd.reports.context.common import (
    OrgData,
    Period,
    Table,
    as_utc_naive,
    make_table,
)

# ================================================================================ breaches


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
    clock = b.clock(now)
    status = b.status(now)
    # a breach decided not to be notified has no clock to show
    hours = 0.0 if status is BreachStatus.NOT_NOTIFIED else clock.hours_elapsed
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
        if period is None or as_utc_naive(b.discovered_at) in period
    ]
    lines = [breach_line(b, now) for b in sorted(bs, key=lambda b: as_utc_naive(b.discovered_at))]
    c = Counter(line.status for line in lines)
    table = make_table(
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
                _(BREACH_STATUS_LABELS[line.status]),
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
