"""Tamper tests: an edited, deleted or reordered entry is detected and named."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from rgpd import audit
from rgpd.storage.tables import AuditRow
from rgpd.workspace import Workspace


def _fill(ws: Workspace, n: int = 5) -> None:
    with ws.db.session() as s:
        for i in range(n):
            audit.append(
                s,
                action="update",
                entity="activity",
                entity_ref=f"org/a{i}",
                actor="dpo",
                org="org",
                before={"v": i},
                after={"v": i + 1},
            )


def test_intact_chain_verifies(ws_any: Workspace) -> None:
    _fill(ws_any)
    with ws_any.db.session() as s:
        res = audit.verify(s)
    assert res.ok and res.entries == 5 and res.head_seq == 5


def test_edited_entry_is_named(ws: Workspace) -> None:
    _fill(ws)
    with ws.db.session() as s:
        s.execute(update(AuditRow).where(AuditRow.seq == 3).values(actor="mallory"))
    with ws.db.session() as s:
        res = audit.verify(s)
    assert not res.ok
    assert any("entry #3" in p and "modified" in p for p in res.problems)


def test_deleted_entry_is_named(ws: Workspace) -> None:
    _fill(ws)
    with ws.db.session() as s:
        s.execute(delete(AuditRow).where(AuditRow.seq == 2))
    with ws.db.session() as s:
        res = audit.verify(s)
    assert any("#2" in p for p in res.problems)


def test_deleted_tail_is_detected(ws: Workspace) -> None:
    _fill(ws)
    with ws.db.session() as s:
        s.execute(delete(AuditRow).where(AuditRow.seq == 5))
    with ws.db.session() as s:
        res = audit.verify(s)
    assert any("trailing" in p for p in res.problems)


def test_reordered_entries_are_detected(ws: Workspace) -> None:
    _fill(ws)
    with ws.db.session() as s:
        rows = {r.seq: r for r in s.execute(select(AuditRow)).scalars()}
        rows[2].seq, rows[4].seq = -4, -2
        s.flush()
        rows[2].seq, rows[4].seq = 4, 2
    with ws.db.session() as s:
        res = audit.verify(s)
    assert not res.ok
    assert any("#2" in p or "#4" in p for p in res.problems)


def test_checkpoint_detects_full_rewrite(ws: Workspace) -> None:
    _fill(ws)
    with ws.db.session() as s:
        cp = audit.make_checkpoint(s, ws.keys, "install-1")
    with ws.db.session() as s:
        assert audit.verify(s, cp).ok
    # an attacker rewrites entry 3 AND recomputes the whole chain: only the checkpoint sees it
    with ws.db.session() as s:
        rows = list(s.execute(select(AuditRow).order_by(AuditRow.seq)).scalars())
        prev = audit.GENESIS
        for r in rows:
            if r.seq == 3:
                r.actor = "mallory"
            r.prev_hash = prev
            r.hash = audit.entry_hash(
                prev,
                r.seq,
                r.ts,
                r.actor,
                r.org,
                r.action,
                r.entity,
                r.entity_ref,
                r.before_digest,
                r.after_digest,
                r.details,
            )
            prev = r.hash
        from rgpd.storage.tables import AuditHeadRow

        head = s.get(AuditHeadRow, 1)
        assert head is not None
        head.hash = prev
    with ws.db.session() as s:
        plain = audit.verify(s)
        with_cp = audit.verify(s, cp)
    assert plain.ok  # the chain alone is self-consistent again...
    assert not with_cp.ok  # ...but the signed checkpoint proves the rewrite
    assert any("differs from the signed checkpoint" in p for p in with_cp.problems)


def test_forged_checkpoint_is_refused(ws: Workspace) -> None:
    _fill(ws, 2)
    with ws.db.session() as s:
        cp = audit.make_checkpoint(s, ws.keys, "i")
        cp["seq"] = 1
        res = audit.verify(s, cp)
    assert any("signature" in p for p in res.problems)
