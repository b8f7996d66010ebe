"""scan_sources: drop the index on last_run_id (issue 11, rescan of an unchanged tree)

A rescan stamps every unchanged source with its run id. With the index, each stamp also
moved the row's entry in the index: on a 10,000-file rescan a third of the stamping's
time on SQLite (23 -> 15 ms), and on PostgreSQL it made every stamp a non-HOT update
that touches all the table's indexes. The index was not selective either: the one query
filtering on it (a profile's new findings) asks for the sources of a run that has
just stamped nearly all of the organisation's sources, and it also filters on org_id,
which keeps its own index.

Revision ID: 0016_sources_run_index
Revises: 0002
Create Date: 2026-12-04
"""

from alembic import op

revision = "0016_sources_run_index"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index(op.f("ix_scan_sources_last_run_id"), table_name="scan_sources")


def downgrade() -> None:
    op.create_index(
        op.f("ix_scan_sources_last_run_id"), "scan_sources", ["last_run_id"], unique=False
    )
