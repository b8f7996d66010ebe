"""Citizens' requests, storage edge: the API the CLI and the intake server call.

Each public function is one transaction: it loads the request, asks the pure
workflow (:mod:`rgpd.requests.workflow`) whether the step is allowed, stores the
new events, recomputes the Art. 12(3) deadline with :mod:`rgpd.deadlines`, and
appends an audit entry — all committed together or not at all. The legal date
of a step ("on") is the organisation's local date, not UTC: a request filed at
23:30 in Paris was received that day.

Personal data never leave this module in clear except through ``reveal=True``
(which is itself audited, CNIL délibération 2021-122 logs consultations too).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from rgpd import audit, deadlines
from rgpd.crypto import random_code
from rgpd.errors import Conflict, InvalidInput
from rgpd.i18n import format_date
from rgpd.registry.model import Activity, Organisation
from rgpd.requests import tokens, workflow
from rgpd.requests.intake import Submission, _
from rgpd.requests.model import (
    Action,
    Channel,
    Request,
    Requester,
    RequesterRole,
    RequestEvent,
    RequestState,
    RequestType,
)
from rgpd.storage import lookups
from rgpd.storage.request_tables import (
    RequestEventRow,
    RequestLookupRow,
    RequestRow,
    RequestUploadRow,
    payload_context,
    reason_context,
    upload_context,
)
from rgpd.storage.tables import ActivityRow, OrganisationRow
from rgpd.workspace import Workspace

#: An unconfirmed web submission is discarded after this (and the link expires).
VERIFY_TTL = timedelta(hours=48)
#: How long an identity-upload link stays valid.
UPLOAD_TTL = timedelta(days=14)
#: Identity documents: a scan or a photo, never more.
MAX_UPLOAD = 5 * 1024 * 1024
UPLOAD_TYPES = ("application/pdf", "image/png", "image/jpeg")
IDENTITY_METHODS = ("email", "counter", "document", "known", "letter", "other")

WEB_ACTOR = "web"

# Crockford-like alphabet without 0/O, 1/I/L, U: read aloud at a counter without mistakes.
_REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


LinkRefused = tokens.LinkRefused


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class IdentityCheck:
    """What remains of an identity check: who, when, how (the document itself is deleted)."""

    by: str
    on: date
    method: str


@dataclass(frozen=True, slots=True)
class RequestRecord:
    reference: str
    org: str
    request: Request
    deadline: deadlines.Deadline
    lang: str
    email_verified: bool
    pending_verification: bool
    identity: IdentityCheck | None
    uploads: int
    created_at: datetime
    submission: Submission | None = None  # only with reveal=True

    @property
    def state(self) -> RequestState:
        return self.request.state

    @property
    def type(self) -> RequestType:
        return self.request.type

    @property
    def due(self) -> date:
        return self.deadline.due

    @property
    def assignee(self) -> str | None:
        return self.request.assignee

    def last_reason(self, action: Action) -> str:
        """The reason recorded with the latest ``action`` (empty unless revealed)."""
        for e in reversed(self.request.events):
            if e.action is action:
                return e.reason
        return ""


@dataclass(frozen=True, slots=True)
class Submitted:
    record: RequestRecord
    verify_secret: str | None  # to put in the signed verification link (web only)


@dataclass(frozen=True, slots=True)
class UploadLink:
    record: RequestRecord
    secret: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class UploadedDocument:
    filename: str
    content_type: str
    content: bytes
    uploaded_at: datetime


@dataclass
class ListFilter:
    states: Sequence[RequestState] = ()
    types: Sequence[RequestType] = ()
    due_before: date | None = None
    overdue_only: bool = False
    assigned_to: str | None = None
    include_closed: bool = False
    email: str | None = None


# --------------------------------------------------------------------------- helpers


def timezone_of(ws: Workspace) -> ZoneInfo:
    """The configured time zone (one home: :attr:`rgpd.workspace.Workspace.timezone`)."""
    return ws.timezone


def local_today(ws: Workspace) -> date:
    """Today in the organisation's time zone (one home: :meth:`rgpd.workspace.Workspace.today`)."""
    return ws.today()


def _naive(d: datetime) -> datetime:
    return d.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def _aware(d: datetime) -> datetime:
    return d.replace(tzinfo=UTC)


def new_reference(year: int) -> str:
    """``R-2026-7KQ4-M9XA``: random (40 bits), only the year is meaningful."""
    chars = random_code(_REF_ALPHABET, 8)
    return f"R-{year}-{chars[:4]}-{chars[4:]}"


def normalise_reference(ref: str) -> str:
    return lookups.normalise_reference(ref)  # one home: rgpd.storage.lookups


def normalise_email(email: str) -> str:
    """The scanner's normalisation, so a request and a scan give the same blind-index token."""
    from rgpd.masking import normalise

    return normalise("EMAIL_ADDRESS", email)


def normalise_identifier(value: str) -> str:
    """Spaces, dots and dashes are presentation: '12 34-56' and '123456' are one identifier."""
    return "".join(c for c in value.casefold() if c.isalnum())


def actor_of(ws: Workspace) -> str:
    return audit.current_actor(ws.actor)


def _org(s: Session, slug: str) -> tuple[OrganisationRow, Organisation]:
    row = lookups.org_row(s, slug)
    return row, Organisation.model_validate(row.data)


def organisation(ws: Workspace, slug: str) -> Organisation:
    with ws.db.session(readonly=True) as s:
        return _org(s, slug)[1]


def offered_activities(ws: Workspace, slug: str) -> list[Activity]:
    """The register activities a request may concern (live ones, in ref order)."""
    with ws.db.session(readonly=True) as s:
        o, _m = _org(s, slug)
        rows = s.execute(
            select(ActivityRow)
            .where(ActivityRow.org_id == o.id, ActivityRow.deleted.is_(False))
            .order_by(ActivityRow.ref)
        ).scalars()
        return [Activity.model_validate(r.data) for r in rows]


def _row(s: Session, org_id: int, ref: str) -> RequestRow:
    return lookups.request_row(s, org_id, ref)


def _events(
    ws: Workspace, rows: Iterable[RequestEventRow], request_id: int, *, reveal: bool
) -> tuple[RequestEvent, ...]:
    out = []
    for e in sorted(rows, key=lambda r: r.seq):
        reason = ""
        if e.reason:
            reason = (
                ws.keys.open_text(e.reason, reason_context(request_id)) if reveal else _("(sealed)")
            )
        out.append(
            RequestEvent(
                seq=e.seq,
                action=Action(e.action),
                at=_aware(e.at),
                on=e.on_date,
                actor=e.actor,
                from_state=RequestState(e.from_state) if e.from_state else None,
                to_state=RequestState(e.to_state),
                reason=reason,
                assignee=e.assignee,
            )
        )
    return tuple(out)


def _model(row: RequestRow, events: tuple[RequestEvent, ...]) -> Request:
    return Request(
        ref=row.reference,
        type=RequestType(row.type),
        received_on=row.received_on,
        channel=Channel(row.channel),
        requester=Requester(RequesterRole(row.requester_role), row.mandate_verified),
        events=events,
        activities=tuple(row.activities or ()),
        assignee=row.assigned_to,
    )


def _deadline(req: Request, org: Organisation, today: date) -> deadlines.Deadline:
    # events may carry today's legal date computed in another time zone: never "future"
    last = max([e.on for e in req.events] + [req.received_on])
    return req.deadline(max(today, last), alsace_moselle=org.alsace_moselle)


def _store_clock(row: RequestRow, req: Request, dl: deadlines.Deadline) -> None:
    row.state = req.state.value
    row.due_on = dl.due
    row.original_due_on = dl.original_due
    row.extension_notice_due = dl.extension_notice_due
    row.extended = dl.extended
    row.paused = dl.paused
    row.closed_on = dl.closed_on
    row.assigned_to = req.assignee
    row.mandate_verified = req.requester.mandate_verified


def _record(
    ws: Workspace,
    s: Session,
    row: RequestRow,
    org_slug: str,
    org: Organisation,
    today: date,
    *,
    reveal: bool,
    event_rows: Sequence[RequestEventRow] | None = None,
    uploads: int | None = None,
) -> RequestRecord:
    if event_rows is None:
        event_rows = (
            s.execute(select(RequestEventRow).where(RequestEventRow.request_id == row.id))
            .scalars()
            .all()
        )
    req = _model(row, _events(ws, event_rows, row.id, reveal=reveal))
    if uploads is None:
        uploads = int(
            s.execute(
                select(func.count())
                .select_from(RequestUploadRow)
                .where(RequestUploadRow.request_id == row.id)
            ).scalar_one()
        )
    submission = None
    if reveal:
        payload = json.loads(ws.keys.open_text(row.payload, payload_context(row.reference)))
        submission = Submission.from_payload(
            payload,
            right=req.type,
            activities=req.activities,
            requester_role=req.requester.role,
            lang=row.lang,
        )
    identity = None
    if row.identity_verified_by and row.identity_verified_on and row.identity_method:
        identity = IdentityCheck(
            row.identity_verified_by, row.identity_verified_on, row.identity_method
        )
    return RequestRecord(
        reference=row.reference,
        org=org_slug,
        request=req,
        deadline=_deadline(req, org, today),
        lang=row.lang,
        email_verified=row.email_verified_at is not None,
        pending_verification=row.discard_after is not None and row.email_verified_at is None,
        identity=identity,
        uploads=uploads,
        created_at=row.created_at,
        submission=submission,
    )


def _add_events(ws: Workspace, s: Session, row: RequestRow, events: Iterable[RequestEvent]) -> None:
    for e in events:
        s.add(
            RequestEventRow(
                request_id=row.id,
                seq=e.seq,
                action=e.action.value,
                at=_naive(e.at),
                on_date=e.on,
                actor=e.actor[:255],
                from_state=e.from_state.value if e.from_state else None,
                to_state=e.to_state.value,
                reason=ws.keys.seal(e.reason, reason_context(row.id)) if e.reason else None,
                assignee=e.assignee,
            )
        )


def _check_on(on: date | None, today: date, field: str = "on") -> date:
    if on is None:
        return today
    if on > today:
        raise InvalidInput(field, _("the date {d} is in the future", d=format_date(on)))
    return on


def _lookups(ws: Workspace, sub: Submission) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if sub.email:
        out.append(("email", ws.keys.blind_index("EMAIL_ADDRESS", normalise_email(sub.email))))
    if sub.requester_email:
        out.append(
            (
                "requester_email",
                ws.keys.blind_index("EMAIL_ADDRESS", normalise_email(sub.requester_email)),
            )
        )
    for key, value in sub.identifiers.items():
        norm = normalise_identifier(value)
        if norm:
            out.append((f"id:{key}", ws.keys.blind_index(f"id:{key}", norm)))
    return out


# --------------------------------------------------------------------------- signed links

# One-time links live in :mod:`rgpd.requests.tokens`; these names stay for callers.
server_secret = tokens.server_secret
sign_link = tokens.sign_link
read_link = tokens.read_link


# --------------------------------------------------------------------------- creation


def submit(
    ws: Workspace,
    org: str,
    sub: Submission,
    *,
    channel: Channel = Channel.WEB,
    received_on: date | None = None,
    require_verification: bool | None = None,
    now: datetime | None = None,
) -> Submitted:
    """Record a request; a web request waits for its e-mail to be confirmed.

    The Art. 12(3) clock starts on the day of receipt (``received_on``, today by
    default; for paper mail, the day it arrived). A web submission counts as
    received the day it is sent, even if its e-mail is confirmed the next day.
    """
    now = now or ws.now()
    today = local_today(ws)
    received = _check_on(received_on, today, "received_on")
    verify = channel is Channel.WEB if require_verification is None else require_verification
    if verify and not sub.email:
        raise InvalidInput("email", _("an e-mail address is needed to confirm the request"))
    actor = WEB_ACTOR if channel is Channel.WEB else actor_of(ws)
    with ws.db.session() as s:
        o_row, o = _org(s, org)
        _purge(s, ws, now)
        ref = new_reference(received.year)
        while s.execute(select(RequestRow.id).where(RequestRow.reference == ref)).first():
            ref = new_reference(received.year)  # pragma: no cover - 40 random bits
        req = workflow.receive(
            ref,
            sub.right,
            received_on=received,
            at=now,
            actor=actor,
            channel=channel,
            requester=Requester(sub.requester_role),
            activities=sub.activities,
        )
        dl = _deadline(req, o, today)
        row = RequestRow(
            org_id=o_row.id,
            reference=ref,
            type=req.type.value,
            state=req.state.value,
            channel=channel.value,
            received_on=received,
            lang=sub.lang,
            requester_role=sub.requester_role.value,
            mandate_verified=False,
            activities=list(sub.activities),
            due_on=dl.due,
            original_due_on=dl.original_due,
            extension_notice_due=dl.extension_notice_due,
            extended=False,
            paused=False,
            discard_after=_naive(now + VERIFY_TTL) if verify else None,
            payload=ws.keys.seal(
                json.dumps(sub.to_payload(), ensure_ascii=False), payload_context(ref)
            ),
        )
        s.add(row)
        s.flush()
        _store_clock(row, req, dl)
        _add_events(ws, s, row, req.events)
        for kind, token in _lookups(ws, sub):
            s.add(RequestLookupRow(request_id=row.id, org_id=o_row.id, kind=kind, token=token))
        secret = None
        if verify:
            secret = tokens.issue(s, row.id, tokens.VERIFY_EMAIL, now=now, ttl=VERIFY_TTL)
        audit.append(
            s,
            action="request.receive",
            entity="request",
            entity_ref=ref,
            actor=actor,
            org=org,
            after={"state": row.state, "type": row.type, "due": dl.due.isoformat()},
            details={
                "channel": channel.value,
                "type": row.type,
                "received_on": received.isoformat(),
                "email_verification": verify,
            },
        )
        s.flush()
        record = _record(ws, s, row, org, o, today, reveal=False, uploads=0)
    return Submitted(record, secret)


def confirm_email(
    ws: Workspace, org: str, secret: str, *, now: datetime | None = None
) -> RequestRecord:
    """The citizen followed the link: the request becomes visible to the DPO (one use only)."""
    now = now or ws.now()
    with ws.db.session() as s:
        o_row, o = _org(s, org)
        row = tokens.consume(s, o_row.id, tokens.VERIFY_EMAIL, secret, now)
        row.email_verified_at = _naive(now)
        row.discard_after = None
        audit.append(
            s,
            action="request.email_verified",
            entity="request",
            entity_ref=row.reference,
            actor=WEB_ACTOR,
            org=org,
            details={"channel": row.channel},
        )
        return _record(ws, s, row, org, o, local_today(ws), reveal=False)


def _purge(s: Session, ws: Workspace, now: datetime) -> int:
    rows = s.execute(
        select(RequestRow, OrganisationRow.slug)
        .join(OrganisationRow, OrganisationRow.id == RequestRow.org_id)
        .where(
            RequestRow.email_verified_at.is_(None),
            RequestRow.discard_after.is_not(None),
            RequestRow.discard_after < _naive(now),
        )
    ).all()
    for row, slug in rows:
        audit.append(
            s,
            action="request.discard",
            entity="request",
            entity_ref=row.reference,
            actor=WEB_ACTOR,
            org=slug,
            details={"why": "e-mail not confirmed in time"},
        )
        s.delete(row)
    return len(rows)


def purge_unverified(ws: Workspace, *, now: datetime | None = None) -> int:
    """Delete web submissions whose e-mail was never confirmed (data minimisation, Art. 5(1)(e))."""
    with ws.db.session() as s:
        return _purge(s, ws, now or ws.now())


def discard(ws: Workspace, org: str, ref: str, *, why: str) -> None:
    """Drop an unconfirmed submission at once (the verification e-mail could not be sent)."""
    with ws.db.session() as s:
        o_row, _o = _org(s, org)
        row = _row(s, o_row.id, ref)
        if row.email_verified_at is not None or row.discard_after is None:
            raise Conflict(_("request {ref} is confirmed: it cannot be discarded", ref=ref))
        audit.append(
            s,
            action="request.discard",
            entity="request",
            entity_ref=row.reference,
            actor=actor_of(ws),
            org=org,
            details={"why": why[:200]},
        )
        s.delete(row)


# --------------------------------------------------------------------------- reading


def get(ws: Workspace, org: str, ref: str, *, reveal: bool = False) -> RequestRecord:
    """One request; ``reveal`` opens the sealed contents and leaves a trace in the audit log."""
    # only a revealing read writes (its audit entry): the others read a snapshot
    with ws.db.session(readonly=not reveal) as s:
        o_row, o = _org(s, org)
        row = _row(s, o_row.id, ref)
        if reveal:
            audit.append(
                s,
                action="request.read",
                entity="request",
                entity_ref=row.reference,
                actor=actor_of(ws),
                org=org,
            )
        return _record(ws, s, row, org, o, local_today(ws), reveal=reveal)


def _sort_key(r: RequestRecord) -> tuple[int, date, str]:
    dl = r.deadline
    if dl.status is deadlines.DeadlineStatus.CLOSED:
        rank = 3
    elif dl.status is deadlines.DeadlineStatus.OVERDUE:
        rank = 0
    elif dl.status is deadlines.DeadlineStatus.PAUSED:
        rank = 2
    else:
        rank = 1
    return (rank, dl.due, r.reference)


def list_requests(
    ws: Workspace, org: str, flt: ListFilter | None = None, *, today: date | None = None
) -> list[RequestRecord]:
    """Requests of one organisation, overdue first, then by due date.

    Unconfirmed web submissions are not requests yet and never listed; closed
    requests are listed only when asked (``include_closed`` or a terminal state).
    """
    flt = flt or ListFilter()
    today = today or local_today(ws)
    with ws.db.session(readonly=True) as s:
        o_row, o = _org(s, org)
        q = select(RequestRow).where(
            RequestRow.org_id == o_row.id,
            ~(RequestRow.email_verified_at.is_(None) & RequestRow.discard_after.is_not(None)),
        )
        if flt.states:
            q = q.where(RequestRow.state.in_([st.value for st in flt.states]))
        elif not flt.include_closed:
            q = q.where(RequestRow.closed_on.is_(None))
        if flt.types:
            q = q.where(RequestRow.type.in_([t.value for t in flt.types]))
        if flt.due_before is not None:
            q = q.where(RequestRow.due_on <= flt.due_before)
        if flt.assigned_to:
            q = q.where(RequestRow.assigned_to == flt.assigned_to)
        if flt.email:
            token = ws.keys.blind_index("EMAIL_ADDRESS", normalise_email(flt.email))
            q = q.where(
                RequestRow.id.in_(
                    select(RequestLookupRow.request_id).where(
                        RequestLookupRow.org_id == o_row.id,
                        RequestLookupRow.kind.in_(["email", "requester_email"]),
                        RequestLookupRow.token == token,
                    )
                )
            )
        rows = s.execute(q).scalars().all()
        ids = [r.id for r in rows]
        events: dict[int, list[RequestEventRow]] = {i: [] for i in ids}
        uploads: dict[int, int] = dict.fromkeys(ids, 0)
        for chunk in _chunks(ids, 500):
            for e in s.execute(
                select(RequestEventRow).where(RequestEventRow.request_id.in_(chunk))
            ).scalars():
                events[e.request_id].append(e)
            for rid, n in s.execute(
                select(RequestUploadRow.request_id, func.count())
                .where(RequestUploadRow.request_id.in_(chunk))
                .group_by(RequestUploadRow.request_id)
            ).all():
                uploads[rid] = int(n)
        out = [
            _record(
                ws,
                s,
                r,
                org,
                o,
                today,
                reveal=False,
                event_rows=events[r.id],
                uploads=uploads[r.id],
            )
            for r in rows
        ]
    if flt.overdue_only:
        out = [r for r in out if r.deadline.status is deadlines.DeadlineStatus.OVERDUE]
    return sorted(out, key=_sort_key)


def _chunks(items: list[int], n: int) -> Iterable[list[int]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def end_of_week(today: date) -> date:
    return today + timedelta(days=6 - today.weekday())


def due_this_week(ws: Workspace, org: str, *, today: date | None = None) -> list[RequestRecord]:
    """Open requests to answer by Sunday (overdue ones included, first)."""
    today = today or local_today(ws)
    return list_requests(ws, org, ListFilter(due_before=end_of_week(today)), today=today)


def find_by_identifier(ws: Workspace, org: str, key: str, value: str) -> list[str]:
    """References of requests carrying this identifier (blind index, no decryption)."""
    token = ws.keys.blind_index(f"id:{key}", normalise_identifier(value))
    with ws.db.session(readonly=True) as s:
        o_row, _o = _org(s, org)
        return list(
            s.execute(
                select(RequestRow.reference)
                .join(RequestLookupRow, RequestLookupRow.request_id == RequestRow.id)
                .where(
                    RequestLookupRow.org_id == o_row.id,
                    RequestLookupRow.kind == f"id:{key}",
                    RequestLookupRow.token == token,
                )
                .order_by(RequestRow.reference)
            ).scalars()
        )


# --------------------------------------------------------------------------- transitions


def _transition(
    ws: Workspace,
    org: str,
    ref: str,
    steps: Sequence[tuple[Action, str, str | None]],
    *,
    on: date | None = None,
    after: Any = None,
) -> RequestRecord:
    """Apply workflow steps (action, reason, assignee) in one transaction, with one audit entry each.

    ``after(session, row, request)`` runs inside the same transaction (identity
    record, upload deletion) so the step and its side effects commit together.
    """
    today = local_today(ws)
    legal = _check_on(on, today)
    actor = actor_of(ws)
    with ws.db.session() as s:
        o_row, o = _org(s, org)
        row = _row(s, o_row.id, ref)
        if row.email_verified_at is None and row.discard_after is not None:
            raise Conflict(
                _("request {ref} is waiting for its e-mail to be confirmed", ref=row.reference)
            )
        req = _model(row, _events(ws, _event_rows(s, row.id), row.id, reveal=False))
        now = max(ws.now(), req.events[-1].at)
        for action, reason, assignee in steps:
            before_state = req.state
            new = workflow.apply(
                req,
                workflow.Transition(
                    action, at=now, actor=actor, reason=reason, on=legal, assignee=assignee
                ),
                alsace_moselle=o.alsace_moselle,
            )
            _add_events(ws, s, row, new.events[len(req.events) :])
            req = new
            audit.append(
                s,
                action=f"request.{action.value}",
                entity="request",
                entity_ref=row.reference,
                actor=actor,
                org=org,
                before={"state": before_state.value},
                after={"state": req.state.value},
                details={
                    "from": before_state.value,
                    "to": req.state.value,
                    "on": legal.isoformat(),
                    "reason_given": bool(reason.strip()),
                },
            )
        dl = _deadline(req, o, today)
        _store_clock(row, req, dl)
        if after is not None:
            after(s, row, req)
        s.flush()
        return _record(ws, s, row, org, o, today, reveal=False)


def _event_rows(s: Session, request_id: int) -> list[RequestEventRow]:
    return list(
        s.execute(select(RequestEventRow).where(RequestEventRow.request_id == request_id))
        .scalars()
        .all()
    )


def start(ws: Workspace, org: str, ref: str, *, on: date | None = None) -> RequestRecord:
    """Identity not in doubt: work starts (most requests, CNIL: no systematic ID copy)."""
    return _transition(ws, org, ref, [(Action.START, "", None)], on=on)


def verify(
    ws: Workspace,
    org: str,
    ref: str,
    *,
    method: str,
    mandate: bool = False,
    on: date | None = None,
) -> RequestRecord:
    """Record that the person (and, with ``mandate``, the requester's power) was checked.

    From ``received`` work starts; from ``identity_pending`` the clock resumes
    (décret n° 2019-536). Any uploaded identity document is deleted in the same
    transaction: only "verified by X on D by method M" remains (CNIL).
    """
    method = method.strip()
    if method not in IDENTITY_METHODS:
        raise InvalidInput(
            "method",
            _("unknown method {m}: one of {all}", m=method, all=", ".join(IDENTITY_METHODS)),
        )
    legal = _check_on(on, local_today(ws))
    actor = actor_of(ws)
    with ws.db.session() as s:
        o_row, _o = _org(s, org)
        state = RequestState(_row(s, o_row.id, ref).state)
    steps: list[tuple[Action, str, str | None]] = []
    if mandate:
        steps.append((Action.RECORD_MANDATE, "", None))
    steps.append(
        (
            Action.IDENTITY_VERIFIED if state is RequestState.IDENTITY_PENDING else Action.START,
            "",
            None,
        )
    )

    def after(s: Session, row: RequestRow, _req: Request) -> None:
        n = int(
            s.execute(
                select(func.count())
                .select_from(RequestUploadRow)
                .where(RequestUploadRow.request_id == row.id)
            ).scalar_one()
        )
        s.execute(delete(RequestUploadRow).where(RequestUploadRow.request_id == row.id))
        row.identity_verified_by = actor[:255]
        row.identity_verified_on = legal
        row.identity_method = method
        audit.append(
            s,
            action="request.identity_recorded",
            entity="request",
            entity_ref=row.reference,
            actor=actor,
            org=org,
            details={"method": method, "documents_deleted": n},
        )

    return _transition(ws, org, ref, steps, on=legal, after=after)


def record_mandate(ws: Workspace, org: str, ref: str) -> RequestRecord:
    return _transition(ws, org, ref, [(Action.RECORD_MANDATE, "", None)])


def extend(
    ws: Workspace, org: str, ref: str, *, reason: str, on: date | None = None
) -> RequestRecord:
    """Art. 12(3): two further months, decided and notified with reasons in the first month."""
    return _transition(ws, org, ref, [(Action.EXTEND, reason, None)], on=on)


def pause(
    ws: Workspace, org: str, ref: str, *, reason: str, on: date | None = None
) -> RequestRecord:
    """Ask the person to clarify the request (Recital 63); the clock waits."""
    return _transition(ws, org, ref, [(Action.ASK_CLARIFICATION, reason, None)], on=on)


def resume(ws: Workspace, org: str, ref: str, *, on: date | None = None) -> RequestRecord:
    """The clarification arrived: the clock restarts."""
    return _transition(ws, org, ref, [(Action.CLARIFIED, "", None)], on=on)


def assign(ws: Workspace, org: str, ref: str, *, agent: str) -> RequestRecord:
    return _transition(ws, org, ref, [(Action.ASSIGN, "", agent.strip()[:255])])


def refuse(
    ws: Workspace, org: str, ref: str, *, reason: str, on: date | None = None
) -> RequestRecord:
    """Art. 12(4): a reasoned refusal; the letter adds the CNIL complaint and judicial remedy."""
    return _transition(ws, org, ref, [(Action.REFUSE, reason, None)], on=on)


def close(
    ws: Workspace, org: str, ref: str, *, reason: str = "", on: date | None = None
) -> RequestRecord:
    """The answer was sent: the request is completed."""
    return _transition(ws, org, ref, [(Action.COMPLETE, reason, None)], on=on)


def withdraw(
    ws: Workspace, org: str, ref: str, *, reason: str = "", on: date | None = None
) -> RequestRecord:
    return _transition(ws, org, ref, [(Action.WITHDRAW, reason, None)], on=on)


def redirect(
    ws: Workspace, org: str, ref: str, *, reason: str, on: date | None = None
) -> RequestRecord:
    """Another regime (CADA, CRPA L311-1) or another controller handles it."""
    return _transition(ws, org, ref, [(Action.REDIRECT, reason, None)], on=on)


# --------------------------------------------------------------------------- identity upload


def ask_identity(
    ws: Workspace,
    org: str,
    ref: str,
    *,
    reason: str,
    on: date | None = None,
    ttl: timedelta = UPLOAD_TTL,
) -> UploadLink:
    """Art. 12(6): on reasonable doubt only, ask for proof; returns a one-time upload secret.

    The clock is suspended until the proof arrives (décret n° 2019-536). The
    caller builds the link with :func:`sign_link` and sends it.
    """
    now = ws.now()
    issued: list[str] = []

    def after(s: Session, row: RequestRow, _req: Request) -> None:
        issued.append(tokens.issue(s, row.id, tokens.UPLOAD, now=now, ttl=ttl, replace_unused=True))

    record = _transition(ws, org, ref, [(Action.ASK_IDENTITY, reason, None)], on=on, after=after)
    return UploadLink(record, issued[-1], now + ttl)


def sniff_document(data: bytes) -> str | None:
    """The type of an identity document from its first bytes; the browser's claim is ignored."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


def check_document(data: bytes) -> str:
    if not data:
        raise InvalidInput("document", _("The file is empty."))
    if len(data) > MAX_UPLOAD:
        raise InvalidInput(
            "document",
            _("The file is too large: at most {n} MB.", n=MAX_UPLOAD // (1024 * 1024)),
        )
    kind = sniff_document(data)
    if kind is None:
        raise InvalidInput(
            "document", _("This file is not a PDF, PNG or JPEG document: send a scan or a photo.")
        )
    return kind


def store_upload(
    ws: Workspace,
    org: str,
    secret: str,
    *,
    filename: str,
    data: bytes,
    now: datetime | None = None,
) -> RequestRecord:
    """Keep the identity document sealed until an agent checks it (then it is deleted)."""
    kind = check_document(data)
    now = now or ws.now()
    with ws.db.session() as s:
        o_row, o = _org(s, org)
        row = tokens.consume(s, o_row.id, tokens.UPLOAD, secret, now)
        if RequestState(row.state) is not RequestState.IDENTITY_PENDING:
            raise LinkRefused("used", _("This request no longer waits for an identity document."))
        safe_name = "".join(c for c in filename if c.isprintable())[-120:] or "document"
        s.add(
            RequestUploadRow(
                request_id=row.id,
                content_type=kind,
                size=len(data),
                filename=ws.keys.seal(safe_name, upload_context(row.id, "filename")),
                content=ws.keys.seal(data, upload_context(row.id, "content")),
                uploaded_at=_naive(now),
            )
        )
        audit.append(
            s,
            action="request.identity_uploaded",
            entity="request",
            entity_ref=row.reference,
            actor=WEB_ACTOR,
            org=org,
            details={"content_type": kind, "size": len(data)},
        )
        s.flush()
        return _record(ws, s, row, org, o, local_today(ws), reveal=False)


def identity_documents(ws: Workspace, org: str, ref: str) -> list[UploadedDocument]:
    """Open the uploaded documents for the agent who checks them (audited)."""
    with ws.db.session() as s:
        o_row, _o = _org(s, org)
        row = _row(s, o_row.id, ref)
        ups = (
            s.execute(
                select(RequestUploadRow)
                .where(RequestUploadRow.request_id == row.id)
                .order_by(RequestUploadRow.id)
            )
            .scalars()
            .all()
        )
        audit.append(
            s,
            action="request.identity_opened",
            entity="request",
            entity_ref=row.reference,
            actor=actor_of(ws),
            org=org,
            details={"documents": len(ups)},
        )
        return [
            UploadedDocument(
                ws.keys.open_text(u.filename, upload_context(row.id, "filename")),
                u.content_type,
                ws.keys.open(u.content, upload_context(row.id, "content")),
                u.uploaded_at,
            )
            for u in ups
        ]
