"""The request state machine: table of legal moves, guards, and a Hypothesis state machine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from rgpd import labels
from rgpd.deadlines import ClockEventKind, DeadlineStatus, is_working_day
from rgpd.errors import InvalidInput, TransitionRefused
from rgpd.requests.model import (
    Action,
    Channel,
    Regime,
    Request,
    Requester,
    RequesterRole,
    RequestState,
    RequestType,
)
from rgpd.requests.workflow import (
    Transition,
    allowed_actions,
    apply,
    apply_all,
    receive,
    suggest_types,
)

S = RequestState
A = Action
T0 = datetime(2025, 3, 5, 9, 30, tzinfo=UTC)

# The legal moves, written out independently of rgpd.requests.workflow.TRANSITIONS.
OPEN = [S.RECEIVED, S.IDENTITY_PENDING, S.IN_PROGRESS, S.PAUSED, S.EXTENDED]
TERMINAL = [S.COMPLETED, S.REFUSED, S.WITHDRAWN, S.REDIRECTED]
EXPECTED: dict[Action, dict[RequestState, RequestState | None]] = {
    A.START: {S.RECEIVED: S.IN_PROGRESS},
    A.ASK_IDENTITY: {S.RECEIVED: S.IDENTITY_PENDING, S.IN_PROGRESS: S.IDENTITY_PENDING},
    A.IDENTITY_VERIFIED: {S.IDENTITY_PENDING: S.IN_PROGRESS},
    A.ASK_CLARIFICATION: {S.RECEIVED: S.PAUSED, S.IN_PROGRESS: S.PAUSED, S.EXTENDED: S.PAUSED},
    A.CLARIFIED: {S.PAUSED: None},  # back to in_progress, or extended if it was extended
    A.EXTEND: {S.IN_PROGRESS: S.EXTENDED},
    A.COMPLETE: {S.IN_PROGRESS: S.COMPLETED, S.EXTENDED: S.COMPLETED},
    A.REFUSE: dict.fromkeys(OPEN, S.REFUSED),
    A.WITHDRAW: dict.fromkeys(OPEN, S.WITHDRAWN),
    A.REDIRECT: dict.fromkeys(OPEN, S.REDIRECTED),
    A.ASSIGN: {s: s for s in OPEN},
    A.RECORD_MANDATE: {s: s for s in OPEN},
}
ACTIONS = list(EXPECTED)


def new(
    role: RequesterRole = RequesterRole.SELF, type: RequestType = RequestType.ACCESS
) -> Request:
    return receive(
        "DR-2025-0001",
        type,
        received_on=T0.date(),
        at=T0,
        actor="agent.accueil",
        channel=Channel.COUNTER,
        requester=Requester(role),
        activities=("cantine",),
    )


def step(action: Action, days: float, reason: str = "motif", **kw: object) -> Transition:
    return Transition(action, T0 + timedelta(days=days), "dpo", reason=reason, **kw)  # type: ignore[arg-type]


def test_receive_records_first_event() -> None:
    r = new()
    assert r.state is S.RECEIVED
    assert len(r.events) == 1
    assert r.events[0].from_state is None and r.events[0].actor == "agent.accueil"
    assert r.received_on == date(2025, 3, 5)


def test_receive_needs_timezone_and_actor() -> None:
    with pytest.raises(InvalidInput):
        receive(
            "x", RequestType.ACCESS, received_on=T0.date(), at=T0.replace(tzinfo=None), actor="a"
        )
    with pytest.raises(InvalidInput):
        receive("x", RequestType.ACCESS, received_on=T0.date(), at=T0, actor="  ")


def test_happy_path_with_identity_pause_and_deadline() -> None:
    r = apply_all(
        new(),
        [
            step(A.ASK_IDENTITY, 5, "homonym in the canteen file"),  # 10 March
            step(A.IDENTITY_VERIFIED, 15),  # 20 March
            step(A.ASSIGN, 15, assignee="agent.scolaire"),
            step(A.COMPLETE, 20),
        ],
    )
    assert [e.to_state for e in r.events] == [
        S.RECEIVED,
        S.IDENTITY_PENDING,
        S.IN_PROGRESS,
        S.IN_PROGRESS,
        S.COMPLETED,
    ]
    assert r.assignee == "agent.scolaire"
    clock = r.deadline(date(2025, 6, 1), alsace_moselle=False)
    # 5 April + 10 suspended days = 15 April (a Tuesday)
    assert clock.due == date(2025, 4, 15)
    assert clock.status is DeadlineStatus.CLOSED and clock.closed_late is False


def test_clock_events_mapping() -> None:
    r = apply_all(
        new(),
        [
            step(A.START, 1),
            step(A.ASK_CLARIFICATION, 2),
            step(A.CLARIFIED, 4),
            step(A.EXTEND, 6),
            step(A.COMPLETE, 40),
        ],
    )
    kinds = [e.kind for e in r.clock_events()]
    assert kinds == [
        ClockEventKind.PAUSE,
        ClockEventKind.RESUME,
        ClockEventKind.EXTEND,
        ClockEventKind.CLOSE,
    ]


@pytest.mark.parametrize(
    "state_path",
    [[], [A.START], [A.ASK_IDENTITY], [A.START, A.ASK_CLARIFICATION], [A.START, A.EXTEND]],
)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_from_every_open_state(state_path: list[Action], action: Action) -> None:
    r = apply_all(new(), [step(a, i + 1) for i, a in enumerate(state_path)])
    t = step(action, 10, assignee="agent")
    expected = EXPECTED[action]
    if r.state in expected:
        after = apply(r, t)
        target = expected[r.state]
        if target is None:
            target = S.EXTENDED if r.extended else S.IN_PROGRESS
        assert after.state is target
        assert after.events[:-1] == r.events
        assert after.events[-1].from_state is r.state
    else:
        with pytest.raises(TransitionRefused) as err:
            apply(r, t)
        assert f"'{labels.request_state(r.state)}'" in str(err.value)


@pytest.mark.parametrize("closing", [A.COMPLETE, A.REFUSE, A.WITHDRAW, A.REDIRECT])
@pytest.mark.parametrize("action", ACTIONS)
def test_terminal_states_stay_terminal(closing: Action, action: Action) -> None:
    r = apply_all(new(), [step(A.START, 1), step(closing, 2)])
    assert r.state in TERMINAL
    with pytest.raises(TransitionRefused) as err:
        apply(r, step(action, 3, assignee="agent"))
    assert "closed" in str(err.value)


def test_refusal_message_names_from_and_to() -> None:
    with pytest.raises(TransitionRefused) as err:
        apply(new(), step(A.COMPLETE, 1))
    message = str(err.value)
    assert "'Received'" in message and "'Answered'" in message and "DR-2025-0001" in message
    assert "cannot close" in message
    assert (
        "recue" not in message and "traitee" not in message and "clore" not in message
    )  # issue 12


def test_refusal_message_in_french_has_no_code() -> None:
    from rgpd.i18n import use_language

    with use_language("fr"), pytest.raises(TransitionRefused) as err:
        apply(apply(new(), step(A.START, 1)), step(A.START, 2))
    message = str(err.value)
    assert "'En cours'" in message and "'Reçue'" in message, message
    assert "en_cours" not in message and "recue" not in message, message


@pytest.mark.parametrize("action", [A.ASK_IDENTITY, A.ASK_CLARIFICATION, A.REFUSE, A.REDIRECT])
def test_reason_required(action: Action) -> None:
    with pytest.raises(TransitionRefused, match="reason"):
        apply(new(), step(action, 1, reason="  "))


def test_extension_needs_reason_and_first_month() -> None:
    started = apply(new(), step(A.START, 1))
    with pytest.raises(TransitionRefused, match=r"Art\. 12\(3\)"):
        apply(started, step(A.EXTEND, 2, reason=""))
    # first month ends Saturday 5 April 2025 -> Monday 7 April: 8 April is too late
    with pytest.raises(TransitionRefused, match="first month"):
        apply(started, step(A.EXTEND, 34))
    extended = apply(started, step(A.EXTEND, 33))  # 7 April
    assert extended.state is S.EXTENDED
    assert extended.deadline(date(2025, 4, 7), alsace_moselle=False).due == date(2025, 6, 5)


def test_extension_only_once_and_clarification_returns_to_extended() -> None:
    r = apply_all(
        new(),
        [step(A.START, 1), step(A.EXTEND, 2), step(A.ASK_CLARIFICATION, 3), step(A.CLARIFIED, 5)],
    )
    assert r.state is S.EXTENDED
    with pytest.raises(TransitionRefused):
        apply(r, step(A.EXTEND, 6))


def test_cada_request_cannot_be_extended_but_can_be_redirected() -> None:
    r = apply(new(type=RequestType.CADA), step(A.START, 1))
    with pytest.raises(TransitionRefused, match="GDPR"):
        apply(r, step(A.EXTEND, 2))
    routed = apply(r, step(A.REDIRECT, 2, "CRPA L311-1: documents administratifs"))
    assert routed.state is S.REDIRECTED


@pytest.mark.parametrize("role", [r for r in RequesterRole if r is not RequesterRole.SELF])
def test_third_party_needs_proof_of_mandate(role: RequesterRole) -> None:
    r = new(role)
    with pytest.raises(TransitionRefused, match="mandate"):
        apply(r, step(A.START, 1))
    r = apply(r, step(A.RECORD_MANDATE, 1))
    assert r.requester.mandate_verified
    assert apply(r, step(A.START, 2)).state is S.IN_PROGRESS


def test_mandate_also_needed_after_identity_check() -> None:
    r = apply(new(RequesterRole.PARENT), step(A.ASK_IDENTITY, 1, "child's file"))
    with pytest.raises(TransitionRefused, match="mandate"):
        apply(r, step(A.IDENTITY_VERIFIED, 2))


def test_events_must_be_in_order() -> None:
    r = apply(new(), step(A.START, 2))
    with pytest.raises(TransitionRefused, match="before"):
        apply(r, step(A.COMPLETE, 1))
    with pytest.raises(TransitionRefused, match="before"):
        apply(r, Transition(A.COMPLETE, T0 + timedelta(days=3), "dpo", on=date(2025, 3, 4)))


def test_receive_action_refused_and_allowed_actions() -> None:
    with pytest.raises(TransitionRefused):
        apply(new(), step(A.RECEIVE, 1))
    assert A.START in allowed_actions(new())
    assert A.COMPLETE not in allowed_actions(new())


def test_request_types_carry_article_and_regime() -> None:
    assert RequestType.PORTABILITY.article == "Art. 20 GDPR"
    assert RequestType.POST_MORTEM.regime is Regime.LIL
    assert RequestType.CADA.regime is Regime.CRPA
    assert all(t.label for t in RequestType)


@pytest.mark.parametrize(
    ("text", "first", "routing"),
    [
        (
            "Je souhaite obtenir la copie de la délibération du conseil municipal du 12 mai (CADA).",
            RequestType.CADA,
            True,
        ),
        (
            "Bonjour, je voudrais savoir quelles données vous avez me concernant, article 15.",
            RequestType.ACCESS,
            False,
        ),
        (
            "Mon père est décédé, je suis son héritier et voudrais clôturer son compte.",
            RequestType.POST_MORTEM,
            True,
        ),
        ("Merci de supprimer mes données de la lettre d'information.", RequestType.ERASURE, False),
    ],
)
def test_suggest_types(text: str, first: RequestType, routing: bool) -> None:
    hint = suggest_types(text)
    assert hint.types[0] is first
    assert hint.needs_routing is routing


def test_suggest_types_nothing_recognised() -> None:
    hint = suggest_types("Bonjour")
    assert hint.types == () and not hint.needs_routing


# --------------------------------------------------------------------------- state machine


class RequestMachine(RuleBasedStateMachine):
    """Random agents clicking random buttons: the request must stay coherent."""

    request: Request
    now: datetime

    @initialize(role=st.sampled_from(RequesterRole), type=st.sampled_from(RequestType))
    def start(self, role: RequesterRole, type: RequestType) -> None:
        self.now = T0
        self.request = receive(
            "DR-H", type, received_on=T0.date(), at=T0, actor="agent", requester=Requester(role)
        )
        self.closed_state: RequestState | None = None

    @rule(
        action=st.sampled_from(ACTIONS),
        hours=st.integers(0, 96),
        reason=st.sampled_from(["", "motif"]),
    )
    def act(self, action: Action, hours: int, reason: str) -> None:
        self.now += timedelta(hours=hours)
        before = self.request
        transition = Transition(action, self.now, "agent", reason=reason, assignee="agent2")
        allowed_by_state = before.state in EXPECTED[action]
        needs_reason = action in (
            A.ASK_IDENTITY,
            A.ASK_CLARIFICATION,
            A.EXTEND,
            A.REFUSE,
            A.REDIRECT,
        )
        needs_mandate = (
            action in (A.START, A.IDENTITY_VERIFIED)
            and before.requester.role is not RequesterRole.SELF
            and not before.requester.mandate_verified
        )
        try:
            after = apply(before, transition)
        except TransitionRefused:
            assert self.request is before  # nothing changed
            if allowed_by_state and not (needs_reason and not reason) and not needs_mandate:
                # the only other legal ground: an extension outside the first month, or not GDPR
                assert action is A.EXTEND
                late = (
                    self.now.date()
                    > before.deadline(self.now.date(), alsace_moselle=False).extension_notice_due
                )
                assert late or before.type.regime is not Regime.GDPR
            return
        assert allowed_by_state
        assert not (needs_reason and not reason)
        assert not needs_mandate
        if action is A.EXTEND:
            assert (
                self.now.date()
                <= before.deadline(self.now.date(), alsace_moselle=False).extension_notice_due
            )
        target = EXPECTED[action][before.state]
        assert after.state is (target or (S.EXTENDED if before.extended else S.IN_PROGRESS))
        assert after.events[:-1] == before.events
        self.request = after
        if after.state in TERMINAL:
            self.closed_state = after.state

    @invariant()
    def terminal_stays_terminal(self) -> None:
        if self.closed_state is not None:
            assert self.request.state is self.closed_state
            assert self.request.events[-1].to_state is self.closed_state

    @invariant()
    def events_are_ordered(self) -> None:
        events = self.request.events
        assert [e.seq for e in events] == list(range(len(events)))
        for a, b in pairwise(events):
            assert a.at <= b.at and a.on <= b.on
            assert b.from_state is a.to_state
        assert sum(e.to_state in TERMINAL for e in events) <= 1

    @invariant()
    def deadline_is_derivable(self) -> None:
        today = self.request.events[-1].on
        clock = self.request.deadline(today, alsace_moselle=False)
        assert is_working_day(clock.due)
        assert (clock.status is DeadlineStatus.CLOSED) == self.request.state.terminal
        assert clock.extended == self.request.extended


TestRequestMachine = RequestMachine.TestCase
TestRequestMachine.settings = settings(
    max_examples=150,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
