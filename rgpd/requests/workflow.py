"""The request state machine (Art. 12 GDPR workflow): pure, every step recorded.

::

    received ──start──────────────▶ in_progress ──extend──▶ extended
       │  ▲                          │   ▲  │                 │  ▲
       │  └─ask_identity─┐           │   │  └─ask_clarif.─┐   │  │
       ▼                 │           ▼   └──clarified──── paused ◀┘
    identity_pending ──identity_verified──▶ in_progress
    any non-terminal ──complete | refuse | withdraw | redirect──▶ terminal

``complete`` needs work to have started (in_progress or extended); ``refuse``,
``withdraw`` and ``redirect`` are open from every non-terminal state (a request
can be refused because the person cannot be identified, Art. 12(2) / 11(2)).
``assign`` and ``record_mandate`` record a fact without changing the state.

A refused transition raises :class:`rgpd.errors.TransitionRefused` naming the
current and the requested state, and the request is left untouched (values are
immutable, so "untouched" is guaranteed, not hoped for).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

from rgpd import deadlines, labels
from rgpd.errors import InvalidInput, TransitionRefused
from rgpd.i18n import _, format_date
from rgpd.requests.model import (
    Action,
    Channel,
    Regime,
    Request,
    Requester,
    RequestEvent,
    RequestState,
    RequestType,
)

S = RequestState
_OPEN = frozenset(s for s in RequestState if not s.terminal)

#: action -> (states it may start from, target state; None keeps the current state)
TRANSITIONS: dict[Action, tuple[frozenset[RequestState], RequestState | None]] = {
    Action.START: (frozenset({S.RECEIVED}), S.IN_PROGRESS),
    Action.ASK_IDENTITY: (frozenset({S.RECEIVED, S.IN_PROGRESS}), S.IDENTITY_PENDING),
    Action.IDENTITY_VERIFIED: (frozenset({S.IDENTITY_PENDING}), S.IN_PROGRESS),
    Action.RECORD_MANDATE: (_OPEN, None),
    Action.ASK_CLARIFICATION: (frozenset({S.RECEIVED, S.IN_PROGRESS, S.EXTENDED}), S.PAUSED),
    Action.CLARIFIED: (frozenset({S.PAUSED}), S.IN_PROGRESS),  # EXTENDED if it was extended
    Action.EXTEND: (frozenset({S.IN_PROGRESS}), S.EXTENDED),
    Action.ASSIGN: (_OPEN, None),
    Action.COMPLETE: (frozenset({S.IN_PROGRESS, S.EXTENDED}), S.COMPLETED),
    Action.REFUSE: (_OPEN, S.REFUSED),
    Action.WITHDRAW: (_OPEN, S.WITHDRAWN),
    Action.REDIRECT: (_OPEN, S.REDIRECTED),
}

#: Actions whose reason is part of the legal act (letter to the person or file note).
REASON_REQUIRED: dict[Action, str] = {
    Action.ASK_IDENTITY: "Art. 12(6) GDPR",  # reasonable doubt, stated
    Action.ASK_CLARIFICATION: "Recital 63 GDPR",
    Action.EXTEND: "Art. 12(3) GDPR",  # "together with the reasons for the delay"
    Action.REFUSE: "Art. 12(4) GDPR",
    Action.REDIRECT: "CRPA, art. L311-1",
}


@dataclass(frozen=True, slots=True)
class Transition:
    """What an agent asks the workflow to do; ``on`` is the legal date (defaults to ``at``'s day)."""

    action: Action
    at: datetime
    actor: str
    reason: str = ""
    on: date | None = None
    assignee: str | None = None


def _aware(value: datetime, field: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(field, _("a date and time with a time zone is required"))


def receive(
    ref: str,
    type: RequestType,
    *,
    received_on: date,
    at: datetime,
    actor: str,
    channel: Channel = Channel.WEB,
    requester: Requester | None = None,
    activities: Iterable[str] = (),
    reason: str = "",
) -> Request:
    """A new request in state ``received``; ``received_on`` starts the Art. 12(3) clock."""
    _aware(at, "at")
    if not actor.strip():
        raise InvalidInput("actor", _("who records the request must be named"))
    if not ref.strip():
        raise InvalidInput("ref", _("a request needs a reference"))
    event = RequestEvent(0, Action.RECEIVE, at, received_on, actor, None, S.RECEIVED, reason)
    return Request(
        ref=ref,
        type=type,
        received_on=received_on,
        channel=channel,
        requester=requester or Requester(),
        events=(event,),
        activities=tuple(activities),
    )


def allowed_actions(request: Request) -> list[Action]:
    """Actions whose state precondition holds (guards on reasons and dates still apply)."""
    return [a for a, (sources, _target) in TRANSITIONS.items() if request.state in sources]


def _target(request: Request, action: Action) -> RequestState:
    _sources, target = TRANSITIONS[action]
    if target is None:
        return request.state
    if action is Action.CLARIFIED and request.extended:
        return S.EXTENDED
    return target


def _refuse(request: Request, action: Action, to: RequestState, why: str) -> TransitionRefused:
    return TransitionRefused(
        _(
            "Request {ref}: cannot {action} from '{src}' to '{dst}': {why}",
            ref=request.ref,
            action=labels.request_action(action),
            src=labels.request_state(request.state),
            dst=labels.request_state(to),
            why=why,
        )
    )


def apply(
    request: Request,
    transition: Transition,
    *,
    alsace_moselle: bool = False,
) -> Request:
    """Return ``request`` with ``transition`` recorded, or raise :class:`TransitionRefused`.

    ``alsace_moselle`` only matters for ``extend``, whose validity depends on the
    end of the first month (Art. 12(3)), itself moved by local public holidays.
    """
    action = transition.action
    if action is Action.RECEIVE:
        raise _refuse(request, action, request.state, _("a request is received only once"))
    sources, _t = TRANSITIONS[action]
    to = _target(request, action)
    if request.state not in sources:
        if request.state.terminal:
            why = _("the request is closed")
        else:
            why = _(
                "allowed only from {states}",
                states=", ".join(sorted(f"'{labels.request_state(s)}'" for s in sources)),
            )
        raise _refuse(request, action, to, why)

    _aware(transition.at, "at")
    if not transition.actor.strip():
        raise _refuse(request, action, to, _("the agent recording it must be named"))
    last = request.events[-1]
    if transition.at < last.at:
        raise _refuse(request, action, to, _("it is dated before the previous event"))
    on = transition.on or transition.at.date()
    if on < last.on or on < request.received_on:
        raise _refuse(request, action, to, _("its legal date is before the previous event"))
    if action in REASON_REQUIRED and not transition.reason.strip():
        raise _refuse(
            request,
            action,
            to,
            _("a reason is required ({article})", article=REASON_REQUIRED[action]),
        )
    if action is Action.ASSIGN and not (transition.assignee or "").strip():
        raise _refuse(request, action, to, _("name the agent in charge"))

    starts_work = action in (Action.START, Action.IDENTITY_VERIFIED)
    if (
        starts_work
        and request.requester.role.needs_mandate
        and not request.requester.mandate_verified
    ):
        raise _refuse(
            request,
            action,
            to,
            _(
                "the requester acts for someone else ({role}): record the proof of mandate first",
                role=labels.requester_role(request.requester.role),
            ),
        )
    if action is Action.EXTEND:
        if request.type.regime is not Regime.GDPR:
            raise _refuse(
                request, action, to, _("only GDPR requests can be extended (Art. 12(3) GDPR)")
            )
        clock = request.deadline(on, alsace_moselle=alsace_moselle)
        if on > clock.extension_notice_due:
            raise _refuse(
                request,
                action,
                to,
                _(
                    "the extension must be notified within the first month, which ended on {due} "
                    "(Art. 12(3) GDPR)",
                    due=format_date(clock.extension_notice_due),
                ),
            )

    event = RequestEvent(
        seq=last.seq + 1,
        action=action,
        at=transition.at,
        on=on,
        actor=transition.actor,
        from_state=request.state,
        to_state=to,
        reason=transition.reason,
        assignee=transition.assignee,
    )
    changes: dict[str, object] = {"events": (*request.events, event)}
    if action is Action.ASSIGN:
        changes["assignee"] = transition.assignee
    if action is Action.RECORD_MANDATE:
        changes["requester"] = replace(request.requester, mandate_verified=True)
    return replace(request, **changes)  # type: ignore[arg-type]


def apply_all(
    request: Request, transitions: Iterable[Transition], *, alsace_moselle: bool = False
) -> Request:
    for t in transitions:
        request = apply(request, t, alsace_moselle=alsace_moselle)
    return request


# --------------------------------------------------------------------------- routing

_HINTS: dict[RequestType, tuple[str, ...]] = {
    RequestType.CADA: (
        "cada",
        "l311-1",
        "l. 311-1",
        "document administratif",
        "documents administratifs",
        "communication de document",
        "copie de la délibération",
        "délibération",
        "arrêté",
        "compte rendu du conseil",
        "procès-verbal du conseil",
        "marché public",
        "permis de construire",
        "budget",
        "liberté d'accès aux documents",
    ),
    RequestType.POST_MORTEM: (
        "décès",
        "décédé",
        "décédée",
        "défunt",
        "défunte",
        "après ma mort",
        "post mortem",
        "post-mortem",
        "directives",
        "héritier",
        "ayant droit",
    ),
    RequestType.ERASURE: ("effacer", "effacement", "supprimer", "suppression", "droit à l'oubli"),
    RequestType.RECTIFICATION: ("rectifier", "rectification", "corriger", "erreur", "inexact"),
    RequestType.PORTABILITY: ("portabilité", "format réutilisable", "transférer mes données"),
    RequestType.OBJECTION: ("opposition", "m'oppose", "ne plus recevoir", "désinscri"),
    RequestType.RESTRICTION: ("limitation", "limiter", "geler"),
    RequestType.ACCESS: (
        "accès",
        "copie de mes données",
        "quelles données",
        "article 15",
        "données me concernant",
        "mes données",
    ),
}


@dataclass(frozen=True, slots=True)
class RegimeHint:
    """A suggestion for the agent, never a decision: which regime(s) the wording points to."""

    types: tuple[RequestType, ...]
    matched: dict[RequestType, tuple[str, ...]]

    @property
    def regimes(self) -> tuple[Regime, ...]:
        return tuple(dict.fromkeys(t.regime for t in self.types))

    @property
    def needs_routing(self) -> bool:
        """The wording points (also) to a non-GDPR regime: the agent should check and route."""
        return any(r is not Regime.GDPR for r in self.regimes)


def suggest_types(text: str) -> RegimeHint:
    """Recognise from the wording a request for administrative documents (CRPA L311-1)
    or about a deceased person (loi n° 78-17 art. 85), so it is routed, not mishandled.

    A keyword heuristic on purpose: transparent and explainable to the agent.
    """
    low = re.sub(r"\s+", " ", text.lower().replace("’", "'"))
    matched: dict[RequestType, tuple[str, ...]] = {}
    for t, words in _HINTS.items():
        hits = tuple(w for w in words if w in low)
        if hits:
            matched[t] = hits
    ranked = sorted(matched, key=lambda t: (-len(matched[t]), list(_HINTS).index(t)))
    return RegimeHint(tuple(ranked), matched)


def deadline(
    request: Request, today: date, *, alsace_moselle: bool, due_soon_days: int = 7
) -> deadlines.Deadline:
    """Convenience alias: the request's Art. 12(3) deadline from its events."""
    return request.deadline(today, alsace_moselle=alsace_moselle, due_soon_days=due_soon_days)
