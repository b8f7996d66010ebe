"""The action plan part: what is open, overdue and done this year, per owner and service.

Shown by the compliance scorecard and the annual report after the score: the
score says what is wrong, the plan says who fixes it and by when — the measures
the controller implements (Art. 24(1)) and can show (Art. 5(2)). Pure: the
actions come in :class:`~rgpd.reports.context.common.OrgData`, ``today`` is a
parameter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from rgpd.actions.model import (
    Action,
    ActionStatus,
    order_key,
    origin_label,
    priority_label,
    status_label,
)
from rgpd.i18n import _
from rgpd.reports.context.common import Cell, OrgData, Period, Table, make_table


@dataclass(frozen=True)
class ActionPlanContext:
    year: int
    total: int
    open_count: int
    overdue_count: int
    done_this_year: int
    abandoned_this_year: int
    by_owner: Table
    by_service: Table
    open_actions: Table
    closed_this_year: Table


def _counts(actions: Iterable[Action], today: date, period: Period) -> tuple[int, int, int]:
    open_n = overdue = done = 0
    for a in actions:
        open_n += a.is_open
        overdue += a.overdue(today)
        done += a.status is ActionStatus.DONE and a.closed_on in period
    return open_n, overdue, done


def _grouped(
    actions: Iterable[Action], key: str, today: date, period: Period
) -> list[tuple[Cell, ...]]:
    groups: dict[tuple[str, str], list[Action]] = defaultdict(list)
    for a in actions:
        service = a.owner.service or _("(no service)")
        owner = a.owner.name or a.owner.email or _("(nobody)")
        groups[(service, owner) if key == "owner" else (service, "")].append(a)
    rows: list[tuple[Cell, ...]] = []
    for (service, owner), items in sorted(groups.items()):
        counts = _counts(items, today, period)
        if not any(counts):
            continue
        rows.append((owner, service, *counts) if key == "owner" else (service, *counts))
    return rows


def build_action_plan(data: OrgData, today: date, year: int) -> ActionPlanContext:
    """The plan as of ``today``; "done this year" counts actions closed in ``year``."""
    period = Period.year(year)
    actions = sorted(data.actions, key=order_key)
    open_n, overdue, done = _counts(actions, today, period)
    counts = (_("Open"), _("Overdue"), _("Done in {year}", year=year))
    by_owner = make_table(
        "actions-by-owner",
        _("Actions per owner"),
        (_("Owner"), _("Service"), *counts),
        _grouped(actions, "owner", today, period),
        _("No action in the plan yet: `rgpd actions from-report` plans the report's actions."),
    )
    by_service = make_table(
        "actions-by-service",
        _("Actions per service"),
        (_("Service"), *counts),
        _grouped(actions, "service", today, period),
        _("No action in the plan yet."),
    )
    open_table = make_table(
        "actions-open",
        _("Open actions"),
        (
            _("Ref"),
            _("Action"),
            _("Article"),
            _("Priority"),
            _("Owner"),
            _("Service"),
            _("Due"),
            _("Status"),
        ),
        (
            (
                a.ref,
                a.title,
                a.article,
                priority_label(a.priority),
                a.owner.name or a.owner.email,
                a.owner.service,
                a.due,
                status_label(a.status) + (" — " + _("overdue") if a.overdue(today) else ""),
            )
            for a in actions
            if a.is_open
        ),
        _("No open action."),
    )
    closed = [a for a in actions if not a.is_open and a.closed_on in period]
    closed_table = make_table(
        "actions-closed",
        _("Actions closed in {year}", year=year),
        (_("Ref"), _("Action"), _("Origin"), _("Owner"), _("Closed on"), _("Status"), _("Note")),
        (
            (
                a.ref,
                a.title,
                origin_label(a.origin),
                a.owner.name or a.owner.email,
                a.closed_on,
                status_label(a.status),
                a.reason,
            )
            for a in sorted(closed, key=lambda a: (a.closed_on or date.min, a.ref))
        ),
        _("No action closed this year."),
    )
    return ActionPlanContext(
        year=year,
        total=len(actions),
        open_count=open_n,
        overdue_count=overdue,
        done_this_year=done,
        abandoned_this_year=sum(1 for a in closed if a.status is ActionStatus.ABANDONED),
        by_owner=by_owner,
        by_service=by_service,
        open_actions=open_table,
        closed_this_year=closed_table,
    )
