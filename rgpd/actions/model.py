"""The action plan's model and workflow: pure values, no database, no clock, no I/O.

An :class:`Action` is one thing to do, with the cause it comes from (its
*origin*: a register rule, a reconciliation finding, a DPIA, a breach, an
overdue request, or typed by the DPO), an owner, a due date, and a priority
taken from the compliance report's risk ranking
(:func:`rgpd.registry.compliance.risk_of`: one ranking, not a copy). Its status
follows a small state machine::

    planned ──► in_progress ──► done
       │             │
       │             └────────► abandoned   (a reason is required)
       ├──────────────────────► done
       └──────────────────────► abandoned

``done`` and ``abandoned`` are final. Every change appends an :class:`Event` to
the action's history, so the plan shows *who decided what, when*: the
accountability record Art. 5(2) and Art. 24(1) ask for. Values are immutable:
a refused transition raises :class:`rgpd.errors.TransitionRefused` and leaves
the action as it was.

:func:`plan_sync` compares the plan with the compliance report's ranked actions
(keyed by :attr:`rgpd.registry.compliance.ActionItem.key`): what to create, what
to update, and which open actions lost their cause (proposed for closing).
:func:`reminders` groups the overdue and due-soon actions by owner.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from rgpd.deadlines import within_days
from rgpd.errors import InvalidInput, TransitionRefused
from rgpd.i18n import N_, _, _n, format_date, pgettext
from rgpd.registry.compliance import (
    PRIORITY_LABELS,
    RISK,
    ActionItem,
    priority_band,
    risk_of,
)

#: An action is "due soon" this many days ahead (the weekly reminder looks two weeks on).
DUE_SOON_DAYS = 14
#: Longest title (the ``actions.title`` column).
TITLE_MAX = 500
#: Risk of a manual action when the DPO gives none (the band "medium").
MANUAL_RISK = 50


class ActionStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    ABANDONED = "abandoned"


class Origin(StrEnum):
    """Where an action comes from; ``origin_key`` names the very cause inside it."""

    LINT = "lint"  # a register rule (rgpd.registry.rules)
    RECONCILIATION = "reconciliation"  # the scans against the register (rgpd.scan.reconcile)
    DPIA = "dpia"  # a DPIA to carry out or one of its measures
    BREACH = "breach"
    REQUEST = "request"  # overdue or late citizens' requests
    MANUAL = "manual"


STATUS_LABELS: dict[ActionStatus, str] = {
    ActionStatus.PLANNED: N_("planned"),
    ActionStatus.IN_PROGRESS: N_("in progress"),
    ActionStatus.DONE: N_("done"),
    ActionStatus.ABANDONED: N_("abandoned"),
}

ORIGIN_LABELS: dict[Origin, str] = {
    Origin.LINT: N_("register rule"),
    Origin.RECONCILIATION: N_("scan vs register"),
    Origin.DPIA: N_("DPIA"),
    Origin.BREACH: N_("breach"),
    Origin.REQUEST: N_("request"),
    Origin.MANUAL: N_("manual"),
}

#: The words of the history's changes.
CHANGE_LABELS: dict[str, str] = {
    "created": N_("action created"),
    "updated": N_("updated from the report"),
    "assigned": N_("owner or due date set"),
    "started": N_("work started"),
    "done": N_("marked done"),
    "abandoned": N_("marked abandoned"),
}

#: The origin of each kind of ranked action of the compliance report.
ORIGIN_OF_KIND: dict[str, Origin] = {
    "breach_overdue": Origin.BREACH,
    "breach_late": Origin.BREACH,
    "request_overdue": Origin.REQUEST,
    "requests_late": Origin.REQUEST,
    "nir_unauthorised": Origin.RECONCILIATION,
    "special_undeclared": Origin.RECONCILIATION,
    "retention_overrun": Origin.RECONCILIATION,
    "undeclared_location": Origin.RECONCILIATION,
    "scan_errors": Origin.RECONCILIATION,
    "password_weak": Origin.RECONCILIATION,  # reconcile's password_weakly_stored, Art. 32(1)(a)
    "dpia_missing": Origin.DPIA,
    "lint_error": Origin.LINT,
    "processor_contract": Origin.LINT,
}

#: Which transitions the workflow allows (``done`` and ``abandoned`` are final).
ALLOWED: dict[ActionStatus, frozenset[ActionStatus]] = {
    ActionStatus.PLANNED: frozenset(
        {ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.ABANDONED}
    ),
    ActionStatus.IN_PROGRESS: frozenset({ActionStatus.DONE, ActionStatus.ABANDONED}),
    ActionStatus.DONE: frozenset(),
    ActionStatus.ABANDONED: frozenset(),
}

OPEN = frozenset({ActionStatus.PLANNED, ActionStatus.IN_PROGRESS})


@dataclass(frozen=True)
class Owner:
    """Who carries the action out: a person (name, e-mail) in a service of the authority."""

    name: str | None = None
    email: str | None = None
    service: str | None = None

    def __bool__(self) -> bool:
        return bool(self.name or self.email or self.service)

    def label(self) -> str:
        return self.name or self.email or "—"


@dataclass(frozen=True)
class Event:
    """One line of an action's history: who changed what, when, into which status."""

    at: datetime
    actor: str
    change: str  # created | updated | assigned | started | done | abandoned
    status: ActionStatus
    note: str = ""


@dataclass(frozen=True)
class Action:
    ref: str
    title: str
    origin: Origin
    origin_key: str
    created_on: date
    description: str = ""
    article: str = ""
    risk: int = MANUAL_RISK
    owner: Owner = field(default_factory=Owner)
    due: date | None = None
    status: ActionStatus = ActionStatus.PLANNED
    reason: str | None = None  # why it was abandoned, or how it was closed
    closed_on: date | None = None
    history: tuple[Event, ...] = ()

    @property
    def priority(self) -> str:
        """The band of :attr:`risk` (``critical``/``high``/``medium``/``low``)."""
        return priority_band(self.risk)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def from_report(self) -> bool:
        """Whether the compliance report keeps this action's cause (so can see it go)."""
        return self.origin_key.partition(":")[0] in RISK

    def overdue(self, today: date) -> bool:
        return self.is_open and self.due is not None and self.due < today

    def due_soon(self, today: date, days: int = DUE_SOON_DAYS) -> bool:
        return self.is_open and self.due is not None and within_days(self.due, today, days)


def status_label(status: ActionStatus | str) -> str:
    return _(STATUS_LABELS[ActionStatus(status)])


def change_label(change: str) -> str:
    return _(CHANGE_LABELS[change]) if change in CHANGE_LABELS else change


def origin_label(origin: Origin | str) -> str:
    return _(ORIGIN_LABELS[Origin(origin)])


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def new_action(
    ref: str,
    title: str,
    *,
    origin: Origin,
    origin_key: str,
    at: datetime,
    today: date,
    actor: str,
    description: str = "",
    article: str = "",
    risk: int = MANUAL_RISK,
    owner: Owner | None = None,
    due: date | None = None,
) -> Action:
    """A planned action, its history opened by a ``created`` event."""
    title = _clean(title)
    if not title:
        raise InvalidInput("title", _("an action needs a title"))
    if len(title) > TITLE_MAX:
        raise InvalidInput("title", _("at most {n} characters", n=TITLE_MAX))
    if not origin_key:
        raise InvalidInput("origin_key", _("an action needs the key of its cause"))
    return Action(
        ref=ref,
        title=title,
        origin=origin,
        origin_key=origin_key,
        created_on=today,
        description=description.strip(),
        article=article,
        risk=risk,
        owner=owner or Owner(),
        due=due,
        history=(Event(at, actor, "created", ActionStatus.PLANNED),),
    )


def from_item(ref: str, item: ActionItem, *, at: datetime, today: date, actor: str) -> Action:
    """A planned action for one ranked action of the compliance report."""
    kind = item.kind or item.key.partition(":")[0]
    return new_action(
        ref,
        item.title,
        origin=ORIGIN_OF_KIND.get(kind, Origin.MANUAL),
        origin_key=item.key,
        at=at,
        today=today,
        actor=actor,
        description=item.why,
        article=item.article,
        risk=item.risk,
    )


def _refuse(a: Action, to: ActionStatus) -> TransitionRefused:
    return TransitionRefused(
        _(
            "Action {ref}: cannot go from '{src}' to '{dst}'",
            ref=a.ref,
            src=status_label(a.status),
            dst=status_label(to),
        )
    )


def _move(
    a: Action, to: ActionStatus, change: str, *, at: datetime, today: date, actor: str, note: str
) -> Action:
    if to not in ALLOWED[a.status]:
        raise _refuse(a, to)
    closed = to not in OPEN
    return replace(
        a,
        status=to,
        reason=(note or a.reason) if closed else a.reason,
        closed_on=today if closed else None,
        history=(*a.history, Event(at, actor, change, to, note)),
    )


def start(a: Action, *, at: datetime, today: date, actor: str) -> Action:
    """planned → in_progress."""
    return _move(a, ActionStatus.IN_PROGRESS, "started", at=at, today=today, actor=actor, note="")


def complete(a: Action, *, at: datetime, today: date, actor: str, note: str = "") -> Action:
    """planned | in_progress → done (``note``: what was done, optional)."""
    return _move(a, ActionStatus.DONE, "done", at=at, today=today, actor=actor, note=_clean(note))


def abandon(a: Action, *, at: datetime, today: date, actor: str, reason: str) -> Action:
    """planned | in_progress → abandoned; the reason is required (Art. 5(2): a choice is shown)."""
    reason = _clean(reason)
    if not reason:
        raise InvalidInput(
            "--reason",
            _("say why the action is abandoned (Art. 5(2): the choice must be demonstrable)"),
        )
    return _move(
        a, ActionStatus.ABANDONED, "abandoned", at=at, today=today, actor=actor, note=reason
    )


def assign(
    a: Action,
    *,
    owner: Owner | None = None,
    due: date | None = None,
    at: datetime,
    actor: str,
) -> Action:
    """A new owner and/or due date for an open action (fields not given are kept)."""
    if not a.is_open:
        raise TransitionRefused(
            _(
                "Action {ref} is {status}: it can no longer be assigned",
                ref=a.ref,
                status=status_label(a.status),
            )
        )
    if owner is None and due is None:
        raise InvalidInput("--owner", _("give an owner, an e-mail, a service or a due date"))
    if owner is not None and owner.email is not None and "@" not in owner.email:
        raise InvalidInput("--email", _("not an e-mail address"))
    merged = a.owner
    if owner is not None:
        merged = Owner(
            name=owner.name if owner.name is not None else a.owner.name,
            email=owner.email if owner.email is not None else a.owner.email,
            service=owner.service if owner.service is not None else a.owner.service,
        )
    new = replace(a, owner=merged, due=due if due is not None else a.due)
    if new == a:
        return a
    return replace(new, history=(*a.history, Event(at, actor, "assigned", a.status)))


def refresh(a: Action, item: ActionItem, *, at: datetime, actor: str) -> Action:
    """An open action with the report's current wording and risk (unchanged: ``a`` itself)."""
    new = replace(a, title=item.title, description=item.why, article=item.article, risk=item.risk)
    if new == a or not a.is_open:
        return a
    return replace(new, history=(*a.history, Event(at, actor, "updated", a.status)))


# ------------------------------------------------------------------------ sync with the report


@dataclass(frozen=True)
class SyncPlan:
    """What :func:`plan_sync` found: the store applies it in one transaction."""

    create: tuple[ActionItem, ...]
    update: tuple[tuple[Action, ActionItem], ...]
    unchanged: tuple[Action, ...]
    resolved: tuple[Action, ...]  # open, cause gone from the report: proposed for closing
    closed_but_reported: tuple[Action, ...]  # done/abandoned while the report still lists it


def plan_sync(
    existing: Sequence[Action],
    wanted: Sequence[ActionItem],
    current: Iterable[ActionItem],
) -> SyncPlan:
    """Compare the plan with the report.

    ``wanted``: the ranked actions to plan (the report's top ten, or all);
    ``current``: every action the report finds today (what is still a cause).
    One action per cause: an existing action with the same key is updated
    (when open) or left alone (when closed), never duplicated.
    """
    by_key = {a.origin_key: a for a in existing}
    current_keys = {i.key for i in current} | {i.key for i in wanted}
    create: list[ActionItem] = []
    update: list[tuple[Action, ActionItem]] = []
    unchanged: list[Action] = []
    closed: list[Action] = []
    seen: set[str] = set()
    for item in wanted:
        if not item.key or item.key in seen:
            continue
        seen.add(item.key)
        a = by_key.get(item.key)
        if a is None:
            create.append(item)
        elif not a.is_open:
            closed.append(a)
        elif (a.title, a.description, a.article, a.risk) != (
            item.title,
            item.why,
            item.article,
            item.risk,
        ):
            update.append((a, item))
        else:
            unchanged.append(a)
    resolved = tuple(
        a for a in existing if a.is_open and a.from_report and a.origin_key not in current_keys
    )
    return SyncPlan(tuple(create), tuple(update), tuple(unchanged), resolved, tuple(closed))


def manual_risk(value: str | int | None) -> int:
    """The risk of a manual action: a kind of the report's ranking (``dpia_missing``) or 0–115."""
    if value is None or value == "":
        return MANUAL_RISK
    if isinstance(value, str) and value in RISK:
        return risk_of(value)
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            "--risk",
            _("expected a number 0–115 or one of: {kinds}", kinds=", ".join(sorted(RISK))),
        ) from None
    if not 0 <= n <= 115:
        raise InvalidInput("--risk", _("expected a number 0–115"))
    return n


def order_key(a: Action) -> tuple[int, int, date, str]:
    """Plan order: open first, then highest risk, nearest due date, reference."""
    return (0 if a.is_open else 1, -a.risk, a.due or date.max, a.ref)


# ---------------------------------------------------------------------------- reminders


@dataclass(frozen=True)
class OwnerReminder:
    """One owner's overdue and due-soon actions: one e-mail."""

    email: str
    name: str | None
    overdue: tuple[Action, ...]
    due_soon: tuple[Action, ...]


@dataclass(frozen=True)
class ReminderPlan:
    today: date
    days: int  # "due soon" window
    owners: tuple[OwnerReminder, ...]
    without_email: tuple[Action, ...]  # overdue or due soon, but nobody to write to


def reminders(actions: Iterable[Action], today: date, *, days: int = DUE_SOON_DAYS) -> ReminderPlan:
    """Group the open actions overdue or due within ``days`` by their owner's e-mail."""
    by_email: dict[str, tuple[str | None, list[Action], list[Action]]] = {}
    orphans: list[Action] = []
    for a in sorted(actions, key=order_key):
        late, soon = a.overdue(today), a.due_soon(today, days)
        if not (late or soon):
            continue
        if not a.owner.email:
            orphans.append(a)
            continue
        key = a.owner.email.strip().lower()
        _name, lates, soons = by_email.setdefault(key, (a.owner.name, [], []))
        (lates if late else soons).append(a)
    owners = tuple(
        OwnerReminder(email, name, tuple(lates), tuple(soons))
        for email, (name, lates, soons) in sorted(by_email.items())
    )
    return ReminderPlan(today, days, owners, tuple(orphans))


def reminder_text(
    r: OwnerReminder, *, org_name: str, today: date, days: int = DUE_SOON_DAYS
) -> tuple[str, str]:
    """Subject and body of one owner's reminder, in the active language."""
    subject = _(
        "[rgpd] {org}: {late} and {soon} of the GDPR plan",
        org=org_name,
        late=_n("{n} overdue action", "{n} overdue actions", len(r.overdue)),
        soon=_n("{n} upcoming action", "{n} upcoming actions", len(r.due_soon)),
    )
    lines = [
        _("Hello {name},", name=r.name) if r.name else _("Hello,"),
        "",
        _(
            "Here are the actions of {org}'s GDPR action plan assigned to you, as of {date}.",
            org=org_name,
            date=format_date(today),
        ),
    ]

    def block(title: str, items: tuple[Action, ...]) -> None:
        if not items:
            return
        lines.extend(["", title])
        for a in items:
            art = f" ({a.article})" if a.article else ""
            lines.append(
                f"  - {a.ref} — {a.title}{art} — "
                + _(
                    "due {date}, priority {priority}, {status}",
                    date=format_date(a.due),
                    priority=priority_label(a.priority),
                    status=status_label(a.status),
                )
            )

    block(_("Overdue:"), r.overdue)
    block(_("Due within {n} days:", n=days), r.due_soon)
    lines += [
        "",
        _(
            "The controller must implement these measures and be able to demonstrate it "
            "(Art. 24(1) and Art. 5(2) GDPR). Tell the DPO when an action is done, or why it "
            "cannot be."
        ),
        _("This message was sent automatically by rgpd."),
    ]
    return subject, "\n".join(lines) + "\n"


def priority_label(band: str) -> str:
    """The label of a priority band in the active language; an unknown band as it is."""
    label = PRIORITY_LABELS.get(band)
    return pgettext(*label) if label else band
