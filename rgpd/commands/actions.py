"""actions commands (issue 14: the action plan — owners, due dates, reminders).

Each command parses, makes one call into :mod:`rgpd.actions.service` and renders.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import click

from rgpd.actions import service
from rgpd.actions.model import (
    Action,
    ActionStatus,
    Owner,
    change_label,
    origin_label,
    priority_label,
    status_label,
)
from rgpd.commands._common import Ctx, console, emit_json, ok, pass_ctx, table, warn
from rgpd.i18n import N_, _, _n, _p, format_date
from rgpd.requests.mailer import Mailer, SmtpMailer
from rgpd.workspace import Workspace

_DATE = click.DateTime(["%Y-%m-%d"])


def make_mailer(ws: Workspace) -> Mailer:
    """The mailer of ``actions remind``; tests replace this function with a fake."""
    return SmtpMailer(ws.settings.smtp)


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def action_dict(a: Action, today: date | None = None) -> dict[str, Any]:
    """The ``--json`` form of an action."""
    out: dict[str, Any] = {
        "ref": a.ref,
        "title": a.title,
        "description": a.description,
        "origin": a.origin.value,
        "origin_key": a.origin_key,
        "article": a.article,
        "risk": a.risk,
        "priority": a.priority,
        "owner": a.owner.name,
        "email": a.owner.email,
        "service": a.owner.service,
        "due": a.due.isoformat() if a.due else None,
        "status": a.status.value,
        "reason": a.reason,
        "created_on": a.created_on.isoformat(),
        "closed_on": a.closed_on.isoformat() if a.closed_on else None,
        "history": [
            {
                "at": e.at.isoformat(),
                "actor": e.actor,
                "change": e.change,
                "status": e.status.value,
                "note": e.note,
            }
            for e in a.history
        ],
    }
    if today is not None:
        out["overdue"] = a.overdue(today)
    return out


def _rows(actions: tuple[Action, ...], today: date) -> list[list[Any]]:
    return [
        [
            a.ref,
            a.title,
            priority_label(a.priority),
            a.owner.label(),
            a.owner.service or "—",
            (format_date(a.due, "short") + (" ⚠" if a.overdue(today) else "")) if a.due else "—",
            status_label(a.status),
        ]
        for a in actions
    ]


_COLUMNS = (
    N_("Ref"),
    N_("Action"),
    N_("Priority"),
    N_("Owner"),
    N_("Service"),
    N_("Due"),
    N_("Status"),
)


def _print(actions: tuple[Action, ...], today: date, title: str) -> None:
    table(title, [_(c) for c in _COLUMNS], _rows(actions, today))


@click.group("actions")
def actions_grp() -> None:
    """The action plan: what to do about the compliance report, who does it, by when.

    Keeping the plan is how the controller shows it implements the measures
    (Art. 24(1)) and can demonstrate compliance (Art. 5(2)).

    \b
    Example:
      rgpd --org mairie actions from-report && rgpd --org mairie actions list --overdue
    """


@actions_grp.command("from-report")
@click.option(
    "--all", "include_all", is_flag=True, help="Plan every ranked action, not the top ten."
)
@click.option(
    "--close-resolved",
    is_flag=True,
    help="Close as done the open actions whose cause is gone from the report.",
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def from_report_cmd(c: Ctx, include_all: bool, close_resolved: bool, as_json: bool) -> int:
    """Turn the compliance report's ranked actions into planned actions.

    One action per cause: a re-run updates the wording and the risk of open
    actions instead of adding twins. An open action whose cause is gone (the
    register error was fixed, the breach notified) is listed; --close-resolved
    closes it as done and says why.

    \b
    Example:
      rgpd --org mairie actions from-report --close-resolved
    """
    from rgpd.reports.service import plan_actions

    res = plan_actions(c.ws, c.org_slug(), include_all=include_all, close_resolved=close_resolved)
    if as_json:
        emit_json(
            {
                "score": res.score,
                "created": [a.ref for a in res.created],
                "updated": [a.ref for a in res.updated],
                "unchanged": [a.ref for a in res.unchanged],
                "resolved": [a.ref for a in res.resolved],
                "closed": res.closed,
                "closed_but_reported": [a.ref for a in res.closed_but_reported],
            }
        )
        return 0
    ok(
        _(
            "{created}, {updated}, {unchanged}.",
            created=_n("{n} action created", "{n} actions created", len(res.created)),
            updated=_n("{n} updated", "{n} updated", len(res.updated)),
            unchanged=_n("{n} unchanged", "{n} unchanged", len(res.unchanged)),
        )
    )
    for a in res.created:
        console.print(f"  + {a.ref}  {a.title}  ({a.article})")
    for a in res.updated:
        console.print(f"  ~ {a.ref}  {a.title}")
    if res.resolved:
        console.print(
            _("Closed as done, cause gone from the report:")
            if res.closed
            else _("Cause gone from the report — close with --close-resolved:")
        )
        for a in res.resolved:
            console.print(f"  ✓ {a.ref}  {a.title}")
    for a in res.closed_but_reported:
        warn(
            _(
                "{ref} is {status} but the report still finds its cause: {title}",
                ref=a.ref,
                status=status_label(a.status),
                title=a.title,
            )
        )
    return 0


@actions_grp.command("add")
@click.argument("title")
@click.option("--description", default="", help="What to do, in a few lines.")
@click.option("--article", default="", help="The article behind the action (Art. 32).")
@click.option(
    "--risk",
    metavar="KIND|N",
    help="Priority: a kind of the report's ranking (dpia_missing, lint_error…) or 0–115.",
)
@click.option("--owner", metavar="NAME", help="Who carries it out.")
@click.option("--email", metavar="ADDRESS", help="The owner's e-mail (for reminders).")
@click.option("--service", "service_name", metavar="NAME", help="The owner's service.")
@click.option("--due", type=_DATE, help="Due date (YYYY-MM-DD).")
@pass_ctx
def add_cmd(
    c: Ctx,
    title: str,
    description: str,
    article: str,
    risk: str | None,
    owner: str | None,
    email: str | None,
    service_name: str | None,
    due: datetime | None,
) -> int:
    """Add an action by hand (a decision of the DPO, an audit finding…).

    \b
    Example:
      rgpd --org mairie actions add "Former les agents de l'état civil" --article "Art. 39(1)(b)" \\
        --owner "Chloé Martin" --email chloe.martin@example.org --service "État civil" --due 2027-03-31
    """
    svc = service_name
    a = service.add_action(
        c.ws,
        c.org_slug(),
        title,
        description=description,
        article=article,
        risk=risk,
        owner=Owner(owner, email, svc) if (owner or email or svc) else None,
        due=_day(due),
    )
    ok(_("action {ref} planned", ref=a.ref))
    return 0


@actions_grp.command("list")
@click.option("--owner", metavar="NAME|EMAIL", help="Only this owner's actions.")
@click.option("--service", metavar="NAME", help="Only this service's actions.")
@click.option(
    "--status",
    type=click.Choice([s.value for s in ActionStatus]),
    help="Only actions in this status.",
)
@click.option("--overdue", is_flag=True, help="Only open actions past their due date.")
@click.option("--open", "open_only", is_flag=True, help="Only planned and in-progress actions.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def list_cmd(c: Ctx, as_json: bool, **filters: Any) -> int:
    """The plan: open actions first, then by risk and due date.

    \b
    Example:
      rgpd --org mairie actions list --service "État civil" --overdue
    """
    status = filters.pop("status")
    res = service.list_actions(
        c.ws,
        c.org_slug(),
        status=ActionStatus(status) if status else None,
        **filters,
    )
    if as_json:
        emit_json([action_dict(a, res.today) for a in res.actions])
    else:
        _print(res.actions, res.today, _("Action plan on {date}", date=format_date(res.today)))
    return 0


@actions_grp.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def show_cmd(c: Ctx, ref: str, as_json: bool) -> int:
    """One action with its history (who decided what, when).

    \b
    Example:
      rgpd --org mairie actions show A-0003 --json
    """
    a = service.get_action(c.ws, c.org_slug(), ref)
    today = c.ws.today()
    if as_json:
        emit_json(action_dict(a, today))
        return 0
    lines = [
        (_("Action"), a.title),
        (_("Description"), a.description or "—"),
        (_("Origin"), f"{origin_label(a.origin)} ({a.origin_key})"),
        (_("Article"), a.article or "—"),
        (_("Priority"), f"{priority_label(a.priority)} ({a.risk})"),
        (_("Owner"), a.owner.label()),
        (_("E-mail"), a.owner.email or "—"),
        (_("Service"), a.owner.service or "—"),
        (_("Due"), format_date(a.due) + (" — " + _("overdue") if a.overdue(today) else "")),
        (_("Status"), status_label(a.status)),
        (_("Reason"), a.reason or "—"),
    ]
    table(a.ref, [_("Field"), _("Value")], [list(x) for x in lines])
    table(
        _("History"),
        [_("When"), _("Who"), _p("history", "Change"), _("Status"), _("Note")],
        [
            [
                format_date(e.at.astimezone(c.ws.timezone)),
                e.actor,
                change_label(e.change),
                status_label(e.status),
                e.note,
            ]
            for e in a.history
        ],
    )
    return 0


@actions_grp.command("assign")
@click.argument("ref")
@click.option("--owner", metavar="NAME", help="Who carries it out.")
@click.option("--email", metavar="ADDRESS", help="The owner's e-mail (for reminders).")
@click.option("--service", metavar="NAME", help="The owner's service.")
@click.option("--due", type=_DATE, help="Due date (YYYY-MM-DD).")
@pass_ctx
def assign_cmd(c: Ctx, ref: str, due: datetime | None, **who: str | None) -> int:
    """Give an action an owner, a service and/or a due date (what is not given is kept).

    \b
    Example:
      rgpd --org mairie actions assign A-0003 --owner "Chloé Martin" \\
        --email chloe.martin@example.org --service "État civil" --due 2027-01-31
    """
    owner = Owner(who["owner"], who["email"], who["service"]) if any(who.values()) else None
    a = service.assign_action(c.ws, c.org_slug(), ref, owner=owner, due=_day(due))
    ok(
        _(
            "{ref}: {owner} ({service}), due {due}",
            ref=a.ref,
            owner=a.owner.label(),
            service=a.owner.service or "—",
            due=format_date(a.due),
        )
    )
    return 0


@actions_grp.command("start")
@click.argument("ref")
@pass_ctx
def start_cmd(c: Ctx, ref: str) -> int:
    """Mark an action as in progress.

    \b
    Example:
      rgpd --org mairie actions start A-0003
    """
    a = service.start_action(c.ws, c.org_slug(), ref)
    ok(_("{ref}: {status}", ref=a.ref, status=status_label(a.status)))
    return 0


@actions_grp.command("done")
@click.argument("ref")
@click.option("--note", default="", help="What was done (kept in the history).")
@pass_ctx
def done_cmd(c: Ctx, ref: str, note: str) -> int:
    """Mark an action as done (final).

    \b
    Example:
      rgpd --org mairie actions done A-0003 --note "Habilitations revues"
    """
    a = service.complete_action(c.ws, c.org_slug(), ref, note=note)
    ok(_("{ref}: {status}", ref=a.ref, status=status_label(a.status)))
    return 0


@actions_grp.command("abandon")
@click.argument("ref")
@click.option("--reason", required=True, help="Why (required: Art. 5(2), the choice is shown).")
@pass_ctx
def abandon_cmd(c: Ctx, ref: str, reason: str) -> int:
    """Abandon an action, saying why (final; the reason is kept, Art. 5(2)).

    \b
    Example:
      rgpd --org mairie actions abandon A-0004 --reason "Traitement arrêté"
    """
    a = service.abandon_action(c.ws, c.org_slug(), ref, reason=reason)
    ok(_("{ref}: {status}", ref=a.ref, status=status_label(a.status)))
    return 0


@actions_grp.command("remind")
@click.option("--dry-run", is_flag=True, help="Print the e-mails instead of sending them.")
@click.option(
    "--days",
    type=click.IntRange(0, 365),
    default=14,
    show_default=True,
    help="An action is due soon when due within this many days.",
)
@pass_ctx
def remind_cmd(c: Ctx, dry_run: bool, days: int) -> int:
    """E-mail each owner their overdue and due-soon actions (exit 3 when a mail failed).

    \b
    Example (cron, Monday 8:00; see `rgpd schedule --actions-remind`):
      rgpd --org mairie actions remind
    """
    res = service.remind(
        c.ws,
        c.org_slug(),
        mailer=None if dry_run else make_mailer(c.ws),
        lang=c.lang or "fr",
        days=days,
    )
    if dry_run:
        for m in res.mails:
            click.echo(f"To: {m.to}\nSubject: {m.subject}\n\n{m.text}")
    for to in res.sent:
        ok(_("reminder sent to {to}", to=to))
    for to in res.failed:
        warn(_("could not send the reminder to {to}", to=to))
    if res.plan.without_email:
        warn(
            _n(
                "{n} overdue or due-soon action has no owner e-mail: {refs}",
                "{n} overdue or due-soon actions have no owner e-mail: {refs}",
                len(res.plan.without_email),
                refs=", ".join(a.ref for a in res.plan.without_email),
            )
        )
    if not res.mails:
        ok(_("no owner to remind"))
    return 3 if res.failed else 0


def register(cli: click.Group) -> None:
    cli.add_command(actions_grp)


__all__ = ["register"]
