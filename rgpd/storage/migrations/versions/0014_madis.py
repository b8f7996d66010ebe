"""madis: the software and supports register and the yearly maturity questionnaire (issue 14)

Revision ID: 0014_madis
Revises: 0005
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_madis"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "software",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "ref", name="uq_software_org_ref"),
    )
    op.create_index(op.f("ix_software_org_id"), "software", ["org_id"], unique=False)
    op.create_table(
        "maturity_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "year", "version", name="uq_maturity_org_year_version"),
    )
    op.create_index(
        op.f("ix_maturity_surveys_org_id"), "maturity_surveys", ["org_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_maturity_surveys_org_id"), table_name="maturity_surveys")
    op.drop_table("maturity_surveys")
    op.drop_index(op.f("ix_software_org_id"), table_name="software")
    op.drop_table("software")
