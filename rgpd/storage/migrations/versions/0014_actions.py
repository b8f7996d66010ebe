"""actions: the action plan (issue 14) — owners, due dates, status and history

Revision ID: 0014_actions
Revises: 0005
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_actions"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("origin_key", sa.String(length=191), nullable=False),
        sa.Column("article", sa.String(length=255), nullable=False),
        sa.Column("risk", sa.Integer(), nullable=False),
        sa.Column("owner_name", sa.String(length=255), nullable=True),
        sa.Column("owner_email", sa.String(length=255), nullable=True),
        sa.Column("service", sa.String(length=255), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "ref", name="uq_actions_org_ref"),
        sa.UniqueConstraint("org_id", "origin_key", name="uq_actions_org_origin"),
    )
    op.create_index(op.f("ix_actions_org_id"), "actions", ["org_id"], unique=False)
    op.create_index(op.f("ix_actions_service"), "actions", ["service"], unique=False)
    op.create_index(op.f("ix_actions_status"), "actions", ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("actions")
