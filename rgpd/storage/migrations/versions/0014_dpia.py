"""dpia: data protection impact assessments (Art. 35) and their versions

Revision ID: 0014_dpia
Revises: 0005
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_dpia"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dpias",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=63), nullable=False),
        sa.Column("activity_ref", sa.String(length=63), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "ref", name="uq_dpias_org_ref"),
    )
    op.create_index(op.f("ix_dpias_org_id"), "dpias", ["org_id"], unique=False)
    op.create_index(op.f("ix_dpias_activity_ref"), "dpias", ["activity_ref"], unique=False)
    op.create_table(
        "dpia_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dpia_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["dpia_id"], ["dpias.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dpia_id", "version", name="uq_dpia_versions"),
    )
    op.create_index(op.f("ix_dpia_versions_dpia_id"), "dpia_versions", ["dpia_id"], unique=False)


def downgrade() -> None:
    op.drop_table("dpia_versions")
    op.drop_table("dpias")
