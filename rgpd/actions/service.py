"""The action plan's calls (one per command): sync with the compliance report, edit, remind.

Each function is one transaction: the plan's rows and their audit entries are
written together, and bad input (unknown reference, refused transition,
missing reason) writes nothing. "Today" is the workspace's
(:meth:`rgpd.workspace.Workspace.today`) unless a caller passes one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from rgpd.actions import model, store
from rgpd.actions.model import Action, ActionStatus, Origin, Owner
from rgpd.audit import current_actor
from rgpd.errors import Conflict, InvalidInput
from rgpd.i18n import _, use_language
from rgpd.registry.compliance import Compliance
from rgpd.requests.mailer import Mail, Mailer, MailError
from rgpd.storage.lookups import org_row
from rgpd.workspace import Workspace

# ------------------------------------------------------------------------ from the report


@dataclass(frozen=True)
class SyncResult:
    """What ``from-report`` did: created, updated, left alone, and the causes now gone."""

    created: tuple[Action, ...]
    updated: tuple[Action, ...]
    unchanged: tuple[Action, ...]
    resolved: tuple[Action, ...]  # open actions whose cause is gone (closed if ``closed``)
    closed: bool
    closed_but_reported: tuple[Action, ...]
    score: int | None


def sync_from_report(
    ws: Workspace,
    org: str,
    result: Compliance,
    *,
    include_all: bool = False,
    close_resolved: bool = False,
    today: date | None = None,
    now: datetime | None = None,
) -> SyncResult:
    """Plan ``result``'s ranked actions (top ten, or all) without duplicates.

    ``result`` is the compliance report's score
    (:func:`rgpd.registry.compliance.compliance_score`, same risk ranking); the reports
    wing computes it and calls this (:func:`rgpd.reports.service.plan_actions`), so the
    action plan never reaches up into the reports. An open action whose cause left the
    report is listed in ``resolved``; with ``close_resolved`` it is closed as done, the
    reason saying so.
    """
    today = today or ws.today()
    now = now or ws.now()
    wanted = result.all_actions if include_all else result.actions
    actor = _actor(ws)
    created: list[Action] = []
    updated: list[Action] = []
    closed: list[Action] = []
    with ws.db.session() as s:
        o = org_row(s, org)
        existing_rows = {r.origin_key: r for r in store.rows(s, o.id)}
        existing = [store.to_action(r) for r in existing_rows.values()]
        plan = model.plan_sync(existing, wanted, result.all_actions)
        for item in plan.create:
            a = model.from_item(store.next_ref(s, o.id), item, at=now, today=today, actor=actor)
            store.save(
                s, org_id=o.id, org=org, actor=ws.actor, action=a, before=None, change="create"
            )
            created.append(a)
        for old, item in plan.update:
            a = model.refresh(old, item, at=now, actor=actor)
            store.save(
                s,
                org_id=o.id,
                org=org,
                actor=ws.actor,
                action=a,
                before=old,
                row=existing_rows[old.origin_key],
                change="update",
            )
            updated.append(a)
        if close_resolved:
            reason = _(
                "Cause gone from the compliance report on {date} (closed by from-report).",
                date=today.isoformat(),
            )
            for old in plan.resolved:
                a = model.complete(old, at=now, today=today, actor=actor, note=reason)
                store.save(
                    s,
                    org_id=o.id,
                    org=org,
                    actor=ws.actor,
                    action=a,
                    before=old,
                    row=existing_rows[old.origin_key],
                    change="done",
                )
                closed.append(a)
    return SyncResult(
        created=tuple(created),
        updated=tuple(updated),
        unchanged=plan.unchanged,
        resolved=tuple(closed) if close_resolved else plan.resolved,
        closed=close_resolved,
        closed_but_reported=plan.closed_but_reported,
        score=result.score,
    )


# ------------------------------------------------------------------------------ edits


def _actor(ws: Workspace) -> str:
    return current_actor(ws.actor)


def add_action(
    ws: Workspace,
    org: str,
    title: str,
    *,
    description: str = "",
    article: str = "",
    risk: str | int | None = None,
    owner: Owner | None = None,
    due: date | None = None,
    today: date | None = None,
    now: datetime | None = None,
    origin: Origin = Origin.MANUAL,
    origin_key: str | None = None,
) -> Action:
    """A new planned action; by default manual, keyed by its own reference.

    Another wing (a DPIA's measures…) passes its ``origin`` and a stable
    ``origin_key``: a second action with the same key is refused (``Conflict``).
    """
    today = today or ws.today()
    level = model.manual_risk(risk)
    if owner is not None and owner.email is not None and "@" not in owner.email:
        raise InvalidInput("--email", _("not an e-mail address"))
    with ws.db.session() as s:
        o = org_row(s, org)
        ref = store.next_ref(s, o.id)
        key = origin_key or f"manual:{ref}"
        if store.find_by_key(s, o.id, key) is not None:
            raise Conflict(_("an action already exists for {key}", key=key))
        a = model.new_action(
            ref,
            title,
            origin=origin,
            origin_key=key,
            at=now or ws.now(),
            today=today,
            actor=_actor(ws),
            description=description,
            article=article,
            risk=level,
            owner=owner,
            due=due,
        )
        store.save(s, org_id=o.id, org=org, actor=ws.actor, action=a, before=None, change="create")
    return a


@dataclass(frozen=True)
class ActionList:
    today: date
    actions: tuple[Action, ...]

    @property
    def overdue(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.overdue(self.today))


def list_actions(
    ws: Workspace,
    org: str,
    *,
    owner: str | None = None,
    service: str | None = None,
    status: ActionStatus | None = None,
    overdue: bool = False,
    open_only: bool = False,
    today: date | None = None,
) -> ActionList:
    """The plan, open first then by risk; ``owner`` matches the name or the e-mail (no case)."""
    today = today or ws.today()
    with ws.db.session(readonly=True) as s:
        actions = store.load_actions(s, org_row(s, org).id)

    def keep(a: Action) -> bool:
        if owner and owner.casefold() not in {
            (a.owner.name or "").casefold(),
            (a.owner.email or "").casefold(),
        }:
            return False
        if service and service.casefold() != (a.owner.service or "").casefold():
            return False
        if status is not None and a.status is not status:
            return False
        if open_only and not a.is_open:
            return False
        return not overdue or a.overdue(today)

    return ActionList(today, tuple(sorted(filter(keep, actions), key=model.order_key)))


def get_action(ws: Workspace, org: str, ref: str) -> Action:
    with ws.db.session(readonly=True) as s:
        return store.to_action(store.row_of(s, org_row(s, org).id, ref))


def _change(
    ws: Workspace, org: str, ref: str, change: str, fn: Callable[[Action], Action]
) -> Action:
    with ws.db.session() as s:
        o = org_row(s, org)
        row = store.row_of(s, o.id, ref)
        old = store.to_action(row)
        new = fn(old)
        if new != old:
            store.save(
                s,
                org_id=o.id,
                org=org,
                actor=ws.actor,
                action=new,
                before=old,
                row=row,
                change=change,
            )
    return new


def assign_action(
    ws: Workspace,
    org: str,
    ref: str,
    *,
    owner: Owner | None = None,
    due: date | None = None,
    now: datetime | None = None,
) -> Action:
    """Give an open action an owner (name, e-mail, service) and/or a due date."""
    at = now or ws.now()
    return _change(
        ws,
        org,
        ref,
        "assign",
        lambda a: model.assign(a, owner=owner, due=due, at=at, actor=_actor(ws)),
    )


def start_action(
    ws: Workspace, org: str, ref: str, *, today: date | None = None, now: datetime | None = None
) -> Action:
    at, day = now or ws.now(), today or ws.today()
    return _change(
        ws, org, ref, "start", lambda a: model.start(a, at=at, today=day, actor=_actor(ws))
    )


def complete_action(
    ws: Workspace,
    org: str,
    ref: str,
    *,
    note: str = "",
    today: date | None = None,
    now: datetime | None = None,
) -> Action:
    at, day = now or ws.now(), today or ws.today()
    return _change(
        ws,
        org,
        ref,
        "done",
        lambda a: model.complete(a, at=at, today=day, actor=_actor(ws), note=note),
    )


def abandon_action(
    ws: Workspace,
    org: str,
    ref: str,
    *,
    reason: str,
    today: date | None = None,
    now: datetime | None = None,
) -> Action:
    at, day = now or ws.now(), today or ws.today()
    return _change(
        ws,
        org,
        ref,
        "abandon",
        lambda a: model.abandon(a, at=at, today=day, actor=_actor(ws), reason=reason),
    )


# ---------------------------------------------------------------------------- reminders


@dataclass
class RemindResult:
    """One mail per owner with overdue or due-soon actions; failures do not stop the others."""

    plan: model.ReminderPlan
    mails: list[Mail] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)  # addresses reached
    failed: list[str] = field(default_factory=list)  # addresses the mail server refused
    dry_run: bool = False


def remind(
    ws: Workspace,
    org: str,
    *,
    mailer: Mailer | None,
    lang: str = "fr",
    days: int = model.DUE_SOON_DAYS,
    today: date | None = None,
) -> RemindResult:
    """Mail each owner their overdue and due-soon actions (``mailer=None``: compose only)."""
    today = today or ws.today()
    with ws.db.session(readonly=True) as s:
        o = org_row(s, org)
        org_name = o.name
        actions = store.load_actions(s, o.id)
    plan = model.reminders(actions, today, days=days)
    out = RemindResult(plan, dry_run=mailer is None)
    with use_language(lang):
        for r in plan.owners:
            subject, body = model.reminder_text(r, org_name=org_name, today=today, days=days)
            out.mails.append(Mail(r.email, subject, body))
    if mailer is None:
        return out
    for mail in out.mails:
        try:
            mailer.send(mail)
        except MailError:
            out.failed.append(mail.to)
        else:
            out.sent.append(mail.to)
    return out
