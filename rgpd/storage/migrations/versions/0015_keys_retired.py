"""keys: the record of retired key ids in rgpd_meta (issue 13)

The row exists from the start so that a unit of work can take a shared lock on it
before it commits: a retirement then waits for that unit, or the unit sees the
retirement (rgpd.keys.reseal_retired). A row created only at the first retirement
could be inserted under a checker that locked nothing.

Revision ID: 0015_keys_retired
Revises: 0013sec_audit_ts
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0015_keys_retired"
down_revision = "0013sec_audit_ts"
branch_labels = None
depends_on = None

_meta = sa.table("rgpd_meta", sa.column("key", sa.String), sa.column("value", sa.Text))


def upgrade() -> None:
    found = op.get_bind().execute(
        sa.select(_meta.c.key).where(_meta.c.key == "keys_retired")
    ).first()
    if found is None:
        op.bulk_insert(_meta, [{"key": "keys_retired", "value": ""}])


def downgrade() -> None:
    op.execute(_meta.delete().where(_meta.c.key == "keys_retired"))
