"""requests and serve commands (issue 5: citizens' requests, the intake server, letters)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from rgpd import labels
from rgpd.commands._common import (
    Column,
    Ctx,
    console,
    emit_json,
    ok,
    pass_ctx,
    table,
    warn,
    wide_option,
)
from rgpd.errors import InvalidInput
from rgpd.i18n import N_, _, _n, format_date
from rgpd.requests import intake, letters, reminders, service
from rgpd.requests.mailer import DirectoryMailer, Mailer, SmtpMailer
from rgpd.requests.model import RequestState, RequestType
from rgpd.workspace import Workspace


def make_mailer(ws: Workspace) -> Mailer:
    """The mailer of the CLI; tests replace this function."""
    return SmtpMailer(ws.settings.smtp)


def _base_url(ws: Workspace, explicit: str | None) -> str:
    return str(explicit or ws.settings.server.get("base_url") or "http://127.0.0.1:8080")


def _parse_state(value: str) -> RequestState:
    try:
        return RequestState(value)
    except ValueError:
        pass
    try:
        return RequestState[value.upper()]
    except KeyError:
        raise click.BadParameter(
            _(
                "unknown state {v}: one of {all}",
                v=value,
                all=", ".join(s.value for s in RequestState),
            )
        ) from None


def _parse_type(value: str) -> RequestType:
    if value in intake.RIGHTS:
        return intake.RIGHTS[value]
    try:
        return RequestType(value)
    except ValueError:
        raise click.BadParameter(
            _("unknown right {v}: one of {all}", v=value, all=", ".join(intake.RIGHTS))
        ) from None


def _record_dict(r: service.RequestRecord) -> dict[str, Any]:
    dl = r.deadline
    out: dict[str, Any] = {
        "reference": r.reference,
        "org": r.org,
        "type": intake.RIGHT_NAMES.get(r.type, r.type.value),
        "state": r.state.value,
        "channel": r.request.channel.value,
        "received_on": r.request.received_on.isoformat(),
        "due": dl.due.isoformat(),
        "status": dl.status.value,
        "days_left": dl.days_left,
        "extended": dl.extended,
        "extension_notice_due": dl.extension_notice_due.isoformat(),
        "paused": dl.paused,
        "assigned_to": r.assignee,
        "activities": list(r.request.activities),
        "requester_role": r.request.requester.role.value,
        "mandate_verified": r.request.requester.mandate_verified,
        "email_verified": r.email_verified,
        "identity": (
            {"by": r.identity.by, "on": r.identity.on.isoformat(), "method": r.identity.method}
            if r.identity
            else None
        ),
        "identity_documents": r.uploads,
    }
    if r.submission is not None:
        out["submission"] = r.submission.to_payload()
        out["events"] = [
            {
                "seq": e.seq,
                "action": e.action.value,
                "at": e.at.isoformat(),
                "on": e.on.isoformat(),
                "actor": e.actor,
                "from": e.from_state.value if e.from_state else None,
                "to": e.to_state.value,
                "reason": e.reason,
                "assignee": e.assignee,
            }
            for e in r.request.events
        ]
        out["explanation"] = list(dl.explanation)
    return out


#: Field names of ``requests show`` (the ``--json`` keys stay as they are).
_FIELDS: dict[str, str] = {
    "reference": N_("Reference"),
    "org": N_("Organisation"),
    "type": N_("Right"),
    "state": N_("State"),
    "channel": N_("Channel"),
    "received_on": N_("Received"),
    "due": N_("Due"),
    "status": N_("Status"),
    "days_left": N_("Days left"),
    "extended": N_("Extended"),
    "extension_notice_due": N_("Extension notice due"),
    "paused": N_("Paused"),
    "assigned_to": N_("Assigned"),
    "activities": N_("Activities"),
    "requester_role": N_("Requester"),
    "mandate_verified": N_("Mandate checked"),
    "email_verified": N_("E-mail confirmed"),
    "identity": N_("Identity"),
    "identity_documents": N_("Identity documents"),
}


def _status_text(r: service.RequestRecord) -> str:
    dl = r.deadline
    if dl.days_left is None:
        return _("closed")
    if dl.days_left < 0:
        return _n("OVERDUE by {n} day", "OVERDUE by {n} days", -dl.days_left)
    if dl.paused:
        return _("paused")
    return _n("{n} day left", "{n} days left", dl.days_left)


def _print_list(records: list[service.RequestRecord], title: str) -> None:
    table(
        title,
        [
            _("Reference"),
            _("Right"),
            _("State"),
            Column(_("Received"), wide=True),
            _("Due"),
            _("Status"),
            Column(_("Assigned"), wide=True),
        ],
        [
            [
                r.reference,
                labels.right(r.type),
                labels.request_state(r.state),
                r.request.received_on.isoformat(),
                r.due.isoformat(),
                _status_text(r),
                r.assignee or "",
            ]
            for r in records
        ],
    )


def _done(r: service.RequestRecord, what: str) -> int:
    ok(
        _(
            "{ref}: {what} — state {state}, due {due}",
            ref=r.reference,
            what=what,
            state=labels.request_state(r.state),
            due=format_date(r.due),
        )
    )
    return 0


@click.group("requests")
def requests_grp() -> None:
    """Citizens' requests (Arts. 12-22 GDPR): record, follow, answer within the legal time.

    \b
    Example:
      rgpd --org mairie requests list --overdue
    """


@requests_grp.command("new")
@click.option("--right", "right", required=True, type=click.Choice(list(intake.RIGHTS)))
@click.option(
    "--activity",
    "activities",
    multiple=True,
    required=True,
    metavar="REF",
    help="Register activity concerned (repeat).",
)
@click.option("--first-name", required=True)
@click.option("--last-name", required=True)
@click.option("--email", default="", help="Person's e-mail (optional for paper requests).")
@click.option("--phone", default="")
@click.option("--birth-date", default="", metavar="YYYY-MM-DD")
@click.option(
    "--id",
    "identifiers",
    multiple=True,
    metavar="KEY=VALUE",
    help="Identifier the activity uses, e.g. numero_famille=F-12345 (repeat).",
)
@click.option(
    "--role",
    "requester_role",
    default="self",
    show_default=True,
    type=click.Choice(list(intake.ROLES)),
)
@click.option("--requester-name", default="")
@click.option("--requester-email", default="")
@click.option("--details", default="", help="What the person asks, in their words.")
@click.option("--address", default="", help="Postal address for the answer.")
@click.option(
    "--channel",
    default="counter",
    show_default=True,
    type=click.Choice([c for c in intake.CHANNELS if c != "web"]),
)
@click.option(
    "--received",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Date of receipt (postmark, e-mail date); default today. Starts the clock.",
)
@click.option(
    "--lang",
    "letter_lang",
    type=click.Choice(["fr", "en"]),
    default="fr",
    show_default=True,
    help="Language of the letters to this person.",
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def new_cmd(
    c: Ctx,
    right: str,
    activities: tuple[str, ...],
    identifiers: tuple[str, ...],
    received: Any,
    letter_lang: str,
    as_json: bool,
    **fields: str,
) -> int:
    """Record a request received at the counter, by post or by e-mail.

    \b
    Example:
      rgpd --org mairie requests new --right access --activity cantine \\
           --first-name Camille --last-name Martin --email camille@example.org \\
           --id numero_famille=F-12345 --channel mail --received 2026-03-05
    """
    channel = fields.pop("channel")
    form: dict[str, list[str]] = {k: [v] for k, v in fields.items()}
    form["right"] = [right]
    form["activities"] = list(activities)
    form["lang"] = [letter_lang]
    for item in identifiers:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput("--id", _("expected KEY=VALUE, got {v!r}", v=item))
        form[f"id_{key.strip().replace('-', '_')}"] = [value]
    org = c.org_slug()
    ws = c.ws
    sub = intake.validate(
        form,
        service.offered_activities(ws, org),
        today=service.local_today(ws),
        require_email=False,
        offered_only=False,
    )
    done = service.submit(
        ws,
        org,
        sub,
        channel=intake.CHANNELS[channel],
        received_on=received.date() if received else None,
    )
    if as_json:
        emit_json(_record_dict(done.record))
        return 0
    return _done(done.record, _("recorded"))


@requests_grp.command("list")
@click.option("--state", "states", multiple=True, help="Filter by state (repeat).")
@click.option("--type", "types", multiple=True, help="Filter by right (access, erasure...).")
@click.option("--due-before", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--overdue", is_flag=True, help="Only overdue requests.")
@click.option("--assigned", default=None, metavar="AGENT")
@click.option("--email", default=None, help="Requests from this e-mail (blind index).")
@click.option("--all", "include_closed", is_flag=True, help="Include closed requests.")
@click.option("--json", "as_json", is_flag=True)
@wide_option
@pass_ctx
def list_cmd(
    c: Ctx,
    states: tuple[str, ...],
    types: tuple[str, ...],
    due_before: Any,
    overdue: bool,
    assigned: str | None,
    email: str | None,
    include_closed: bool,
    as_json: bool,
) -> int:
    """List requests, overdue first, then by due date.

    \b
    Example:
      rgpd --org mairie requests list --type access --due-before 2026-04-30
    """
    flt = service.ListFilter(
        states=[_parse_state(s) for s in states],
        types=[_parse_type(t) for t in types],
        due_before=due_before.date() if due_before else None,
        overdue_only=overdue,
        assigned_to=assigned,
        include_closed=include_closed,
        email=email,
    )
    records = service.list_requests(c.ws, c.org_slug(), flt)
    if as_json:
        emit_json([_record_dict(r) for r in records])
        return 0
    _print_list(records, _("Requests"))
    return 0


@requests_grp.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
@wide_option
@pass_ctx
def show_cmd(c: Ctx, ref: str, as_json: bool) -> int:
    """Show one request with its contents and history (the reading is audited).

    \b
    Example:
      rgpd --org mairie requests show R-2026-7KQ4-M9XA
    """
    r = service.get(c.ws, c.org_slug(), ref, reveal=True)
    d = _record_dict(r)
    if as_json:
        emit_json(d)
        return 0
    sub = d.pop("submission", {})
    events = d.pop("events", [])
    explanation = d.pop("explanation", [])
    shown = {
        "type": labels.right(r.type),
        "state": labels.request_state(r.state),
        "channel": labels.channel(r.request.channel),
        "status": labels.deadline_status(r.deadline.status),
        "requester_role": labels.requester_role(r.request.requester.role),
    }
    table(
        r.reference,
        [_("Field"), _("Value")],
        [[_(_FIELDS[k]) if k in _FIELDS else k, shown.get(k, v)] for k, v in {**d, **sub}.items()],
    )
    table(
        _("History"),
        [
            Column(_("#"), wide=True),
            _("On"),
            _("Action"),
            Column(_("From"), wide=True),
            _("To"),
            _("By"),
            _("Reason"),
        ],
        [
            [
                e["seq"],
                e["on"],
                labels.request_action(e["action"]),
                labels.request_state(e["from"]) if e["from"] else "",
                labels.request_state(e["to"]),
                e["actor"],
                e["reason"],
            ]
            for e in events
        ],
    )
    for line in explanation:
        console.print(f"• {line}", markup=False)
    return 0


@requests_grp.command("verify")
@click.argument("ref")
@click.option(
    "--method",
    type=click.Choice(list(service.IDENTITY_METHODS)),
    default="email",
    show_default=True,
    help="How the identity was established.",
)
@click.option(
    "--mandate", is_flag=True, help="The requester's power to act for the person was checked too."
)
@click.option("--on", type=click.DateTime(["%Y-%m-%d"]), default=None)
@pass_ctx
def verify_cmd(c: Ctx, ref: str, method: str, mandate: bool, on: Any) -> int:
    """Record the identity check and start work; any uploaded ID copy is deleted.

    \b
    Example:
      rgpd --org mairie requests verify R-2026-7KQ4-M9XA --method counter
    """
    r = service.verify(
        c.ws, c.org_slug(), ref, method=method, mandate=mandate, on=on.date() if on else None
    )
    return _done(r, _("identity verified ({method})", method=method))


@requests_grp.command("extend")
@click.argument("ref")
@click.option("--reason", required=True, help="Why: complexity or number of requests.")
@click.option("--on", type=click.DateTime(["%Y-%m-%d"]), default=None)
@pass_ctx
def extend_cmd(c: Ctx, ref: str, reason: str, on: Any) -> int:
    """Extend by two months (Art. 12(3)): only within the first month, with reasons.

    \b
    Example:
      rgpd --org mairie requests extend R-2026-7KQ4-M9XA --reason "Archives on three sites"
    """
    r = service.extend(c.ws, c.org_slug(), ref, reason=reason, on=on.date() if on else None)
    _done(r, _("extended"))
    console.print(
        _("Send the extension notice: rgpd requests letter {ref} extension --pdf", ref=r.reference),
        markup=False,
    )
    return 0


@requests_grp.command("pause")
@click.argument("ref")
@click.option("--reason", required=True, help="What the person must clarify.")
@click.option("--on", type=click.DateTime(["%Y-%m-%d"]), default=None)
@pass_ctx
def pause_cmd(c: Ctx, ref: str, reason: str, on: Any) -> int:
    """Ask the person for a clarification; the clock waits (Recital 63).

    \b
    Example:
      rgpd --org mairie requests pause R-2026-7KQ4-M9XA --reason "Which school year?"
    """
    r = service.pause(c.ws, c.org_slug(), ref, reason=reason, on=on.date() if on else None)
    return _done(r, _("paused"))


@requests_grp.command("resume")
@click.argument("ref")
@click.option(
    "--on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Date the clarification arrived."
)
@pass_ctx
def resume_cmd(c: Ctx, ref: str, on: Any) -> int:
    """The clarification arrived: the clock restarts.

    \b
    Example:
      rgpd --org mairie requests resume R-2026-7KQ4-M9XA --on 2026-03-20
    """
    r = service.resume(c.ws, c.org_slug(), ref, on=on.date() if on else None)
    return _done(r, _("resumed"))


@requests_grp.command("assign")
@click.argument("ref")
@click.argument("agent")
@pass_ctx
def assign_cmd(c: Ctx, ref: str, agent: str) -> int:
    """Name the agent in charge.

    \b
    Example:
      rgpd --org mairie requests assign R-2026-7KQ4-M9XA "service scolaire"
    """
    r = service.assign(c.ws, c.org_slug(), ref, agent=agent)
    return _done(r, _("assigned to {agent}", agent=agent))


@requests_grp.command("refuse")
@click.argument("ref")
@click.option("--reason", required=True, help="The reasons given to the person (Art. 12(4)).")
@click.option("--on", type=click.DateTime(["%Y-%m-%d"]), default=None)
@pass_ctx
def refuse_cmd(c: Ctx, ref: str, reason: str, on: Any) -> int:
    """Refuse with reasons (Art. 12(4)); the letter cites the CNIL and the courts.

    \b
    Example:
      rgpd --org mairie requests refuse R-2026-7KQ4-M9XA --reason "Public task (Art. 17(3)(b))"
    """
    r = service.refuse(c.ws, c.org_slug(), ref, reason=reason, on=on.date() if on else None)
    _done(r, _("refused"))
    console.print(
        _("Send the reasoned refusal: rgpd requests letter {ref} refusal --pdf", ref=r.reference),
        markup=False,
    )
    return 0


@requests_grp.command("close")
@click.argument("ref")
@click.option("--reason", default="", help="Note on the answer given.")
@click.option(
    "--on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Date the answer was sent."
)
@pass_ctx
def close_cmd(c: Ctx, ref: str, reason: str, on: Any) -> int:
    """Record that the answer was sent.

    \b
    Example:
      rgpd --org mairie requests close R-2026-7KQ4-M9XA --on 2026-03-28
    """
    r = service.close(c.ws, c.org_slug(), ref, reason=reason, on=on.date() if on else None)
    return _done(r, _("completed"))


@requests_grp.command("withdraw")
@click.argument("ref")
@click.option("--reason", default="")
@click.option("--on", type=click.DateTime(["%Y-%m-%d"]), default=None)
@pass_ctx
def withdraw_cmd(c: Ctx, ref: str, reason: str, on: Any) -> int:
    """The person withdrew the request.

    \b
    Example:
      rgpd --org mairie requests withdraw R-2026-7KQ4-M9XA --reason "Retrait par courriel"
    """
    r = service.withdraw(c.ws, c.org_slug(), ref, reason=reason, on=on.date() if on else None)
    return _done(r, _("withdrawn"))


@requests_grp.command("ask-identity")
@click.argument("ref")
@click.option("--reason", required=True, help="The reasonable doubt (Art. 12(6)).")
@click.option("--base-url", default=None, help="Public URL of `rgpd serve` ([server] base_url).")
@click.option("--no-mail", is_flag=True, help="Print the link instead of e-mailing it.")
@pass_ctx
def ask_identity_cmd(c: Ctx, ref: str, reason: str, base_url: str | None, no_mail: bool) -> int:
    """Ask for proof of identity with a one-time upload link; the clock is suspended.

    \b
    Example:
      rgpd --org mairie requests ask-identity R-2026-7KQ4-M9XA \\
           --reason "The e-mail differs from the one the service knows"
    """
    ws = c.ws
    res = letters.ask_identity(
        ws,
        c.org_slug(),
        ref,
        reason=reason,
        base_url=_base_url(ws, base_url),
        mailer=None if no_mail else make_mailer(ws),
    )
    _done(res.record, _("identity requested"))
    console.print(
        _(
            "Upload link (valid until {d}): {link}",
            d=format_date(res.expires_at.date()),
            link=res.link,
        ),
        markup=False,
    )
    if not res.sent.mailed:
        warn(_("letter not e-mailed: {why}", why=res.sent.error or ""))
        return 0 if no_mail else 3
    ok(_("identity request e-mailed to the person"))
    return 0


@requests_grp.command("documents")
@click.argument("ref")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Directory to write the documents to (mode 0600).",
)
@pass_ctx
def documents_cmd(c: Ctx, ref: str, out_dir: str) -> int:
    """Write the uploaded identity documents to check them (then run `verify`, which deletes them).

    \b
    Example:
      rgpd --org mairie requests documents R-2026-7KQ4-M9XA --out /tmp/check
    """
    import os

    docs = service.identity_documents(c.ws, c.org_slug(), ref)
    if not docs:
        warn(_("no identity document for {ref}", ref=ref))
        return 1
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    ext = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
    for i, d in enumerate(docs, 1):
        path = out / f"{service.normalise_reference(ref)}-{i}.{ext.get(d.content_type, 'bin')}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(d.content)
        ok(str(path))
    warn(_("delete these files after checking; `requests verify` deletes the stored copy"))
    return 0


@requests_grp.command("due")
@click.option("--notify", is_flag=True, help="E-mail the list to the organisation's DPO.")
@click.option("--json", "as_json", is_flag=True)
@wide_option
@pass_ctx
def due_cmd(c: Ctx, notify: bool, as_json: bool) -> int:
    """What must be answered this week (overdue first); exit 1 when something is overdue.

    \b
    Example (cron, Monday 8:00):
      rgpd --org mairie requests due --notify
    """
    due = reminders.due_this_week(
        c.ws, c.org_slug(), mailer=make_mailer(c.ws) if notify else None, lang=c.lang or "fr"
    )
    if as_json:
        emit_json([_record_dict(r) for r in due.records])
    else:
        _print_list(due.records, _("Due by {day}", day=format_date(due.until)))
    if due.reminded:
        ok(_("reminder sent to {to}", to=due.reminded))
    return 1 if due.overdue else 0


@requests_grp.command("letter")
@click.argument("ref")
@click.argument(
    "kind",
    type=click.Choice(
        [k.value for k in letters.LetterKind if k is not letters.LetterKind.VERIFICATION]
    ),
)
@click.option("--pdf", "as_pdf", is_flag=True, help="Write a PDF instead of printing the text.")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="PDF file (default: REF-KIND-LANG.pdf in the reports directory).",
)
@click.option(
    "--letter-lang",
    type=click.Choice(["fr", "en"]),
    default=None,
    help="Language of the letter (default: the request's).",
)
@click.option("--send", is_flag=True, help="E-mail it to the person (PDF attached with --pdf).")
@pass_ctx
def letter_cmd(
    c: Ctx,
    ref: str,
    kind: str,
    as_pdf: bool,
    out_path: str | None,
    letter_lang: str | None,
    send: bool,
) -> int:
    """Produce a letter: acknowledgement, identity, clarification, extension, answer, refusal.

    \b
    Example:
      rgpd --org mairie requests letter R-2026-7KQ4-M9XA refusal --pdf
    """
    ws = c.ws
    org = c.org_slug()
    if send:
        sent = letters.send_letter(
            ws, org, ref, kind, make_mailer(ws), lang=letter_lang, pdf=as_pdf
        )
        if not sent.mailed:
            warn(_("not sent: {why}", why=sent.error or ""))
            return 3
        ok(_("{kind} letter e-mailed", kind=kind))
        return 0
    letter = letters.render_letter(ws, org, ref, kind, lang=letter_lang)
    if not as_pdf:
        click.echo(f"{_('Subject')}: {letter.subject}\n")
        click.echo(letter.text)
        return 0
    path = Path(out_path) if out_path else ws.reports_dir() / letter.filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(letters.to_pdf(letter))
    ok(str(path))
    return 0


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--forms",
    "forms_dir",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="Directory written by `rgpd forms build --out DIR`.",
)
@click.option(
    "--trusted-proxy",
    is_flag=True,
    help="Behind a reverse proxy on this machine: believe its X-Forwarded-For/-Proto "
    "(other proxies: [serve] trusted_proxies).",
)
@click.option(
    "--base-url",
    default=None,
    help="Public URL used in e-mailed links (required: this or [serve] base_url).",
)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Waitress worker threads (docs/serving.md: sizing).",
)
@click.option(
    "--mail-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Write e-mails as .eml files in DIR instead of sending them (demo, tests).",
)
@pass_ctx
def serve_cmd(
    c: Ctx,
    host: str,
    port: int,
    forms_dir: str | None,
    trusted_proxy: bool,
    base_url: str | None,
    threads: int,
    mail_dir: str | None,
) -> int:
    """Run the intake server for the citizens' forms (waitress, behind your reverse proxy).

    \b
    Example:
      rgpd forms build --org mairie --out site/ && rgpd serve --forms site/
      # then open http://127.0.0.1:8080/o/mairie/
    """
    from rgpd.requests import server

    ws = c.ws
    server.resolve_base_url(ws, base_url)  # required: refuse before announcing anything
    console.print(
        _("Serving on http://{host}:{port}/o/<org>/ — Ctrl+C to stop", host=host, port=port),
        markup=False,
    )
    server.serve(
        ws,
        host=host,
        port=port,
        forms_dir=Path(forms_dir) if forms_dir else None,
        trusted_proxy=trusted_proxy,
        base_url=base_url,
        default_org=c.org,
        threads=threads,
        mailer=DirectoryMailer(Path(mail_dir), ws.settings.smtp.sender) if mail_dir else None,
    )
    return 0


def register(cli: click.Group) -> None:
    cli.add_command(requests_grp)
    cli.add_command(serve_cmd)
