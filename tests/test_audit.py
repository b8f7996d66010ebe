"""Tamper tests: an edited, deleted or reordered entry is detected and named."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from rgpd import audit
from rgpd.storage.tables import AuditRow, MetaRow
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
    pk = ws.keys.public_key()
    with ws.db.session() as s:
        assert audit.verify(s, cp, public_key=pk).ok
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
        recorded = audit.verify(s)
    assert any("recorded checkpoint: entry #5 differs" in p for p in recorded.problems)
    with ws.db.session() as s:  # the attacker also wipes the checkpoint recorded in the database
        s.execute(delete(MetaRow).where(MetaRow.key == audit.CHECKPOINT_META))
    with ws.db.session() as s:
        plain = audit.verify(s)
        with_cp = audit.verify(s, cp, public_key=pk)
    assert plain.ok  # the chain alone is self-consistent again...
    assert not with_cp.ok  # ...but the signed checkpoint proves the rewrite
    assert any("differs from the signed checkpoint" in p for p in with_cp.problems)


def test_forged_checkpoint_is_refused(ws: Workspace) -> None:
    _fill(ws, 2)
    with ws.db.session() as s:
        cp = audit.make_checkpoint(s, ws.keys, "i")
        cp["seq"] = 1
        res = audit.verify(s, cp, public_key=ws.keys.public_key())
    assert any("signature" in p for p in res.problems)


def _rewrite_from(ws: Workspace, seq: int) -> None:
    """What the attacker of issue 13 did: rewrite from entry ``seq`` on and re-hash the chain."""
    from rgpd.storage.tables import AuditHeadRow

    with ws.db.session() as s:
        rows = list(s.execute(select(AuditRow).order_by(AuditRow.seq)).scalars())
        prev = audit.GENESIS
        for r in rows:
            if r.seq >= seq:
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
        head = s.get(AuditHeadRow, 1)
        assert head is not None
        head.hash = prev
        # the attacker also wipes the checkpoint the install recorded
        from rgpd.storage.tables import MetaRow

        s.execute(delete(MetaRow).where(MetaRow.key == audit.CHECKPOINT_META))


def test_checkpoint_signed_by_a_fresh_key_is_refused(ws_any: Workspace) -> None:
    """Issue 13 item 6: a re-hashed log with a checkpoint signed by a fresh key passed."""
    from rgpd.crypto import KeyRing

    _fill(ws_any, 25)
    _rewrite_from(ws_any, 20)
    forger = KeyRing.generate()
    with ws_any.db.session() as s:
        forged = audit.make_checkpoint(s, forger, ws_any.install_id())
        s.execute(delete(MetaRow).where(MetaRow.key == audit.CHECKPOINT_META))
    with ws_any.db.session() as s:
        res = audit.verify(s, forged, public_key=ws_any.keys.public_key())
    assert not res.ok
    assert any("signed by another key" in p for p in res.problems)
    # and a checkpoint with this install's public key pasted in does not verify either
    forged["public_key"] = ws_any.keys.public_key()
    with ws_any.db.session() as s:
        res = audit.verify(s, forged, public_key=ws_any.keys.public_key())
    assert any("signature does not verify" in p for p in res.problems)


def test_wiped_log_is_reported_against_the_recorded_checkpoint(ws_any: Workspace) -> None:
    from rgpd.storage.tables import AuditHeadRow

    _fill(ws_any, 5)
    with ws_any.db.session() as s:
        audit.make_checkpoint(s, ws_any.keys, ws_any.install_id())
    with ws_any.db.session() as s:
        s.execute(delete(AuditRow))
        s.execute(delete(AuditHeadRow))
    with ws_any.db.session() as s:
        res = audit.verify(s, public_key=ws_any.keys.public_key())
    assert res.entries == 0 and not res.ok
    assert any("#5" in p and "wiped or truncated" in p for p in res.problems)


def test_truncated_tail_with_head_moved_is_reported(ws_any: Workspace) -> None:
    ws = ws_any  # SQLite and PostgreSQL
    from rgpd.storage.tables import AuditHeadRow

    _fill(ws, 6)
    with ws.db.session() as s:
        audit.make_checkpoint(s, ws.keys, "i")
    with ws.db.session() as s:
        three = s.execute(select(AuditRow).where(AuditRow.seq == 3)).scalar_one()
        s.execute(delete(AuditRow).where(AuditRow.seq > 3))
        head = s.get(AuditHeadRow, 1)
        assert head is not None
        head.seq, head.hash = 3, three.hash
    with ws.db.session() as s:
        res = audit.verify(s)
    assert any("recorded checkpoint" in p and "#6" in p for p in res.problems)


def test_timestamps_are_hashed_to_the_microsecond(ws_any: Workspace) -> None:
    from datetime import timedelta

    _fill(ws_any, 3)
    with ws_any.db.session() as s:
        row = s.execute(select(AuditRow).where(AuditRow.seq == 2)).scalar_one()
        row.ts = row.ts + timedelta(microseconds=1)
    with ws_any.db.session() as s:
        res = audit.verify(s)
    assert any("entry #2" in p and "modified" in p for p in res.problems)


def test_legacy_second_precision_entries_still_verify(ws: Workspace) -> None:
    """Entries written before format 2 (hashed to the second) keep verifying."""
    _fill(ws, 3)
    with ws.db.session() as s:
        rows = list(s.execute(select(AuditRow).order_by(AuditRow.seq)).scalars())
        prev = audit.GENESIS
        for r in rows:
            r.ts = r.ts.replace(microsecond=0)
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
                version=1,
            )
            prev = r.hash
        from rgpd.storage.tables import AuditHeadRow

        head = s.get(AuditHeadRow, 1)
        assert head is not None
        head.hash = prev
    with ws.db.session() as s:
        assert audit.verify(s).ok
    _fill(ws, 1)  # a new entry (format 2) chains onto the legacy ones
    with ws.db.session() as s:
        assert audit.verify(s).ok


def test_malformed_checkpoint_is_a_clear_input_error() -> None:
    import pytest

    from rgpd.errors import InvalidInput

    for text in ("", "[]", "{", '{"seq": "x"}', '{"install":"i","seq":true}'):
        with pytest.raises(InvalidInput):
            audit.parse_checkpoint(text)
    with pytest.raises(InvalidInput):
        audit.parse_public_key("not a key")
