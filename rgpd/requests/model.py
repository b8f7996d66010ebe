"""Citizens' requests as plain values: what was asked, by whom, and everything that happened.

A :class:`Request` is immutable; :func:`rgpd.requests.workflow.apply` returns a
new one with one more :class:`RequestEvent`. The event list is the source of
truth: the state is its last ``to_state`` and the Art. 12(3) deadline is derived
from it (:meth:`Request.deadline`), so storage only has to keep the events.

The core model holds no clear personal data (no name, e-mail or identity
document): those are sealed by the storage layer and referred to by ``ref``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from rgpd import deadlines

# The rights themselves (which exist, their article) are register knowledge with one
# home, rgpd.registry.rights; the requests wing names them from here (re-exported).
from rgpd.registry.rights import GDPR_RIGHTS as GDPR_RIGHTS
from rgpd.registry.rights import Regime as Regime
from rgpd.registry.rights import RequestType as RequestType


class Channel(StrEnum):
    WEB = "web"
    COUNTER = "guichet"
    MAIL = "courrier"
    EMAIL = "courriel"
    PHONE = "telephone"


class RequesterRole(StrEnum):
    """Who asks, relative to the person the data are about."""

    SELF = "personne_concernee"
    PARENT = "titulaire_autorite_parentale"  # for a minor (Code civil art. 371-1)
    GUARDIAN = "tuteur"  # legal guardian of a protected adult
    LAWYER = "avocat"
    MANDATARY = "mandataire"  # any other person holding a written mandate
    HEIR = "heritier"  # after death (loi n° 78-17, art. 85)
    DESIGNATED_PERSON = "personne_designee"  # named in the deceased's directives (art. 85)

    @property
    def needs_mandate(self) -> bool:
        """Anyone but the person concerned must prove the power to act for them."""
        return self is not RequesterRole.SELF


@dataclass(frozen=True, slots=True)
class Requester:
    role: RequesterRole = RequesterRole.SELF
    # proof of mandate, parental authority or quality of heir checked by an agent
    mandate_verified: bool = False


class RequestState(StrEnum):
    RECEIVED = "recue"
    IDENTITY_PENDING = "identite_en_attente"
    IN_PROGRESS = "en_cours"
    PAUSED = "en_attente_precision"  # waiting for a clarification from the person
    EXTENDED = "prolongee"
    COMPLETED = "traitee"
    REFUSED = "refusee"
    WITHDRAWN = "retiree"
    REDIRECTED = "reorientee"  # another regime (CADA/CRPA, art. 85) or another controller

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES: frozenset[RequestState] = frozenset(
    {RequestState.COMPLETED, RequestState.REFUSED, RequestState.WITHDRAWN, RequestState.REDIRECTED}
)


class Action(StrEnum):
    RECEIVE = "recevoir"
    START = "instruire"  # identity not in doubt: work starts
    ASK_IDENTITY = "demander_identite"  # Art. 12(6): reasonable doubt only
    IDENTITY_VERIFIED = "identite_verifiee"
    RECORD_MANDATE = "mandat_verifie"
    ASK_CLARIFICATION = "demander_precision"
    CLARIFIED = "precision_recue"
    EXTEND = "prolonger"  # Art. 12(3)
    ASSIGN = "attribuer"
    COMPLETE = "clore"
    REFUSE = "refuser"  # Art. 12(4) / 12(5)
    WITHDRAW = "retirer"
    REDIRECT = "reorienter"


@dataclass(frozen=True, slots=True)
class RequestEvent:
    """One recorded transition: who, when, why, and the legal date it takes effect."""

    seq: int
    action: Action
    at: datetime  # when it was recorded (timezone-aware)
    on: date  # the legal date (postmark, e-mail date, letter sent)
    actor: str
    from_state: RequestState | None
    to_state: RequestState
    reason: str = ""
    assignee: str | None = None


_CLOCK: dict[Action, tuple[deadlines.ClockEventKind, deadlines.PauseReason | None]] = {
    Action.ASK_IDENTITY: (deadlines.ClockEventKind.PAUSE, deadlines.PauseReason.IDENTITY),
    Action.IDENTITY_VERIFIED: (deadlines.ClockEventKind.RESUME, None),
    Action.ASK_CLARIFICATION: (deadlines.ClockEventKind.PAUSE, deadlines.PauseReason.CLARIFICATION),
    Action.CLARIFIED: (deadlines.ClockEventKind.RESUME, None),
    Action.EXTEND: (deadlines.ClockEventKind.EXTEND, None),
}


@dataclass(frozen=True, slots=True)
class Request:
    """A request and its full history; build with :func:`rgpd.requests.workflow.receive`."""

    ref: str
    type: RequestType
    received_on: date
    channel: Channel
    requester: Requester
    events: tuple[RequestEvent, ...]
    activities: tuple[str, ...] = ()  # refs of register activities concerned
    assignee: str | None = None

    @property
    def state(self) -> RequestState:
        return self.events[-1].to_state

    @property
    def extended(self) -> bool:
        return any(e.action is Action.EXTEND for e in self.events)

    @property
    def identity_verified(self) -> bool:
        return any(e.action in (Action.START, Action.IDENTITY_VERIFIED) for e in self.events)

    def clock_events(self) -> list[deadlines.ClockEvent]:
        """The request's history seen by the Art. 12(3) clock."""
        out: list[deadlines.ClockEvent] = []
        for e in self.events:
            if e.action in _CLOCK:
                kind, reason = _CLOCK[e.action]
                out.append(deadlines.ClockEvent(kind, e.on, reason))
            elif e.to_state.terminal and (e.from_state is None or not e.from_state.terminal):
                out.append(deadlines.ClockEvent(deadlines.ClockEventKind.CLOSE, e.on))
        return out

    def deadline(
        self,
        today: date,
        *,
        alsace_moselle: bool,
        due_soon_days: int = deadlines.DEFAULT_DUE_SOON_DAYS,
        clarification_pauses: bool = True,
    ) -> deadlines.Deadline:
        return deadlines.compute_deadline(
            self.received_on,
            self.clock_events(),
            alsace_moselle=alsace_moselle,
            today=today,
            due_soon_days=due_soon_days,
            clarification_pauses=clarification_pauses,
        )
