"""Actions survive the database unchanged (SQLite and PostgreSQL), history included."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rgpd import audit
from rgpd.actions import store
from rgpd.actions.model import Action, ActionStatus, Event, Origin, Owner
from rgpd.registry import service as registry
from rgpd.registry.model import Organisation
from rgpd.workspace import Workspace

_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=40)
_opt = st.none() | _text.filter(bool)
_when = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
)
_day = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 1, 1))

actions = st.builds(
    Action,
    ref=st.just("A-0001"),
    title=_text.filter(str.strip),
    origin=st.sampled_from(Origin),
    origin_key=st.text("abcdefghijklmnop_:-0123456789", min_size=1, max_size=60),
    created_on=_day,
    description=_text,
    article=_text,
    risk=st.integers(0, 115),
    owner=st.builds(Owner, _opt, _opt, _opt),
    due=st.none() | _day,
    status=st.sampled_from(ActionStatus),
    reason=_opt,
    closed_on=st.none() | _day,
    history=st.lists(
        st.builds(
            Event,
            _when,
            _text,
            st.sampled_from(["created", "done"]),
            st.sampled_from(ActionStatus),
            _text,
        ),
        max_size=4,
    ).map(tuple),
)


def _org(ws: Workspace) -> int:
    registry.add_org(ws, Organisation(slug="mairie", name="Ville de Saint-Exemple"))
    return ws.org_id("mairie")


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=actions)
def test_round_trip(ws: Workspace, a: Action) -> None:
    try:
        oid = ws.org_id("mairie")
    except Exception:
        oid = _org(ws)
    with ws.db.session() as s:
        row = store.save(
            s, org_id=oid, org="mairie", actor="t", action=a, before=None, change="create"
        )
        rid = row.id
    with ws.db.session(readonly=True) as s:
        back = next(x for x in store.rows(s, oid) if x.id == rid)
        assert store.to_action(back) == a
    with ws.db.session() as s:
        s.delete(s.get(type(back), rid))


def test_round_trip_on_both_databases(ws_any: Workspace) -> None:
    oid = _org(ws_any)
    a = Action(
        ref="A-0001",
        title="Réviser les habilitations du logiciel d'état civil",
        origin=Origin.LINT,
        origin_key="lint_error:ETAT-CIVIL",
        created_on=date(2026, 11, 22),
        article="Art. 32",
        owner=Owner("Chloé Martin", "chloe.martin@example.org", "État civil"),
        due=date(2027, 1, 31),
        history=(
            Event(
                datetime(2026, 11, 22, 9, 0, 0, 123456, tzinfo=UTC),
                "dpo",
                "created",
                ActionStatus.PLANNED,
            ),
        ),
    )
    with ws_any.db.session() as s:
        store.save(s, org_id=oid, org="mairie", actor="dpo", action=a, before=None, change="create")
    with ws_any.db.session(readonly=True) as s:
        assert store.load_actions(s, oid) == [a]
    with ws_any.db.session(readonly=True) as s:
        assert audit.verify(s).problems == []
