"""scan sources: unchanged sources stamped in a narrow table; no index on last_run_id

Issue 11, rescan of an unchanged tree. A rescan stamps every unchanged source with its
run. Stamped on ``scan_sources`` itself, 10,000 sources meant rewriting about 1,100
pages of wide rows (paths, hashes, timestamps, meta) and moving every entry of the
index on ``last_run_id``: 23 ms of a 100 ms rescan on SQLite, and on PostgreSQL a new
version of every wide row. The stamp now goes to ``scan_source_seen`` (source id, run
id: ~40 pages, 5 ms); ``scan_sources.last_run_id`` keeps the run that last wrote the
row, and ``rgpd.storage.scan_tables.seen_run`` answers "which run last saw it" from
both. The index on ``last_run_id`` goes: nothing selective filtered on it (a profile's
new findings ask for the sources of the run that has just seen nearly all of them).

Existing stamps stay where they are (``last_run_id``), so no data moves.

Revision ID: 0016_source_seen
Revises: 0002
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_source_seen"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index(op.f("ix_scan_sources_last_run_id"), table_name="scan_sources")
    op.create_table(
        "scan_source_seen",
        sa.Column("source_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["scan_sources.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("source_id"),
    )


def downgrade() -> None:
    # The later of the two stamps goes back into last_run_id (what seen_run() read).
    seen = sa.table("scan_source_seen", sa.column("source_id"), sa.column("run_id"))
    src = sa.table("scan_sources", sa.column("id"), sa.column("last_run_id"))
    later = (
        sa.select(seen.c.run_id)
        .where(seen.c.source_id == src.c.id)
        .where(seen.c.run_id > sa.func.coalesce(src.c.last_run_id, 0))
        .scalar_subquery()
    )
    op.execute(
        src.update()
        .where(
            sa.exists().where(
                seen.c.source_id == src.c.id, seen.c.run_id > sa.func.coalesce(src.c.last_run_id, 0)
            )
        )
        .values(last_run_id=later)
    )
    op.drop_table("scan_source_seen")
    op.create_index(
        op.f("ix_scan_sources_last_run_id"), "scan_sources", ["last_run_id"], unique=False
    )
