"""Opening an up-to-date store skips alembic (issue 11: every command opens the store)."""

from __future__ import annotations

from pathlib import Path

from rgpd.storage.db import MIGRATIONS_DIR, Database, script_heads


def test_script_heads_are_alembics_heads() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert script_heads() == frozenset(ScriptDirectory.from_config(cfg).get_heads())


def test_only_a_store_at_every_head_skips_the_migrations(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'rgpd.db'}")
    assert not db._at_heads()  # empty: no alembic_version table
    db.upgrade()
    assert db._at_heads()
    assert db.current_revisions() == set(script_heads())
    head = sorted(script_heads())[0]
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM alembic_version WHERE version_num = ?", (head,))
    assert not db._at_heads()  # one head missing: alembic decides
    db.dispose()
