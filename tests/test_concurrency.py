"""Read-then-write paths raced by real threads, on SQLite, PostgreSQL and MariaDB (issue 15).

The intake server's load tests (``tests/requests/test_load.py``) cover SQLite and
PostgreSQL through HTTP; these go to the library directly and add MariaDB: the
audit chain appended from many threads (starting with no head row, the case where
two writers could both create it), request references allocated at once, a scan
profile lock taken by several runs at once, and a key rotation that retires the
old key while another writer's insert is still in flight.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Connection, MetaData, Table, delete, func, select, update

from rgpd import audit, keys
from rgpd.crypto import KeyRing
from rgpd.errors import LockHeld
from rgpd.requests import intake, service
from rgpd.requests.model import Channel
from rgpd.storage.db import retry_busy
from rgpd.storage.request_tables import RequestRow
from rgpd.storage.tables import AuditHeadRow, AuditRow
from rgpd.workspace import Workspace, open_workspace
from tests.race import together
from tests.requests.intake_fixtures import ORG, form


def _chain(ws: Workspace) -> audit.VerifyResult:
    with ws.db.session(readonly=True) as s:
        return audit.verify(s)


def test_appends_from_many_threads_make_one_chain_even_from_no_head(shared_ws: Workspace) -> None:
    with shared_ws.db.session() as s:  # an empty log: the first appends race to create the head
        s.execute(delete(AuditRow))
        s.execute(delete(AuditHeadRow))
    threads, each = 8, 6

    def append(i: int) -> int:
        for k in range(each):

            def one(k: int = k) -> None:
                with shared_ws.db.session() as s:
                    audit.append(s, action="test.append", entity="thread", entity_ref=f"{i}-{k}")

            retry_busy(one, attempts=8)
        return i

    done, errors = together(threads, append)
    assert not errors, errors
    assert len(done) == threads
    with shared_ws.db.session(readonly=True) as s:
        seqs = list(s.execute(select(AuditRow.seq).order_by(AuditRow.seq)).scalars())
        head = s.execute(select(AuditHeadRow)).scalars().all()
    assert seqs == list(range(1, threads * each + 1))  # no gap, no duplicate
    assert len(head) == 1 and head[0].seq == threads * each
    result = _chain(shared_ws)
    assert result.ok, result.problems[:5]


def test_requests_filed_at_once_get_distinct_references_once_each(shared_ws: Workspace) -> None:
    offered = service.offered_activities(shared_ws, ORG)
    today = service.local_today(shared_ws)

    def file(i: int) -> str:
        sub = intake.validate(
            form(email=f"c{i}@example.org", last_name=f"Nom{i}"),
            offered,
            today=today,
            offered_only=False,
        )
        done = retry_busy(
            lambda: service.submit(shared_ws, ORG, sub, channel=Channel.COUNTER), attempts=8
        )
        return done.record.reference

    refs, errors = together(8, file)
    assert not errors, errors
    assert len(set(refs)) == 8
    with shared_ws.db.session(readonly=True) as s:
        stored = int(s.execute(select(func.count()).select_from(RequestRow)).scalar_one())
        received = int(
            s.execute(
                select(func.count())
                .select_from(AuditRow)
                .where(AuditRow.action == "request.receive")
            ).scalar_one()
        )
    assert stored == received == 8
    assert _chain(shared_ws).ok


def test_a_scan_profile_lock_taken_at_once_has_one_holder(shared_ws: Workspace) -> None:
    from rgpd.scan.profiles import acquire_lock, lock_name

    name = lock_name("nightly")
    won, errors = together(6, lambda i: acquire_lock(shared_ws, name, holder=f"hote:{1000 + i}"))
    assert len(won) == 1, (won, errors)
    assert len(errors) == 5 and all(isinstance(e, LockHeld) for e in errors), errors


def test_rotation_retiring_the_old_key_waits_for_an_insert_in_flight(shared_ws: Workspace) -> None:
    """A row sealed under the old key and committed while the rotation runs is resealed.

    Another process sealed a value just before the key file changed and commits it
    while ``keys rotate --retire-old`` runs: the retiring pass must wait for that
    insert, or the value would stay sealed under a key that is then removed.
    """
    r = service.submit(
        shared_ws, ORG, _sub(shared_ws, "avant@example.org"), channel=Channel.COUNTER
    )
    old_key = shared_ws.keys.active
    with shared_ws.db.session(readonly=True) as s:
        org_id = s.execute(select(RequestRow.org_id)).scalar_one()
    late_ref = service.new_reference(2026)
    late_payload = shared_ws.keys.seal('{"late": true}', service.payload_context(late_ref))
    assert late_payload.split("$")[1] == old_key
    rotated: list[keys.RotateResult] = []
    failed: list[BaseException] = []

    writer = shared_ws.db.engine.connect()
    writer.begin()  # on SQLite: BEGIN IMMEDIATE (the engine's own begin)
    try:
        _insert_request_like(writer, r.record.reference, late_ref, late_payload, org_id)

        def rotate() -> None:
            try:
                rotated.append(keys.rotate(shared_ws, retire_old=True))
            except BaseException as exc:
                failed.append(exc)

        t = threading.Thread(target=rotate)
        t.start()
        t.join(1.0)  # give the rotation time to run past the insert if it does not wait
        writer.commit()
    finally:
        writer.close()
    t.join(120)
    assert not failed, failed
    assert rotated and old_key in rotated[0].retired and old_key not in shared_ws.keys.keys
    with shared_ws.db.session(readonly=True) as s:
        payloads = dict(s.execute(select(RequestRow.reference, RequestRow.payload)).all())
    assert {p.split("$")[1] for p in payloads.values()} == {shared_ws.keys.active}
    assert shared_ws.keys.open_text(payloads[late_ref], service.payload_context(late_ref))
    assert _chain(shared_ws).ok


def test_a_value_sealed_before_a_retirement_and_stored_after_it_is_resealed(
    shared_ws: Workspace,
) -> None:
    """Issue 13 item 1, the last window: "a sealed value never uses a retired key".

    A long-lived process seals a value under the active key; before it stores it,
    ``keys rotate --retire-old`` runs to its end in another process, so neither of
    its passes can see the value. The process stores it and commits: its
    commit-time guard sees the retirement recorded in ``rgpd_meta`` and reseals the
    value under the new key, which the admin's ring (old key gone) opens.
    """
    r = service.submit(
        shared_ws, ORG, _sub(shared_ws, "avant@example.org"), channel=Channel.COUNTER
    )
    old_key = shared_ws.keys.active
    with shared_ws.db.session(readonly=True) as s:
        org_id = s.execute(select(RequestRow.org_id)).scalar_one()
    admin = open_workspace(shared_ws.settings, actor="admin")
    late_ref = service.new_reference(2026)
    try:
        with shared_ws.db.session() as s:
            late = shared_ws.keys.seal('{"late": true}', service.payload_context(late_ref))
            assert KeyRing.key_id_of(late) == old_key
            res = keys.rotate(admin, retire_old=True)  # nothing stored yet: both passes miss it
            assert res.retired == [old_key] and old_key not in admin.keys.keys
            _insert_request_like(s.connection(), r.record.reference, late_ref, late, org_id)
        with admin.db.session(readonly=True) as s:
            payloads = dict(s.execute(select(RequestRow.reference, RequestRow.payload)).all())
        assert {KeyRing.key_id_of(p) for p in payloads.values()} == {res.new_key}
        assert admin.keys.open_text(payloads[late_ref], service.payload_context(late_ref))
        with admin.db.session(readonly=True) as s:
            assert keys.retired_keys(s) == {old_key}
    finally:
        admin.db.dispose()


@pytest.mark.parametrize("shared_ws", ["postgresql", "mariadb"], indirect=True)
def test_the_guard_reseals_only_its_own_rows_never_a_stale_snapshot(shared_ws: Workspace) -> None:
    """Review of issue 13: on MariaDB a plain read sees the transaction's snapshot.

    The unit of work read first (its snapshot shows every row under the old key),
    the rotation then ran, and another process changed a row. The guard must reseal
    the unit's own row only, not write back its stale copy of the other one. (SQLite
    cannot interleave so: the reading unit already holds the write lock.)
    """
    r = service.submit(
        shared_ws, ORG, _sub(shared_ws, "avant@example.org"), channel=Channel.COUNTER
    )
    ref = r.record.reference
    admin = open_workspace(shared_ws.settings, actor="admin")
    late_ref = service.new_reference(2026)
    try:
        with shared_ws.db.session() as s:
            org_id = s.execute(select(RequestRow.org_id)).scalar_one()  # snapshot taken
            late = shared_ws.keys.seal('{"late": true}', service.payload_context(late_ref))
            keys.rotate(admin, retire_old=True)
            changed = admin.keys.seal('{"changed": true}', service.payload_context(ref))
            with admin.db.session() as a:  # another process updates the old row
                a.execute(
                    update(RequestRow).where(RequestRow.reference == ref).values(payload=changed)
                )
            _insert_request_like(s.connection(), ref, late_ref, late, org_id)
        with admin.db.session(readonly=True) as s:
            payloads = dict(s.execute(select(RequestRow.reference, RequestRow.payload)).all())
        assert payloads[ref] == changed
        ctx = service.payload_context(late_ref)
        assert admin.keys.open_text(payloads[late_ref], ctx) == '{"late": true}'
    finally:
        admin.db.dispose()


def test_a_unit_of_work_that_sealed_under_the_active_key_reads_no_record(
    shared_ws: Workspace,
) -> None:
    """The guard's fast path: no rotation under way, no locked read, nothing resealed."""
    ring = shared_ws.keys
    with shared_ws.db.session() as s:
        ring.seal("x", "c")
        assert keys.reseal_retired(s, ring) == 0
        assert keys.retired_keys(s) == set()


def _sub(ws: Workspace, email: str) -> intake.Submission:
    return intake.validate(
        form(email=email),
        service.offered_activities(ws, ORG),
        today=service.local_today(ws),
        offered_only=False,
    )


def _insert_request_like(
    conn: Connection, ref: str, new_ref: str, payload: str, org_id: int
) -> None:
    """Copy the request ``ref`` under ``new_ref`` with ``payload``, inside ``conn``'s transaction."""
    t = Table(RequestRow.__tablename__, MetaData(), autoload_with=conn)
    row = dict(conn.execute(select(t).where(t.c.reference == ref)).mappings().one())
    row.pop("id")
    row.update(reference=new_ref, payload=payload, org_id=org_id)
    conn.execute(t.insert().values(row))
